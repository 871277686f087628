package sdk

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/internal/check"
)

// Action is what Divar does when a user clicks a widget or chat button, or
// what a dynamic-action answer asks it to do. Exactly one field is set; build
// one with [OpenDirectLink], [OpenServerLink], [GetDynamicAction],
// [OpenPostPage] or [OpenPostManagePage] rather than by hand.
type Action struct {
	OpenDirectLink     string       `json:"open_direct_link,omitempty"`
	OpenServerLink     *DataPayload `json:"open_server_link,omitempty"`
	GetDynamicAction   *DataPayload `json:"get_dynamic_action,omitempty"`
	OpenPostPage       *PostPayload `json:"open_post_page,omitempty"`
	OpenPostManagePage *PostPayload `json:"open_post_manage_page,omitempty"`
}

// DataPayload carries the data of open_server_link and get_dynamic_action,
// which Divar echoes back to the add-on as extra_data.
type DataPayload struct {
	Data Data `json:"data"`
}

// PostPayload names the post of open_post_page and open_post_manage_page.
type PostPayload struct {
	PostToken string `json:"post_token"`
}

// OpenDirectLink opens url: on the web in a new tab, on Android and iOS in an
// in-app web view. No callback is made.
//
//	{"open_direct_link":"https://…"}
func OpenDirectLink(url string) Action { return Action{OpenDirectLink: url} }

// OpenServerLink makes Divar call the add-on's init callback with data as
// extra_data, then open the URL it answers. A nil data is sent as {}.
//
//	{"open_server_link":{"data":{…}}}
func OpenServerLink(data Data) Action {
	return Action{OpenServerLink: &DataPayload{Data: orEmpty(data)}}
}

// GetDynamicAction makes Divar call the add-on's dynamic-action callback
// with data as extra_data, then do what it answers. A nil data is sent as {}.
//
//	{"get_dynamic_action":{"data":{…}}}
func GetDynamicAction(data Data) Action {
	return Action{GetDynamicAction: &DataPayload{Data: orEmpty(data)}}
}

// OpenPostPage opens the public page of the post.
//
//	{"open_post_page":{"post_token":"…"}}
func OpenPostPage(postToken string) Action {
	return Action{OpenPostPage: &PostPayload{PostToken: postToken}}
}

// OpenPostManagePage opens the management page of the post (for its owner).
//
//	{"open_post_manage_page":{"post_token":"…"}}
func OpenPostManagePage(postToken string) Action {
	return Action{OpenPostManagePage: &PostPayload{PostToken: postToken}}
}

func orEmpty(d Data) Data {
	if d == nil {
		return Data{}
	}
	return d
}

// ErrInvalidAnswer: an action or an answer that Divar would reject.
// Compare with errors.Is; each failing field is an [*InvalidAnswerError].
var ErrInvalidAnswer = check.ErrInvalidAnswer

// InvalidAnswerError is one rule of Divar's that an action, an answer, a
// widget or a message breaks. Detail names the field by JSON pointer and
// the rule ("/message: longer than 4096 characters"), never its value. It
// is [ErrInvalidAnswer]; a Validate method joins one for each failing
// field (errors.As finds the first, or walk the errors.Join).
type InvalidAnswerError = check.InvalidAnswerError

// Validate reports whether Divar accepts a: exactly one kind set, an
// absolute http(s) URL, a post token of 1 to 10 characters.
func (a Action) Validate() error { return a.validateAt(check.Root("")) }

// validateAt validates a found at the path at, written out only for an
// error.
func (a Action) validateAt(at check.Path) error {
	var err error
	kinds := 0
	if a.OpenDirectLink != "" {
		kinds++
		err = checkURL(at.Name("open_direct_link"), a.OpenDirectLink)
	}
	if a.OpenServerLink != nil {
		kinds++
	}
	if a.GetDynamicAction != nil {
		kinds++
	}
	for _, k := range [...]struct {
		name string
		p    *PostPayload
	}{{"open_post_page", a.OpenPostPage}, {"open_post_manage_page", a.OpenPostManagePage}} {
		name, p := k.name, k.p
		if p == nil {
			continue
		}
		kinds++
		if n := utf8.RuneCountInString(p.PostToken); n < 1 || n > 10 {
			p := at.Name(name)
			err = check.Invalid("%s must have 1 to 10 characters", p.Name("post_token").String())
		}
	}
	switch {
	case kinds == 0:
		return check.Invalid("%san action must set one kind, it sets none", check.Prefix(at.String()))
	case kinds > 1:
		return check.Invalid("%san action must set exactly one kind, it sets %d", check.Prefix(at.String()), kinds)
	}
	return err
}

