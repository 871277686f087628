package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"golang.org/x/oauth2"
)

// The client's cost per call against a plain net/http request of the same
// bytes, both to the same loopback server through the same *http.Client,
// in one run: call=send is divar.Client.SendMessage (the vocabulary's
// checks, the check against Divar's description with the overlay, marshal,
// token, the generated request, the retry loop); call=get is
// divar.Client.UserBusinesses (a GET decoded into gen/divarapi's model;
// net/http decodes into a struct of its own). "conns" is how many TCP
// connections the server accepted during the loop: with reuse it stays at
// the few the first calls open, whatever b.N is. net=inprocess swaps the
// loopback for a RoundTripper that answers at once, leaving only what each
// client costs in CPU and memory, without the network's noise.
//
// A send has two floors: client=nethttp posts the bytes kenarkit sends,
// encoded once before the loop (the transport alone), and
// client=nethttp+json marshals the same message on each call with
// encoding/json from a plain struct of its own (plainMessage), as an
// add-on written on net/http and encoding/json would: the issue's "plain
// net/http with encoding/json". TestPlainMessageIsTheSameJSON holds the
// two bodies to the same JSON value.
//
//	go test -run '^$' -bench Client -benchmem -count 6 . | benchstat -col /client -
func BenchmarkClient(b *testing.B) {
	const apiKey, accessToken, conv = "bench-api-key", "ory_at_bench", "6b3d5cf7-9291-4fa9-892a-9d07e300daea"
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey || r.Header.Get("Authorization") != "Bearer "+accessToken {
			http.Error(w, `{"code":16,"message":"unauthenticated"}`, http.StatusUnauthorized)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answerOf(r))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	hc := &http.Client{Transport: t}
	inproc := &http.Client{Transport: answer{}}
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken})
	msg := sendMessage()
	body, err := sdk.MarshalAnswer(msg)
	if err != nil {
		b.Fatal(err)
	}
	if err := samePlainJSON(body); err != nil {
		b.Fatal(err)
	}
	once := func() ([]byte, error) { return body, nil } // client=nethttp: encoded before the loop
	pm := plainSendMessage()
	perCall := func() ([]byte, error) { return json.Marshal(&pm) } // client=nethttp+json
	// plain is a call on net/http alone: encode (nil: no body) gives the
	// body of each call.
	plain := func(hc *http.Client, method, path string, encode func() ([]byte, error), out any) func(context.Context) error {
		return func(ctx context.Context) error {
			var rd io.Reader
			var body []byte
			if encode != nil {
				var err error
				if body, err = encode(); err != nil {
					return err
				}
				rd = bytes.NewReader(body)
			}
			req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, rd)
			if err != nil {
				return err
			}
			if encode != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("X-API-Key", apiKey)
			req.Header.Set("Authorization", "Bearer "+accessToken)
			res, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				return err
			}
			if res.StatusCode != http.StatusOK {
				return &divar.APIError{StatusCode: res.StatusCode}
			}
			if out != nil {
				return json.Unmarshal(b, out)
			}
			return nil
		}
	}
	type businesses struct {
		Businesses []struct {
			BusinessToken string `json:"business_token"`
		} `json:"businesses"`
	}
	kenarkit := func(hc *http.Client, get bool) func(context.Context) error {
		client, err := divar.NewClient(divar.Config{APIKey: apiKey, BaseURL: srv.URL, HTTPClient: hc})
		if err != nil {
			b.Fatal(err)
		}
		if get {
			return func(ctx context.Context) error { _, err := client.UserBusinesses(ctx, user); return err }
		}
		return func(ctx context.Context) error { return client.SendMessage(ctx, user, conv, msg) }
	}
	sendPath := "/v2/open-platform/conversations/" + conv + "/messages"
	getPath := "/v1/open-platform/user/businesses"

	for _, c := range []struct {
		name     string
		call     func(context.Context) error
		parallel bool
	}{
		{"call=send/client=kenarkit/net=loopback/calls=serial", kenarkit(hc, false), false},
		{"call=send/client=nethttp/net=loopback/calls=serial", plain(hc, "POST", sendPath, once, nil), false},
		{"call=send/client=nethttp+json/net=loopback/calls=serial", plain(hc, "POST", sendPath, perCall, nil), false},
		{"call=send/client=kenarkit/net=loopback/calls=parallel", kenarkit(hc, false), true},
		{"call=send/client=nethttp/net=loopback/calls=parallel", plain(hc, "POST", sendPath, once, nil), true},
		{"call=send/client=nethttp+json/net=loopback/calls=parallel", plain(hc, "POST", sendPath, perCall, nil), true},
		{"call=send/client=kenarkit/net=inprocess/calls=serial", kenarkit(inproc, false), false},
		{"call=send/client=nethttp/net=inprocess/calls=serial", plain(inproc, "POST", sendPath, once, nil), false},
		{"call=send/client=nethttp+json/net=inprocess/calls=serial", plain(inproc, "POST", sendPath, perCall, nil), false},
		{"call=get/client=kenarkit/net=loopback/calls=serial", kenarkit(hc, true), false},
		{"call=get/client=nethttp/net=loopback/calls=serial", plain(hc, "GET", getPath, nil, new(businesses)), false},
		{"call=get/client=kenarkit/net=inprocess/calls=serial", kenarkit(inproc, true), false},
		{"call=get/client=nethttp/net=inprocess/calls=serial", plain(inproc, "GET", getPath, nil, new(businesses)), false},
	} {
		name, par := c.name, c.parallel
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			if err := c.call(ctx); err != nil { // warm: the first connection
				b.Fatal(err)
			}
			before := conns.Load()
			b.ReportAllocs()
			b.ResetTimer()
			if par {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := c.call(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if err := c.call(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(conns.Load()-before), "conns")
		})
	}
}

