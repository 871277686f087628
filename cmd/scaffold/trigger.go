package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/internal/playground"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// errUsage marks errors of the command line: the command exits with 2.
var errUsage = errors.New("usage")

// errRejected ends a trigger whose answer Divar would not accept: the
// verdict is printed already, the command exits with 1.
var errRejected = errors.New("scaffold: trigger: Divar would reject the answer")

const triggerUsage = `scaffold trigger sends one of Divar's calls to a running add-on, exactly as
Divar does, prints the request, the answer and a verdict: whether Divar would
accept the answer, and why not.

Usage:
  scaffold trigger open-server-link [flags]      the init callback of open_server_link
  scaffold trigger dynamic-action [flags]        the dynamic-action callback
  scaffold trigger event [--type TYPE] [flags]   an event webhook

The body is the seed's example (Divar's documented example for events),
changed by the flags.

Flags:
  --url URL          the add-on's base URL (default http://localhost:$PORT, PORT
                     defaulting to 8080); an https tunnel's URL (cloudflared,
                     ngrok) is called and checked the same way
  --key KEY          the identification key (default $KENAR_IDENTIFICATION_KEY;
                     the first one when it lists several)
  --data K=V         set extra_data[K] to the string V; repeat for more keys
  --set FIELD=VALUE  set any field of the body: FIELD is a member's name or a
                     dotted path into objects (new_message.text,
                     post_update.type); VALUE is JSON (3, true, {"a":1},
                     "text") or, when it is not, a string; repeat for more
  --id ID            the event's id (a message's id, a payment's id): each
                     trigger sends a fresh one, as Divar does, so that the
                     add-on's deduper runs the handler; --id repeats one on
                     purpose (a duplicate delivery)
  --post-token T     set post_token
  --type TYPE        the event type, in any case: NEW_MESSAGE (default),
                     NEW_CHATBOT_MESSAGE, USER_ACCESS_REVOCATION, POST_UPDATE,
                     PAYMENT_TRANSACTION
  --custom-type T    an event type kenarkit does not know, sent as it is and
                     without payload
  --text TEXT        the text of a NEW_MESSAGE or NEW_CHATBOT_MESSAGE event
  --current          open-server-link: the field names of Divar's current
                     documentation (completion_url, provider_data, API-Version)
  --path PATH        the path to call (default Divar's path for the call)
  --body JSON        send this body instead (to see how the add-on refuses it)
  --timeout D        give up after D (default 5s; Divar itself waits about 2s)
  --cacert FILE      trust the certificates in FILE (PEM) for an https URL, as
                     well as the system's

Exit status: 0 when Divar would accept the answer; 1 when it would not, or
when the add-on cannot be reached, times out or answers something that is not
JSON; 2 for bad usage.

Example:
  KENAR_IDENTIFICATION_KEY=dev-key scaffold trigger dynamic-action --data answer=yes
`

// dataFlag collects --data K=V.
type dataFlag sdk.Data

func (d dataFlag) String() string { return "" }

func (d dataFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("--data wants KEY=VALUE, got %q", s)
	}
	d[k] = v
	return nil
}

// setFlag collects --set FIELD=VALUE, in order.
type setFlag struct{ fields *[][2]string }

func (s setFlag) String() string { return "" }

func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") || strings.Contains(k, "..") {
		return fmt.Errorf("--set wants FIELD=VALUE (FIELD a name or a dotted path), got %q", v)
	}
	*s.fields = append(*s.fields, [2]string{k, val})
	return nil
}

type triggerFlags struct {
	url, key, postToken, eventType, customType, text, path, body, caCert, id string
	sets                                                                     [][2]string
	current                                                                  bool
	timeout                                                                  time.Duration
	data                                                                     dataFlag
}

func runTrigger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := triggerFlags{data: dataFlag{}}
	fset := flag.NewFlagSet("scaffold trigger", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	fset.StringVar(&f.url, "url", "http://localhost:"+port, "")
	fset.StringVar(&f.key, "key", firstKey(os.Getenv("KENAR_IDENTIFICATION_KEY")), "")
	fset.Var(f.data, "data", "")
	fset.StringVar(&f.postToken, "post-token", "", "")
	fset.StringVar(&f.eventType, "type", "", "") // NEW_MESSAGE for an event
	fset.StringVar(&f.customType, "custom-type", "", "")
	fset.StringVar(&f.caCert, "cacert", "", "")
	fset.StringVar(&f.text, "text", "", "")
	fset.BoolVar(&f.current, "current", false, "")
	fset.StringVar(&f.path, "path", "", "")
	fset.StringVar(&f.body, "body", "", "")
	fset.StringVar(&f.id, "id", "", "")
	fset.Var(setFlag{&f.sets}, "set", "")
	fset.DurationVar(&f.timeout, "timeout", 5*time.Second, "")
	calls, err := parseInterspersed(fset, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, triggerUsage)
			return errHelpShown
		}
		return fmt.Errorf("scaffold: trigger: %v (run 'scaffold help trigger'): %w", err, errUsage)
	}
	var kind string
	switch len(calls) {
	case 0:
	case 1:
		kind = calls[0]
	default:
		return fmt.Errorf("scaffold: trigger: unexpected %q (run 'scaffold help trigger'): %w", calls[1], errUsage)
	}
	req, err := f.request(kind)
	if err != nil {
		return err
	}
	if f.key == "" {
		return fmt.Errorf("scaffold: trigger: no key: pass --key or set KENAR_IDENTIFICATION_KEY: %w", errUsage)
	}
	if f.timeout <= 0 {
		return fmt.Errorf("scaffold: trigger: --timeout must be positive: %w", errUsage)
	}
	client, err := f.client()
	if err != nil {
		return err
	}
	return trigger(ctx, client, req, f, stdout)
}

