package sdk

import "errors"

// ConversationMessage is a message an add-on sends into a user's
// conversation, as the user who granted the token
// (divar.Client.SendMessage): both sides see the text, each side its own
// buttons (kenar-docs docs/chat/users_conversations.md). Build one with
// [ChatText]:
//
//	sdk.ChatText("بازدید شما ثبت شد").WithReceiverButtons(sdk.Row(
//		sdk.Button("جزئیات", sdk.OpenServerLink(sdk.Data{"visit": "42"})),
//	))
//
// Divar's prose example also sends "type":"TEXT"; its machine-readable
// description (ChatAPIConversationSendMessageBody) has no such field, and
// kenarkit does not send it.
type ConversationMessage struct {
	Message         string      `json:"message,omitempty"`
	MediaToken      string      `json:"media_token,omitempty"`
	SenderButtons   *ButtonGrid `json:"sender_buttons,omitempty"`
	ReceiverButtons *ButtonGrid `json:"receiver_buttons,omitempty"`
}

// ChatText returns a conversation message showing text.
func ChatText(text string) ConversationMessage { return ConversationMessage{Message: text} }

// WithSenderButtons returns m with rows of buttons shown to the side that
// sent it (the user who granted the token).
func (m ConversationMessage) WithSenderButtons(rows ...ButtonRow) ConversationMessage {
	m.SenderButtons = Grid(rows...)
	return m
}

// WithReceiverButtons returns m with rows of buttons shown to the other
// side of the conversation.
func (m ConversationMessage) WithReceiverButtons(rows ...ButtonRow) ConversationMessage {
	m.ReceiverButtons = Grid(rows...)
	return m
}

// ChatMedia returns a conversation message carrying an uploaded file, by
// the media token divar.Client.UploadChatMedia returned. A message carries
// a text or a media token, not both (docs/chat/upload_media.md).
func ChatMedia(mediaToken string) ConversationMessage {
	return ConversationMessage{MediaToken: mediaToken}
}

// WithMedia returns m carrying an uploaded file. A message carries a text
// or a media token, not both (docs/chat/upload_media.md): [ChatMedia]
// builds one; a message with both is refused before it is sent.
func (m ConversationMessage) WithMedia(mediaToken string) ConversationMessage {
	m.MediaToken = mediaToken
	return m
}

// Validate reports every limit of Divar's that m breaks, each naming the
// field by JSON pointer, joined in one error that is [ErrInvalidAnswer]: a
// text or a media token, not both (docs/chat/upload_media.md), and for each
// side at most 3 rows of 1 to 3 buttons, each with a caption and a valid
// action.
func (m ConversationMessage) Validate() error {
	var c checker
	switch {
	case m.Message == "" && m.MediaToken == "":
		c.Add("/message", "a message carries a text or a media token; it has neither")
	case m.Message != "" && m.MediaToken != "":
		c.Add("/media_token", "a message carries a text or a media token, not both (docs/chat/upload_media.md)")
	}
	c.Text("/message", m.Message, 0, maxChatText)
	c.Text("/media_token", m.MediaToken, 0, maxMediaToken)
	c.grid("/sender_buttons", m.SenderButtons)
	c.grid("/receiver_buttons", m.ReceiverButtons)
	return errors.Join(c.Errs...)
}

// EventSubscription asks Divar to deliver a kind of event to the add-on's
// events URL (divar.Client.Subscribe; kenar-docs docs/events/ReadMe.md). A
// subscription lasts as long as the token it was made with: after a
// refresh, subscribe again.
type EventSubscription struct {
	EventType SubscriptionType `json:"event_type"`
	// ResourceID is the post's token, or empty for all the user's posts.
	ResourceID string `json:"event_resource_id,omitempty"`
	// Metadata comes back in every event of the subscription.
	Metadata Data `json:"metadata,omitempty"`
}

// SubscriptionType is an event type an add-on subscribes to.
type SubscriptionType string

// The event types Divar takes subscriptions for.
const (
	// SubscribeNewMessages: new chat messages on a post, delivered as
	// NEW_MESSAGE events.
	SubscribeNewMessages SubscriptionType = "NEW_MESSAGE_ON_POST"
	// SubscribePostUpdates: changes of a post, delivered as POST_UPDATE.
	SubscribePostUpdates SubscriptionType = "POST_UPDATE"
)

// Validate reports whether Divar takes s: a documented event type, a post
// token of at most 10 characters.
func (s EventSubscription) Validate() error {
	var c checker
	if s.EventType != SubscribeNewMessages && s.EventType != SubscribePostUpdates {
		c.Add("/event_type", "%q is not NEW_MESSAGE_ON_POST or POST_UPDATE", string(s.EventType))
	}
	c.Text("/event_resource_id", s.ResourceID, 0, 10)
	return errors.Join(c.Errs...)
}
