// Command starterspec keeps the scaffold's starter add-on on kenarkit's own
// spec and generator config: it writes api/openapi.yaml and gen/cfg.yaml
// over the starter's copies (cmd/scaffold/starter), keeping the comment
// lines each copy opens with for its new owner. api/spec.go runs it from
// `go generate ./...`, before the starter's gen/ is generated, so that the
// starter never drifts and nobody copies a file by hand.
//
// Usage, from api/:
//
//	go run ../internal/cmd/starterspec
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	for _, f := range []struct{ from, to string }{
		{"openapi.yaml", "../cmd/scaffold/starter/api/openapi.yaml"},
		{"../gen/cfg.yaml", "../cmd/scaffold/starter/gen/cfg.yaml"},
	} {
		if err := copyKeepingHeader(f.from, f.to); err != nil {
			fmt.Fprintln(os.Stderr, "starterspec:", err)
			os.Exit(1)
		}
	}
}

// copyKeepingHeader writes from's content, past its own opening comment
// lines, to to, after to's opening comment lines.
func copyKeepingHeader(from, to string) error {
	src, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	dst, err := os.ReadFile(to)
	if err != nil {
		return err
	}
	head, _ := splitHeader(dst)
	_, body := splitHeader(src)
	out := append(append([]byte{}, head...), body...)
	if bytes.Equal(out, dst) {
		return nil
	}
	return os.WriteFile(filepath.Clean(to), out, 0o644)
}

// splitHeader splits b after its opening lines that start with '#'.
func splitHeader(b []byte) (head, body []byte) {
	i := 0
	for i < len(b) && b[i] == '#' {
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			i += j + 1
		} else {
			i = len(b)
		}
	}
	return b[:i], b[i:]
}
