//go:build kenarkit_pprof

// This file is bench/e2e's, never the starter's: the harness copies it
// into a scaffolded copy of the starter and builds that copy with
// -tags kenarkit_pprof, so that the profiled add-on serves net/http/pprof
// on PPROF_ADDR, a listener of its own beside the add-on's PORT. The
// shipped starter has no such file and no such listener.
package main

import (
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

func init() {
	addr := os.Getenv("PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic("PPROF_ADDR: " + err.Error())
	}
	go func() { _ = http.Serve(ln, nil) }()
}
