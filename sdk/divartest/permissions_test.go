package divartest_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/gen/kenarapi"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// TestEveryPermissionComesFromTheSpec: for each operation that
// api/kenar-api.yaml says needs a permission (x-kenar-permission), the fake
// API refuses the call 403, naming that permission, once the key lacks it,
// and only that permission: adding a Divar call with its permission to the
// spec is all the fake needs to check it.
func TestEveryPermissionComesFromTheSpec(t *testing.T) {
	spec, err := kenarapi.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			perm, _ := op.Extensions["x-kenar-permission"].(string)
			if perm == "" {
				continue
			}
			n++
			t.Run(op.OperationID, func(t *testing.T) {
				api := divartest.NewAPI(t)
				api.Deny("SOME_OTHER_PERMISSION")
				if status, _ := call(t, api, method, param.ReplaceAllString(path, "gZd7omnS")); status == http.StatusForbidden {
					t.Fatalf("refused 403 for a permission it does not need")
				}
				api.Deny(perm)
				status, body := call(t, api, method, param.ReplaceAllString(path, "gZd7omnS"))
				if status != http.StatusForbidden || !strings.Contains(body, perm) {
					t.Errorf("without %s: %d %s, want 403 naming it", perm, status, body)
				}
			})
		}
	}
	if n < 5 {
		t.Fatalf("only %d operations name a permission in the spec", n)
	}
}

func call(t *testing.T, api *divartest.API, method, path string) (int, string) {
	t.Helper()
	r, err := http.NewRequest(method, api.URL()+path, strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-API-Key", divartest.APIKey)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
