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
// Divar's description reached with plain, escaped, Persian and empty
// values of its parameters, and paths near them that are no operation's.
func TestRoutedAsKinOpenAPIRoutes(t *testing.T) {
	c, err := description()
	if err != nil {
		t.Fatal(err)
	}
	calls := []call{{"GET", "/"}, {"GET", "/v1"}, {"GET", "/v9/not-in-the-description"}, {"POST", "/v1/open-platform"}}
	for _, ds := range c.byMethod {
		for _, d := range ds {
			for _, v := range []string{"x1", "a%3Fb%2Fc", "%D8%B3%D9%84%D8%A7%D9%85", "a.b-c_d~e", "", "a/b"} {
				p := d.pieces[0]
				for i := range d.names {
					p += v + d.pieces[i+1]
				}
				calls = append(calls,
					call{d.method, p}, call{d.method, p + "/"}, call{d.method, p + "//"}, call{d.method, p + "/more"},
					call{d.method, "//x" + p}, call{d.method, "/" + p}, call{d.method, "%2F" + p[1:]},
					call{d.method, p[:len(p)-1] + "%61"}, call{"PUT", p}, call{"HEAD", p}, call{"", p})
			}
		}
	}
	routedAlike(t, divardesc.Description, c, calls)
}

// Paths that part at a literal segment and a parameter go where
// kin-openapi's router sends them, whatever their lengths: a description
// re-pinned with such paths is routed as before.
func TestRoutedLiteralSegmentsFirst(t *testing.T) {
	const doc = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{
"/a/{x}/cccccc":{"get":{"operationId":"A","parameters":[{"name":"x","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}},
"/a/b/{y}":{"get":{"operationId":"B","parameters":[{"name":"y","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}},
"/a/b/c":{"get":{"operationId":"C","responses":{"200":{"description":"ok"}}}},
"/{z}/b/c":{"get":{"operationId":"Z","parameters":[{"name":"z","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}},
"/p/{x}/{y}":{"get":{"operationId":"P","parameters":[{"name":"x","in":"path","required":true,"schema":{"type":"string"}},{"name":"y","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}
}}`
	load := func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromData([]byte(doc)) }
	c, err := loadCatalogue(load)
	if err != nil {
		t.Fatal(err)
	}
	var calls []call
	for _, p := range []string{"/a/b/cccccc", "/a/b/c", "/a/q/cccccc", "/a/b/q", "/q/b/c", "/a/b", "/a/b/c/", "/a//cccccc", "/p/1/2", "/p/1/2/", "/p/1", "/p/1/", "/p//2"} {
		calls = append(calls, call{"GET", p})
	}
	routedAlike(t, load, c, calls)
}

type call struct{ method, path string }

// routedAlike checks that c routes each call as kin-openapi's router over
// the document load returns.
func routedAlike(t *testing.T, load func() (*openapi3.T, error), c *catalogue, calls []call) {
	t.Helper()
	doc, err := load()
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range calls {
		var kinID string
		var kinParams map[string]string
		if req, err := http.NewRequest(tc.method, tc.path, nil); err == nil {
			if route, params, err := router.FindRoute(req); err == nil {
				kinID, kinParams = route.Operation.OperationID, params
			}
		}
		var id string
		d, params := c.route(tc.method, tc.path)
		if d != nil {
			id = d.id
		}
		if id != kinID || (d != nil && !maps.Equal(params, kinParams)) {
			t.Errorf("%q %q: routed to %q %q; kin-openapi to %q %q", tc.method, tc.path, id, params, kinID, kinParams)
		}
	}
	if !t.Failed() {
		t.Logf("%d requests routed alike", len(calls))
	}
}

// The operations are found by operationId (the typed calls, kin-openapi's
// routes): a description where one is empty or repeated is refused.
func TestADescriptionWithoutUniqueOperationIDsIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, ids string }{
		{"an empty operationId", `"A", ""`},
		{"a repeated operationId", `"A", "A"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := strings.Split(tc.ids, ", ")
			doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{` +
				`"/a":{"get":{"operationId":` + ids[0] + `,"responses":{"200":{"description":"ok"}}}},` +
				`"/b":{"get":{"operationId":` + ids[1] + `,"responses":{"200":{"description":"ok"}}}}}}`
			_, err := loadCatalogue(func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromData([]byte(doc)) })
			if err == nil || !strings.Contains(err.Error(), "operationId") {
				t.Fatalf("err = %v, want the operationId named", err)
			}
		})
	}
}
