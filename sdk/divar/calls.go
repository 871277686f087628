package divar

import (
	"context"
	"errors"
	"net/http"

	"github.com/kenarkit/kenarkit/gen/divarapi"
	"golang.org/x/oauth2"
)

// The calls below take and return the models gen/divarapi generates from
// Divar's description (api/divar/openapi-v3.json with the overlay). Each
// names its operation; the API key permission it needs is the
// operation's x-kenarkit-api-key-permissions, its OAuth scopes the
// operation's security, both in the description (docs/DIVAR-API.md lists
// them). A call whose every security requirement has OAuth takes the
// user's token and fails with [ErrNoToken] without one; where the token is
// optional it is sent when given. Every request is checked against the
// description before it is sent (not sent: [sdk.ErrInvalidAnswer]). GETs
// and DELETEs are retried after a 5xx or a timeout; a POST only after a
// 429 or a connection never made, but for the replacing "set" calls.

// CreateUserAddon shows widgets in the user's "My Divar" (operation
// Addons_CreateUserAddonV2, docs/addons/user-addons.md): the user's token
// with USER_ADDON_CREATE. It returns the add-on's id, for
// [Client.DeleteUserAddon].
func (c *Client) CreateUserAddon(ctx context.Context, user oauth2.TokenSource, divarUserID string, a divarapi.AddonsCreateUserAddonV2Body) (string, error) {
	const op = "Addons_CreateUserAddonV2"
	if err := checkID("divar_user_id", divarUserID, 256); err != nil {
		return "", notSent(op, err)
	}
	v, err := sendJSONAs[divarapi.AddonsCreateUserAddonResponseV2](ctx, c, request{op: op, user: user, params: []string{divarUserID}}, a)
	return deref(v.Id), err
}

// CreateUserAddonByPhone is [Client.CreateUserAddon] for the user with
// this phone number (operation Addons_CreateUserAddonV22).
func (c *Client) CreateUserAddonByPhone(ctx context.Context, user oauth2.TokenSource, phone string, a divarapi.AddonsCreateUserAddonV2Body) (string, error) {
	const op = "Addons_CreateUserAddonV22"
	if err := checkID("phone", phone, 32); err != nil {
		return "", notSent(op, err)
	}
	v, err := sendJSONAs[divarapi.AddonsCreateUserAddonResponseV2](ctx, c, request{op: op, user: user, params: []string{phone}}, a)
	return deref(v.Id), err
}

// DeleteUserAddon removes a user add-on by the id its creation returned
// (operation Addons_DeleteUserAddon, API key only).
func (c *Client) DeleteUserAddon(ctx context.Context, id string) error {
	return c.del(ctx, "Addons_DeleteUserAddon", "id", id)
}

// CreateBusinessAddon shows widgets on a business's page (operation
// Addons_CreateBusinessAddon, docs/addons/business_addons.md): the token
// of the business's owner with BUSINESS_ADDON_CREATE.<business_token>.
// It returns the add-on's id.
func (c *Client) CreateBusinessAddon(ctx context.Context, user oauth2.TokenSource, businessToken string, a divarapi.AddonsCreateBusinessAddonBody) (string, error) {
	const op = "Addons_CreateBusinessAddon"
	if err := checkID("business_token", businessToken, 256); err != nil {
		return "", notSent(op, err)
	}
	v, err := sendJSONAs[divarapi.AddonsCreateBusinessAddonResponse](ctx, c, request{op: op, user: user, params: []string{businessToken}}, a)
	return deref(v.Id), err
}

// Conversation returns a conversation and its messages (operation
// ChatAPI_GetConversation): the user's token with
// CHAT_CONVERSATION_READ.<conversation_id>.
func (c *Client) Conversation(ctx context.Context, user oauth2.TokenSource, conversationID string) (divarapi.ChatapiGetConversationResponse, error) {
	const op = "ChatAPI_GetConversation"
	if err := checkID("conversation_id", conversationID, 64); err != nil {
		return divarapi.ChatapiGetConversationResponse{}, notSent(op, err)
	}
	return get[divarapi.ChatapiGetConversationResponse](ctx, c, op, user, conversationID)
}

