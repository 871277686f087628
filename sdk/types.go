package sdk

import (
	"net/url"
	"strings"
)

// CompletionURL is the fixed address Divar's current documentation asks an
// add-on to send the user to at the end of any flow, success or cancel. It
// takes no parameters.
const CompletionURL = "https://open-platform-redirect.divar.ir/completion"

// Source says where the user came from, in the init callback. Divar adds
// values over time: an unknown value is valid. Compare normalised values:
//
//	if req.Source.Normalize() == sdk.SourcePostAddon { … }
type Source string

// Known values of [Source].
const (
	SourcePostAddon         Source = "POST_ADDON"          // a post add-on (the seed's table misspells it POST_ADODN)
	SourceChatMessageAction Source = "CHAT_MESSAGE_ACTION" // a button in chat (seed)
	SourceChat              Source = "CHAT"                // chat (current documentation)
)

// Normalize returns s in upper case with the documented misspelling
// POST_ADODN mapped to [SourcePostAddon]. Unknown values are kept.
func (s Source) Normalize() Source {
	n := Source(upper(string(s), string(SourcePostAddon), string(SourceChatMessageAction), string(SourceChat)))
	if n == "POST_ADODN" {
		return SourcePostAddon
	}
	return n
}

// Touchpoint says where the action was shown, in the dynamic-action
// callback. Unknown values are valid.
type Touchpoint string

// Known values of [Touchpoint].
const (
	TouchpointChat       Touchpoint = "CHAT"
	TouchpointMyPost     Touchpoint = "MY_POST"
	TouchpointMyDivar    Touchpoint = "MY_DIVAR"
	TouchpointDivarPro   Touchpoint = "DIVAR_PRO"
	TouchpointDemandPost Touchpoint = "DEMAND_POST"
)

// Normalize returns t in upper case. Unknown values are kept.
func (t Touchpoint) Normalize() Touchpoint {
	return Touchpoint(upper(string(t), string(TouchpointChat), string(TouchpointMyPost), string(TouchpointDivarPro), string(TouchpointDemandPost)))
}

// UserSide says whether the clicking user is the seller or the buyer. It is
// empty when Divar sent none (or null). Unknown values are valid.
type UserSide string

// Known values of [UserSide].
const (
	UserSideSupply UserSide = "SUPPLY" // the seller, who posted (the seed also writes "Supply")
	UserSideDemand UserSide = "DEMAND" // the buyer, who visits
)

// Normalize returns u in upper case, so "Supply" (seed 000) and "SUPPLY"
// (seed 002) compare equal. Unknown values are kept.
func (u UserSide) Normalize() UserSide {
	return UserSide(upper(string(u), string(UserSideSupply), string(UserSideDemand)))
}

