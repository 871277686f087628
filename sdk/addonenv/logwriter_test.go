package addonenv_test

import (
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
)

func TestLogWriterFlushes(t *testing.T) {
	var out divartest.LogBuffer
	l := addonenv.NewLogWriter(&out)
	if _, err := l.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	// Written within the interval, without a Close.
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s the line is not written: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Close writes what is left, at once.
	l.Write([]byte("two\n"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Errorf("after Close: %q", got)
	}
	if err := l.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestLogWriterConcurrentLinesStayWhole(t *testing.T) {
	var out divartest.LogBuffer
	l := addonenv.NewLogWriter(&out)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				l.Write([]byte("0123456789abcdef\n"))
			}
			done <- struct{}{}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	l.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, line := range lines {
		if line != "0123456789abcdef" {
			t.Fatalf("a line was torn: %q", line)
		}
	}
}
