package divartest

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-json-experiment/json"
	divardesc "github.com/kenarkit/kenarkit/api/divar"
)

// The operations of Divar's own description (api/divar/openapi-v3.json
// with kenarkit's overlay, as gen/divarapi embeds it) that
// api/kenar-api.yaml does not have: the fake routes a request it does not
// find there by Divar's description, requires the key permission of the
// operation's x-kenarkit-api-key-permissions and, where every security
// requirement has OAuth, one of the scopes they name (bound to the path
// parameter a scope names), validates the request against the
// description, and plays the operation below. What it accepted is in
// [API.Received].

// divarRouter routes by Divar's description.
var divarRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := divardesc.Description()
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	return legacy.NewRouter(doc)
})

// divarRoute finds r's operation in Divar's description: its route and
// path parameters, its operationId, how the fake plays it (nil when it
// does not) and what Divar requires of it; a nil route when none.
func (a *API) divarRoute(r *http.Request) (*routers.Route, map[string]string, string, apiOp, need) {
	router, err := divarRouter()
	if err != nil {
		return nil, nil, "", nil, need{}
	}
	route, params, err := router.FindRoute(r)
	if err != nil {
		return nil, nil, "", nil, need{}
	}
	opID := route.Operation.OperationID
	if _, ok := params["token"]; ok && params["post_token"] == "" {
		params["post_token"] = params["token"] // scopes name the post's token post_token
	}
	var play apiOp
	if p, ok := divarOps[opID]; ok {
		play = func(a *API, c *call) (any, *divarError) {
			answer, e := p(a, c)
			if e == nil && len(c.body) > 0 {
				a.received = append(a.received, Received{Operation: opID, Path: r.URL.Path, Body: c.body})
			}
			return answer, e
		}
	}
	return route, params, opID, play, divarNeed(route.Operation)
}

// divarNeed is what Divar requires of an operation of its description.
func divarNeed(op *openapi3.Operation) need {
	var n need
	if list, ok := op.Extensions["x-kenarkit-api-key-permissions"].([]any); ok && len(list) > 0 {
		n.permission, _ = list[0].(string)
	}
	if op.Security == nil {
		return n
	}
	required := len(*op.Security) > 0
	var scopes []string
	for _, req := range *op.Security {
		s, ok := req["OAuth"]
		if !ok {
			required = false
		}
		scopes = append(scopes, s...)
	}
	if len(scopes) > 0 {
		n.scopes = scopes
		n.optional = !required
	}
	return n
}

// Received is a request body a Divar operation accepted.
type Received struct {
	Operation string // Divar's operationId ("Addons_CreateUserAddonV2")
	Path      string
	Body      []byte
}

// Received returns the bodies accepted for Divar's operationId op, in order.
func (a *API) Received(op string) []Received {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Received
	for _, r := range a.received {
		if r.Operation == op {
			out = append(out, r)
		}
	}
	return out
}

// divarOps plays the operations routed by Divar's description. Each is
// called with a.mu held and the call already authorised and validated.
var divarOps = map[string]func(a *API, c *call) (any, *divarError){
	"Addons_CreateUserAddonV2":   newID("user-addon"),
	"Addons_CreateUserAddonV22":  newID("user-addon"),
	"Addons_CreateBusinessAddon": newID("business-addon"),
	"Addons_DeleteUserAddon": func(a *API, c *call) (any, *divarError) {
		if !a.ids[c.params["id"]] {
			return nil, refusal(http.StatusNotFound, 5, "no user add-on %q: Divar answers not found", c.params["id"])
		}
		delete(a.ids, c.params["id"])
		return struct{}{}, nil
	},
	"ChatAPI_GetConversation": func(a *API, c *call) (any, *divarError) {
		id := c.params["conversation_id"]
		p, ok := a.conversations[id]
		if !ok {
			return nil, refusal(http.StatusNotFound, 5, "no conversation %q: Divar answers not found", id)
		}
		msgs := []any{}
		for _, m := range a.messages[id] {
			msgs = append(msgs, map[string]any{"text": m.Message})
		}
		return map[string]any{"conversation": map[string]any{"id": id, "post_token": p}, "messages": msgs}, nil
	},
	"ChatAPI_GenerateUploadToken": func(a *API, c *call) (any, *divarError) {
		a.seq++
		tok := fmt.Sprintf("upload-token-%d", a.seq)
		a.uploads[tok] = true
		return map[string]string{"token": tok}, nil
	},
	"Finder_GetUserIDByPhone": func(a *API, c *call) (any, *divarError) {
		var b struct {
			Phone string `json:"phone"`
		}
		_ = json.Unmarshal(c.body, &b)
		for _, u := range a.users {
			if u.PhoneNumber != "" && u.PhoneNumber == b.Phone {
				return map[string]string{"user_id": u.ID}, nil
			}
		}
		return nil, refusal(http.StatusNotFound, 5, "no user with that phone number: Divar answers not found")
	},
	"Finder_GetProUserProfileImage": func(a *API, c *call) (any, *divarError) {
		return map[string]string{"image_id": "pro-image", "image_url": a.srv.URL + "/images/pro-image"}, nil
	},
	"Finder_GetUserBusinesses": func(a *API, c *call) (any, *divarError) {
		return map[string]any{"businesses": []any{}}, nil
	},
	"Post_GetUserPost": func(a *API, c *call) (any, *divarError) {
		p, ok := a.posts[c.params["token"]]
		if !ok || p.owner != c.token {
			return nil, refusal(http.StatusNotFound, 5, "no post %q of this user: Divar answers not found", c.params["token"])
		}
		title, _ := p.post.Data["title"].(string)
		return map[string]any{"general_data": map[string]any{"title": title, "city": p.post.City, "category_slug": p.post.Category}}, nil
	},
	"Post_GetPostStats": func(a *API, c *call) (any, *divarError) {
		if _, ok := a.posts[c.params["post_token"]]; !ok {
			return nil, refusal(http.StatusNotFound, 5, "no post %q: Divar answers not found", c.params["post_token"])
		}
		zero := map[string]any{"total": 0, "daily": []any{}}
		return map[string]any{"views": zero, "chats": zero, "impressions": zero}, nil
	},
	"Post_GetImageUploadURL": func(a *API, c *call) (any, *divarError) {
		return map[string]string{"upload_url": a.srv.URL + "/images/upload"}, nil
	},
	"Post_GetUploadURLsV2": func(a *API, c *call) (any, *divarError) {
		f := map[string]string{"url": a.srv.URL + "/images/upload", "http_method": "PUT"}
		return map[string]any{"image": f, "video": f}, nil
	},
	"Assets_GetMediaUploadURLs": func(a *API, c *call) (any, *divarError) {
		f := map[string]string{"url": a.srv.URL + "/images/upload", "http_method": "PUT"}
		return map[string]any{"addon_images": f, "submit_post_images": f, "submit_post_videos": f}, nil
	},
	"Post_SetPostCustomizedButton":        ok,
	"Post_DeletePostCustomizedButton":     ok,
	"Post_CreateBusinessCustomizedButton": ok,
	"Post_DeleteBusinessCustomizedButton": ok,
	"Semantic_CreatePostSemantic":         ok,
	"Semantic_CreateUserSemantic":         newID("user-semantic"),
	"Semantic_DeleteUserSemantic":         ok,
}

