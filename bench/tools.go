//go:build tools

// Package bench pins the tools its code is generated and reported with.
package bench

import (
	_ "github.com/ogen-go/ogen/cmd/ogen"
	_ "golang.org/x/perf/cmd/benchstat"
)
