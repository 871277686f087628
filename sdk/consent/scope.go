package consent

import (
	"fmt"
	"strings"
)

// Scope is one permission an add-on asks a user for. Divar's scopes come in
// two shapes (docs/oauth/ReadMe.md in divar-ir/kenar-docs): user-wide ones,
// a bare NAME such as [UserPhone], and object-bound ones, NAME.<id>, which
// the builders below make from the object's id, as in
// PostAddonCreate("AZTH74V2") for "POST_ADDON_CREATE.AZTH74V2".
type Scope string

// The user-wide scopes (static/openapi-v3.json, components.securitySchemes.OAuth).
const (
	// OfflineAccess asks for a refresh token too, so the add-on can act for
	// the user after the access token's hour: for 30 days, renewed at each
	// refresh.
	OfflineAccess Scope = "offline_access"
	// UserPostsAddonCreate: add post add-ons to any of the user's posts.
	UserPostsAddonCreate Scope = "USER_POSTS_ADDON_CREATE"
	// UserAddonCreate: add user add-ons.
	UserAddonCreate Scope = "USER_ADDON_CREATE"
	// UserPhone: read the user's phone number.
	UserPhone Scope = "USER_PHONE"
	// UserID: read the user's id (one per user and app).
	UserID Scope = "USER_ID"
	// UserPostsGet: list the user's posts and subscribe to their updates.
	UserPostsGet Scope = "USER_POSTS_GET"
	// ChatSupplierAllConversationsMessageSend: send messages in all of the
	// user's conversations.
	ChatSupplierAllConversationsMessageSend Scope = "CHAT_SUPPLIER_ALL_CONVERSATIONS_MESSAGE_SEND"
	// ChatSupplierAllConversationsRead: receive the messages of all of the
	// user's conversations.
	ChatSupplierAllConversationsRead Scope = "CHAT_SUPPLIER_ALL_CONVERSATIONS_READ"
	// ChatBotUserMessageSend: the add-on's chat bot may message the user.
	ChatBotUserMessageSend Scope = "CHAT_BOT_USER_MESSAGE_SEND"
	// NotificationAccessRevocation, with [UserID], makes Divar send the
	// USER_ACCESS_REVOCATION event when the user takes their consent back.
	NotificationAccessRevocation Scope = "NOTIFICATION_ACCESS_REVOCATION"
)

// PostAddonCreate is the scope to add a post add-on to one post:
// POST_ADDON_CREATE.<postToken>.
func PostAddonCreate(postToken string) Scope { return bound("POST_ADDON_CREATE", postToken) }

// PostEdit is the scope to edit one post: POST_EDIT.<postToken>.
func PostEdit(postToken string) Scope { return bound("POST_EDIT", postToken) }

// ConversationSendMessage is the scope to send messages in one
// conversation: CONVERSATION_SEND_MESSAGE.<conversationID>.
func ConversationSendMessage(conversationID string) Scope {
	return bound("CONVERSATION_SEND_MESSAGE", conversationID)
}

// ChatConversationRead is the scope to read one conversation:
// CHAT_CONVERSATION_READ.<conversationID>.
func ChatConversationRead(conversationID string) Scope {
	return bound("CHAT_CONVERSATION_READ", conversationID)
}

// ChatPostConversationsMessageSend is the scope to send messages in every
// conversation about one post: CHAT_POST_CONVERSATIONS_MESSAGE_SEND.<postToken>.
func ChatPostConversationsMessageSend(postToken string) Scope {
	return bound("CHAT_POST_CONVERSATIONS_MESSAGE_SEND", postToken)
}

// ChatPostConversationsRead is the scope to receive the messages of every
// conversation about one post (and subscribe to NEW_MESSAGE_ON_POST):
// CHAT_POST_CONVERSATIONS_READ.<postToken>.
func ChatPostConversationsRead(postToken string) Scope {
	return bound("CHAT_POST_CONVERSATIONS_READ", postToken)
}

func bound(name, id string) Scope { return Scope(name + "." + id) }

// maxScopeID bounds an object id; Divar's are 8-character post tokens and
// 36-character UUIDs.
const maxScopeID = 128

// Validate reports whether s can be asked for: a user-wide name, or NAME.<id>
// with an id of letters, digits, '-' and '_' only. An id with a space or a
// dot would split or change the scope Divar reads, so a post token taken
// from a request is never trusted to be one: the builders leave the check
// to Validate, which [Manager.AuthCodeURL] runs on every scope.
func (s Scope) Validate() error {
	name, id, bound := strings.Cut(string(s), ".")
	if !validName(name) {
		return fmt.Errorf("%w: %q is not a scope name", ErrBadScope, name)
	}
	if !bound {
		return nil
	}
	if id == "" {
		return fmt.Errorf("%w: %s has an empty object id", ErrBadScope, name)
	}
	if len(id) > maxScopeID {
		return fmt.Errorf("%w: %s's object id is %d bytes, at most %d", ErrBadScope, name, len(id), maxScopeID)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Errorf("%w: %s's object id has %q at byte %d; ids are letters, digits, '-' and '_'", ErrBadScope, name, id[i], i)
		}
	}
	return nil
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func idByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// strings returns the scopes as oauth2.Config wants them, each validated.
func scopeStrings(scopes []Scope) ([]string, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("%w: no scope asked for", ErrBadScope)
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		out[i] = string(s)
	}
	return out, nil
}
