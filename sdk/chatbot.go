package sdk

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// StartCommand is the first message a chat bot receives when a user opens
// it from a touchpoint: "/start MY_POST {post_token}", "/start MY_DIVAR",
// "/start DIVAR_PRO", "/start CHAT {conversation_id}",
// "/start DEMAND_POST {post_token}".
type StartCommand struct {
	Touchpoint Touchpoint // normalised; empty for a bare "/start"
	// ID is the post token (MY_POST, DEMAND_POST) or the conversation id
	// (CHAT); empty when Divar had none.
	ID string
}

// PostToken returns the ID when the touchpoint carries a post token.
func (c StartCommand) PostToken() string {
	if c.Touchpoint == TouchpointMyPost || c.Touchpoint == TouchpointDemandPost {
		return c.ID
	}
	return ""
}

// ConversationID returns the ID when the touchpoint carries a conversation.
func (c StartCommand) ConversationID() string {
	if c.Touchpoint == TouchpointChat {
		return c.ID
	}
	return ""
}

// maxStartLength bounds what ParseStart reads: a touchpoint and an id.
const maxStartLength = 256

// ParseStart reads a chat bot's start message. It reports false for any
// other text: one that does not begin with the word "/start", has more than
// two words after it, or is longer than any start message.
func ParseStart(text string) (StartCommand, bool) {
	if len(text) > maxStartLength || !utf8.ValidString(text) {
		return StartCommand{}, false
	}
	f := strings.Fields(text)
	if len(f) == 0 || f[0] != "/start" || len(f) > 3 {
		return StartCommand{}, false
	}
	var c StartCommand
	if len(f) > 1 {
		c.Touchpoint = Touchpoint(f[1]).Normalize()
	}
	if len(f) > 2 {
		c.ID = f[2]
	}
	return c, true
}

// BotMessage is a message a chat bot sends through Divar's chat API
// (ChatBotSendMessage): a text, optionally media, and a grid of buttons,
// each carrying the same [Action]s as widgets do.
type BotMessage struct {
	UserID      string      `json:"user_id,omitempty"`
	TextMessage string      `json:"text_message"`
	MediaToken  string      `json:"media_token,omitempty"`
	Buttons     *ButtonGrid `json:"buttons,omitempty"`
}

// ButtonGrid is a chat message's buttons, in rows.
type ButtonGrid struct {
	Rows []ButtonRow `json:"rows"`
}

// ButtonRow is one row of a [ButtonGrid].
type ButtonRow struct {
	Buttons []ChatButton `json:"buttons"`
}

// ChatButton is a button under a chat message.
type ChatButton struct {
	Action   Action `json:"action"`
	Caption  string `json:"caption"`
	IconName string `json:"icon_name,omitempty"`
}

// Button returns a button showing caption that runs a.
func Button(caption string, a Action) ChatButton { return ChatButton{Action: a, Caption: caption} }

// Row returns a row of buttons.
func Row(buttons ...ChatButton) ButtonRow { return ButtonRow{Buttons: buttons} }

// BotText returns a bot message with text and, optionally, rows of
// buttons:
//
//	sdk.BotText("ادامه می‌دهید؟", sdk.Row(
//		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
//		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
//	))
func BotText(text string, rows ...ButtonRow) BotMessage {
	m := BotMessage{TextMessage: text}
	if len(rows) > 0 {
		m.Buttons = &ButtonGrid{Rows: rows}
	}
	return m
}

// Validate reports whether every button has a caption and a valid action.
func (m BotMessage) Validate() error {
	if m.TextMessage == "" && m.MediaToken == "" {
		return invalid("a bot message needs a text_message or media")
	}
	if m.Buttons == nil {
		return nil
	}
	for i, r := range m.Buttons.Rows {
		for j, b := range r.Buttons {
			at := "/buttons/rows/" + strconv.Itoa(i) + "/buttons/" + strconv.Itoa(j)
			if b.Caption == "" {
				return invalid("%s/caption is empty", at)
			}
			if err := b.Action.validateAt(at + "/action"); err != nil {
				return err
			}
		}
	}
	return nil
}
