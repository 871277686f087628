package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// The scaffold's starter add-on, built once per run of the package's tests
// (with -race when the tests run with it, so the add-on is checked too).
var starter struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if starter.dir != "" {
		os.RemoveAll(starter.dir)
	}
	os.Exit(code)
}

// starterBinary builds cmd/scaffold/starter from the kenarkit checkout
// this module replaces github.com/kenarkit/kenarkit with (../), or returns
// KENARKIT_ADDON, an add-on binary built elsewhere (one made with
// `scaffold new`, say) that keeps the starter's contract.
func starterBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KENARKIT_ADDON"); bin != "" {
		return bin
	}
	starter.once.Do(func() {
		starter.dir, starter.err = os.MkdirTemp("", "kenarkit-e2e-")
		if starter.err != nil {
			return
		}
		starter.bin = filepath.Join(starter.dir, "addon")
		args := []string{"build", "-o", starter.bin}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/scaffold/starter")...)
		cmd.Dir = ".."
		starter.out, starter.err = cmd.CombinedOutput()
	})
	if starter.err != nil {
		t.Fatalf("building the starter add-on (go build ./cmd/scaffold/starter): %v\n%s", starter.err, starter.out)
	}
	return starter.bin
}

// Settings of the add-on under test, as the Kenar panel would give them.
const (
	appSlug     = "kenarkit-e2e"
	oauthSecret = "e2e-oauth-secret-never-logged"
	apiKey      = "e2e-api-key-never-logged"
)

// fakeDivar is Divar for the whole loop: the open-platform API, taking
// the tokens the OAuth server issues (divartest.API.UseOAuth), and the
// OAuth server.
type fakeDivar struct {
	api    *divartest.API
	oauth  *divartest.OAuth
	apiURL string // the API as the add-on reaches it: through the recorder

	mu    sync.Mutex
	calls []apiCall // the add-on's calls to the API, in order
}

// apiCall is one call the add-on made to Divar's API, as on the wire.
type apiCall struct {
	Method, Path string
	Body         []byte
	Token        string // the bearer token; "" for none
}

// newFakeDivar starts the fake API and OAuth server. The add-on reaches
// the API through a loopback proxy that records each call's body byte for
// byte and its bearer token (which the add-on's log must never hold).
func newFakeDivar(t *testing.T) *fakeDivar {
	t.Helper()
	d := &fakeDivar{api: divartest.NewAPI(t), oauth: divartest.NewOAuth(t)}
	d.api.SetAPIKey(apiKey)
	d.api.UseOAuth(d.oauth)
	target, err := url.Parse(d.api.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		var body []byte
		if r.Out.Body != nil {
			body, _ = io.ReadAll(r.Out.Body)
			r.Out.Body = io.NopCloser(bytes.NewReader(body))
		}
		tok, _ := strings.CutPrefix(r.Out.Header.Get("Authorization"), "Bearer ")
		d.mu.Lock()
		d.calls = append(d.calls, apiCall{Method: r.Out.Method, Path: r.Out.URL.Path, Body: body, Token: tok})
		d.mu.Unlock()
		r.SetURL(target)
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	d.apiURL = "http://" + ln.Addr().String()
	return d
}

// callsTo returns the add-on's calls of method and path to the API, in
// order.
func (d *fakeDivar) callsTo(method, path string) []apiCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []apiCall
	for _, c := range d.calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// bearerTokens returns every access token the add-on sent the API.
func (d *fakeDivar) bearerTokens() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.calls {
		if c.Token != "" {
			out = append(out, c.Token)
		}
	}
	return out
}

// addon is the starter add-on running as a process of its own.
type addon struct {
	url    string // its PUBLIC_URL, where Divar and browsers reach it
	addr   string // where it listens: http://127.0.0.1:port
	key    string // its SESSION_KEYS
	cmd    *exec.Cmd
	log    *divartest.LogBuffer
	exited chan struct{}
	stop   func() // SIGTERM, once; waits for the exit and checks it
}

// startAddon runs the starter against d with the environment a deployment
// sets (env overrides it), reached directly at its PUBLIC_URL, and waits
// until it is ready.
func startAddon(t *testing.T, d *fakeDivar, env ...string) *addon {
	t.Helper()
	port := freePort(t)
	return runAddon(t, d, port, "http://127.0.0.1:"+port, sessionKey(t), env...)
}

// startReplicas runs n (at least 2) replicas of the starter sharing the
// Redis at redisURL and their session keys, behind a loopback balancer:
// Divar's redirect back after consent goes to the last replica, every
// other request to the others in turn, so that a consent always ends on
// another replica than the one it began on. It returns the balancer's
// address, the replicas' PUBLIC_URL, and the replicas.
func startReplicas(t *testing.T, d *fakeDivar, n int, redisURL string) (string, []*addon) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public, key := "http://"+ln.Addr().String(), sessionKey(t)
	var replicas []*addon
	var targets []*url.URL
	for range n {
		a := runAddon(t, d, freePort(t), public, key, "REDIS_URL="+redisURL)
		u, _ := url.Parse(a.addr)
		replicas, targets = append(replicas, a), append(targets, u)
	}
	var next atomic.Uint64
	balancer := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		target := targets[len(targets)-1]
		if r.In.URL.Path != "/divar/oauth/callback" {
			target = targets[next.Add(1)%uint64(len(targets)-1)]
		}
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := &http.Server{Handler: balancer, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return public, replicas
}