// sendMessage is the seed's yes/no chat message that call=send sends.
func sendMessage() sdk.ConversationMessage {
	return sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
	))
}

// plainMessage is sendMessage as an add-on on net/http and encoding/json
// alone would declare it: the wire shape of a conversation message with
// its receiver's buttons, no kenarkit type.
type plainMessage struct {
	Message         string `json:"message"`
	ReceiverButtons struct {
		Rows []plainRow `json:"rows"`
	} `json:"receiver_buttons"`
}

type plainRow struct {
	Buttons []plainButton `json:"buttons"`
}

type plainButton struct {
	Action struct {
		GetDynamicAction struct {
			Data map[string]string `json:"data"`
		} `json:"get_dynamic_action"`
	} `json:"action"`
	Caption string `json:"caption"`
}

func plainSendMessage() plainMessage {
	var m plainMessage
	m.Message = "آیا مایلید ادامه دهید؟"
	yes, no := plainButton{Caption: "بله"}, plainButton{Caption: "خیر"}
	yes.Action.GetDynamicAction.Data = map[string]string{"answer": "yes"}
	no.Action.GetDynamicAction.Data = map[string]string{"answer": "no"}
	m.ReceiverButtons.Rows = []plainRow{{Buttons: []plainButton{yes, no}}}
	return m
}

// samePlainJSON reports whether plainSendMessage, marshalled by
// encoding/json, is the same JSON value as want (kenarkit's bytes).
func samePlainJSON(want []byte) error {
	got, err := json.Marshal(plainSendMessage())
	if err != nil {
		return err
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(want, &b); err != nil {
		return err
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("client=nethttp+json sends %s, kenarkit %s", got, want)
	}
	return nil
}

// answerOf is Divar's answer to r: a sent message, or a user's businesses.
func answerOf(r *http.Request) string {
	if r.Method == http.MethodGet {
		return `{"businesses":[{"business_token":"biz-1","brand_name":"کافه"}]}`
	}
	return `{"message":"sent","status":0}`
}

// answer is a RoundTripper that answers every request as the loopback
// server does, without a network.
type answer struct{}

func (answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(answerOf(r))),
		Request: r,
	}, nil
}

// The second floor of a send sends what kenarkit sends: the same JSON
// value (encoding/json's member order and escaping may differ).
func TestPlainMessageIsTheSameJSON(t *testing.T) {
	body, err := sdk.MarshalAnswer(sendMessage())
	if err != nil {
		t.Fatal(err)
	}
	if err := samePlainJSON(body); err != nil {
		t.Fatal(err)
	}
}
