package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"
)

// healthcheckArg is the argument that runs the starter as its own health
// check (starter/healthcheck.go; TestRenderedContainerFiles checks it is).
const healthcheckArg = "healthcheck"

// A new add-on carries its container image and its two-replica compose
// file, named after it where a name shows, built with its Go version.
func TestRenderedContainerFiles(t *testing.T) {
	files, err := render(project{Name: "MyAddon", Module: "github.com/you/MyAddon", GoVersion: "1.27", SDK: sdkChoice{Version: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(files["Dockerfile"])
	stages := strings.Split(dockerfile, "\nFROM ")
	final := stages[len(stages)-1]
	for _, tc := range []struct {
		name, in, want string
	}{
		{"the Go version is the go directive's", dockerfile, "\nARG GO_VERSION=1.27\n"},
		{"a multi-stage build, its images fully named (podman resolves no short name by default)", dockerfile, "\nFROM docker.io/library/golang:${GO_VERSION} AS build\n"},
		{"a static binary", dockerfile, "CGO_ENABLED=0 go build -trimpath "},
		{"vendor/ when the modules cannot be downloaded", dockerfile, "if [ -f vendor/modules.txt ]"},
		{"the final stage is empty", final, "scratch\n"},
		{"with CA certificates", final, "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"},
		{"as a numeric non-root user", final, "\nUSER 65532:65532\n"},
		{"checked by the binary's health-check mode", final, `CMD ["/addon", "` + healthcheckArg + `"]`},
		{"the binary is the entry point", final, "\nENTRYPOINT [\"/addon\"]\n"},
		{"the binary is kept out of the context", string(files[".dockerignore"]), "\n/MyAddon\n"},
		{"secrets are kept out of the context", string(files[".dockerignore"]), "\n.env\n"},
		{"the Compose project is the add-on, in lowercase", string(files["compose.yaml"]), "\nname: myaddon\n"},
		{"two replicas", string(files["compose.yaml"]), "\n      replicas: 2\n"},
		{"sharing the Redis", string(files["compose.yaml"]), "\n      REDIS_URL: redis://redis:6379/0\n"},
		{"behind the proxy", string(files["compose.yaml"]), "./deploy/nginx.conf.template:/etc/nginx/templates/default.conf.template:ro"},
		{"the health-check mode is the starter's", string(files["healthcheck.go"]), "\nconst healthcheckArg = \"" + healthcheckArg + "\"\n"},
		{"the proxy's configuration is there", string(files["deploy/nginx.conf.template"]), "server addon:8080 resolve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.in, tc.want) {
				t.Errorf("lacks %q", tc.want)
			}
		})
	}
	t.Run("every variable the add-on reads is passed by compose", func(t *testing.T) {
		vars := starterVariables(t, string(files["main.go"]))
		if len(vars) < 10 {
			t.Fatalf("found only %v in main.go's comment", vars)
		}
		for _, v := range vars {
			if !strings.Contains(string(files["compose.yaml"]), "\n      "+v+": ") {
				t.Errorf("compose.yaml does not set %s", v)
			}
		}
	})
}

// starterVariables lists the variables main.go's comment documents.
func starterVariables(t *testing.T, mainGo string) []string {
	t.Helper()
	re := regexp.MustCompile(`^//\t([A-Z][A-Z0-9_]+) {2,}`)
	var vars []string
	lines := bufio.NewScanner(strings.NewReader(mainGo))
	for lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			vars = append(vars, m[1])
		}
	}
	return vars
}

