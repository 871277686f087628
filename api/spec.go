// Package api holds kenarkit's OpenAPI document of Divar's add-on callbacks,
// api/openapi.yaml, as bytes: `scaffold new` copies it into a new add-on,
// where it is that add-on's own to extend. Servers validate against the
// generated package's embedded copy (gen.GetSpec), not against this one.
package api

import _ "embed"

// OpenAPI is the text of api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
