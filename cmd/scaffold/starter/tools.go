//go:build tools

// Package tools pins in go.mod the commands this project runs with go run:
// the code generator behind `go generate ./...`, and kenarkit's scaffold,
// whose `trigger` plays Divar against the running add-on.
package tools

import (
	_ "github.com/kenarkit/kenarkit/cmd/scaffold"
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
