package playground

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
)

// desk is the testing.TB divartest's fakes run under outside a test: what
// they would log goes to the playground's logger, a failure they report is
// a warning (the playground shows Divar's verdicts itself), and their
// cleanups run when the playground closes. The embedded TB is nil: a
// method the fakes do not use panics, and a test of this package calls
// each fake the playground starts.
type desk struct {
	testing.TB
	logger *slog.Logger
	ctx    context.Context // ends when the playground closes

	mu       sync.Mutex
	cleanups []func()
}

func (d *desk) Helper()           {}
func (d *desk) Name() string      { return "playground" }
func (d *desk) Failed() bool      { return false }
func (d *desk) Log(args ...any)   { d.logger.Debug(fmt.Sprint(args...)) }
func (d *desk) Error(args ...any) { d.logger.Warn(fmt.Sprint(args...)) }
func (d *desk) Logf(format string, args ...any) {
	d.logger.Debug(fmt.Sprintf(format, args...))
}
func (d *desk) Errorf(format string, args ...any) {
	d.logger.Warn(fmt.Sprintf(format, args...))
}

// Fatal and Fatalf stop the goroutine as testing.T does, after a panic
// Start recovers: the fakes call them only when they cannot start.
func (d *desk) Fatal(args ...any) { panic(deskFatal(fmt.Sprint(args...))) }
func (d *desk) Fatalf(format string, args ...any) {
	panic(deskFatal(fmt.Sprintf(format, args...)))
}

func (d *desk) FailNow()                 { panic(deskFatal("FailNow")) }
func (d *desk) Fail()                    {}
func (d *desk) Context() context.Context { return d.ctx }

// TempDir makes a directory removed when the playground closes.
func (d *desk) TempDir() string {
	dir, err := os.MkdirTemp("", "kenarkit-playground-")
	if err != nil {
		d.Fatal(err)
	}
	d.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// deskFatal is what a fake that cannot start reports.
type deskFatal string

func (d *desk) Cleanup(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cleanups = append(d.cleanups, f)
}

// close runs the cleanups, last first, as testing.T does.
func (d *desk) close() {
	d.mu.Lock()
	fs := d.cleanups
	d.cleanups = nil
	d.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