// client is the HTTP client the call goes through: the system's trusted
// certificates, and --cacert's.
func (f triggerFlags) client() (*http.Client, error) {
	if f.caCert == "" {
		return &http.Client{}, nil
	}
	pemBytes, err := os.ReadFile(f.caCert)
	if err != nil {
		return nil, fmt.Errorf("scaffold: trigger: --cacert: %v: %w", err, errUsage)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("scaffold: trigger: --cacert %s holds no PEM certificate: %w", f.caCert, errUsage)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}

func firstKey(list string) string {
	if keys := server.SplitKeys(list); len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// event is the event type --type names (a known type, in any case) or
// --custom-type, NEW_MESSAGE by default.
func (f triggerFlags) event() event.Type {
	switch {
	case f.customType != "":
		return event.Type(f.customType)
	case f.eventType == "":
		return event.TypeNewMessage
	}
	for _, t := range divartest.EventTypes {
		if strings.EqualFold(string(t), f.eventType) {
			return t
		}
	}
	return event.Type(f.eventType) // refused by checkEventType
}

// checkEventType refuses a --type kenarkit does not know: a typo would
// send an event no handler expects, and pass.
func (f triggerFlags) checkEventType() error {
	if f.eventType != "" && f.customType != "" {
		return fmt.Errorf("scaffold: trigger: either --type or --custom-type, not both: %w", errUsage)
	}
	if f.eventType == "" || slices.Contains(divartest.EventTypes, f.event()) {
		return nil
	}
	hint := fmt.Sprintf("known types: %s", joinTypes(divartest.EventTypes))
	if near := nearestType(f.eventType); near != "" {
		hint = fmt.Sprintf("did you mean %s?", near)
	}
	return fmt.Errorf("scaffold: trigger: unknown event type %q: %s (a type kenarkit does not know yet: --custom-type %s): %w", f.eventType, hint, f.eventType, errUsage)
}

func joinTypes(types []event.Type) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// nearestType is the known event type within a few edits of name, or "".
func nearestType(name string) event.Type {
	best, bestDist := event.Type(""), 4
	for _, t := range divartest.EventTypes {
		if d := editDistance(strings.ToUpper(name), string(t)); d < bestDist {
			best, bestDist = t, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// request builds the call the flags describe.
func (f triggerFlags) request(kind string) (*divartest.Request, error) {
	var r *divartest.Request
	switch kind {
	case string(divartest.KindOpenServerLink):
		r = divartest.OpenServerLink()
		if f.current {
			r.CurrentNames()
		}
	case string(divartest.KindDynamicAction):
		r = divartest.DynamicAction()
	case string(divartest.KindEvent):
		if err := f.checkEventType(); err != nil {
			return nil, err
		}
		r = divartest.Event(f.event())
		if f.text != "" {
			r.Message(map[string]any{"text": f.text})
		}
	case "":
		return nil, fmt.Errorf("scaffold: trigger: which call? open-server-link, dynamic-action or event (run 'scaffold help trigger'): %w", errUsage)
	default:
		return nil, fmt.Errorf("scaffold: trigger: unknown call %q: use open-server-link, dynamic-action or event: %w", kind, errUsage)
	}
	// A flag that does not apply to the call is refused, not ignored.
	isEvent := kind == string(divartest.KindEvent)
	switch {
	case len(f.data) > 0 && isEvent:
		return nil, fmt.Errorf("scaffold: trigger: --data is for callbacks, not events: %w", errUsage)
	case f.current && kind != string(divartest.KindOpenServerLink):
		return nil, fmt.Errorf("scaffold: trigger: --current is for open-server-link, whose field names changed: %w", errUsage)
	case (f.eventType != "" || f.customType != "") && !isEvent:
		return nil, fmt.Errorf("scaffold: trigger: --type and --custom-type are for events: %w", errUsage)
	case f.text != "" && (!isEvent || (f.event() != event.TypeNewMessage && f.event() != event.TypeNewChatbotMessage)):
		return nil, fmt.Errorf("scaffold: trigger: --text is for NEW_MESSAGE and NEW_CHATBOT_MESSAGE events: %w", errUsage)
	case f.id != "" && (!isEvent || idField(f.event()) == ""):
		return nil, fmt.Errorf("scaffold: trigger: --id is for the events that carry one: NEW_MESSAGE, NEW_CHATBOT_MESSAGE, PAYMENT_TRANSACTION: %w", errUsage)
	case f.body != "" && len(f.sets) > 0:
		return nil, fmt.Errorf("scaffold: trigger: either --body or --set, not both: %w", errUsage)
	}
	if field := idField(f.event()); isEvent && field != "" {
		id := f.id
		if id == "" {
			id = playground.NewID()
		}
		f.sets = append([][2]string{{field, strconv.Quote(id)}}, f.sets...)
	}
	if len(f.data) > 0 {
		field := "extra_data"
		if f.current { // open-server-link only, see above
			field = "provider_data"
		}
		r.Set(field, map[string]any(f.data))
	}
	if f.postToken != "" {
		r.PostToken(f.postToken)
	}
	if f.path != "" {
		if !strings.HasPrefix(f.path, "/") {
			return nil, fmt.Errorf("scaffold: trigger: --path must start with /: %w", errUsage)
		}
		r.Path(f.path)
	}
	if f.body != "" {
		r.Body(f.body)
	}
	if len(f.sets) > 0 {
		if err := setFields(r, f.sets); err != nil {
			return nil, err
		}
	}
	return r.Key(f.key), nil
}

// idField is the dotted path of the identity of an event of type t (what
// a deduper keys it by), or "" for an event that carries none.
func idField(t event.Type) string {
	switch t {
	case event.TypeNewMessage:
		return "new_message.id"
	case event.TypeNewChatbotMessage:
		return "new_chatbot_message.id"
	case event.TypePaymentTransaction:
		return "payment_transaction.id"
	}
	return ""
}

// setFields sets each dotted path of the body to its value, JSON or else
// a string, making the objects on the way.
func setFields(r *divartest.Request, sets [][2]string) error {
	var body map[string]any
	if err := json.Unmarshal(r.JSON(), &body); err != nil {
		return fmt.Errorf("scaffold: trigger: --set: the body is not a JSON object: %w", errUsage)
	}
	for _, s := range sets {
		var v any
		if err := json.Unmarshal([]byte(s[1]), &v); err != nil {
			v = s[1]
		}
		path := strings.Split(s[0], ".")
		obj := body
		for i, name := range path[:len(path)-1] {
			next, ok := obj[name].(map[string]any)
			if !ok {
				if _, exists := obj[name]; exists {
					return fmt.Errorf("scaffold: trigger: --set %s: %s is not an object: %w", s[0], strings.Join(path[:i+1], "."), errUsage)
				}
				next = map[string]any{}
				obj[name] = next
			}
			obj = next
		}
		obj[path[len(path)-1]] = v
	}
	b, err := json.Marshal(body, json.Deterministic(true))
	if err != nil {
		return fmt.Errorf("scaffold: trigger: --set: %w", err)
	}
	r.Body(string(b))
	return nil
}

// trigger sends the call, prints both sides and the verdict.
func trigger(ctx context.Context, client *http.Client, r *divartest.Request, f triggerFlags, stdout io.Writer) error {
	hr := r.HTTPRequest(strings.TrimRight(f.url, "/"))
	fmt.Fprintf(stdout, "→ POST %s\n", hr.URL)
	for _, h := range slices.Sorted(maps.Keys(hr.Header)) {
		if h != "Authorization" {
			fmt.Fprintf(stdout, "  %s: %s\n", h, hr.Header[h][0])
		}
	}
	// The key is a secret: say which one, not what it is.
	fmt.Fprintf(stdout, "  Authorization: (the key, %d characters)\n", len(f.key))
	fmt.Fprintf(stdout, "  %s\n", indentJSON(r.JSON()))

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, err := divartest.Send(ctx, client, f.url, r)
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return fmt.Errorf("scaffold: trigger: %s's certificate is not trusted (%v): a tunnel's is; for your own, pass --cacert FILE", f.url, certErr.Err)
	}
	if err != nil {
		return errors.New("scaffold: trigger: " + strings.TrimPrefix(err.Error(), "divartest: "))
	}
	fmt.Fprintf(stdout, "← %d %s (%v)\n", resp.Status, http.StatusText(resp.Status), resp.Elapsed.Round(time.Millisecond))
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		fmt.Fprintf(stdout, "  Content-Type: %s\n", ct)
	}
	fmt.Fprintf(stdout, "  %s\n", indentJSON(resp.Body))

	checker, err := divartest.NewChecker(gen.GetSpec)
	if err != nil {
		return fmt.Errorf("scaffold: trigger: %w", err)
	}
	if err := checker.Check(r, resp); err != nil {
		fmt.Fprintf(stdout, "✗ %v\n", err)
		return errRejected
	}
	fmt.Fprintln(stdout, "✓ Divar accepts this answer.")
	return nil
}

// indentJSON returns b indented when it is JSON, and as text (at most 2 KiB)
// otherwise.
func indentJSON(b []byte) string {
	v := jsontext.Value(bytes.Clone(b))
	if err := v.Indent(jsontext.WithIndentPrefix("  "), jsontext.WithIndent("  ")); err == nil {
		return string(v)
	}
	if len(b) > 2048 {
		b = append(b[:2048:2048], "…"...)
	}
	if len(b) == 0 {
		return "(empty body)"
	}
	return string(b)
}