// checkURL reports whether u is an absolute http(s) URL of at most 2048
// characters, as the spec's AbsoluteURL pattern
// ^[hH][tT][tT][pP][sS]?://[^\s/?#]+[^\s]*$ requires. The pointer of an
// error is written from at.
func checkURL(at check.Path, u string) error {
	n := len(u) // a rune takes 1 to 4 bytes: 32 to 2048 bytes are 8 to 2048 runes
	if n < 32 || n > 2048 {
		n = utf8.RuneCountInString(u)
	}
	if n < 8 || n > 2048 {
		return check.Invalid("%s must be an absolute http(s) URL of 8 to 2048 characters", at.String())
	}
	rest, ok := cutScheme(u)
	if !ok {
		return check.Invalid("%s must be an absolute http(s) URL", at.String())
	}
	host := 0
	for host < len(rest) && !isSpace(rest[host]) && rest[host] != '/' && rest[host] != '?' && rest[host] != '#' {
		host++
	}
	if host == 0 {
		return check.Invalid("%s must be an absolute http(s) URL with a host", at.String())
	}
	for i := 0; i < len(spaces); i++ { // five vectorised scans beat one byte loop on a long URL
		if strings.IndexByte(rest[host:], spaces[i]) >= 0 {
			return check.Invalid("%s must not contain white space", at.String())
		}
	}
	return nil
}

// spaces are the bytes isSpace reports.
const spaces = " \t\n\f\r"

func cutScheme(u string) (string, bool) {
	for _, scheme := range []string{"https://", "http://"} {
		if len(u) >= len(scheme) && equalFoldASCII(u[:len(scheme)], scheme) {
			return u[len(scheme):], true
		}
	}
	return "", false
}

