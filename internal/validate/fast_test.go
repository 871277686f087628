package validate

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/api"
	"github.com/labstack/echo/v4"
)

// The differential test: the same requests through the compiled fast path
// and through kin-openapi must get the same verdict, the same failing
// fields (by pointer or header) and the same texts.

// pair returns two validators of the spec: fast and kin-only.
func pair(t testing.TB) (fast, kin *validator) {
	t.Helper()
	spec, err := testSpec()
	if err != nil {
		t.Fatal(err)
	}
	fast = newValidator(ValidatorConfig{Spec: spec})
	kin = kinOnly(newValidator(ValidatorConfig{Spec: spec}), spec)
	return fast, kin
}

// verdict runs v on one request and returns "ok", or the status and the
// sorted field errors.
func verdict(v *validator, path, body string, header http.Header) string {
	e := echo.New()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	maps.Copy(r.Header, header)
	c := e.NewContext(r, httptest.NewRecorder())
	c.SetPath(path)
	op := v.ops[http.MethodPost+" "+path]
	vb, err := v.validate(c, op)
	if vb != nil {
		vb.release(r)
	}
	if err == nil {
		return "ok"
	}
	p := toProblem(err)
	if syntaxError(p) {
		// Both paths refuse it before any schema; where the decoder noticed
		// (the pointer, if any) may differ by a token.
		return p.Title + " syntax"
	}
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.String())
	}
	slices.Sort(fields)
	fields = slices.Compact(fields)
	b, _ := json.Marshal(fields)
	return p.Title + " " + p.Detail + " " + string(b)
}

// syntaxError reports whether p refuses a body that is not one well-formed
// JSON object.
func syntaxError(p *Problem) bool {
	texts := []string{p.Detail}
	for _, f := range p.Errors {
		texts = append(texts, f.Detail)
	}
	for _, t := range texts {
		for _, s := range []string{"not valid JSON", "appears more than once", "not valid UTF-8", "levels deep",
			"data after the JSON object", "must be a JSON object"} {
			if strings.Contains(t, s) {
				return true
			}
		}
	}
	return false
}

func TestFastPathCoversEveryOperation(t *testing.T) {
	fast, _ := pair(t)
	for name, op := range fast.ops {
		if op.fast == nil {
			t.Errorf("%s falls back to kin-openapi", name)
		}
	}
}

