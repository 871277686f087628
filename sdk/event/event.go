package event

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/sdk"
)

// Type names an event webhook's kind. Divar documents events as
// experimental: an unknown type is acknowledged, never rejected.
type Type string

// The event types Divar documents; [Types] lists them.
const (
	TypeNewMessage           Type = "NEW_MESSAGE"
	TypeNewChatbotMessage    Type = "NEW_CHATBOT_MESSAGE"
	TypeUserAccessRevocation Type = "USER_ACCESS_REVOCATION"
	TypePostUpdate           Type = "POST_UPDATE"
	TypePaymentTransaction   Type = "PAYMENT_TRANSACTION"
)

// eventKinds is the one table of the event types kenarkit knows: each
// type, and how a [Mux] hands an event of it to its handler (nil
// when the event has no payload or the mux no handler for it). A new event
// type is a payload type, a field of Event and of Mux, and one row
// here; [Types], Mux and sdk/divartest read the table.
var eventKinds = []eventKind{
	{TypeNewMessage, func(m *Mux, e *Event) func(context.Context) error {
		return bind(m.NewMessage, e, e.NewMessage)
	}},
	{TypeNewChatbotMessage, func(m *Mux, e *Event) func(context.Context) error {
		return bind(m.NewChatbotMessage, e, e.NewChatbotMessage)
	}},
	{TypeUserAccessRevocation, func(m *Mux, e *Event) func(context.Context) error {
		return bind(m.UserAccessRevocation, e, e.UserAccessRevocation)
	}},
	{TypePostUpdate, func(m *Mux, e *Event) func(context.Context) error {
		return bind(m.PostUpdate, e, e.PostUpdate)
	}},
	{TypePaymentTransaction, func(m *Mux, e *Event) func(context.Context) error {
		return bind(m.PaymentTransaction, e, e.Payment())
	}},
}

// eventKind is a row of [eventKinds].
type eventKind struct {
	typ    Type
	handle func(m *Mux, e *Event) func(context.Context) error
}

// bind returns the call of handler with e and its payload p, or nil when
// either is missing.
func bind[P any](handler func(context.Context, *Event, *P) error, e *Event, p *P) func(context.Context) error {
	if handler == nil || p == nil {
		return nil
	}
	return func(ctx context.Context) error { return handler(ctx, e, p) }
}

// Types returns the event types kenarkit knows, in the order of
// Divar's documents.
func Types() []Type {
	out := make([]Type, len(eventKinds))
	for i, k := range eventKinds {
		out[i] = k.typ
	}
	return out
}

// Event is the body of an event webhook (POST to the events URL of the
// Kenar panel). Type says which payload is set. Its fields follow
// kenar-docs docs/events/*.md and static/openapi-v3.json; where the two
// disagree both shapes decode (docs/EVENTS-AUDIT.md lists every field).
type Event struct {
	Type Type `json:"type,omitempty"`
	// Metadata and MetaData are the two spellings of the metadata given at
	// subscription (docs/events/ReadMe.md; migration note 002 writes
	// meta_data); use [Event.Meta].
	Metadata             map[string]any        `json:"metadata,omitempty"`
	MetaData             map[string]any        `json:"meta_data,omitempty"`
	NewMessage           *ChatMessage          `json:"new_message,omitempty"`
	NewChatbotMessage    *ChatMessage          `json:"new_chatbot_message,omitempty"`
	UserAccessRevocation *UserAccessRevocation `json:"user_access_revocation,omitempty"`
	PostUpdate           *PostUpdate           `json:"post_update,omitempty"`
	// Transaction and PaymentTransaction are the two spellings of
	// PAYMENT_TRANSACTION's payload; use [Event.Payment].
	Transaction        *PaymentTransaction `json:"transaction,omitempty"`
	PaymentTransaction *PaymentTransaction `json:"payment_transaction,omitempty"`

	raw      sdk.RawData // the event as sent: Raw
	mismatch error       // members that did not fit their fields: Mismatch
}

// Meta returns the metadata the add-on gave at subscription, whichever
// key carried it (metadata, else meta_data), or nil.
func (e *Event) Meta() map[string]any {
	if e.Metadata != nil {
		return e.Metadata
	}
	return e.MetaData
}

