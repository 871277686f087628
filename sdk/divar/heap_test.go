package divar

import (
	"runtime"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	divardesc "github.com/kenarkit/kenarkit/api/divar"
)

// The client compiles Divar's description and keeps nothing of the
// document itself (4 MB of live heap when it kept it with kin-openapi's
// router, docs/BENCHMARKS.md): a request it routes or checks on the
// compiled engine needs none of it.
func TestTheCatalogueLetsTheDescriptionGo(t *testing.T) {
	collected := make(chan struct{})
	c, err := loadCatalogue(func() (*openapi3.T, error) {
		doc, err := divardesc.Description()
		if err == nil {
			runtime.AddCleanup(doc, func(ch chan struct{}) { close(ch) }, collected)
		}
		return doc, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 200 { // at most 4 s: a busy machine may run the cleanup late
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(c)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	runtime.KeepAlive(c)
	t.Fatal("the catalogue still holds Divar's description (*openapi3.T)")
}
