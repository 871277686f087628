package divartest_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/internal/divarpin"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// TestEveryPermissionComesFromDivarsDescription: for each operation of
// Divar's description that names an API key permission
// (x-kenarkit-api-key-permissions, from Divar's docs), the fake API refuses
// the call 403, naming that permission, once the key lacks it, and only
// then: it is checked before the token and the body, as Divar does.
func TestEveryPermissionComesFromDivarsDescription(t *testing.T) {
	doc, err := divarpin.Merge(divar.Pinned, divar.Overlay)
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			perms, _ := op.Extensions["x-kenarkit-api-key-permissions"].([]any)
			if len(perms) == 0 {
				continue
			}
			perm := perms[0].(string)
			n++
			t.Run(op.OperationID, func(t *testing.T) {
				api := divartest.NewAPI(t)
				api.Deny("SOME_OTHER_PERMISSION")
				p := param.ReplaceAllString(path, "gZd7omnS")
				if status, _ := send(t, api, method, p, "", `{}`); status == http.StatusForbidden {
					t.Fatalf("refused 403 for a permission it does not need")
				}
				api.Deny(perm)
				(sent{method: method, path: p, body: `{}`, status: http.StatusForbidden, want: perm}).check(t, api)
			})
		}
	}
	if n < 40 {
		t.Fatalf("only %d operations name a permission in Divar's description", n)
	}
}

// TestAPIKeyWithAConfiguredPermissionSet: a key given a set of
// permissions, as an app configured in the Kenar panel, is refused every
// operation whose permission is not in it.
func TestAPIKeyWithAConfiguredPermissionSet(t *testing.T) {
	api := divartest.NewAPI(t)
	api.AddPost("", divarPost("gZd7omnS"))
	api.SetPermissions("GET_POST", "BALANCE_RETRIEVE")
	for _, tc := range []sent{
		{name: "a permission of the set", method: "GET", path: "/v1/open-platform/finder/post/gZd7omnS", status: 200},
		{name: "another of the set", method: "GET", path: "/experimental/open-platform/balance", status: 200},
		{name: "one outside the set", method: "GET", path: "/experimental/open-platform/transactions", status: 403, want: "TRANSACTION_LIST"},
		{name: "an operation that needs none", method: "GET", path: "/v1/open-platform/assets/city", status: 200},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}