// Payment returns a PAYMENT_TRANSACTION's payload whichever key carried
// it, or nil.
func (e *Event) Payment() *PaymentTransaction {
	if e.Transaction != nil {
		return e.Transaction
	}
	return e.PaymentTransaction
}

// Message returns the chat message of a NEW_MESSAGE or NEW_CHATBOT_MESSAGE
// event, or nil.
func (e *Event) Message() *ChatMessage {
	if e.NewMessage != nil {
		return e.NewMessage
	}
	return e.NewChatbotMessage
}

// ChatMessage is a message in a Divar chat. Type says which content field
// is set.
type ChatMessage struct {
	ID           string        `json:"id,omitempty"`
	Conversation *Conversation `json:"conversation,omitempty"`
	Sender       *Sender       `json:"sender,omitempty"`
	Type         MessageType   `json:"type,omitempty"`
	SentAt       MicroTime     `json:"sent_at,omitzero"` // microseconds (docs) or RFC 3339 (openapi-v3.json)
	Text         string        `json:"text,omitempty"`
	ImageData    *ImageData    `json:"image_data,omitempty"`
	FileData     *FileData     `json:"file_data,omitempty"`
	VoiceData    *VoiceData    `json:"voice_data,omitempty"`
	LocationData *LocationData `json:"location_data,omitempty"`
	VideoData    *VideoData    `json:"video_data,omitempty"`
	ContactData  *ContactData  `json:"contact_data,omitempty"`
}

// MessageType says what a [ChatMessage] carries.
type MessageType string

// The message types Divar documents.
const (
	MessageText     MessageType = "TEXT"
	MessageImage    MessageType = "IMAGE"
	MessageFile     MessageType = "FILE"
	MessageVoice    MessageType = "VOICE"
	MessageLocation MessageType = "LOCATION"
	MessageVideo    MessageType = "VIDEO"
	MessageContact  MessageType = "CONTACT"
)

// Conversation identifies a chat. Type is "POST" (about a post) or "BOT"
// (with the add-on's chat bot).
type Conversation struct {
	ID        string `json:"id,omitempty"`
	Type      string `json:"type,omitempty"`
	PostToken string `json:"post_token,omitempty"`
}

// Sender says who wrote a message: Side "SELLER" or "BUYER", Type "HUMAN"
// or "BOT" (the examples of docs/events/chat.md also show "USER").
type Sender struct {
	Side string `json:"side,omitempty"`
	Type string `json:"type,omitempty"`
}

// ImageData is an IMAGE message's content. The sizes in pixels are
// uint32 in docs/events/chat.md (int64 in openapi-v3.json), so int64.
type ImageData struct {
	Link      string `json:"link,omitempty"`
	SizeBytes Int64  `json:"size_bytes,omitzero"`
	HeightPx  int64  `json:"height_px,omitempty"`
	WidthPx   int64  `json:"width_px,omitempty"`
}

// FileData is a FILE message's content.
type FileData struct {
	Link      string `json:"link,omitempty"`
	Name      string `json:"name,omitempty"`
	SizeBytes Int64  `json:"size_bytes,omitzero"`
}

// VoiceData is a VOICE message's content.
type VoiceData struct {
	Link      string `json:"link,omitempty"`
	SizeBytes Int64  `json:"size_bytes,omitzero"`
}

// LocationData is a LOCATION message's content.
type LocationData struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// VideoData is a VIDEO message's content.
type VideoData struct {
	Link          string `json:"link,omitempty"`
	ThumbnailLink string `json:"thumbnail_link,omitempty"`
	SizeBytes     Int64  `json:"size_bytes,omitzero"`
}

// ContactData is a CONTACT message's content.
type ContactData struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// UserAccessRevocation: a user took back the access they granted the
// add-on; forget what the add-on holds for them.
type UserAccessRevocation struct {
	UserID string `json:"user_id,omitempty"`
}

// PostUpdate: a post changed state (Type PUBLISH, RETIRE, ONGOING or
// ARCHIVE).
type PostUpdate struct {
	Type string    `json:"type,omitempty"`
	Post *PostInfo `json:"post,omitempty"`
}