func ok(*API, *call) (any, *divarError) { return struct{}{}, nil }

// newID answers {"id": …}, an id the fake remembers (for deletion).
func newID(prefix string) func(a *API, c *call) (any, *divarError) {
	return func(a *API, c *call) (any, *divarError) {
		a.seq++
		id := fmt.Sprintf("%s-%d", prefix, a.seq)
		a.ids[id] = true
		return map[string]string{"id": id}, nil
	}
}

// ChatUploadPath is where the fake plays Divar's chat upload host
// (https://chat.divar.ir/upload); [API.Client] points
// divar.Config.UploadURL at it.
const ChatUploadPath = "/chat-upload"

// chatUploadLimits are Divar's limits per media type
// (docs/chat/upload_media.md), in bytes.
var chatUploadLimits = map[string]int64{"image": 5_000_000, "file": 5_000_000, "voice": 1_500_000, "video": 50_000_000}

// serveUpload plays Divar's upload host: a bearer upload token the API
// issued, a multipart form with the file in "file", within the media
// type's limit; it answers {"id": media_token, "status": "ok"}.
func (a *API) serveUpload(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		b, _ := json.Marshal(v, json.Deterministic(true))
		w.Write(b)
	}
	kind := strings.TrimPrefix(r.URL.Path, ChatUploadPath+"/")
	limit, known := chatUploadLimits[kind]
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a.mu.Lock()
	issued := a.uploads[tok]
	a.mu.Unlock()
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.Method != http.MethodPost:
		answer(http.StatusMethodNotAllowed, map[string]any{"code": 12, "message": "the upload host takes POST"})
		return
	case !known:
		answer(http.StatusNotFound, map[string]any{"code": 5, "message": "media_type is image, video, voice or file"})
		return
	case !issued:
		answer(http.StatusUnauthorized, map[string]any{"code": 16, "message": "no upload token Divar issued"})
		return
	case params["boundary"] == "":
		answer(http.StatusBadRequest, map[string]any{"code": 3, "message": "the body is not multipart/form-data"})
		return
	}
	form := multipart.NewReader(io.LimitReader(r.Body, limit+1<<20), params["boundary"])
	for {
		part, err := form.NextPart()
		if err != nil {
			answer(http.StatusBadRequest, map[string]any{"code": 3, "message": "no file in the form field \"file\""})
			return
		}
		if part.FormName() != "file" || part.FileName() == "" {
			continue
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(part, limit+1))
		if n > limit {
			answer(http.StatusRequestEntityTooLarge, map[string]any{"code": 3, "message": fmt.Sprintf("a %s is at most %d bytes", kind, limit)})
			return
		}
		a.mu.Lock()
		a.seq++
		id := fmt.Sprintf("media-%s-%d", kind, a.seq)
		a.calls = append(a.calls, Call{Operation: "chat-media-upload", Method: r.Method, Path: r.URL.Path, Status: http.StatusOK})
		a.mu.Unlock()
		answer(http.StatusOK, map[string]string{"id": id, "status": "ok"})
		return
	}
}
