package sdk

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/internal/check"
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
// (divar.Client.SendBotMessage, divar.Client.SendBotMessageToUser): a text,
// optionally media, and a grid of buttons, each carrying the same
// [Action]s as widgets do (kenar-docs docs/chat/chatbot_conversations.md).
//
// UserID is not part of Divar's request body (ChatAPIChatBotSendMessageBody):
// divar.Client.SendBotMessageToUser takes the user in its path and does not
// send it.
type BotMessage struct {
	UserID      string      `json:"user_id,omitempty"`
	TextMessage string      `json:"text_message"`
	MediaToken  string      `json:"media_token,omitempty"`
	Buttons     *ButtonGrid `json:"buttons,omitempty"`
}

// ButtonGrid is a chat message's buttons: at most 3 rows of at most 3
// buttons (kenar-docs docs/chat/users_conversations.md, ButtonGrid).
type ButtonGrid struct {
	Rows []ButtonRow `json:"rows"`
}

// ButtonRow is one row of a [ButtonGrid].
type ButtonRow struct {
	Buttons []ChatButton `json:"buttons"`
}

// ChatButton is a button under a chat message. Icon names one of Divar's
// icons ("HOME"); IconName is its deprecated spelling, kept for reading
// older messages. The members are in the order of Divar's examples.
type ChatButton struct {
	Action   Action `json:"action"`
	IconName string `json:"icon_name,omitempty"`
	Icon     string `json:"icon,omitempty"`
	Caption  string `json:"caption"`
}

// The limits of a [ButtonGrid] (docs/chat/users_conversations.md).
const (
	MaxButtonRows = 3
	MaxRowButtons = 3
	maxCaption    = 256
	maxChatText   = 4096
	maxMediaToken = 256
)

// Button returns a button showing caption that runs a.
func Button(caption string, a Action) ChatButton { return ChatButton{Action: a, Caption: caption} }

// WithIcon returns b showing one of Divar's icons by name ("HOME").
func (b ChatButton) WithIcon(name string) ChatButton {
	b.Icon = name
	return b
}

// Row returns a row of at most 3 buttons.
func Row(buttons ...ChatButton) ButtonRow { return ButtonRow{Buttons: buttons} }

// Grid returns the rows as a grid, or nil for none.
func Grid(rows ...ButtonRow) *ButtonGrid {
	if len(rows) == 0 {
		return nil
	}
	return &ButtonGrid{Rows: rows}
}

// BotText returns a bot message with text and, optionally, rows of
// buttons:
//
//	sdk.BotText("ادامه می‌دهید؟", sdk.Row(
//		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
//		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
//	))
func BotText(text string, rows ...ButtonRow) BotMessage {
	return BotMessage{TextMessage: text, Buttons: Grid(rows...)}
}

// Validate reports every limit of Divar's that m breaks, each naming the
// field by JSON pointer, joined in one error that is [ErrInvalidAnswer]: a
// text or media, at most 3 rows of 1 to 3 buttons, each with a caption and
// a valid action.
func (m BotMessage) Validate() error {
	var c checker
	if m.TextMessage == "" && m.MediaToken == "" {
		c.Add("", "a bot message needs a text_message or media")
	}
	c.Text("/text_message", m.TextMessage, 0, maxChatText)
	c.Text("/media_token", m.MediaToken, 0, maxMediaToken)
	c.grid("/buttons", m.Buttons)
	return errors.Join(c.Errs...)
}

// checker collects every problem of a message, not just the first.
type checker struct{ check.Checker }

// action checks an optional action, naming its fields from p.
func (c *checker) action(p check.Path, a *Action) {
	if a == nil {
		return
	}
	if err := a.validateAt(p); err != nil {
		c.Errs = append(c.Errs, err)
	}
}

// grid checks a button grid found at the pointer at. The pointers of its
// fields are written out only for a rule that fails.
func (c *checker) grid(at string, g *ButtonGrid) {
	if g == nil {
		return
	}
	root := check.Root(at)
	rows := root.Name("rows")
	if len(g.Rows) > MaxButtonRows {
		c.AddAt(rows, "has %d rows, Divar takes at most %d", len(g.Rows), MaxButtonRows)
	}
	for i := range g.Rows {
		r := &g.Rows[i]
		ri := rows.Index(i)
		row := ri.Name("buttons")
		switch n := len(r.Buttons); {
		case n == 0:
			c.AddAt(row, "a row needs at least one button")
		case n > MaxRowButtons:
			c.AddAt(row, "has %d buttons, Divar takes at most %d a row", n, MaxRowButtons)
		}
		for j := range r.Buttons {
			b := &r.Buttons[j]
			p := row.Index(j)
			c.TextAt(p.Name("caption"), b.Caption, 1, maxCaption)
			c.IconAt(p.Name("icon"), b.Icon)
			c.IconAt(p.Name("icon_name"), b.IconName)
			c.action(p.Name("action"), &b.Action)
		}
	}
}