// equalFoldASCII compares a with the lower-case ASCII b, ignoring ASCII
// case only (strings.EqualFold would also match U+017F ſ with s).
func equalFoldASCII(a, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isSpace is RE2's \s: [\t\n\f\r ].
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// OpenServerLinkResponse is the init callback's answer: the URL Divar opens.
// It is a response of the generated strict server as it is:
//
//	return sdk.OpenURL("https://…"), nil
type OpenServerLinkResponse struct {
	URL string `json:"url"`
}

// OpenURL answers the init callback with the URL Divar opens for the user:
//
//	{"url":"https://…"}
func OpenURL(url string) OpenServerLinkResponse { return OpenServerLinkResponse{URL: url} }

// Validate reports whether Divar accepts r: an absolute http(s) URL.
func (r OpenServerLinkResponse) Validate() error { return checkURL(check.Root("/url"), r.URL) }

// VisitOpenServerLinkResponse writes r as a 200 answer. It makes r a
// response of the strict server generated for operationId openServerLink.
// An answer Divar would reject is not sent: the error reaches the server's
// error handler, which answers 500.
func (r OpenServerLinkResponse) VisitOpenServerLinkResponse(w http.ResponseWriter) error {
	if err := r.Validate(); err != nil {
		return err
	}
	aw := pooledAnswer(len(r.URL) + len(`{"url":""}`))
	defer aw.release()
	aw.url(r.URL)
	if aw.failed {
		return writeMarshalled(w, r)
	}
	return writeJSON(w, aw.b)
}

// DynamicActionResponse is the dynamic-action callback's answer: an action,
// a text message, or both. It is a response of the generated strict server
// as it is:
//
//	return sdk.Reply(sdk.OpenDirectLink(u)).WithText("…"), nil
//	return sdk.TextMessage("…"), nil
type DynamicActionResponse struct {
	Action      *Action `json:"action,omitempty"`
	TextMessage string  `json:"text_message,omitempty"`
}

// Reply answers the dynamic-action callback with an action to run:
//
//	{"action":{…}}
func Reply(a Action) DynamicActionResponse { return DynamicActionResponse{Action: &a} }

// TextMessage answers the dynamic-action callback with only a text shown to
// the user:
//
//	{"text_message":"…"}
func TextMessage(text string) DynamicActionResponse { return DynamicActionResponse{TextMessage: text} }

// WithText returns r with a text message shown to the user as well:
//
//	{"action":{…},"text_message":"…"}
func (r DynamicActionResponse) WithText(text string) DynamicActionResponse {
	r.TextMessage = text
	return r
}

// Validate reports whether Divar accepts r: an action, a text of at most
// 4096 characters, or both.
func (r DynamicActionResponse) Validate() error {
	if r.Action == nil && r.TextMessage == "" {
		return check.Invalid("a dynamic-action answer needs an action, a text_message, or both")
	}
	var err error
	if r.Action != nil {
		err = r.Action.validateAt(check.Root("/action"))
	}
	if utf8.RuneCountInString(r.TextMessage) > 4096 {
		err = errors.Join(err, check.Invalid("/text_message must have at most 4096 characters"))
	}
	return err
}

// VisitDynamicActionResponse writes r as a 200 answer. It makes r a
// response of the strict server generated for operationId dynamicAction.
// An answer Divar would reject is not sent: the error reaches the server's
// error handler, which answers 500.
func (r DynamicActionResponse) VisitDynamicActionResponse(w http.ResponseWriter) error {
	if err := r.Validate(); err != nil {
		return err
	}
	aw := pooledAnswer(128 + len(r.TextMessage)) // a seed's answer fits
	defer aw.release()
	aw.dynamicAnswer(&r)
	if aw.failed {
		return writeMarshalled(w, r)
	}
	return writeJSON(w, aw.b)
}

// MarshalAnswer returns the exact bytes kenarkit sends for an action or an
// answer: compact JSON, members in the documented order, map keys sorted, no
// HTML escaping (a URL's & stays &). It is json v2's [json.Marshal] with
// [json.Deterministic], byte for byte and error for error; the package's
// own answers, actions, messages, subscriptions and [Data] are written
// without its reflection, any other value through it.
func MarshalAnswer(v any) ([]byte, error) {
	if b, ok := appendAnswer(nil, v); ok {
		return b, nil
	}
	return json.Marshal(v, json.Deterministic(true))
}

// MarshalJSONTo writes d as json v2 writes any map[string]any with
// [json.Deterministic] (the members sorted by name, bytewise; a nil d as
// {}, or null with [json.FormatNilMapAsNull]), without its reflection and
// its allocations for each map: a string value is written as it is, any
// other through json v2 with the encoder's options.
func (d Data) MarshalJSONTo(enc *jsontext.Encoder) error {
	if d == nil {
		if null, _ := json.GetOption(enc.Options(), json.FormatNilMapAsNull); null {
			return enc.WriteToken(jsontext.Null)
		}
	}
	var on [8]member // on the stack for the usual few members
	members := d.sorted(on[:0])
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, m := range members {
		if err := enc.WriteToken(jsontext.String(m.name)); err != nil {
			return err
		}
		var err error
		if s, ok := m.value.(string); ok {
			err = enc.WriteToken(jsontext.String(s))
		} else {
			err = json.MarshalEncode(enc, m.value)
		}
		if err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// writeMarshalled writes v as json v2 writes it as a 200 answer: what the
// vocabulary's encoder gave up on (invalid UTF-8, which v2 reports).
func writeMarshalled(w http.ResponseWriter, v any) error {
	b, err := MarshalAnswer(v)
	if err != nil {
		return fmt.Errorf("sdk: encoding the answer: %w", err)
	}
	return writeJSON(w, b)
}

// answers holds the buffers the callbacks' answers are written in: an
// answer written out (an http.ResponseWriter, an io.Writer, keeps nothing
// of what it is given), its buffer is put back for the next.
var answers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledAnswer is the largest buffer put back: an answer larger than
// that is rare, and its buffer left to the collector.
const maxPooledAnswer = 16 << 10

// pooledAnswer returns an answerWriter on a buffer of the pool with room
// for n bytes; release puts it back once the answer is written.
func pooledAnswer(n int) answerWriter {
	bp := answers.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, 0, n)
	}
	return answerWriter{b: (*bp)[:0], pooled: bp}
}

// release puts w's buffer back in the pool; w is not to be used after.
func (w *answerWriter) release() {
	if cap(w.b) <= maxPooledAnswer {
		*w.pooled = w.b[:0]
		answers.Put(w.pooled)
	}
}

// writeJSON writes b as a 200 answer.
func writeJSON(w http.ResponseWriter, b []byte) error {
	w.Header()["Content-Type"] = []string{"application/json"} // the name as Set would write it, without canonicalising it again
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}
