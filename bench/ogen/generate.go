// Package ogen is an ogen-generated server for kenarkit's spec, a peer in
// the benchmark. Regenerate with `go generate ./...` in bench/.
package ogen

//go:generate go run github.com/ogen-go/ogen/cmd/ogen --target . --package ogen --clean ../../api/openapi.yaml
