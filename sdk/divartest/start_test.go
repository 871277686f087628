package divartest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// wrongAddon answers what Divar would reject: the sdk refuses to send it
// and the server answers 500, logging why.
type wrongAddon struct{ goodAddon }

func (a *wrongAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("landing?s=1"), nil
}

func (a *wrongAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.Reply(sdk.OpenDirectLink("ftp://x.example")), nil
}

// A handler's answer Divar would reject fails the test once, naming the
// field and the rule, though the server's log (where the reason also
// goes) is discarded.
func TestARejectedAnswerIsReportedOnceWithItsReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(d *divartest.Divar)
		want []string
	}{
		{"a relative URL", func(d *divartest.Divar) { d.OpenServerLink(divartest.OpenServerLink()) },
			[]string{"POST /divar/open-server-link", "/url", "absolute"}},
		{"a link that is not http(s)", func(d *divartest.Divar) { d.DynamicAction(divartest.DynamicAction()) },
			[]string{"POST /divar/dynamic-action", "/action/open_direct_link", "http(s)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, func(tb testing.TB) {
				_, divar := divartest.Start(tb, gen.GetSpec, func(publicURL string) (*server.Server, error) {
					e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: discard()}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&wrongAddon{}, nil))
					if err != nil {
						return nil, err
					}
					return e, nil
				})
				tc.call(divar)
			})
			if strings.Count(got, "divartest:") != 1 {
				t.Errorf("reported %d times, want once:\n%s", strings.Count(got, "divartest:"), got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the report lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