// upper upper-cases ASCII letters only: Divar's enum values are ASCII, and
// strings.ToUpper would turn some non-ASCII letters into ASCII ones. A
// value that is one of known (upper case) in another case is returned as
// that constant, without an allocation: the seed's "Supply" is sent on
// every init callback.
func upper(s string, known ...string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' {
			for _, k := range known {
				// Of the same length, s folds to k only by ASCII letters: a
				// non-ASCII letter that folds to one (ſ, K) is longer.
				if len(s) == len(k) && strings.EqualFold(s, k) {
					return k
				}
			}
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'a' <= c && c <= 'z' {
					b[j] = c - ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// Data is the free-form JSON object an add-on puts in an action's "data";
// Divar echoes it back in the callback as extra_data (or provider_data),
// where the add-on reads it as [RawData].
type Data map[string]any

// String returns d[key] if it is a JSON string, and "" otherwise.
func (d Data) String(key string) string {
	s, _ := d[key].(string)
	return s
}

// OpenServerLinkRequest is the body of the init callback of open_server_link
// (POST /divar/open-server-link). Nullable strings are empty when Divar sent
// null or nothing.
type OpenServerLinkRequest struct {
	ReturnURL      string   `json:"return_url,omitempty"`      // ≤ 2048; seed spelling
	CompletionURL  string   `json:"completion_url,omitempty"`  // ≤ 2048; current documentation's spelling
	Source         Source   `json:"source,omitempty"`          // ≤ 20
	PostToken      string   `json:"post_token,omitempty"`      // ≤ 10, nullable
	ConversationID string   `json:"conversation_id,omitempty"` // ≤ 64, nullable
	UserSide       UserSide `json:"user_side,omitempty"`       // ≤ 50, nullable
	ExtraData      RawData  `json:"extra_data,omitempty"`      // seed spelling
	ProviderData   RawData  `json:"provider_data,omitempty"`   // current documentation's spelling
	UserID         string   `json:"user_id,omitempty"`         // ≤ 64, nullable

	raw RawData // the whole body, see Raw
}

// Raw returns the whole body Divar sent, as the add-on's spec validated
// it: the way to read a field the add-on adds to this request's schema in
// its own api/openapi.yaml, which this type does not have:
//
//	coupon := req.Body.Raw().String("coupon")
//
//	var ext struct{ Coupon string `json:"coupon"` }
//	err := req.Body.Raw().Decode(&ext)
//
// It is the add-on's own copy, safe to keep after the request. It is
// empty when the body was not decoded by kenarkit's server.
func (r *OpenServerLinkRequest) Raw() RawData { return r.raw }

func (r *OpenServerLinkRequest) keepRaw(body []byte) { r.raw = body }

// field says where the member name goes: one arm a field, by its json tag
// (TestIndexedFieldsAreTheTags holds them to the tags).
func (r *OpenServerLinkRequest) field(name []byte) (*string, *RawData) {
	switch string(name) {
	case "return_url":
		return &r.ReturnURL, nil
	case "completion_url":
		return &r.CompletionURL, nil
	case "source":
		return (*string)(&r.Source), nil
	case "post_token":
		return &r.PostToken, nil
	case "conversation_id":
		return &r.ConversationID, nil
	case "user_side":
		return (*string)(&r.UserSide), nil
	case "extra_data":
		return nil, &r.ExtraData
	case "provider_data":
		return nil, &r.ProviderData
	case "user_id":
		return &r.UserID, nil
	}
	return nil, nil
}

// Data returns the action's data whichever name Divar sent it under:
// extra_data, else provider_data; empty if Divar sent neither.
func (r *OpenServerLinkRequest) Data() RawData {
	if r.ExtraData != nil {
		return r.ExtraData
	}
	return r.ProviderData
}

// ReturnTo returns where to send the user when the flow is over: the
// request's return_url, else its completion_url, else [CompletionURL]. A
// URL that is not an absolute http(s) URL (relative, javascript:, broken)
// is passed over, so a page can always link to what ReturnTo returns.
func (r *OpenServerLinkRequest) ReturnTo() string {
	switch {
	case absoluteHTTP(r.ReturnURL):
		return r.ReturnURL
	case absoluteHTTP(r.CompletionURL):
		return r.CompletionURL
	}
	return CompletionURL
}

// absoluteHTTP reports whether s is an absolute http or https URL with a
// host and no white space or control character, that url.Parse accepts.
func absoluteHTTP(s string) bool {
	rest, ok := cutPrefixFold(s, "https://")
	if !ok {
		rest, ok = cutPrefixFold(s, "http://")
	}
	if !ok || rest == "" || rest[0] == '/' || rest[0] == '?' || rest[0] == '#' {
		return false
	}
	var class byte
	for i := 0; i < len(rest); i++ {
		class |= urlClass[rest[i]]
	}
	switch {
	case class&urlRefused != 0:
		return false
	case class == 0: // nothing url.Parse could refuse: no escape, user, IPv6 host or port
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != ""
}

// The classes of a URL's bytes for absoluteHTTP: refused (white space, a
// control character), or left to url.Parse (an escape, a user, an IPv6
// host, a port, anything not ASCII).
const (
	urlRefused = 1 << iota
	urlParsed
)

var urlClass = func() (t [256]byte) {
	for c := range t {
		switch {
		case c <= ' ' || c == 0x7f:
			t[c] = urlRefused
		case c == '%' || c == '@' || c == '[' || c == ']' || c == ':' || c >= 0x80:
			t[c] = urlParsed
		}
	}
	return t
}()

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// DynamicActionRequest is the body of the dynamic-action callback
// (POST /divar/dynamic-action). Nullable strings are empty when Divar sent
// null or nothing.
type DynamicActionRequest struct {
	Touchpoint     Touchpoint `json:"touchpoint,omitempty"`      // ≤ 64
	PostToken      string     `json:"post_token,omitempty"`      // ≤ 10, nullable
	ConversationID string     `json:"conversation_id,omitempty"` // ≤ 64, nullable
	UserSide       UserSide   `json:"user_side,omitempty"`       // ≤ 50, nullable
	ExtraData      RawData    `json:"extra_data,omitempty"`
	UserID         string     `json:"user_id,omitempty"` // ≤ 64, nullable; current documentation only

	raw RawData // the whole body, see Raw
}

// Raw returns the whole body Divar sent, as the add-on's spec validated
// it, to read the fields the add-on adds to the request's schema in its
// own api/openapi.yaml; see [OpenServerLinkRequest.Raw].
func (r *DynamicActionRequest) Raw() RawData { return r.raw }

func (r *DynamicActionRequest) keepRaw(body []byte) { r.raw = body }

// field: see [OpenServerLinkRequest.field].
func (r *DynamicActionRequest) field(name []byte) (*string, *RawData) {
	switch string(name) {
	case "touchpoint":
		return (*string)(&r.Touchpoint), nil
	case "post_token":
		return &r.PostToken, nil
	case "conversation_id":
		return &r.ConversationID, nil
	case "user_side":
		return (*string)(&r.UserSide), nil
	case "extra_data":
		return nil, &r.ExtraData
	case "user_id":
		return &r.UserID, nil
	}
	return nil, nil
}

// Data returns the action's data (extra_data); empty if Divar sent none.
func (r *DynamicActionRequest) Data() RawData { return r.ExtraData }
