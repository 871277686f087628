package dedupe_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// A handler makes its irreversible step through Once: however often the
// event is delivered, and whatever the step answered, it is made at most
// once. (event.Mux calls Run; divar.Client's messages call Once
// themselves.)
func ExampleOnce() {
	ctx := context.Background()
	d := dedupe.NewMemory(dedupe.MemoryConfig{})
	charge := func(ctx context.Context) error {
		return dedupe.Once(ctx, func(ctx context.Context) error {
			fmt.Println("charging the card")
			return errors.New("the bank did not answer") // it may have charged
		})
	}
	// The first delivery: acknowledged (200) and reported.
	fmt.Println(dedupe.Run(ctx, d, "PAYMENT:42:PAID", charge))
	// Divar delivers it again: within the first's lease it is asked to
	// retry later (409); after it, acknowledged as unfinished. Never charged
	// again.
	fmt.Println(dedupe.Run(ctx, d, "PAYMENT:42:PAID", charge))
	// Output:
	// charging the card
	// event PAYMENT:42:PAID: dedupe: an irreversible step was started and is not known to have finished; not made again: the bank did not answer
	// dedupe: event being handled by another delivery
}
