// Package playground is Divar on a developer's desk: divartest's fake
// Divar (its open-platform API, its OAuth server, and its calls to the
// add-on) served on loopback with a web page, in Persian and right to
// left, that shows what Divar would show and lets the developer click it:
// the post with the post add-ons the add-on created, its chat bot, a
// conversation about the post, Divar's events, and a log of every call
// between Divar and the add-on, both directions, with Divar's verdict.
// `scaffold dev` runs it.
package playground

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// The post, conversations and user the playground plays.
const (
	// Post is the post the playground shows: the seller's, on which the
	// add-on puts its post add-ons.
	Post = "gZd7omnS"
	// BotConversation is the conversation with the add-on's chat bot.
	BotConversation = "playground-bot"
	// Conversation is the conversation between a buyer and the seller
	// about Post.
	Conversation = "playground-conversation"
	// AppSlug is the app's slug (the OAuth client id) the playground
	// registers.
	AppSlug = "playground"
)

// DefaultRedeliver are the waits before Divar delivers again an event the
// add-on answered 5xx or 409.
var DefaultRedeliver = []time.Duration{time.Second, 5 * time.Second, 25 * time.Second}

// Config configures a Playground.
type Config struct {
	// Addr is where the page listens ("127.0.0.1:0" if empty); the fake
	// API and OAuth server listen on other loopback ports.
	Addr string
	// AddonURL is where the add-on listens: Divar's calls go there.
	AddonURL string
	// PublicURL is the add-on's PUBLIC_URL, whose /divar/oauth/callback is
	// registered as the app's OAuth redirect address (AddonURL if empty).
	PublicURL string
	// Key is the identification key Divar sends (random if empty).
	Key string
	// Spec is the add-on's OpenAPI document, against which its answers
	// are checked (kenarkit's gen.GetSpec if nil).
	Spec func() (*openapi3.T, error)
	// Logger receives what the fakes log (slog.Default if nil).
	Logger *slog.Logger
	// Redeliver are the waits before each new delivery of an event the
	// add-on answered 5xx or 409 (DefaultRedeliver if nil; empty for
	// none).
	Redeliver []time.Duration
}

// Playground is a running playground. Make one with [Start]; Close it.
type Playground struct {
	cfg      Config
	desk     *desk
	api      *divartest.API
	oauth    *divartest.OAuth
	checker  *divartest.Checker
	client   *http.Client // Divar's calls to the add-on
	upstream *http.Client // the proxies' calls to the fakes
	apiKey   string
	secret   string

	url, apiURL, oauthURL string
	servers               []*http.Server

	ctx        context.Context // ends with Close: stops redeliveries
	cancel     context.CancelFunc
	deliveries sync.WaitGroup
	consentMu  sync.Mutex // one consent decision at a time

	mu      sync.Mutex
	version int
	entries []Entry
	nextID  int
	addons  []addonView
	bot     []bubble
	conv    []bubble
}

// Entry is one call in the playground's log.
type Entry struct {
	ID      int
	At      time.Time
	Inbound bool   // Divar → add-on; false: add-on → Divar
	Title   string // what the call is, in Persian
	Call    string // method and path
	Status  int    // 0: no answer
	Request string // the body sent, secrets masked
	Answer  string // the body answered, secrets masked
	OK      bool   // Divar accepts it
	Verdict string // Divar's verdict: accepted, or why not
}

// addonView is a post add-on the add-on sent, accepted or refused.
type addonView struct {
	Post    string
	Addon   widget.PostAddon
	Raw     string // the body, when it is not a post add-on's
	Refused string // Divar's reason; "" if accepted
	Deleted bool
}

// bubble is a chat message.
type bubble struct {
	Mine    bool // sent by the user in the playground
	Text    string
	Buttons *sdk.ButtonGrid
	Sender  *sdk.ButtonGrid // a conversation message's buttons for its sender
	Refused string
	At      time.Time
}

// maxEntries bounds the log.
const maxEntries = 500

