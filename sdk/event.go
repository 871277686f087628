package sdk

import (
	"net/http"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// EventType names an event webhook's kind. Divar documents events as
// experimental: an unknown type is acknowledged, never rejected.
type EventType string

// The event types Divar documents.
const (
	EventNewMessage           EventType = "NEW_MESSAGE"
	EventNewChatbotMessage    EventType = "NEW_CHATBOT_MESSAGE"
	EventUserAccessRevocation EventType = "USER_ACCESS_REVOCATION"
	EventPostUpdate           EventType = "POST_UPDATE"
	EventPaymentTransaction   EventType = "PAYMENT_TRANSACTION"
)

// Event is the body of an event webhook (POST to the events URL of the
// Kenar panel). Type says which payload is set.
type Event struct {
	Type                 EventType             `json:"type,omitempty"`
	Metadata             map[string]any        `json:"metadata,omitempty"`
	NewMessage           *ChatMessage          `json:"new_message,omitempty"`
	NewChatbotMessage    *ChatMessage          `json:"new_chatbot_message,omitempty"`
	UserAccessRevocation *UserAccessRevocation `json:"user_access_revocation,omitempty"`
	PostUpdate           *PostUpdate           `json:"post_update,omitempty"`
	// Transaction and PaymentTransaction are the two spellings of
	// PAYMENT_TRANSACTION's payload; use [Event.Payment].
	Transaction        *PaymentTransaction `json:"transaction,omitempty"`
	PaymentTransaction *PaymentTransaction `json:"payment_transaction,omitempty"`

	raw      RawData // the event as sent: Raw
	mismatch error   // members that did not fit their fields: Mismatch
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
	SentAt       MicroTime     `json:"sent_at,omitzero"`
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
// or "BOT" (the docs also show "USER").
type Sender struct {
	Side string `json:"side,omitempty"`
	Type string `json:"type,omitempty"`
}

// ImageData is an IMAGE message's content.
type ImageData struct {
	Link      string `json:"link,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty"`
	HeightPx  int32  `json:"height_px,omitempty"`
	WidthPx   int32  `json:"width_px,omitempty"`
}

// FileData is a FILE message's content.
type FileData struct {
	Link      string `json:"link,omitempty"`
	Name      string `json:"name,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty"`
}

// VoiceData is a VOICE message's content.
type VoiceData struct {
	Link      string `json:"link,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty"`
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
	SizeBytes     int64  `json:"size_bytes,omitempty"`
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

// PostInfo describes a post in a [PostUpdate].
type PostInfo struct {
	Token                        string         `json:"token,omitempty"`
	Category                     string         `json:"category,omitempty"`
	City                         string         `json:"city,omitempty"`
	District                     string         `json:"district,omitempty"`
	IsPhoneHidden                bool           `json:"is_phone_hidden,omitempty"`
	SupplierChatAssistantEnabled bool           `json:"supplier_chat_assistant_enabled,omitempty"`
	ChatEnabled                  bool           `json:"chat_enabled,omitempty"`
	FirstPublishedAt             string         `json:"first_published_at,omitempty"`
	Data                         map[string]any `json:"data,omitempty"`
}

// PaymentTransaction is a PAYMENT_TRANSACTION's payload. State is one of
// the TransactionState constants.
type PaymentTransaction struct {
	ID           string         `json:"id,omitempty"`
	CostRials    int64          `json:"cost_rials,omitempty"`
	ExtraDetails map[string]any `json:"extra_details,omitempty"`
	State        string         `json:"state,omitempty"`
	Type         string         `json:"type,omitempty"`
}

// The payment states Divar documents.
const (
	TransactionPending   = "TRANSACTION_STATE_PENDING"
	TransactionCompleted = "TRANSACTION_STATE_COMPLETED"
	TransactionFailed    = "TRANSACTION_STATE_FAILED"
	TransactionRefunded  = "TRANSACTION_STATE_REFUNDED"
)

// MicroTime is a time Divar sends as microseconds since the Unix epoch (a
// chat message's sent_at). It converts exactly, without rounding.
type MicroTime struct{ time.Time }

// UnmarshalJSONFrom reads an integer number of microseconds.
func (t *MicroTime) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	var us int64
	if err := json.UnmarshalDecode(d, &us); err != nil {
		return err
	}
	t.Time = time.UnixMicro(us)
	return nil
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

// EventAck is the answer to an event webhook: 200 with an empty JSON
// object. Return it from the strict server's Events method once the event is
// handled.
type EventAck struct{}

// VisitEventsResponse writes the acknowledgement; it implements the
// generated server's EventsResponseObject.
func (EventAck) VisitEventsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte("{}"))
	return err
}