// PostInfo describes a post in a [PostUpdate]: the fields of
// docs/events/post.md, and those of the get-post answer it refers to
// (openapi-v3.json finderGetPostResponse: state, last_modified_at,
// business_data). Times are RFC 3339 strings, as protobuf's JSON mapping
// writes a timestamp.
type PostInfo struct {
	Token                        string         `json:"token,omitempty"`
	Category                     string         `json:"category,omitempty"`
	City                         string         `json:"city,omitempty"`
	District                     string         `json:"district,omitempty"`
	IsPhoneHidden                bool           `json:"is_phone_hidden,omitempty"`
	SupplierChatAssistantEnabled bool           `json:"supplier_chat_assistant_enabled,omitempty"`
	ChatEnabled                  bool           `json:"chat_enabled,omitempty"`
	FirstPublishedAt             string         `json:"first_published_at,omitempty"`
	LastModifiedAt               string         `json:"last_modified_at,omitempty"`
	State                        string         `json:"state,omitempty"` // PUBLISHED, REVIEW_REQ, PAYMENT_REQ, RETIRED
	BusinessData                 *BusinessData  `json:"business_data,omitempty"`
	Data                         map[string]any `json:"data,omitempty"`
}

// BusinessData names the business that posted, for a business's post.
type BusinessData struct {
	BusinessName string `json:"business_name,omitempty"`
	BusinessType string `json:"business_type,omitempty"`
}

// PaymentTransaction is a PAYMENT_TRANSACTION's payload
// (docs/events/payment.md; openapi-v3.json paymentTransaction).
type PaymentTransaction struct {
	ID        string `json:"id,omitempty"`
	CostRials Int64  `json:"cost_rials,omitzero"`
	// ExtraDetails is the text the add-on sent as extra_details when it
	// started the payment: a string in every Divar source.
	ExtraDetails string           `json:"extra_details,omitempty"`
	State        TransactionState `json:"state,omitempty"`
	Type         TransactionType  `json:"type,omitempty"`
	AppSlug      string           `json:"app_slug,omitempty"`   // openapi-v3.json only
	CreatedAt    string           `json:"created_at,omitempty"` // openapi-v3.json only; RFC 3339
}

// TransactionState is a payment's state. Divar sends its name; the number
// docs/events/payment.md gives each state is read as that name too. An
// unknown name is kept; an unknown number is kept as its decimal text.
type TransactionState string

// The payment states Divar documents, with their numbers.
const (
	TransactionPending   TransactionState = "TRANSACTION_STATE_PENDING"   // 1
	TransactionCompleted TransactionState = "TRANSACTION_STATE_COMPLETED" // 2
	TransactionFailed    TransactionState = "TRANSACTION_STATE_FAILED"    // 3
	TransactionRefunded  TransactionState = "TRANSACTION_STATE_REFUNDED"  // 4
)

var transactionStates = []TransactionState{1: TransactionPending, 2: TransactionCompleted, 3: TransactionFailed, 4: TransactionRefunded}

// UnmarshalJSONFrom reads a state's name or its documented number.
func (s *TransactionState) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := enumText(d, transactionStates)
	*s = TransactionState(v)
	return err
}

// UnmarshalJSON is [TransactionState.UnmarshalJSONFrom] for encoding/json.
func (s *TransactionState) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, s) }

// TransactionType says what a payment was for. Divar sends its name; the
// number docs/events/payment.md gives it is read as that name too.
// openapi-v3.json lists SUBMIT and RENEW besides REORDER.
type TransactionType string

// The payment types Divar documents.
const (
	TransactionReorder TransactionType = "TRANSACTION_TYPE_REORDER" // 1
	TransactionSubmit  TransactionType = "TRANSACTION_TYPE_SUBMIT"
	TransactionRenew   TransactionType = "TRANSACTION_TYPE_RENEW"
)

var transactionTypes = []TransactionType{1: TransactionReorder}

// UnmarshalJSONFrom reads a type's name or its documented number.
func (t *TransactionType) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := enumText(d, transactionTypes)
	*t = TransactionType(v)
	return err
}

// UnmarshalJSON is [TransactionType.UnmarshalJSONFrom] for encoding/json.
func (t *TransactionType) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, t) }