// Start starts the fake Divar and the page. It fails only when a port
// cannot be had or the spec does not load.
func Start(cfg Config) (p *Playground, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Spec == nil {
		cfg.Spec = gen.GetSpec
	}
	if cfg.Key == "" {
		cfg.Key = "dev-" + randomHex(12)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = cfg.AddonURL
	}
	cfg.AddonURL = strings.TrimRight(cfg.AddonURL, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Redeliver == nil {
		cfg.Redeliver = DefaultRedeliver
	}
	if cfg.AddonURL == "" {
		return nil, errors.New("playground: no AddonURL: where does the add-on listen?")
	}
	p = &Playground{cfg: cfg,
		client:   &http.Client{Timeout: 2 * divartest.EventDeadline},
		upstream: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		apiKey:   "dev-api-" + randomHex(12), secret: "dev-oauth-" + randomHex(12)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.desk = &desk{logger: cfg.Logger, ctx: p.ctx}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(deskFatal)
			if !ok {
				panic(r)
			}
			p.Close()
			p, err = nil, fmt.Errorf("playground: %s", f)
		} else if err != nil {
			p.Close()
			p = nil
		}
	}()
	if p.checker, err = divartest.NewChecker(cfg.Spec); err != nil {
		return p, err
	}
	p.api = divartest.NewAPI(p.desk)
	p.api.SetAPIKey(p.apiKey)
	p.oauth = divartest.NewOAuth(p.desk)
	p.oauth.Register(divartest.OAuthClient{ID: AppSlug, Secret: p.secret,
		RedirectURIs: []string{cfg.PublicURL + "/divar/oauth/callback"}})
	p.api.UseOAuth(p.oauth)
	p.api.Conversation(Conversation, Post)
	p.api.AddPost("", divar.Post{Token: Post, Category: "apartment-sell", City: "tehran", District: "vanak",
		State: "PUBLISHED", ChatEnabled: true, Data: map[string]any{"title": postTitle}})
	go p.tick()

	if p.apiURL, err = p.serve("127.0.0.1:0", p.forward(p.api.URL(), p.observeAPI)); err != nil {
		return p, err
	}
	oauthMux := http.NewServeMux()
	oauthMux.HandleFunc("GET /oauth2/auth", p.consentPage)
	oauthMux.HandleFunc("GET /oauth2/decide", p.consentDecision)
	oauthMux.Handle("POST /oauth2/token", p.forward(p.oauth.URL, p.observeOAuth))
	if p.oauthURL, err = p.serve("127.0.0.1:0", oauthMux); err != nil {
		return p, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if p.url, err = p.serve(addr, p.pageHandler()); err != nil {
		return p, err
	}
	return p, nil
}

// tick keeps the fake OAuth server's clock on the wall's, so that codes
// and tokens expire as at Divar.
func (p *Playground) tick() {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-p.ctx.Done():
			return
		case now := <-t.C:
			p.oauth.Advance(now.Sub(last))
			last = now
		}
	}
}

// serve serves h on addr and returns its base URL.
func (p *Playground) serve(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("playground: listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	p.servers = append(p.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// URL is the page's address.
func (p *Playground) URL() string { return p.url }

// Env returns the add-on's environment: Divar's API and OAuth server, the
// app's keys and slug, and PUBLIC_URL, as NAME=value.
func (p *Playground) Env() []string {
	return []string{
		"KENAR_IDENTIFICATION_KEY=" + p.cfg.Key,
		"KENAR_API_KEY=" + p.apiKey,
		"KENAR_API_URL=" + p.apiURL,
		"KENAR_APP_SLUG=" + AppSlug,
		"KENAR_OAUTH_SECRET=" + p.secret,
		"KENAR_OAUTH_URL=" + p.oauthURL,
		"PUBLIC_URL=" + p.cfg.PublicURL,
	}
}

// Close stops the page, the fakes and the redeliveries.
func (p *Playground) Close() {
	p.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range p.servers {
		_ = s.Shutdown(ctx)
	}
	p.deliveries.Wait()
	p.desk.close()
}

// Entries returns the log, newest first.
func (p *Playground) Entries() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Entry, len(p.entries))
	for i, e := range p.entries {
		out[len(out)-1-i] = e
	}
	return out
}

// record adds e to the log and returns its id.
func (p *Playground) record(e Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	e.ID, e.At = p.nextID, time.Now()
	p.entries = append(p.entries, e)
	if len(p.entries) > maxEntries {
		p.entries = p.entries[len(p.entries)-maxEntries:]
	}
	p.version++
}

// forward returns a proxy to target that hands each exchange to observe.
func (p *Playground) forward(target string, observe func(r *http.Request, sent []byte, resp *http.Response, answer []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), strings.NewReader(string(sent)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := p.upstream.Do(out)
		if err != nil {
			observe(r, sent, nil, nil)
			http.Error(w, "playground: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
		observe(r, sent, resp, answer)
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewID returns a random UUID (version 4), as Divar's message and
// payment ids are: each event the playground or `scaffold trigger` sends
// has a fresh one, so that an add-on's deduper takes it for a new event.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