// runAddon runs the starter listening on port, with publicURL as its
// PUBLIC_URL (registered with the fake OAuth server as the app's redirect
// address) and key as its SESSION_KEYS, and waits until it is ready. It is
// stopped with SIGTERM when the test ends, which must end it cleanly. Its
// log is shown when the test fails, and must hold no secret and no data
// race.
func runAddon(t *testing.T, d *fakeDivar, port, publicURL, key string, env ...string) *addon {
	t.Helper()
	bin := starterBinary(t)
	a := &addon{url: publicURL, addr: "http://127.0.0.1:" + port, key: key, log: &divartest.LogBuffer{}, exited: make(chan struct{})}
	d.oauth.Register(divartest.OAuthClient{ID: appSlug, Secret: oauthSecret,
		RedirectURIs: []string{publicURL + "/divar/oauth/callback"}})
	a.cmd = exec.Command(bin)
	a.cmd.Env = append(append(os.Environ(), // the last of a name wins
		"KENAR_IDENTIFICATION_KEY="+divartest.Key,
		"PORT="+port,
		"PUBLIC_URL="+publicURL,
		"SESSION_KEYS="+key,
		"KENAR_API_KEY="+apiKey,
		"KENAR_API_URL="+d.apiURL,
		"KENAR_APP_SLUG="+appSlug,
		"KENAR_OAUTH_SECRET="+oauthSecret,
		"KENAR_OAUTH_URL="+d.oauth.URL,
		"REDIS_URL=",
		"DRAIN_DELAY=0s",
		"KENAR_REFRESH_INTERVAL=1s",
	), env...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	go func() { waitErr = a.cmd.Wait(); close(a.exited) }()
	a.stop = sync.OnceFunc(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
			if waitErr != nil {
				t.Errorf("the add-on did not end cleanly on SIGTERM: %v", waitErr)
			}
		case <-time.After(30 * time.Second): // a bound on a hang
			_ = a.cmd.Process.Kill()
			<-a.exited
			t.Error("the add-on did not end within 30 s of SIGTERM")
		}
	})
	t.Cleanup(func() {
		a.stop()
		a.checkLog(t, d)
		if t.Failed() {
			t.Logf("the log of the add-on at %s:\n%s", a.addr, a.log.String())
		}
	})
	a.waitReady(t)
	return a
}

// startRedis starts a redis-server of the test's own on a unix socket and
// returns its REDIS_URL. The test is skipped when redis-server is not
// installed, unless KENARKIT_REDIS=1 (CI), when that is a failure.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("KENARKIT_REDIS") == "1" {
			t.Fatal("redis-server is not installed (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	eventually(t, "redis-server answers PING", func() (bool, string) {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		reply := make([]byte, 7)
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return false, err.Error()
		}
		_, err = io.ReadFull(c, reply)
		return err == nil && string(reply) == "+PONG\r\n", fmt.Sprintf("%q %v", reply, err)
	})
	return "unix://" + sock
}

// waitReady polls GET /readyz until it answers 200, for at most 60 s.
func (a *addon) waitReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(a.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return
			case http.StatusNotFound:
				t.Fatal("the add-on has no GET /readyz (404)")
			}
		}
		select {
		case <-a.exited:
			t.Fatalf("the add-on exited before it was ready:\n%s", a.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			status := fmt.Sprint(err)
			if err == nil {
				status = resp.Status
			}
			t.Fatalf("the add-on was not ready within 60 s (GET /readyz: %s):\n%s", status, a.log.String())
		}
	}
}

// checkLog fails the test if the add-on's log holds a data race or a
// secret: the API key, the OAuth secret, the session key, or any access
// token the add-on sent the fake API.
func (a *addon) checkLog(t *testing.T, d *fakeDivar) {
	t.Helper()
	log := a.log.String()
	if strings.Contains(log, "WARNING: DATA RACE") {
		t.Error("the add-on's log reports a data race")
	}
	secrets := map[string]string{"the API key": apiKey, "the OAuth secret": oauthSecret, "the session key": a.key}
	for what, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the add-on's log holds %s", what)
		}
	}
	for _, tok := range d.bearerTokens() {
		if strings.Contains(log, tok) {
			t.Error("the add-on's log holds an access token")
			break
		}
	}
}

// sessionKey returns a fresh SESSION_KEYS value: one base64 key of 32
// bytes.
func sessionKey(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// eventually polls cond every 20 ms until it holds, failing the test with
// what and cond's last account of what it saw after 30 s: a bound on a
// hang, not a timing assertion.
func eventually(t *testing.T, what string, cond func() (ok bool, saw string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, saw := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not within 30 s: %s; %s", what, saw)
		case <-tick.C:
		}
	}
}
