package divar

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Request is a call to Divar's open-platform API for [Client.Do]: an
// operation kenarkit has no method for yet (one Divar added after the
// pin), or one of the catalogue's (Assets_GetCities, …; gen/divarapi
// builds their paths and models).
type Request struct {
	// Method is the HTTP method; GET when empty.
	Method string
	// Path is the operation's path after the base URL, its parameters
	// already in place ("/v1/open-platform/assets/district/tehran"); each
	// segment escaped by the caller where needed.
	Path string
	// Query is the query string's parameters, if any.
	Query url.Values
	// Body is sent as JSON: a []byte or json.RawMessage as it is, anything
	// else encoded with encoding/json. nil: no body.
	Body any
	// User, when set, sends the user's OAuth token as a bearer token. An
	// operation whose every security requirement in Divar's description
	// has OAuth is refused without one (ErrNoToken).
	User oauth2.TokenSource
	// Idempotent retries a POST after a 5xx or a timeout, as GET, PUT and
	// DELETE are. Leave it false for anything that must not happen twice.
	Idempotent bool
}

// Do sends r with the client's API key, timeouts, retries, redaction and
// typed errors, exactly as its own calls, and decodes Divar's 2xx answer
// into out (a pointer, or nil to discard it). A request that matches an
// operation of Divar's description (pin and overlay) is first checked
// against it and refused, not sent, where it breaks it; its errors carry
// that operationId, else "METHOD path".
//
//	var cities divarapi.AssetsGetCitiesResponse
//	err := client.Do(ctx, divar.Request{Path: "/v1/open-platform/assets/city"}, &cities)
func (c *Client) Do(ctx context.Context, r Request, out any) error {
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	op := method + " " + r.Path
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?#") || strings.Contains(r.Path, "/../") || strings.HasSuffix(r.Path, "/..") {
		return notSent(op, refuse("path", "must be an absolute path with no query, fragment or \"..\""))
	}
	if d, _ := operation(method, r.Path); d != nil && d.id != "" {
		op = d.id
	}
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	case stdjson.RawMessage:
		body = b
	default:
		var err error
		if body, err = stdjson.Marshal(b); err != nil {
			return notSent(op, fmt.Errorf("encoding the body: %w", err))
		}
	}
	target := strings.TrimSuffix(c.server, "/") + r.Path
	if len(r.Query) > 0 {
		target += "?" + r.Query.Encode()
	}
	idempotent := r.Idempotent || method == http.MethodGet || method == http.MethodHead || method == http.MethodPut || method == http.MethodDelete
	answer, err := c.send(ctx, request{op: op, idempotent: idempotent, user: r.User, body: body, build: func() (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, target, rd)
		if err == nil && body != nil {
			req.Header.Set("Content-Type", jsonType)
		}
		return req, err
	}})
	if err != nil || out == nil || len(bytes.TrimSpace(answer)) == 0 {
		return err
	}
	if err := stdjson.Unmarshal(answer, out); err != nil {
		return malformed(op, err.Error())
	}
	return nil
}
