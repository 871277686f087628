package playground

import (
	"bytes"
	"net/url"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// masked is what the log shows instead of a secret.
const masked = "•••"

// secretFields are the members and form fields whose values the log never
// shows: the OAuth code, state, tokens and the client secret.
var secretFields = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true,
	"client_secret": true, "code": true, "state": true,
}

// maskBody returns body as the log shows it: JSON indented with the
// secret members' values masked, a form with the secret fields masked,
// anything else as text (at most 8 KiB).
func maskBody(body []byte, contentType string) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			return maskForm(form)
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		maskJSON(v)
		if out, err := json.Marshal(v, json.Deterministic(true), jsontext.WithIndent("  "), jsontext.EscapeForHTML(false)); err == nil {
			return string(out)
		}
	}
	if len(body) > 8<<10 {
		body = append(body[:8<<10:8<<10], "…"...)
	}
	return string(body)
}

func maskForm(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range form[k] {
			if secretFields[k] {
				v = masked
			}
			b.WriteString(k + "=" + v + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func maskJSON(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, m := range v {
			if _, isString := m.(string); isString && secretFields[k] {
				v[k] = masked
				continue
			}
			maskJSON(m)
		}
	case []any:
		for _, m := range v {
			maskJSON(m)
		}
	}
}

// maskURL returns u with the secret query parameters masked.
func maskURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.RawQuery == "" {
		return u
	}
	q := p.Query()
	for k := range q {
		if secretFields[k] {
			q.Set(k, masked)
		}
	}
	p.RawQuery = q.Encode()
	return p.String()
}