// UserIDByPhone returns the id, for this app, of the user with the phone
// number (operation Finder_GetUserIDByPhone, API key only). Asking is
// idempotent, so it is retried like a GET.
func (c *Client) UserIDByPhone(ctx context.Context, phone string) (string, error) {
	const op = "Finder_GetUserIDByPhone"
	if err := checkID("phone", phone, 32); err != nil {
		return "", notSent(op, err)
	}
	v, err := sendJSONAs[divarapi.FinderGetUserIDByPhoneResponse](ctx, c, request{op: op, idempotent: true}, divarapi.FinderGetUserIDByPhoneRequest{Phone: &phone})
	return deref(v.UserId), err
}

// ProUserProfileImage returns the profile image of a professional user
// (operation Finder_GetProUserProfileImage): the user's token with
// PRO_USER_PROFILE_IMAGE_READ.
func (c *Client) ProUserProfileImage(ctx context.Context, user oauth2.TokenSource) (divarapi.FinderGetProUserProfileImageResponse, error) {
	return get[divarapi.FinderGetProUserProfileImageResponse](ctx, c, "Finder_GetProUserProfileImage", user)
}

// UserBusinesses returns the businesses of the user who granted the token
// (operation Finder_GetUserBusinesses).
func (c *Client) UserBusinesses(ctx context.Context, user oauth2.TokenSource) ([]divarapi.GetUserBusinessesResponseBusiness, error) {
	v, err := get[divarapi.FinderGetUserBusinessesResponse](ctx, c, "Finder_GetUserBusinesses", user)
	return deref(v.Businesses), err
}

// UserPost returns one of the user's posts as its owner sees it, with its
// state and the reason of a rejection (operation Post_GetUserPost, scope
// USER_POSTS_GET).
func (c *Client) UserPost(ctx context.Context, user oauth2.TokenSource, postToken string) (divarapi.PostGetUserPostResponse, error) {
	const op = "Post_GetUserPost"
	if err := checkPostToken(postToken); err != nil {
		return divarapi.PostGetUserPostResponse{}, notSent(op, err)
	}
	return get[divarapi.PostGetUserPostResponse](ctx, c, op, user, postToken)
}

// PostStats returns a post's views, chats and impressions (operation
// Post_GetPostStats).
func (c *Client) PostStats(ctx context.Context, user oauth2.TokenSource, postToken string) (divarapi.PostGetPostStatsResponse, error) {
	const op = "Post_GetPostStats"
	if err := checkPostToken(postToken); err != nil {
		return divarapi.PostGetPostStatsResponse{}, notSent(op, err)
	}
	return get[divarapi.PostGetPostStatsResponse](ctx, c, op, user, postToken)
}

// ImageUploadURL returns a URL to upload one post image to (operation
// Post_GetImageUploadURL, API key only).
func (c *Client) ImageUploadURL(ctx context.Context) (string, error) {
	v, err := get[divarapi.PostGetImageUploadURLResponse](ctx, c, "Post_GetImageUploadURL", nil)
	return deref(v.UploadUrl), err
}

// UploadURLs returns where to upload a post's images and videos
// (operation Post_GetUploadURLsV2, API key only).
func (c *Client) UploadURLs(ctx context.Context) (divarapi.PostGetUploadURLsV2Response, error) {
	return get[divarapi.PostGetUploadURLsV2Response](ctx, c, "Post_GetUploadURLsV2", nil)
}

// SetPostButton sets the customized button of a post (operation
// Post_SetPostCustomizedButton). It
// replaces the post's button, so it is retried like an idempotent call.
func (c *Client) SetPostButton(ctx context.Context, user oauth2.TokenSource, postToken string, b divarapi.PostCustomizedButton) error {
	const op = "Post_SetPostCustomizedButton"
	if err := checkPostToken(postToken); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, idempotent: true, user: user, params: []string{postToken}}, divarapi.PostSetPostCustomizedButtonBody{CustomizedButton: b})
	return err
}

