package main

import (
	"bufio"
	"bytes"
	"context"
	"go/format"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the kenarkit checkout this test runs in.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func runScaffold(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestNewRefusesBadInput(t *testing.T) {
	root := repoRoot(t)
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // in the one-line error
	}{
		{"a name with a space", []string{"new", "--sdk", root, "My Addon"}, `invalid NAME "My Addon"`},
		{"a name that is a path", []string{"new", "--sdk", root, "../x"}, `invalid NAME "../x"`},
		{"an empty name", []string{"new", "--sdk", root, ""}, `invalid NAME ""`},
		{"no name", []string{"new", "--sdk", root}, "exactly one NAME"},
		{"two names", []string{"new", "--sdk", root, "a", "b"}, "exactly one NAME"},
		{"an invalid module path", []string{"new", "--sdk", root, "--module", "github.com/you/My Addon", "myaddon"}, "invalid module path"},
		{"flags after NAME are read", []string{"new", "myaddon", "--sdk", root, "--module", "github.com/you/My Addon"}, "invalid module path"},
		{"a module path inside kenarkit", []string{"new", "--sdk", root, "--module", "github.com/kenarkit/kenarkit/x", "myaddon"}, "invalid module path"},
		{"a target that is not empty", []string{"new", "--sdk", root, "--dir", nonEmpty, "myaddon"}, "exists and is not empty"},
		{"an sdk that is not kenarkit", []string{"new", "--sdk", t.TempDir(), "myaddon"}, "has no go.mod"},
		{"an unknown flag", []string{"new", "--modul", "x", "myaddon"}, "flag provided but not defined"},
		{"an unknown command", []string{"nwe", "myaddon"}, `unknown command "nwe"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			code, stdout, stderr := runScaffold(t, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.HasPrefix(stderr, "scaffold: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want one line starting \"scaffold: \" containing %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if entries, _ := os.ReadDir(wd); len(entries) != 0 {
				t.Errorf("wrote %d entries into the working directory", len(entries))
			}
			if data, err := os.ReadFile(filepath.Join(nonEmpty, "keep.txt")); err != nil || string(data) != "mine" {
				t.Errorf("the non-empty target changed")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"help", []string{"help"}, "scaffold new [--module PATH] [--dir DIR] [--sdk PATH] NAME"},
		{"help new", []string{"help", "new"}, "--sdk PATH"},
		{"new -h", []string{"new", "-h"}, "--module PATH"},
		{"help trigger", []string{"help", "trigger"}, "trigger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runScaffold(t, tc.args...)
			if code != 0 || !strings.Contains(stdout, tc.want) || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and a text containing %q", code, stdout, stderr, tc.want)
			}
		})
	}
	if code, _, stderr := runScaffold(t); code != 2 || !strings.Contains(stderr, "Usage:") {
		t.Errorf("no arguments: exit %d, stderr %q; want 2 and the usage", code, stderr)
	}
}

// The starter's spec and generator config are kenarkit's own, so that
// both generate the same code and a new add-on starts from Divar's
// callbacks as kenarkit knows them.
func TestStarterSpecAndConfigAreKenarkits(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct{ ours, starters string }{
		{"api/openapi.yaml", "starter/api/openapi.yaml"},
		{"gen/cfg.yaml", "starter/gen/cfg.yaml"},
	} {
		ours, err := os.ReadFile(filepath.Join(root, tc.ours))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := starterFS.ReadFile(tc.starters)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(uncommented(ours), uncommented(theirs)) {
			t.Errorf("cmd/scaffold/%s differs from %s (past its opening comment): run go generate ./... (%s is written from it)", tc.starters, tc.ours, tc.starters)
		}
	}
}

// uncommented is yaml past its opening comment lines: the starter's spec
// opens with one for its new owner.
func uncommented(yaml []byte) []byte {
	for bytes.HasPrefix(yaml, []byte("#")) {
		_, yaml, _ = bytes.Cut(yaml, []byte("\n"))
	}
	return yaml
}

// The README a new add-on gets tells what a newcomer needs first.
func TestRenderedREADME(t *testing.T) {
	files, err := render(project{Name: "myaddon", Module: "example.com/myaddon", GoVersion: "1.26", SDK: sdkChoice{Version: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	readme := string(files["README.md"])
	for _, want := range []string{
		"# myaddon\n",
		"cloudflared tunnel --url http://localhost:8080", "ngrok http 8080", "export PUBLIC_URL=https://",
		"$PUBLIC_URL/divar/open-server-link", "$PUBLIC_URL/divar/dynamic-action", "$PUBLIC_URL/divar/events",
		"$PUBLIC_URL/divar/start", "$PUBLIC_URL/divar/oauth/callback", "KENAR_API_KEY", "KENAR_APP_SLUG", "KENAR_OAUTH_SECRET",
		"KENAR_OAUTH_URL", "KENAR_API_URL", "REDIS_URL", "DRAIN_DELAY", "KENAR_REFRESH_INTERVAL", "/readyz",
		"trigger open-server-link", "trigger dynamic-action", "trigger event",
		"security: []", "req.Body.Raw().String(", "scaffold dev", "README.fa.md",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	// The Persian getting-started guide, beside it.
	fa := string(files["README.fa.md"])
	for _, want := range []string{"# myaddon\n", "scaffold dev", "زمین بازی", "$PUBLIC_URL/divar/oauth/callback"} {
		if !strings.Contains(fa, want) {
			t.Errorf("README.fa.md lacks %q", want)
		}
	}
}

func TestRenderedGoIsFormatted(t *testing.T) {
	files, err := render(project{Name: "myaddon", Module: "example.com/myaddon", GoVersion: "1.26", SDK: sdkChoice{Version: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		formatted, err := format.Source(data)
		if err != nil {
			t.Errorf("%s does not parse: %v", name, err)
		} else if !bytes.Equal(formatted, data) {
			t.Errorf("%s is not gofmt-ed", name)
		}
	}
}

// TestScaffoldEndToEnd scaffolds an add-on against this checkout, then in it
// runs go vet, go build, go test and go generate (which must change
// nothing), starts the binary on a loopback port and sends it real callbacks.
func TestScaffoldEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a whole project: skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := repoRoot(t)
	dir := filepath.Join(t.TempDir(), "myaddon")
	t.Setenv("GOWORK", "off")

	start := time.Now()
	code, stdout, stderr := runScaffold(t, "new", "--sdk", root, "--module", "example.com/myaddon", "--dir", dir, "myaddon")
	if code != 0 {
		t.Fatalf("scaffold new: exit %d\n%s\n%s", code, stdout, stderr)
	}
	scaffolded := time.Since(start)
	for _, want := range []string{"scaffold: kenarkit: " + root + ", the checkout --sdk names", "Next steps:", "cd ", "KENAR_IDENTIFICATION_KEY",
		"/divar/open-server-link", "/divar/dynamic-action", "/divar/events", "/divar/start", "/divar/oauth/callback",
		"KENAR_API_KEY", "KENAR_APP_SLUG", "KENAR_OAUTH_SECRET", "go test ./...",
		"trigger open-server-link", "trigger dynamic-action", "trigger event"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the next-steps message lacks %q:\n%s", want, stdout)
		}
	}

	goCmd(t, dir, "vet", "./...")
	goCmd(t, dir, "build", "-o", filepath.Join(dir, "bin", "myaddon"), ".")
	goCmd(t, dir, "test", "./...")
	green := time.Since(start)
	t.Logf("time to first green: %v (scaffold with go mod tidy: %v; vet, build and test: %v)",
		green.Round(time.Millisecond), scaffolded.Round(time.Millisecond), (green - scaffolded).Round(time.Millisecond))

	before := snapshot(t, dir)
	goCmd(t, dir, "generate", "./...")
	if after := snapshot(t, dir); !equalSnapshots(before, after) {
		t.Error("go generate ./... in the new project changed its files")
	}

	t.Run("the pinned scaffold writes a second add-on that builds", func(t *testing.T) {
		second := filepath.Join(filepath.Dir(dir), "second")
		out := goCmd(t, dir, "run", sdkModule+"/cmd/scaffold", "new", "--dir", second, "second")
		if !strings.Contains(out, "kenarkit: "+root) || !strings.Contains(out, "replace directive") {
			t.Errorf("the scaffold did not say it chose the checkout %s:\n%s", root, out)
		}
		goCmd(t, second, "build", "./...")
	})

	t.Run("an added request field, a public and a secured endpoint", func(t *testing.T) {
		extend(t, dir)
		goCmd(t, dir, "generate", "./...")
		goCmd(t, dir, "vet", "./...")
		out := goCmd(t, dir, "test", "-v", "-run", "Extended", ".")
		for _, want := range []string{"--- PASS: TestExtendedRequestFieldIsRead", "--- PASS: TestExtendedEndpoints/public,_no_key", "--- PASS: TestExtendedEndpoints/secured,_no_key"} {
			if !strings.Contains(out, want) {
				t.Errorf("the extended add-on's tests lack %q:\n%s", want, out)
			}
		}
	})

	port := startBinary(t, filepath.Join(dir, "bin", "myaddon"))
	addr := "127.0.0.1:" + port
	checkContainerBuild(t, dir, filepath.Join(dir, "bin", "myaddon"), port)
	for _, tc := range []struct {
		name, path, key, body string
		status                int
		want                  string
	}{
		{"seed init callback", "/divar/open-server-link", "k-new", seedInit, 200, `{"url":"http://localhost:` + port + `/landing?s=`},
		{"seed dynamic action, old key", "/divar/dynamic-action", "k-old", seedDynamic, 200, `{"text_message":"`},
		{"a wrong key", "/divar/open-server-link", "k-wrong", seedInit, 401, `"status":401`},
		{"an invalid body", "/divar/dynamic-action", "k-new", `{"post_token":"12345678901"}`, 400, `"pointer":"/post_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tc.key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("got %d %s; want %d and %s", res.StatusCode, body, tc.status, tc.want)
			}
		})
	}
	// scaffold trigger, against the running binary, for every call.
	for _, args := range [][]string{
		{"open-server-link"}, {"open-server-link", "--current"}, {"dynamic-action", "--data", "answer=yes"},
		{"event", "--type", "NEW_CHATBOT_MESSAGE", "--text", "/start MY_DIVAR"}, {"event", "--type", "PAYMENT_TRANSACTION"},
	} {
		t.Run("trigger "+strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			args = append([]string{"trigger"}, append(args, "--url", "http://"+addr, "--key", "k-new")...)
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Errorf("exit %d:\n%s%s", code, &stdout, &stderr)
			}
		})
	}
}

const seedInit = `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"your_key_1":"your value","your_key_2":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`

const seedDynamic = `{"touchpoint":"CHAT","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY","extra_data":{"your_key_1":"your value","your_key_2":"your value"}}`

func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// extend does to a scaffolded add-on what its README says: a field added
// to the dynamic-action request and read through Raw, a public endpoint
// (security: []) and a secured one, with a test of each.
func extend(t *testing.T, dir string) {
	t.Helper()
	edit(t, filepath.Join(dir, "api", "openapi.yaml"),
		"          $ref: '#/components/schemas/UserID'\n      additionalProperties: true\n    Source:",
		"          $ref: '#/components/schemas/UserID'\n        coupon:\n          type: string\n          maxLength: 8\n      additionalProperties: true\n    Source:")
	edit(t, filepath.Join(dir, "api", "openapi.yaml"), "\ncomponents:\n", "\n"+readmePaths(t, dir)+"components:\n")
	edit(t, filepath.Join(dir, "addon.go"), "\treturn sdk.TextMessage(\"درخواست شما دریافت شد.\"), nil",
		"\tif coupon := req.Body.Raw().String(\"coupon\"); coupon != \"\" {\n\t\treturn sdk.TextMessage(\"coupon \" + coupon), nil\n\t}\n\treturn sdk.TextMessage(\"درخواست شما دریافت شد.\"), nil")
	for name, text := range map[string]string{"extended.go": extendedGo, "extended_test.go": extendedTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(data), old) != 1 {
		t.Fatalf("%s: %q is not there once", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readmePaths returns the paths the README's "add an endpoint" section
// shows (a public endpoint and a secured one), so that what it teaches is
// what the test builds.
func readmePaths(t *testing.T, dir string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Add an endpoint")
	_, block, ok := strings.Cut(section, "```yaml\npaths:\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 || !strings.Contains(block, "security: []") {
		t.Fatalf("the README's \"add an endpoint\" section shows no paths with security: []")
	}
	return block
}

const extendedGo = `package main

import (
	"context"

	"example.com/myaddon/gen"
)

func (a *Addon) PublicPing(ctx context.Context, req gen.PublicPingRequestObject) (gen.PublicPingResponseObject, error) {
	return gen.PublicPing200TextResponse("pong"), nil
}

func (a *Addon) AdminStats(ctx context.Context, req gen.AdminStatsRequestObject) (gen.AdminStatsResponseObject, error) {
	calls := 1
	return gen.AdminStats200JSONResponse{Calls: &calls}, nil
}
`

const extendedTest = `package main

import (
	"net/http"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/divartest"
)

func TestExtendedRequestFieldIsRead(t *testing.T) {
	_, divar := startAddon(t)
	answer := divar.DynamicAction(divartest.DynamicAction().Set("coupon", "SPRING"))
	if answer.TextMessage != "coupon SPRING" {
		t.Errorf("answer %+v, want the coupon read", answer)
	}
	divar.Refused(divartest.DynamicAction().Set("coupon", "TOO-LONG-A-COUPON"), http.StatusBadRequest)
}

func TestExtendedEndpoints(t *testing.T) {
	srv, _ := startAddon(t)
	for _, tc := range []struct {
		name, path, key string
		status          int
	}{
		{"public, no key", "/public/ping", "", http.StatusOK},
		{"secured, no key", "/admin/stats", "", http.StatusUnauthorized},
		{"secured, a wrong key", "/admin/stats", "wrong", http.StatusUnauthorized},
		{"secured, the key", "/admin/stats", divartest.Key, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if tc.key != "" {
				req.Header.Set("Authorization", tc.key)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
		})
	}
}
`

// startBinary runs the add-on on a free loopback port and returns its
// port once it serves; it is stopped with SIGTERM at the end of the test,
// and must then exit cleanly.
func startBinary(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KENAR_IDENTIFICATION_KEY=k-new,k-old", "PORT=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	addrRE := regexp.MustCompile(`addr=\S*:(\d+)`)
	var port string
	for lines.Scan() {
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			port = m[1]
			for _, want := range []string{"init_callback=", "dynamic_action=", "events=http://localhost:" + port + "/divar/events"} {
				if !strings.Contains(lines.Text(), want) {
					t.Errorf("the serving log lacks %s: %s", want, lines.Text())
				}
			}
			break
		}
	}
	if port == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the add-on never said where it serves")
	}
	var rest bytes.Buffer
	copied := make(chan struct{})
	go func() {
		for lines.Scan() {
			rest.WriteString(lines.Text() + "\n")
		}
		close(copied)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select { // its stderr closes when it exits; only then may Wait run
		case <-copied:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-copied
			t.Error("the add-on did not stop on SIGTERM")
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("the add-on did not exit cleanly on SIGTERM: %v", err)
		}
		if !strings.Contains(rest.String(), "shut down") {
			t.Errorf("the shutdown is not logged:\n%s", &rest)
		}
	})
	return port
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "bin" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[p] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
