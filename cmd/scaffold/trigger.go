package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// errUsage marks errors of the command line: the command exits with 2.
var errUsage = errors.New("usage")

const triggerUsage = "scaffold trigger: not built yet\n"

// runTrigger is replaced by the trigger command's implementation.
func runTrigger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("scaffold: trigger is not built yet: %w", errUsage)
}