// DeletePostButton removes the customized button of a post (operation
// Post_DeletePostCustomizedButton).
func (c *Client) DeletePostButton(ctx context.Context, user oauth2.TokenSource, postToken string) error {
	const op = "Post_DeletePostCustomizedButton"
	if err := checkPostToken(postToken); err != nil {
		return notSent(op, err)
	}
	_, err := c.send(ctx, request{op: op, idempotent: true, user: user, params: []string{postToken}})
	return err
}

// SetBusinessButton sets the customized button of a business (operation
// Post_CreateBusinessCustomizedButton, scope
// BUSINESS_CREATE_CUSTOMIZED_BUTTON.<business_token>). It replaces the
// business's button, so it is retried like an idempotent call.
func (c *Client) SetBusinessButton(ctx context.Context, user oauth2.TokenSource, businessToken string, b divarapi.PostCustomizedButton) error {
	const op = "Post_CreateBusinessCustomizedButton"
	if err := checkID("business_token", businessToken, 256); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, idempotent: true, user: user, params: []string{businessToken}}, divarapi.PostCreateBusinessCustomizedButtonBody{CustomizedButton: b})
	return err
}

// DeleteBusinessButton removes the customized button of a business
// (operation Post_DeleteBusinessCustomizedButton, API key only).
func (c *Client) DeleteBusinessButton(ctx context.Context, businessToken string) error {
	return c.del(ctx, "Post_DeleteBusinessCustomizedButton", "business_token", businessToken)
}

// CreatePostSemantic attaches semantic data to a post (operation
// Semantic_CreatePostSemantic;
// docs/semantic/, docs/misc/masking.md: hash identifiers such as a VIN
// before sending).
func (c *Client) CreatePostSemantic(ctx context.Context, user oauth2.TokenSource, postToken string, s divarapi.SemanticCreatePostSemanticBody) error {
	const op = "Semantic_CreatePostSemantic"
	if err := checkPostToken(postToken); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, user: user, params: []string{postToken}}, s)
	return err
}

// CreateUserSemantic attaches semantic data to a user (operation
// Semantic_CreateUserSemantic) and
// returns its id.
func (c *Client) CreateUserSemantic(ctx context.Context, user oauth2.TokenSource, divarUserID string, s divarapi.SemanticCreateUserSemanticBody) (string, error) {
	const op = "Semantic_CreateUserSemantic"
	if err := checkID("divar_user_id", divarUserID, 256); err != nil {
		return "", notSent(op, err)
	}
	v, err := sendJSONAs[divarapi.SemanticCreateUserSemanticResponse](ctx, c, request{op: op, user: user, params: []string{divarUserID}}, s)
	return deref(v.Id), err
}

// DeleteUserSemantic removes a user's semantic data (operation
// Semantic_DeleteUserSemantic, API key only); Divar asks for the user's
// phone number too.
func (c *Client) DeleteUserSemantic(ctx context.Context, divarUserID, phone string) error {
	const op = "Semantic_DeleteUserSemantic"
	if err := errors.Join(checkID("divar_user_id", divarUserID, 256), checkID("phone", phone, 32)); err != nil {
		return notSent(op, err)
	}
	_, err := c.send(ctx, request{op: op, idempotent: true, build: func() (*http.Request, error) {
		return divarapi.NewSemanticDeleteUserSemanticRequest(c.server, divarUserID, &divarapi.SemanticDeleteUserSemanticParams{Phone: phone})
	}})
	return err
}

// del sends an idempotent DELETE of the object id (the path parameter
// name), API key only.
func (c *Client) del(ctx context.Context, op, name, id string) error {
	if err := checkID(name, id, 256); err != nil {
		return notSent(op, err)
	}
	_, err := c.send(ctx, request{op: op, idempotent: true, params: []string{id}})
	return err
}
