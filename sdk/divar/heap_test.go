package divar

import (
	"runtime"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	divardesc "github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/internal/gone"
)

// The client compiles Divar's description and keeps nothing of the
// document itself (4 MB of live heap when it kept it with kin-openapi's
// router, docs/BENCHMARKS.md): a request it routes or checks on the
// compiled engine needs none of it.
func TestTheCatalogueLetsTheDescriptionGo(t *testing.T) {
	var collected func() bool
	c, err := loadCatalogue(func() (*openapi3.T, error) {
		doc, err := divardesc.Description()
		if err == nil {
			collected = gone.Watch(doc)
		}
		return doc, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !collected() {
		t.Error("the catalogue still holds Divar's description (*openapi3.T)")
	}
	runtime.KeepAlive(c)
}
