package sdk_test

import (
	stdjson "encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
)

// The JSON of every action and answer, byte for byte as the reference
// (divar-wire-format.md, sections 1 to 3) writes it.
func TestAnswersAreByteExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"open_direct_link", sdk.OpenDirectLink("https://your-domain.com/direct-link"),
			`{"open_direct_link":"https://your-domain.com/direct-link"}`},
		{"open_server_link", sdk.OpenServerLink(sdk.Data{"your_key_1": "your value", "your_key_2": "your value"}),
			`{"open_server_link":{"data":{"your_key_1":"your value","your_key_2":"your value"}}}`},
		{"open_server_link, nil data", sdk.OpenServerLink(nil), `{"open_server_link":{"data":{}}}`},
		{"get_dynamic_action", sdk.GetDynamicAction(sdk.Data{"answer": "yes"}),
			`{"get_dynamic_action":{"data":{"answer":"yes"}}}`},
		{"get_dynamic_action, nil data", sdk.GetDynamicAction(nil), `{"get_dynamic_action":{"data":{}}}`},
		{"open_post_page", sdk.OpenPostPage("gZd7omnS"), `{"open_post_page":{"post_token":"gZd7omnS"}}`},
		{"open_post_manage_page", sdk.OpenPostManagePage("gZd7omnS"), `{"open_post_manage_page":{"post_token":"gZd7omnS"}}`},
		{"url answer", sdk.OpenURL("https://your-domain.com/landings/6b3d5cf7-9291-4fa9-892a-9d07e300daea"),
			`{"url":"https://your-domain.com/landings/6b3d5cf7-9291-4fa9-892a-9d07e300daea"}`},
		{"url answer keeps & < >", sdk.OpenURL("https://d.ir/?a=1&b=<2>"), `{"url":"https://d.ir/?a=1&b=<2>"}`},
		{"action and text", sdk.Reply(sdk.OpenDirectLink("https://your-domain.com/direct-link")).WithText("پیام متنی اختیاری برای نمایش به کاربر"),
			`{"action":{"open_direct_link":"https://your-domain.com/direct-link"},"text_message":"پیام متنی اختیاری برای نمایش به کاربر"}`},
		{"server link and text", sdk.Reply(sdk.OpenServerLink(sdk.Data{"your_key_1": "your value", "your_key_2": "your value"})).WithText("پیام"),
			`{"action":{"open_server_link":{"data":{"your_key_1":"your value","your_key_2":"your value"}}},"text_message":"پیام"}`},
		{"action only", sdk.Reply(sdk.OpenPostPage("gZd7omnS")), `{"action":{"open_post_page":{"post_token":"gZd7omnS"}}}`},
		{"text only", sdk.TextMessage("اطلاعات با موفقیت ثبت شد"), `{"text_message":"اطلاعات با موفقیت ثبت شد"}`},
		{"nested data keeps its order-independent form", sdk.GetDynamicAction(sdk.Data{"b": []any{1, "x"}, "a": map[string]any{"z": true, "y": nil}}),
			`{"get_dynamic_action":{"data":{"a":{"y":null,"z":true},"b":[1,"x"]}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sdk.MarshalAnswer(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAnswersWriteThemselves(t *testing.T) {
	w := httptest.NewRecorder()
	if err := sdk.Reply(sdk.OpenPostPage("gZd7omnS")).WithText("a&b").VisitDynamicActionResponse(w); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" ||
		w.Body.String() != `{"action":{"open_post_page":{"post_token":"gZd7omnS"}},"text_message":"a&b"}` {
		t.Errorf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	w = httptest.NewRecorder()
	if err := sdk.OpenURL("/relative").VisitOpenServerLinkResponse(w); !errors.Is(err, sdk.ErrInvalidAnswer) {
		t.Errorf("an invalid answer was written: %v, %s", err, w.Body)
	}
	if w.Body.Len() != 0 {
		t.Errorf("an invalid answer wrote %s", w.Body)
	}
}

func TestValidateRefusesWhatDivarRejects(t *testing.T) {
	long := "https://d.ir/" + strings.Repeat("a", 2048)
	for _, tc := range []struct {
		name string
		v    interface{ Validate() error }
		want string // in the error; "" when valid
	}{
		{"direct link", sdk.OpenDirectLink("https://d.ir"), ""},
		{"http is fine", sdk.OpenDirectLink("http://localhost:8080/x"), ""},
		{"upper-case scheme", sdk.OpenDirectLink("HTTPS://D.IR/"), ""},
		{"relative link", sdk.OpenDirectLink("/landing"), "/open_direct_link must be an absolute http(s) URL"},
		{"other scheme", sdk.OpenDirectLink("ftp://d.ir/file"), "absolute http(s) URL"},
		{"javascript", sdk.OpenDirectLink("javascript:alert(1)"), "absolute http(s) URL"},
		{"no host", sdk.OpenDirectLink("https:///path"), "with a host"},
		{"white space", sdk.OpenDirectLink("https://d.ir/a b"), "white space"},
		{"too long", sdk.OpenDirectLink(long), "8 to 2048"},
		{"no kind", sdk.Action{}, "sets none"},
		{"two kinds", sdk.Action{OpenDirectLink: "https://d.ir", OpenServerLink: &sdk.DataPayload{}}, "exactly one kind, it sets 2"},
		{"empty post token", sdk.OpenPostPage(""), "/open_post_page/post_token must have 1 to 10"},
		{"long post token", sdk.OpenPostManagePage("12345678901"), "/open_post_manage_page/post_token"},
		{"url answer", sdk.OpenURL("https://d.ir/x"), ""},
		{"empty url answer", sdk.OpenURL(""), "/url"},
		{"empty dynamic answer", sdk.DynamicActionResponse{}, ""},
		{"empty text", sdk.TextMessage(""), ""},
		{"bad action in an answer", sdk.Reply(sdk.OpenDirectLink("x")), "/action/open_direct_link"},
		{"long text", sdk.TextMessage(strings.Repeat("ب", 4097)), "text_message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Validate()
			if tc.name == "empty dynamic answer" || tc.name == "empty text" {
				// Divar needs an action or a text: both empty is refused.
				if !errors.Is(err, sdk.ErrInvalidAnswer) {
					t.Fatalf("Validate = %v, want ErrInvalidAnswer", err)
				}
				return
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidAnswer with %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(sdk.Source("POST_ADODN").Normalize()), "POST_ADDON"},
		{string(sdk.Source("post_adodn").Normalize()), "POST_ADDON"},
		{string(sdk.Source("POST_ADDON").Normalize()), "POST_ADDON"},
		{string(sdk.Source("chat_message_action").Normalize()), "CHAT_MESSAGE_ACTION"},
		{string(sdk.Source("NEW_ONE").Normalize()), "NEW_ONE"},
		{string(sdk.UserSide("Supply").Normalize()), "SUPPLY"},
		{string(sdk.UserSide("SUPPLY").Normalize()), "SUPPLY"},
		{string(sdk.UserSide("demand").Normalize()), "DEMAND"},
		{string(sdk.UserSide("").Normalize()), ""},
		{string(sdk.UserSide("ſupply").Normalize()), "ſUPPLY"}, // not ASCII: never turned into SUPPLY
		{string(sdk.UserSide("sUPPLy").Normalize()), "SUPPLY"},
		{string(sdk.UserSide("ſuppl").Normalize()), "ſUPPL"},         // as long as SUPPLY, and not it
		{string(sdk.UserSide("\xffupply").Normalize()), "\xffUPPLY"}, // nor with a byte that is no UTF-8
		{string(sdk.UserSide("Suppl").Normalize()), "SUPPL"},         // not a known value: upper-cased as sent
		{string(sdk.UserSide("Supplier").Normalize()), "SUPPLIER"},   // nor a value a known one begins
		{string(sdk.UserSide("Supplz").Normalize()), "SUPPLZ"},
		{string(sdk.Source("Chat").Normalize()), "CHAT"},
		{string(sdk.Touchpoint("Demand_Post").Normalize()), "DEMAND_POST"},
		{string(sdk.Touchpoint("my_post").Normalize()), "MY_POST"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestRequestHelpers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      sdk.OpenServerLinkRequest
		returnTo string
		data     string // Data().String("k")
	}{
		{"seed", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/", ExtraData: sdk.RawData(`{"k":"extra"}`)}, "https://divar.ir/", "extra"},
		{"current docs", sdk.OpenServerLinkRequest{CompletionURL: "https://c.ir/", ProviderData: sdk.RawData(`{"k":"provider"}`)}, "https://c.ir/", "provider"},
		{"both: seed names win", sdk.OpenServerLinkRequest{ReturnURL: "https://r.ir/", CompletionURL: "https://c.ir/",
			ExtraData: sdk.RawData(`{"k":"extra"}`), ProviderData: sdk.RawData(`{"k":"provider"}`)}, "https://r.ir/", "extra"},
		{"neither", sdk.OpenServerLinkRequest{}, sdk.CompletionURL, ""},
		{"upper-case scheme", sdk.OpenServerLinkRequest{ReturnURL: "HTTPS://divar.ir/x"}, "HTTPS://divar.ir/x", ""},
		{"mixed-case http", sdk.OpenServerLinkRequest{ReturnURL: "hTtP://divar.ir/x"}, "hTtP://divar.ir/x", ""},
		{"a scheme folded from non-ASCII: not https", sdk.OpenServerLinkRequest{ReturnURL: "httpſ://divar.ir/x"}, sdk.CompletionURL, ""},
		{"relative return_url: completion_url", sdk.OpenServerLinkRequest{ReturnURL: "/back", CompletionURL: "https://c.ir/"}, "https://c.ir/", ""},
		{"javascript: the fixed address", sdk.OpenServerLinkRequest{ReturnURL: "javascript:alert(1)"}, sdk.CompletionURL, ""},
		{"another scheme", sdk.OpenServerLinkRequest{ReturnURL: "divar://post/x"}, sdk.CompletionURL, ""},
		{"no host", sdk.OpenServerLinkRequest{ReturnURL: "https:///path"}, sdk.CompletionURL, ""},
		{"only a scheme", sdk.OpenServerLinkRequest{ReturnURL: "http://"}, sdk.CompletionURL, ""},
		{"white space", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/a b"}, sdk.CompletionURL, ""},
		{"a control character", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/\x00"}, sdk.CompletionURL, ""},
		{"a bad escape", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/%zz"}, sdk.CompletionURL, ""},
		{"both bad", sdk.OpenServerLinkRequest{ReturnURL: "x", CompletionURL: "y"}, sdk.CompletionURL, ""},
		{"a bad port", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir:x/"}, sdk.CompletionURL, ""},
		{"a port", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir:443/a?b=%20"}, "https://divar.ir:443/a?b=%20", ""},
		{"a bad IPv6 host", sdk.OpenServerLinkRequest{ReturnURL: "https://[::1/"}, sdk.CompletionURL, ""},
		{"a Persian path", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/آگهی"}, "https://divar.ir/آگهی", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.ReturnTo(); got != tc.returnTo {
				t.Errorf("ReturnTo = %q, want %q", got, tc.returnTo)
			}
			if d := tc.req.Data(); d.String("k") != tc.data {
				t.Errorf("Data = %s", d)
			}
		})
	}
}

func TestRawDataReading(t *testing.T) {
	const seed = `{"your_key_1":"your value","n":2,"nested":{"answer":"no"},"esc\u0061ped":"x\u0079z","answer":"yes"}`
	for _, tc := range []struct {
		name, data, key, want string
		has                   bool
	}{
		{"a string member", seed, "your_key_1", "your value", true},
		{"the last member", seed, "answer", "yes", true},
		{"a number reads as empty", seed, "n", "", true},
		{"an object reads as empty", seed, "nested", "", true},
		{"nested members are not top-level", seed, "missing", "", false},
		{"escaped name and value", seed, "escaped", "xyz", true},
		{"names match exactly", seed, "ANSWER", "", false},
		{"empty data", "", "answer", "", false},
		{"empty object", "{}", "answer", "", false},
		{"not an object", `["answer"]`, "answer", "", false},
		{"broken JSON", `{"answer":`, "answer", "", false},
		{"quotes and brackets inside strings are skipped", `{"a":"x\"}]{[\\","b":{"c":"]}\"","d":[[{}],"["]},"answer":"yes"}`, "answer", "yes", true},
		{"a value ending in escaped backslashes", `{"a":"\\\\","answer":"yes"}`, "answer", "yes", true},
		{"whitespace everywhere", " \t\r\n{ \"a\" : [ 1 , 2 ] ,\n\"answer\"\t:\t\"yes\" } ", "answer", "yes", true},
		{"scalars before it", `{"t":true,"f":false,"z":null,"n":-1.5e+3,"answer":"yes"}`, "answer", "yes", true},
		{"the first of two members of one name", `{"answer":"yes","answer":"no"}`, "answer", "yes", true},
		{"an escaped quote in a name", `{"an\"swer":"no","answer":"yes"}`, "answer", "yes", true},
		{"a name is not read as a value", `{"x":"answer","answer":"yes"}`, "answer", "yes", true},
		{"a persian value", `{"answer":"بله \u0628\u0644\u0647"}`, "answer", "بله بله", true},
		{"an unclosed string", `{"a":"x,"answer":"yes"`, "answer", "", false},
		{"an unclosed object", `{"a":{"b":[1,2},"answer":"yes"`, "answer", "", false},
		{"a missing comma", `{"a":1 "answer":"yes"}`, "answer", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sdk.RawData(tc.data)
			if got := d.String(tc.key); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.key, got, tc.want)
			}
			if got := d.Has(tc.key); got != tc.has {
				t.Errorf("Has(%q) = %v, want %v", tc.key, got, tc.has)
			}
		})
	}
}

