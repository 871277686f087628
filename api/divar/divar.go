// Package divar holds Divar's own description of its open-platform API as
// kenarkit pins it, and kenarkit's corrections to it, as bytes:
//
//   - openapi-v3.json, the facts (paths, operations, parameters, schemas,
//     enums, security, servers) of static/openapi-v3.json in
//     divar-ir/kenar-docs at the commit recorded under "x-kenarkit-pin",
//     with the original's SHA-256; Divar's prose is left out, and each
//     operation's API key permissions, which Divar gives only in prose, are
//     kept under "x-kenarkit-api-key-permissions". Never edited by hand:
//     internal/cmd/pindivar writes it.
//   - overlay.yaml, an OpenAPI Overlay 1.0 document: where the description
//     is wrong or silent (only 200/default responses, API key and OAuth
//     scopes listed together where the docs ask for one of them, no limits),
//     kenarkit's correction, citing the doc page.
//
// gen/divarapi is generated from the two merged (oapi-codegen applies the
// overlay); internal/divarpin.Merge gives the same merged document.
package divar

import _ "embed"

// Pinned is the text of api/divar/openapi-v3.json.
//
//go:embed openapi-v3.json
var Pinned []byte

// Overlay is the text of api/divar/overlay.yaml.
//
//go:embed overlay.yaml
var Overlay []byte
