// Package api holds kenarkit's OpenAPI document of Divar's add-on callbacks,
// api/openapi.yaml, as bytes, for tests that read the spec itself. The
// scaffold's starter add-on keeps its own copy (cmd/scaffold/starter/api),
// which a test holds equal to this one. Servers validate against the
// generated package's embedded copy (gen.GetSpec), not against this one.
package api

import _ "embed"

// OpenAPI is the text of api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
