package divar

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/legacy"

	divardesc "github.com/kenarkit/kenarkit/api/divar"
)

// The client routes a request of Do by its path as kin-openapi's router
// does, without that router or the document it holds: every operation of
// Divar's description reached with plain, escaped and Persian values of
// its parameters, and paths near them that are no operation's.
func TestRoutedAsKinOpenAPIRoutes(t *testing.T) {
	doc, err := divardesc.Description()
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := description()
	if err != nil {
		t.Fatal(err)
	}
	type call struct{ method, path string }
	calls := []call{{"GET", "/"}, {"GET", "/v1"}, {"GET", "/v9/not-in-the-description"}, {"POST", "/v1/open-platform"}}
	for _, ds := range c.byMethod {
		for _, d := range ds {
			for _, v := range []string{"x1", "a%3Fb%2Fc", "%D8%B3%D9%84%D8%A7%D9%85", "a.b-c_d~e", "", "a/b"} {
				p := d.pieces[0]
				for i := range d.names {
					p += v + d.pieces[i+1]
				}
				calls = append(calls, call{d.method, p}, call{d.method, p + "/"}, call{d.method, p + "/more"}, call{"PUT", p})
			}
		}
	}
	for _, tc := range calls {
		req, err := http.NewRequest(tc.method, tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		route, kinParams, kinErr := router.FindRoute(req)
		d, params := operation(tc.method, tc.path)
		switch {
		case kinErr != nil && d == nil:
		case kinErr != nil:
			t.Errorf("%s %s: routed to %s; kin-openapi: %v", tc.method, tc.path, d.id, kinErr)
		case d == nil:
			t.Errorf("%s %s: not routed; kin-openapi routes it to %s", tc.method, tc.path, route.Operation.OperationID)
		case d.id != route.Operation.OperationID:
			t.Errorf("%s %s: routed to %s; kin-openapi to %s", tc.method, tc.path, d.id, route.Operation.OperationID)
		case !maps.Equal(params, kinParams):
			t.Errorf("%s %s: parameters %q; kin-openapi %q", tc.method, tc.path, params, kinParams)
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d requests routed alike", len(calls))
	_ = strings.ToUpper
}
