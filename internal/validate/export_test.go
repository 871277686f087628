package validate

import (
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// kinOnly makes v, compiled from spec, validate every operation with
// kin-openapi, the differential test's reference: the test seam, so that
// production code carries no switch for it. (A compiled operation keeps no
// route for kin-openapi: it is made again here.)
func kinOnly(v *validator, spec *openapi3.T) *validator {
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			o := v.ops[method+" "+echoPath(path)]
			o.fast = nil
			o.route = &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	return v
}
