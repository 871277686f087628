//go:build tools

// Package bench pins the tools its code is generated with.
package bench

import _ "github.com/ogen-go/ogen/cmd/ogen"