func TestRawDataDecoding(t *testing.T) {
	type step struct {
		Step int    `json:"step"`
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		name, data string
		want       step
		fails      bool
	}{
		{"names match exactly", `{"step":2,"name":"x","NAME":"y"}`, step{2, "x"}, false},
		{"empty decodes as {}", ``, step{}, false},
		{"a string for an int", `{"step":"two"}`, step{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got step
			err := sdk.RawData(tc.data).Decode(&got)
			if (err != nil) != tc.fails || got != tc.want {
				t.Errorf("Decode = %+v, %v; want %+v, fails %v", got, err, tc.want, tc.fails)
			}
		})
	}
	if m := sdk.RawData(nil).Map(); m == nil || len(m) != 0 {
		t.Errorf("Map of empty data = %#v, want an empty Data", m)
	}
	if m := sdk.RawData(`{"a":"b","n":1}`).Map(); m.String("a") != "b" || m["n"] != 1.0 {
		t.Errorf("Map = %#v", m)
	}
}

// RawData keeps what Divar sent, for both JSON packages.
func TestRawDataJSON(t *testing.T) {
	type body struct {
		ExtraData sdk.RawData `json:"extra_data,omitempty"`
	}
	for _, tc := range []struct {
		name, in, out string
		fails         bool
	}{
		{"an object is kept", `{"extra_data":{"a":[1,{"b":null}]}}`, `{"extra_data":{"a":[1,{"b":null}]}}`, false},
		{"null is empty", `{"extra_data":null}`, `{}`, false},
		{"absent is empty", `{}`, `{}`, false},
		{"a string is refused", `{"extra_data":"x"}`, ``, true},
		{"an array is refused", `{"extra_data":[]}`, ``, true},
	} {
		for _, pkg := range []struct {
			name      string
			unmarshal func([]byte, any) error
			marshal   func(any) ([]byte, error)
		}{
			{"json/v2", func(b []byte, v any) error { return json.Unmarshal(b, v) }, func(v any) ([]byte, error) { return json.Marshal(v) }},
			{"encoding/json", stdjson.Unmarshal, stdjson.Marshal},
		} {
			t.Run(tc.name+"/"+pkg.name, func(t *testing.T) {
				var b body
				err := pkg.unmarshal([]byte(tc.in), &b)
				if tc.fails {
					if err == nil {
						t.Fatalf("accepted %s as %s", tc.in, b.ExtraData)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				out, err := pkg.marshal(b)
				if err != nil || string(out) != tc.out {
					t.Errorf("round trip = %s, %v; want %s", out, err, tc.out)
				}
			})
		}
	}
}

// TestOpenURLAnswerIsMarshalAnswer: the init callback's answer, written
// without the JSON encoder when its URL needs no escaping, is byte for byte
// what MarshalAnswer writes, for every character a URL may hold.
func TestOpenURLAnswerIsMarshalAnswer(t *testing.T) {
	var urls []string
	for c := 0; c < 0x100; c++ { // every byte, at every place in an 8-byte word and in the tail
		for pad := range 17 {
			urls = append(urls, "https://divar.ir/"+strings.Repeat("a", pad)+string([]byte{byte(c)})+"x")
		}
	}
	urls = append(urls, "https://divar.ir/?q=آگهی", "https://divar.ir/\u2028", "https://divar.ir/"+strings.Repeat("a", 2000))
	for _, u := range urls {
		if sdk.OpenURL(u).Validate() != nil {
			continue // white space: refused either way
		}
		want, err := sdk.MarshalAnswer(sdk.OpenURL(u))
		if err != nil && !utf8.ValidString(u) {
			// Invalid UTF-8: not written fast, refused as before.
			if sdk.OpenURL(u).VisitOpenServerLinkResponse(httptest.NewRecorder()) == nil {
				t.Errorf("%q was written", u)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		if err := sdk.OpenURL(u).VisitOpenServerLinkResponse(w); err != nil {
			t.Fatalf("%q: %v", u, err)
		}
		if w.Body.String() != string(want) || w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%q: wrote %d %q %s, want %s", u, w.Code, w.Header().Get("Content-Type"), w.Body, want)
		}
	}
}

// TestAnswersWrittenAtOnceKeepTheirOwnBytes: the answers' buffers are
// pooled; answers of different lengths written by many goroutines at once,
// one after another on each, are each sent byte for byte (under -race: no
// buffer shared by two answers).
func TestAnswersWrittenAtOnceKeepTheirOwnBytes(t *testing.T) {
	const goroutines, answers = 8, 200
	errs := make(chan error, goroutines)
	for g := range goroutines {
		go func() {
			for i := range answers {
				var (
					rec  = httptest.NewRecorder()
					err  error
					want string
				)
				tail := strings.Repeat(string(rune('a'+g)), (i*37+g)%1500)
				if i%2 == 0 {
					err = sdk.OpenURL("https://addon.example/l?s=" + tail).VisitOpenServerLinkResponse(rec)
					want = `{"url":"https://addon.example/l?s=` + tail + `"}`
				} else {
					err = sdk.TextMessage("پیام " + tail).VisitDynamicActionResponse(rec)
					want = `{"text_message":"پیام ` + tail + `"}`
				}
				if err == nil && rec.Body.String() != want {
					err = errors.New("answer " + rec.Body.String() + ", want " + want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
