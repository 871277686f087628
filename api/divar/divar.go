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

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/gen/divarapi"
)

// Pinned is the text of api/divar/openapi-v3.json.
//
//go:embed openapi-v3.json
var Pinned []byte

// Overlay is the text of api/divar/overlay.yaml.
//
//go:embed overlay.yaml
var Overlay []byte

// Description returns Divar's description with kenarkit's overlay applied,
// as gen/divarapi is generated from it, parsed: its embedded copy
// (divarapi.GetSpec) with the pin's operationIds, which oapi-codegen
// renames the Go way ("Addons_CreatePostAddonV2", not
// "AddonsCreatePostAddonV2"). It needs no overlay library at run time;
// internal/divarpin.Merge gives the same document from the two files.
// Each call returns a new copy.
func Description() (*openapi3.T, error) {
	doc, err := divarapi.GetSpec()
	if err != nil {
		return nil, err
	}
	var pin struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(Pinned, &pin); err != nil {
		return nil, err
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if id := pin.Paths[path][strings.ToLower(method)].OperationID; id != "" {
				op.OperationID = id
			}
		}
	}
	return doc, nil
}
