// Package api holds kenarkit's OpenAPI document of Divar's add-on callbacks,
// api/openapi.yaml, as bytes, for tests that read the spec itself. The
// scaffold's starter add-on keeps its own copy (cmd/scaffold/starter/api),
// which `go generate ./...` writes from this one (internal/cmd/starterspec)
// and CI holds up to date. Servers validate against the
// generated package's embedded copy (gen.GetSpec), not against this one.
package api

//go:generate go run ../internal/cmd/starterspec

import _ "embed"

// OpenAPI is the text of api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
