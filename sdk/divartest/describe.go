package divartest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/gen/divarapi"
)

// divarDescription is Divar's own description of its API as kenarkit pins
// it (api/divar/openapi-v3.json) with kenarkit's overlay of the rules
// Divar's pages state in prose (api/divar/overlay.yaml), as gen/divarapi
// embeds the two merged, and a router over it. The fake API judges every
// request by it, never by the SDK's checks: a mistake of the SDK's then
// shows on the wire. (The overlay is applied by go generate, so an add-on's
// tests need no overlay library.)
var divarDescription = sync.OnceValues(func() (*description, error) {
	doc, err := divarapi.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("divartest: loading Divar's description (gen/divarapi): %w", err)
	}
	if err := restoreOperationIDs(doc); err != nil {
		return nil, err
	}
	doc.Servers = openapi3.Servers{{URL: "/"}} // any host
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("divartest: Divar's description: %w", err)
	}
	return &description{doc: doc, router: router, security: doc.Security}, nil
})

// restoreOperationIDs gives each operation of doc Divar's operationId
// ("Addons_CreatePostAddonV2"), which the generator's embedded copy spells
// as a Go name: the pin's own.
func restoreOperationIDs(doc *openapi3.T) error {
	var pin struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(divar.Pinned, &pin, json.RejectUnknownMembers(false)); err != nil {
		return fmt.Errorf("divartest: reading api/divar/openapi-v3.json: %w", err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if id := pin.Paths[path][strings.ToLower(method)].OperationID; id != "" {
				op.OperationID = id
			}
		}
	}
	return nil
}

type description struct {
	doc    *openapi3.T
	router routers.Router
	// security is the description's default, for an operation that names
	// none.
	security openapi3.SecurityRequirements
}

// need is what Divar asks of an operation, as its description says.
type need struct {
	// permissions the API key must hold: x-kenarkit-api-key-permissions
	// of the pin (Divar's docs state them in prose).
	permissions []string
	// alternatives are the operation's security requirements: any one
	// of them, every OAuth scope within it. An alternative without
	// scopes means the call needs no user token (one sent is checked to
	// be valid). "NAME.param" binds the scope to the object param names
	// ([API.bind]).
	alternatives [][]string
	// byEventType, for a subscription, replaces alternatives with the
	// ones of the body's event type (x-kenarkit-event-type-scopes of the
	// overlay, docs/events/ReadMe.md).
	byEventType map[string][][]string
}

func (d *description) needOf(op *openapi3.Operation) need {
	var n need
	n.permissions = stringList(op.Extensions["x-kenarkit-api-key-permissions"])
	reqs := d.security
	if op.Security != nil {
		reqs = *op.Security
	}
	for _, r := range reqs {
		n.alternatives = append(n.alternatives, slices.Clone(r["OAuth"]))
	}
	if m, ok := op.Extensions["x-kenarkit-event-type-scopes"].(map[string]any); ok {
		n.byEventType = map[string][][]string{}
		for t, alts := range m {
			list, _ := alts.([]any)
			n.byEventType[t] = [][]string{}
			for _, alt := range list {
				n.byEventType[t] = append(n.byEventType[t], stringList(alt))
			}
		}
	}
	return n
}

// stringList reads a JSON array of strings.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// scopesFor returns the alternatives of c's call: the event type's for a
// subscription whose type the description binds to scopes.
func (n need) scopesFor(c *call) [][]string {
	if n.byEventType != nil {
		var b struct {
			Type string `json:"event_type"`
		}
		_ = json.Unmarshal(c.body, &b)
		if alts, ok := n.byEventType[b.Type]; ok {
			return alts
		}
	}
	return n.alternatives
}

// tokenRequired reports whether every alternative needs a scope.
func tokenRequired(alts [][]string) bool {
	for _, a := range alts {
		if len(a) == 0 {
			return false
		}
	}
	return len(alts) > 0
}

// bind returns the object a scope "NAME.name" is bound to in c: the path
// parameter name; for post_token, the path's post token or the post of
// the path's conversation; else the body's top-level member name
// (event_resource_id). "" when the call names none.
func (a *API) bind(name string, c *call) string {
	if v, ok := c.params[name]; ok {
		return v
	}
	if name == "post_token" {
		if v, ok := c.params["token"]; ok {
			return v
		}
		if id, ok := c.params["conversation_id"]; ok {
			a.mu.Lock()
			defer a.mu.Unlock()
			return a.conversations[id]
		}
	}
	var body map[string]any
	_ = json.Unmarshal(c.body, &body)
	v, _ := body[name].(string)
	return v
}

// checkScope refuses a token that satisfies none of the alternatives,
// each scope bound to the object of this call.
func (a *API) checkScope(opID string, alts [][]string, granted []string, c *call) *divarError {
	var wanted []string
	for _, alt := range alts {
		var bound []string
		ok := true
		for _, s := range alt {
			if name, param, isBound := strings.Cut(s, "."); isBound {
				id := a.bind(param, c)
				if id == "" {
					ok = false // the call names no object to bind it to
					break
				}
				s = name + "." + id
			}
			bound = append(bound, s)
		}
		if !ok {
			continue
		}
		if !slices.ContainsFunc(bound, func(s string) bool { return !slices.Contains(granted, s) }) {
			return nil
		}
		wanted = append(wanted, strings.Join(bound, " and "))
	}
	return refusal(http.StatusForbidden, 7, "the access token lacks the scope %s needs (one of %s): ask the user to grant it through OAuth",
		opID, strings.Join(wanted, ", "))
}

// methodsAt returns the methods Divar's description has at r's path (the
// router answers a known path with another method as not found).
func (d *description) methodsAt(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		other := r.Clone(r.Context())
		other.Method = m
		if _, _, err := d.router.FindRoute(other); err == nil {
			out = append(out, m)
		}
	}
	return out
}
