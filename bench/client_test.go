package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"golang.org/x/oauth2"
)

// The client's cost per call: divar.Client.SendMessage (validate, marshal,
// token, generated request, retry loop, decode) against a plain net/http
// POST of the same bytes, both to the same loopback server through the same
// *http.Client, in one run. "conns" is how many TCP connections the server
// accepted during the loop: with reuse it stays at the few the first calls
// open, whatever b.N is. net=inprocess swaps the loopback for a
// RoundTripper that answers at once, leaving only what each client costs
// in CPU and memory, without the network's noise.
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
		io.WriteString(w, `{"message":"sent","status":0}`)
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
	client, err := divar.NewClient(divar.Config{APIKey: apiKey, BaseURL: srv.URL, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken})
	msg := sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
	))
	body, err := sdk.MarshalAnswer(msg)
	if err != nil {
		b.Fatal(err)
	}
	url := srv.URL + "/v2/open-platform/conversations/" + conv + "/messages"
	plainWith := func(hc *http.Client) func(context.Context) error {
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", apiKey)
			req.Header.Set("Authorization", "Bearer "+accessToken)
			res, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if _, err := io.Copy(io.Discard, res.Body); err != nil {
				return err
			}
			if res.StatusCode != http.StatusOK {
				return &divar.APIError{StatusCode: res.StatusCode}
			}
			return nil
		}
	}
	plain := plainWith(hc)
	kenarkit := func(ctx context.Context) error { return client.SendMessage(ctx, user, conv, msg) }

	// The same two clients over an in-process transport.
	inproc := &http.Client{Transport: answer{}}
	client2, err := divar.NewClient(divar.Config{APIKey: apiKey, BaseURL: srv.URL, HTTPClient: inproc})
	if err != nil {
		b.Fatal(err)
	}
	kenarkitInproc := func(ctx context.Context) error { return client2.SendMessage(ctx, user, conv, msg) }
	plainInproc := plainWith(inproc)

	for _, c := range []struct {
		name     string
		call     func(context.Context) error
		parallel bool
	}{
		{"client=kenarkit/net=loopback/calls=serial", kenarkit, false},
		{"client=nethttp/net=loopback/calls=serial", plain, false},
		{"client=kenarkit/net=loopback/calls=parallel", kenarkit, true},
		{"client=nethttp/net=loopback/calls=parallel", plain, true},
		{"client=kenarkit/net=inprocess/calls=serial", kenarkitInproc, false},
		{"client=nethttp/net=inprocess/calls=serial", plainInproc, false},
	} {
		{
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
		Body:    io.NopCloser(strings.NewReader(`{"message":"sent","status":0}`)),
		Request: r,
	}, nil
}