// differentialCorpus is valid and invalid bodies for each operation.
var differentialCorpus = []struct{ path, body string }{
	{"/divar/open-server-link", `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"a":"b"},"user_id":"x"}`},
	{"/divar/open-server-link", `{"completion_url":"https://c.ir/","provider_data":{"a":[1,{"b":null}]},"source":"CHAT"}`},
	{"/divar/open-server-link", `{}`},
	{"/divar/open-server-link", `{"post_token":"` + strings.Repeat("ب", 10) + `"}`},
	{"/divar/open-server-link", `{"post_token":"` + strings.Repeat("ب", 11) + `"}`},
	{"/divar/open-server-link", `{"post_token":"` + strings.Repeat("😀", 11) + `"}`},
	{"/divar/open-server-link", `{"post_token":12,"source":true,"user_id":[],"extra_data":"x","return_url":{}}`},
	{"/divar/open-server-link", `{"post_token":null,"user_side":null,"extra_data":null,"conversation_id":null,"user_id":null}`},
	{"/divar/open-server-link", `{"source":null,"return_url":null,"completion_url":null,"provider_data":null}`},
	{"/divar/open-server-link", `{"source":"` + strings.Repeat("x", 21) + `","conversation_id":"` + strings.Repeat("x", 65) + `"}`},
	{"/divar/open-server-link", `{"unknown":{"deep":[1,2,{"x":"y"}]},"POST_TOKEN":"` + strings.Repeat("x", 50) + `"}`},
	{"/divar/open-server-link", `{"extra_data":{"a":1e400}}`},
	{"/divar/open-server-link", `{"post_token":"a","post_token":"b"}`},
	{"/divar/open-server-link", `{"post_token":"a","post_\u0074oken":"b"}`},
	{"/divar/open-server-link", `{"extra_data":{"x":{"y":[{"z":1,"z":2}]}}}`},
	{"/divar/open-server-link", `{"unknown":{"a":1,"b":2,"a":3}}`},
	{"/divar/open-server-link", `{"extra_data":{` + manyNames(40, false) + `}}`},
	{"/divar/open-server-link", `{"extra_data":{` + manyNames(40, true) + `}}`},
	{"/divar/open-server-link", `{"extra_data":{"\ud800":1}}`},
	{"/divar/open-server-link", "{\"extra_data\":{\"\xff\":1}}"},
	{"/divar/open-server-link", `{"post_token":"a"} {}`},
	{"/divar/open-server-link", `[]`},
	{"/divar/open-server-link", `{"post_token":`},
	{"/divar/dynamic-action", `{"touchpoint":"CHAT","post_token":"wZC44q5D","user_side":"SUPPLY","extra_data":{"answer":"yes"}}`},
	{"/divar/dynamic-action", `{"touchpoint":"` + strings.Repeat("x", 65) + `","user_id":5}`},
	{"/divar/dynamic-action", `{"touchpoint":null}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","metadata":{"k":"v"},"new_message":{"id":"m","conversation":{"id":"c","type":"POST","post_token":"gZd7omnS"},"sender":{"side":"SELLER","type":"BOT"},"type":"TEXT","sent_at":1729429926140000,"text":"Hello!"}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":-1}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":1.5}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":1.0}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":"1729429926140000"}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":1e19}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"image_data":{"height_px":3000000000,"width_px":-1,"size_bytes":1e30}}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"location_data":{"latitude":91,"longitude":-181}}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"location_data":{"latitude":"35","longitude":null}}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":null,"new_chatbot_message":{"conversation":null,"sender":{"side":1}}}`},
	{"/divar/events", `{"type":"POST_UPDATE","post_update":{"post":{"token":"` + strings.Repeat("x", 11) + `","is_phone_hidden":"yes","data":[]}}}`},
	{"/divar/events", `{"type":"PAYMENT_TRANSACTION","transaction":{"cost_rials":-5,"extra_details":null},"payment_transaction":{"id":7}}`},
	{"/divar/events", `{"type":7,"metadata":"x"}`},
	{"/divar/events", `{"type":"X","x":` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `}`},
	{"/divar/events", `{"user_access_revocation":{"user_id":"` + strings.Repeat("u", 65) + `"}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":"2024-10-20T13:12:06.14Z","file_data":{"size_bytes":"1048576"},"video_data":{"size_bytes":{}},"voice_data":{"size_bytes":null}}}`},
	{"/divar/events", `{"type":"NEW_MESSAGE","new_message":{"sent_at":"` + strings.Repeat("9", 65) + `","image_data":{"size_bytes":"` + strings.Repeat("1", 33) + `"}}}`},
	{"/divar/events", `{"type":"PAYMENT_TRANSACTION","payment_transaction":{"cost_rials":"100000","extra_details":"x","state":2,"type":"TRANSACTION_TYPE_RENEW","app_slug":"a","created_at":"2024-10-20T13:12:06Z"}}`},
	{"/divar/events", `{"type":"PAYMENT_TRANSACTION","transaction":{"cost_rials":true,"extra_details":{"a":1},"state":null,"type":[]}}`},
	{"/divar/events", `{"type":"POST_UPDATE","meta_data":{"k":"v"},"post_update":{"post":{"state":"PUBLISHED","business_data":{"business_type":7},"last_modified_at":1}}}`},
}

func TestFastPathMatchesKin(t *testing.T) {
	fast, kin := pair(t)
	headers := []http.Header{
		nil,
		{"Api_version": {"2"}},
		{"Api_version": {strings.Repeat("9", 17)}, "Api-Version": {strings.Repeat("ب", 17)}},
	}
	for _, tc := range differentialCorpus {
		for _, h := range headers {
			a, b := verdict(fast, tc.path, tc.body, h), verdict(kin, tc.path, tc.body, h)
			if a != b {
				t.Errorf("POST %s %.80s (headers %v):\nfast %s\nkin  %s", tc.path, tc.body, h, a, b)
			}
		}
	}
}

func FuzzFastPathMatchesKin(f *testing.F) {
	for _, tc := range differentialCorpus {
		f.Add(tc.path, tc.body)
	}
	fast, kin := pair(f)
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/divar/open-server-link", "/divar/dynamic-action", "/divar/events":
		default:
			path = "/divar/events"
		}
		if a, b := verdict(fast, path, body, nil), verdict(kin, path, body, nil); a != b {
			t.Errorf("POST %s %q:\nfast %s\nkin  %s", path, body, a, b)
		}
	})
}

// manyNames returns n members "k0":0,… and, with dup, k7 again at the end.
func manyNames(n int, dup bool) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if dup {
		b.WriteString(`"k7":0,`)
	}
	b.WriteString(`"last":true`)
	return b.String()
}

func testSpec() (*openapi3.T, error) {
	return openapi3.NewLoader().LoadFromData(api.OpenAPI)
}