// errEnumType is the error for an enumeration that is neither a string
// nor an integer.
var errEnumType = errors.New("must be a string or an integer")

// enumText reads a protobuf enumeration as JSON may carry it: its name (a
// string, kept as is), or its number (mapped through names, else kept as
// decimal text). null reads as "".
func enumText[E ~string](d *jsontext.Decoder, names []E) (string, error) {
	v, err := d.ReadValue()
	if err != nil {
		return "", err
	}
	switch v.Kind() {
	case 'n':
		return "", nil
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case '0':
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return "", errEnumType
		}
		if n > 0 && n < int64(len(names)) && names[n] != "" {
			return string(names[n]), nil
		}
		return string(v), nil
	}
	return "", errEnumType
}

// Int64 is an integer Divar sends either as a JSON number (the examples of
// docs/events) or as a JSON string of decimal digits (protobuf's JSON
// mapping of int64 and uint64, which static/openapi-v3.json documents for
// size_bytes and cost_rials). It reads both, and null as 0, and writes a
// number.
type Int64 int64

// errInt64 is the error for an [Int64] that is neither.
var errInt64 = errors.New("must be an integer, or a string of one")

// UnmarshalJSONFrom reads a JSON number or a string of decimal digits.
func (n *Int64) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := d.ReadValue()
	if err != nil {
		return err
	}
	var digits []byte
	switch v.Kind() {
	case 'n':
		*n = 0
		return nil
	case '0':
		digits = v
	case '"':
		digits = v[1 : len(v)-1] // digits need no escape; an escape fails below
	default:
		return errInt64
	}
	i, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return errInt64
	}
	*n = Int64(i)
	return nil
}

// MarshalJSONTo writes n as a JSON number.
func (n Int64) MarshalJSONTo(e *jsontext.Encoder) error {
	return e.WriteToken(jsontext.Int(int64(n)))
}

// UnmarshalJSON is [Int64.UnmarshalJSONFrom] for encoding/json.
func (n *Int64) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, n) }

// MarshalJSON is [Int64.MarshalJSONTo] for encoding/json.
func (n Int64) MarshalJSON() ([]byte, error) { return json.Marshal(n) }

// MicroTime is a chat message's sent_at. docs/events/chat.md types it
// "Timestamp (int64)" and shows microseconds since the Unix epoch;
// static/openapi-v3.json types it a date-time string, as protobuf's JSON
// mapping writes a timestamp. It reads both (and a string of decimal
// microseconds, and null as the zero time) and converts exactly, without
// rounding; it writes microseconds.
type MicroTime struct{ time.Time }

// errMicroTime is the error for a [MicroTime] of another shape.
var errMicroTime = errors.New("must be microseconds since the Unix epoch or an RFC 3339 time")

// UnmarshalJSONFrom reads an integer number of microseconds, or a string:
// an RFC 3339 time or decimal microseconds.
func (t *MicroTime) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := d.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n':
		t.Time = time.Time{}
		return nil
	case '0':
		us, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return errMicroTime
		}
		t.Time = time.UnixMicro(us)
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if us, err := strconv.ParseInt(s, 10, 64); err == nil {
			t.Time = time.UnixMicro(us)
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errMicroTime
		}
		t.Time = tm
		return nil
	}
	return errMicroTime
}

// MarshalJSONTo writes t as microseconds since the Unix epoch.
func (t MicroTime) MarshalJSONTo(e *jsontext.Encoder) error {
	return e.WriteToken(jsontext.Int(t.UnixMicro()))
}

// UnmarshalJSON is [MicroTime.UnmarshalJSONFrom] for encoding/json (and
// hides time.Time's RFC 3339 method, which does not fit sent_at).
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, t)
}

// MarshalJSON is [MicroTime.MarshalJSONTo] for encoding/json.
func (t MicroTime) MarshalJSON() ([]byte, error) { return json.Marshal(t) }

// Ack is the answer to an event webhook: 200 with an empty JSON
// object. Return it from the strict server's Events method once the event is
// handled.
type Ack struct{}

// VisitEventsResponse writes the acknowledgement; it implements the
// generated server's EventsResponseObject.
func (Ack) VisitEventsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte("{}"))
	return err
}
