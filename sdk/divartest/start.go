package divartest

import (
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// Start serves the add-on newServer builds on a loopback port for the
// length of the test, with every answer to an operation of spec checked by
// [ValidateResponses], and returns the server and a Divar that calls it
// over HTTP. newServer gets the server's base URL, the add-on's public URL
// in the test, and must accept [Key] as an identification key:
//
//	srv, divar := divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
//		return newServer(addonenv.Env{Keys: []string{divartest.Key}, PublicURL: publicURL}, logger)
//	})
func Start(tb testing.TB, spec func() (*openapi3.T, error), newServer func(publicURL string) (*server.Server, error)) (*httptest.Server, *Divar) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	e, err := newServer("http://" + srv.Listener.Addr().String())
	if err != nil {
		srv.Listener.Close()
		tb.Fatal(err)
	}
	d := Dial(tb, spec, "") // its URL once srv has started
	d.reported = new(reports)
	e.Use(validateResponses(tb, d.checker, d.reported))
	srv.Config.Handler = e
	srv.Start()
	tb.Cleanup(srv.Close)
	d.baseURL = srv.URL
	return srv, d
}
