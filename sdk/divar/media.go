package divar

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kenarkit/kenarkit/gen/divarapi"
)

// DefaultUploadURL is Divar's upload host for chat media, to which
// {media_type} is appended (docs/chat/upload_media.md, step 2).
const DefaultUploadURL = "https://chat.divar.ir/upload"

// MediaKind is the kind of a chat upload, the {media_type} of Divar's
// upload host.
type MediaKind string

// The kinds of chat media and their formats (docs/chat/upload_media.md).
const (
	MediaImage MediaKind = "image" // PNG or JPEG, at most 5 MB
	MediaFile  MediaKind = "file"  // PDF, DOC(X), XLS(X), PPT(X), at most 5 MB
	MediaVoice MediaKind = "voice" // M4A or 3GP, at most 1.5 MB
	MediaVideo MediaKind = "video" // MP4, at most 50 MB
)

// MaxSize is the largest upload of the kind Divar accepts, in bytes
// (docs/chat/upload_media.md counts in MB; kenarkit reads a MB as
// 1,000,000 bytes, the stricter reading); 0 for an unknown kind.
func (k MediaKind) MaxSize() int64 {
	switch k {
	case MediaImage, MediaFile:
		return 5_000_000
	case MediaVoice:
		return 1_500_000
	case MediaVideo:
		return 50_000_000
	}
	return 0
}

// mediaTTL is how long the media upload URLs are kept: Divar asks to
// fetch them once a day (docs/addons/, the images of widgets).
const mediaTTL = 24 * time.Hour

type mediaCache struct {
	mu   sync.Mutex
	urls divarapi.AssetsGetMediaUploadURLsResponse
	at   time.Time // when urls were fetched; zero: never
}

// MediaUploadURLs returns where to upload the images of add-ons and of
// posts and the videos of posts (operation Assets_GetMediaUploadURLs).
// Divar asks for them once a day: the client keeps the answer for 24
// hours and asks again after that (concurrent callers share one request).
func (c *Client) MediaUploadURLs(ctx context.Context) (divarapi.AssetsGetMediaUploadURLsResponse, error) {
	c.media.mu.Lock()
	defer c.media.mu.Unlock()
	if !c.media.at.IsZero() && c.now().Sub(c.media.at) < mediaTTL {
		return c.media.urls, nil
	}
	v, err := get[divarapi.AssetsGetMediaUploadURLsResponse](ctx, c, "Assets_GetMediaUploadURLs", nil)
	if err != nil {
		return v, err
	}
	c.media.urls, c.media.at = v, c.now()
	return v, nil
}

// UploadChatMedia uploads a file for a chat message and returns its media
// token, for [sdk.ConversationMessage.WithMedia] (docs/chat/upload_media.md):
// it asks Divar for an upload token (operation ChatAPI_GenerateUploadToken,
// API key with CHAT_UPLOAD_MEDIA), then posts the file as multipart form
// data, field "file" named name, to Divar's upload host
// (Config.UploadURL) with that token. size is the file's length in bytes;
// a file over the kind's [MediaKind.MaxSize], or a body longer or shorter
// than size, is refused before it is sent. r is read once, into memory
// (at most the kind's limit); the upload is retried only after a 429 or a
// connection never made, as a new upload would give a second media token.
func (c *Client) UploadChatMedia(ctx context.Context, kind MediaKind, name string, r io.Reader, size int64) (string, error) {
	const op = "chat-media-upload"
	max := kind.MaxSize()
	switch {
	case max == 0:
		return "", notSent(op, refuse("media_type", "%q is not image, file, voice or video", string(kind)))
	case size <= 0:
		return "", notSent(op, refuse("file", "is empty"))
	case size > max:
		return "", notSent(op, refuse("file", "%d bytes, over the %d bytes Divar accepts for %s", size, max, kind))
	case name == "":
		return "", notSent(op, refuse("file", "has no file name (Divar asks for one)"))
	}
	file, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return "", notSent(op, fmt.Errorf("reading the file: %w", err))
	}
	if int64(len(file)) != size {
		return "", notSent(op, refuse("file", "is not %d bytes long as said", size))
	}
	tok, err := sendJSONAs[divarapi.ChatapiGenerateUploadTokenResponse](ctx, c, request{op: "ChatAPI_GenerateUploadToken"}, map[string]any{})
	if err != nil {
		return "", err
	}
	if deref(tok.Token) == "" {
		return "", malformed("ChatAPI_GenerateUploadToken", "no upload token")
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = fw.Write(file)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", notSent(op, err)
	}
	target := c.cfg.UploadURL + "/" + url.PathEscape(string(kind))
	body, err := c.send(ctx, request{op: op, foreign: true, bearer: *tok.Token, build: func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(form.Bytes()))
		if err == nil {
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Accept", "*/*")
		}
		return req, err
	}})
	v, err := decode[struct {
		ID string `json:"id"`
	}](op, body, err)
	if err == nil && v.ID == "" {
		err = malformed(op, "no media token (id)")
	}
	return v.ID, err
}
