package divartest

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json"
)

// The plays of the operations divar.Client types beyond the add-on's
// first calls that keep state or answer the fake's own URLs: user and
// business add-ons, the conversation, chat media, the finder's phone
// lookup, a user's post and its stats, upload URLs, user semantic ids.
// Each is a row of apiOps, keyed by Divar's operationId, called with a.mu
// held and the call already authorised and validated against Divar's
// description; the others (customized buttons, post semantics) are
// answered a sample of their response schema.

// Received is a request body the fake API accepted.
type Received struct {
	Operation string // Divar's operationId ("Addons_CreateUserAddonV2")
	Path      string
	Body      []byte
}

// Received returns the bodies accepted for the operation op (Divar's
// operationId, or kenarkit's older name of it, see [Fault.On]), in order.
func (a *API) Received(op string) []Received {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Received
	for _, r := range a.received {
		if isOperation(r.Operation, op) {
			out = append(out, r)
		}
	}
	return out
}

// newID answers {"id": …}, an id the fake remembers (for deletion).
func newID(prefix string) apiOp {
	return func(a *API, _ *call) (any, *divarError) {
		a.seq++
		id := fmt.Sprintf("%s-%d", prefix, a.seq)
		a.ids[id] = true
		return map[string]string{"id": id}, nil
	}
}

func (a *API) deleteUserAddon(c *call) (any, *divarError) {
	if !a.ids[c.params["id"]] {
		return nil, refusal(http.StatusNotFound, 5, "no user add-on %q: Divar answers not found", c.params["id"])
	}
	delete(a.ids, c.params["id"])
	return struct{}{}, nil
}

func (a *API) getConversation(c *call) (any, *divarError) {
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
}

func (a *API) generateUploadToken(*call) (any, *divarError) {
	a.seq++
	tok := fmt.Sprintf("upload-token-%d", a.seq)
	a.uploads[tok] = true
	return map[string]string{"token": tok}, nil
}

func (a *API) userIDByPhone(c *call) (any, *divarError) {
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
}

func (a *API) proUserProfileImage(*call) (any, *divarError) {
	return map[string]string{"image_id": "pro-image", "image_url": a.srv.URL + "/images/pro-image"}, nil
}

func (a *API) userBusinesses(*call) (any, *divarError) {
	return map[string]any{"businesses": []any{}}, nil
}

func (a *API) getUserPost(c *call) (any, *divarError) {
	p, ok := a.posts[c.params["token"]]
	if !ok || p.owner != c.token {
		return nil, refusal(http.StatusNotFound, 5, "no post %q of this user: Divar answers not found", c.params["token"])
	}
	title, _ := p.post.Data["title"].(string)
	description, _ := p.post.Data["description"].(string)
	return map[string]any{"general_data": map[string]any{
		"title": title, "description": description, "images": []string{}, "city": p.post.City,
		"category_slug": p.post.Category, "location_type": "LOCATION_TYPE_EMPTY",
		"hide_phone": p.post.IsPhoneHidden, "chat_enabled": p.post.ChatEnabled,
	}}, nil
}

func (a *API) postStats(c *call) (any, *divarError) {
	if _, ok := a.posts[c.params["post_token"]]; !ok {
		return nil, refusal(http.StatusNotFound, 5, "no post %q: Divar answers not found", c.params["post_token"])
	}
	zero := map[string]any{"total": 0, "daily": []any{}}
	return map[string]any{"views": zero, "chats": zero, "impressions": zero}, nil
}

func (a *API) imageUploadURL(*call) (any, *divarError) {
	return map[string]string{"upload_url": a.srv.URL + "/images/upload"}, nil
}

// uploadURL is where the fake's upload URLs point: PUT, as Divar's.
func (a *API) uploadURL() map[string]string {
	return map[string]string{"url": a.srv.URL + "/images/upload", "http_method": "PUT"}
}

func (a *API) uploadURLs(*call) (any, *divarError) {
	f := a.uploadURL()
	return map[string]any{"image": f, "video": f}, nil
}

func (a *API) mediaUploadURLs(*call) (any, *divarError) {
	f := a.uploadURL()
	return map[string]any{"addon_images": f, "submit_post_images": f, "submit_post_videos": f}, nil
}

// ChatUploadPath is where the fake plays Divar's chat upload host
// (https://chat.divar.ir/upload); [API.Client] points
// divar.Config.UploadURL at it.
const ChatUploadPath = "/chat-upload"

// chatUploadLimits are Divar's limits per media type
// (docs/chat/upload_media.md), in bytes.
var chatUploadLimits = map[string]int64{"image": 5_000_000, "file": 5_000_000, "voice": 1_500_000, "video": 50_000_000}

// serveUpload plays Divar's upload host, which is not in Divar's
// description: a bearer upload token the API issued, a multipart form
// with the file in "file", within the media type's limit; it answers
// {"id": media_token, "status": "ok"}.
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
