package divarpin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"
)

// The overlay is an OpenAPI Overlay 1.0 document: a list of actions, each a
// JSONPath target in the pin and an update merged into it or a removal. It
// is applied the way oapi-codegen applies it at generation time (strictly:
// an action that matches nothing is an error), so Merge gives the document
// the generated client was made from.

// targetRE reads the path, and the method if any, an action's target names:
// $.paths['/v1/x'] or $.paths['/v1/x'].post….
var targetRE = regexp.MustCompile(`^\$\.paths\[['"]([^'"]+)['"]\](?:\.([a-z]+))?`)

// CheckOverlay checks that every action of ov names something the pinned
// document has: a path and an operation of the pin where its target names
// them, and at least one node in any case. Its error lists every action
// that does not, by number and target.
func CheckOverlay(pinned, ov []byte) error {
	o, root, err := parse(pinned, ov)
	if err != nil {
		return err
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(pinned, &doc); err != nil {
		return err
	}
	var errs []error
	for i, a := range o.Actions {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("overlay action %d (target %s): %s", i+1, a.Target, fmt.Sprintf(format, args...)))
		}
		if m := targetRE.FindStringSubmatch(a.Target); m != nil {
			item, ok := doc.Paths[m[1]]
			if !ok {
				fail("path %s is not in the pin", m[1])
				continue
			}
			if methods[m[2]] {
				if _, ok := item[m[2]]; !ok {
					fail("operation %s %s is not in the pin", strings.ToUpper(m[2]), m[1])
					continue
				}
			}
		}
		p, err := o.NewPath(a.Target, nil)
		if err != nil {
			fail("%v", err)
			continue
		}
		if len(p.Query(root)) == 0 {
			fail("matches nothing in the pin")
		}
	}
	return errors.Join(errs...)
}

// Merge applies ov to the pinned document, strictly, and returns the
// result, parsed and validated by kin-openapi.
func Merge(pinned, ov []byte) (*openapi3.T, error) {
	o, root, err := parse(pinned, ov)
	if err != nil {
		return nil, err
	}
	if warnings, err := o.ApplyToStrict(root); err != nil {
		return nil, fmt.Errorf("applying the overlay: %w (%s)", err, strings.Join(warnings, "; "))
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		return nil, err
	}
	l := openapi3.NewLoader()
	t, err := l.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("the merged document: %w", err)
	}
	if err := t.Validate(l.Context); err != nil {
		return nil, fmt.Errorf("the merged document: %w", err)
	}
	return t, nil
}

func parse(pinned, ov []byte) (*overlay.Overlay, *yaml.Node, error) {
	o, err := overlay.ParseReader(bytes.NewReader(ov))
	if err != nil {
		return nil, nil, fmt.Errorf("the overlay: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, nil, fmt.Errorf("the overlay: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(pinned, &root); err != nil {
		return nil, nil, fmt.Errorf("the pin: %w", err)
	}
	return o, &root, nil
}
