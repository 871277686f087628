package tokens_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// BenchmarkToken is the cost a token adds to each API call: a store read
// and an AES-GCM open, on the memory store.
func BenchmarkToken(b *testing.B) {
	sealer, _ := seal.New()
	m, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", Sealer: sealer, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	tok := &oauth2.Token{AccessToken: "ory_at_mAODvjM21UayVFDtP_KxsCDVwwpb5pwHoNks3vCIeJ8.Gx2sCv2jT4VIbbZDHDIRRwhi45AwV-St1W-gDNdxUUw",
		RefreshToken: "ory_rt_R9MRLXX9vY_AHmzvxTNrw80MdkgQ9xIC9WVbYDBvuyE.LpFjcEWK34WnI5DMj6CTObMFhvQ8N663ji3qj910M14", ExpiresIn: int64(time.Hour / time.Second)}
	if err := m.Save(ctx, "u", tok); err != nil {
		b.Fatal(err)
	}
	ts := m.TokenSource(ctx, "u")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Token(); err != nil {
			b.Fatal(err)
		}
	}
}