// checkContainerBuild proves, in a scaffolded add-on, what the Dockerfile
// relies on: the binary's health check against a running add-on and a
// dead port (the image's HEALTHCHECK), and, go.mod replacing kenarkit
// with this checkout, a static build from vendor/ alone (no proxy, an
// empty module cache), as the image's build does.
func checkContainerBuild(t *testing.T, dir, bin, port string) {
	for _, name := range []string{"Dockerfile", ".dockerignore", "compose.yaml", "deploy/nginx.conf.template"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Errorf("the add-on lacks %s: %v", name, err)
		}
	}
	healthcheck := func(port string) (int, string) {
		cmd := exec.Command(bin, healthcheckArg)
		cmd.Env = append(os.Environ(), "PORT="+port)
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	t.Run("the health check passes against the running add-on", func(t *testing.T) {
		if code, out := healthcheck(port); code != 0 || out != "" {
			t.Errorf("exit %d, output %q; want 0 and nothing", code, out)
		}
	})
	t.Run("the health check fails against a dead port", func(t *testing.T) {
		if code, out := healthcheck(strconv.Itoa(deadLoopbackPort(t))); code == 0 || !strings.Contains(out, "health check") || !strings.Contains(out, "connection refused") {
			t.Errorf("exit %d, output %q; want non-zero and the refused connection", code, out)
		}
	})
	t.Run("a static build from vendor alone", func(t *testing.T) {
		goCmd(t, dir, "mod", "vendor")
		defer os.RemoveAll(filepath.Join(dir, "vendor"))
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(t.TempDir(), "addon"), ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOMODCACHE="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build from vendor/: %v\n%s", err, out)
		}
	})
}

// deadLoopbackPort is a loopback port nothing listens on.
func deadLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The deploy guide a new add-on's README carries covers what an operator
// needs, and names Divar's addresses as kenarkit knows them.
func TestRenderedDeployGuide(t *testing.T) {
	files, err := render(project{Name: "myaddon", Module: "example.com/myaddon", GoVersion: "1.26", SDK: sdkChoice{Version: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	readme := string(files["README.md"])
	_, guide, ok := strings.Cut(readme, "\n## Deploy\n")
	if !ok {
		t.Fatal("README.md has no Deploy section")
	}
	guide, _, _ = strings.Cut(guide, "\n## ")
	want := []string{
		"PUBLIC_URL", "https", "(#set-up-in-the-kenar-panel)", "(#run)",
		"KENAR_IDENTIFICATION_KEY", "SESSION_KEYS", "REDIS_URL", "KENAR_API_KEY", "KENAR_APP_SLUG", "KENAR_OAUTH_SECRET",
		"go mod vendor", "docker build", "podman build --format docker", "/addon healthcheck", "docker compose up --build",
		"GET /healthz", "GET /readyz", "DRAIN_DELAY=10s", "terminationGracePeriodSeconds", "stop_grace_period",
		"appendonly yes", "noeviction", "KENAR_IDENTIFICATION_KEY=new,old", "SESSION_KEYS=new,old", "server.DivarIPRanges", "TrustedProxies",
	}
	for _, r := range server.DivarIPRanges {
		want = append(want, strings.TrimSuffix(r, "/32"))
	}
	for _, w := range want {
		if !strings.Contains(guide, w) {
			t.Errorf("the Deploy section lacks %q", w)
		}
	}
	for _, heading := range []string{"\n## Set up in the Kenar panel\n", "\n## Run\n", "\n## Deploy\n"} {
		if !strings.Contains(readme, heading) {
			t.Errorf("README.md lacks %q, which the Deploy section links to", strings.TrimSpace(heading))
		}
	}
	// The metrics it serves and the alerts on them: the budget, 5xx,
	// refresh failures, lapsing subscriptions; and how to switch traces on.
	for _, w := range []string{"METRICS_ADDR=:9090", "/metrics", "kenarkit_server_over_budget_total", `status=~"5.."`,
		`kenarkit_token_refreshes_total{outcome="failed"}`, `kenarkit_subscription_renewals_total{outcome="failed"}`,
		"OTEL_EXPORTER_OTLP_ENDPOINT", "traceparent"} {
		if !strings.Contains(guide, w) {
			t.Errorf("the Deploy section lacks %q", w)
		}
	}
}
