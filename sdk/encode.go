package sdk

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/kenarkit/kenarkit/internal/jsonscan"
)

// The vocabulary's own encoder. [MarshalAnswer] writes the values kenarkit
// sends most (answers, actions, chat and bot messages, subscriptions,
// Data) by appending their bytes, byte for byte as json v2's reflection
// writes them with [json.Deterministic]: the members in the order of the
// struct's fields, omitempty as v2 reads it (a member whose value is "",
// {} or [] or null is left out), map keys sorted bytewise, strings quoted
// by [jsontext.AppendQuote] (no HTML escaping). A value it does not write
// itself (a float that is not finite, invalid UTF-8, a Data value of a
// type of the add-on's own) makes it give up, and MarshalAnswer has json v2
// write the whole value, with v2's own error if there is one.
// TestTheEncoderIsJSONv2 and FuzzTheEncoderIsJSONv2 hold the two to the
// same bytes.

// appendAnswer appends the JSON of v to b when v is one of the types the
// encoder writes, and reports whether it did.
func appendAnswer(b []byte, v any) ([]byte, bool) {
	w := answerWriter{b: b}
	switch v := v.(type) {
	case DynamicActionResponse:
		w.dynamicAnswer(&v)
	case *DynamicActionResponse:
		if v == nil {
			return b, false
		}
		w.dynamicAnswer(v)
	case Action:
		w.action(&v)
	case *Action:
		if v == nil {
			return b, false
		}
		w.action(v)
	case ConversationMessage:
		w.conversationMessage(&v)
	case *ConversationMessage:
		if v == nil {
			return b, false
		}
		w.conversationMessage(v)
	case BotMessage:
		w.botMessage(&v)
	case *BotMessage:
		if v == nil {
			return b, false
		}
		w.botMessage(v)
	case EventSubscription:
		w.subscription(&v)
	case *EventSubscription:
		if v == nil {
			return b, false
		}
		w.subscription(v)
	case OpenServerLinkResponse:
		w.url(v.URL)
	case *OpenServerLinkResponse:
		if v == nil {
			return b, false
		}
		w.url(v.URL)
	case Data:
		w.data(v)
	default:
		return b, false
	}
	return w.b, !w.failed
}

// answerWriter appends JSON to b. failed says it met a value it does not
// write; what is in b is then to be thrown away.
type answerWriter struct {
	b      []byte
	failed bool
	depth  int     // of the Data being written, in Data
	pooled *[]byte // where b came from, when from the pool (pooledAnswer)
}

// maxDepth is how deep Data in Data the encoder goes before it leaves the
// value to json v2, which finds a Data that holds itself (and says so).
const maxDepth = 64

// open begins an object; end closes it.
func (w *answerWriter) open() {
	if w.b == nil {
		w.b = make([]byte, 0, 256) // a chat message with its buttons fits
	}
	w.b = append(w.b, '{')
}
func (w *answerWriter) end() { w.b = append(w.b, '}') }

// name begins a member: quoted is its name quoted with its colon
// (`"url":`), after a comma unless the member is the object's first.
func (w *answerWriter) name(quoted string) {
	if w.b[len(w.b)-1] != '{' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, quoted...)
}

// omitEmpty takes back the member begun at from, when its value (from
// value on) is an empty object: omitempty as json v2 reads it.
func (w *answerWriter) omitEmpty(from, value int) {
	if string(w.b[value:]) == "{}" {
		w.b = w.b[:from]
	}
}

// str writes s as a JSON string.
func (w *answerWriter) str(s string) {
	if unescaped(s) {
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
		return
	}
	var err error
	if w.b, err = jsontext.AppendQuote(w.b, s); err != nil {
		w.failed = true // invalid UTF-8: json v2 says so
	}
}

// strMember writes the member quoted:s, left out when s is empty and
// omitEmpty is set.
func (w *answerWriter) strMember(quoted, s string, omitEmpty bool) {
	if s == "" && omitEmpty {
		return
	}
	w.name(quoted)
	w.str(s)
}

// url writes {"url":u}, the init callback's answer.
func (w *answerWriter) url(u string) {
	if w.b == nil {
		w.b = make([]byte, 0, len(u)+len(`{"url":""}`))
	}
	w.b = append(w.b, `{"url":`...)
	w.str(u)
	w.end()
}

func (w *answerWriter) dynamicAnswer(r *DynamicActionResponse) {
	w.open()
	if r.Action != nil {
		from := len(w.b)
		w.name(`"action":`)
		value := len(w.b)
		w.action(r.Action)
		w.omitEmpty(from, value)
	}
	w.strMember(`"text_message":`, r.TextMessage, true)
	w.end()
}

func (w *answerWriter) action(a *Action) {
	w.open()
	w.strMember(`"open_direct_link":`, a.OpenDirectLink, true)
	w.dataPayload(`"open_server_link":`, a.OpenServerLink)
	w.dataPayload(`"get_dynamic_action":`, a.GetDynamicAction)
	w.postPayload(`"open_post_page":`, a.OpenPostPage)
	w.postPayload(`"open_post_manage_page":`, a.OpenPostManagePage)
	w.end()
}

// dataPayload writes the member quoted:{"data":…}, left out when p is nil.
func (w *answerWriter) dataPayload(quoted string, p *DataPayload) {
	if p == nil {
		return
	}
	w.name(quoted)
	w.open()
	w.name(`"data":`)
	w.data(p.Data)
	w.end()
}

// postPayload writes the member quoted:{"post_token":…}, left out when p
// is nil.
func (w *answerWriter) postPayload(quoted string, p *PostPayload) {
	if p == nil {
		return
	}
	w.name(quoted)
	w.open()
	w.strMember(`"post_token":`, p.PostToken, false)
	w.end()
}

func (w *answerWriter) conversationMessage(m *ConversationMessage) {
	w.open()
	w.strMember(`"message":`, m.Message, true)
	w.strMember(`"media_token":`, m.MediaToken, true)
	w.grid(`"sender_buttons":`, m.SenderButtons)
	w.grid(`"receiver_buttons":`, m.ReceiverButtons)
	w.end()
}

func (w *answerWriter) botMessage(m *BotMessage) {
	w.open()
	w.strMember(`"user_id":`, m.UserID, true)
	w.strMember(`"text_message":`, m.TextMessage, false)
	w.strMember(`"media_token":`, m.MediaToken, true)
	w.grid(`"buttons":`, m.Buttons)
	w.end()
}

// grid writes the member quoted:{"rows":[…]}, left out when g is nil (a
// grid is never empty: it has its rows, if only as []).
func (w *answerWriter) grid(quoted string, g *ButtonGrid) {
	if g == nil {
		return
	}
	w.name(quoted)
	w.b = append(w.b, `{"rows":[`...)
	for i := range g.Rows {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"buttons":[`...)
		for j := range g.Rows[i].Buttons {
			if j > 0 {
				w.b = append(w.b, ',')
			}
			w.button(&g.Rows[i].Buttons[j])
		}
		w.b = append(w.b, "]}"...)
	}
	w.b = append(w.b, "]}"...)
}

func (w *answerWriter) button(b *ChatButton) {
	w.open()
	w.name(`"action":`)
	w.action(&b.Action)
	w.strMember(`"icon_name":`, b.IconName, true)
	w.strMember(`"icon":`, b.Icon, true)
	w.strMember(`"caption":`, b.Caption, false)
	w.end()
}

func (w *answerWriter) subscription(s *EventSubscription) {
	w.open()
	w.strMember(`"event_type":`, string(s.EventType), false)
	w.strMember(`"event_resource_id":`, s.ResourceID, true)
	from := len(w.b)
	w.name(`"metadata":`)
	value := len(w.b)
	w.data(s.Metadata)
	w.omitEmpty(from, value)
	w.end()
}

// data writes d as [Data.MarshalJSONTo] does with json v2's default
// options: a nil d as {}, the members sorted by name.
func (w *answerWriter) data(d Data) {
	if w.depth++; w.depth > maxDepth {
		w.failed = true
		return
	}
	var on [8]member // on the stack for the usual few members
	members := d.sorted(on[:0])
	w.open()
	for i := range members {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(members[i].name)
		w.b = append(w.b, ':')
		w.value(members[i].value)
	}
	w.end()
	w.depth--
}

// member is one of a Data's members.
type member struct {
	name  string
	value any
}

// sorted appends d's members to members, sorted by name, bytewise.
func (d Data) sorted(members []member) []member {
	for k, v := range d {
		members = append(members, member{k, v})
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	return members
}

// value writes a member of a Data: the kinds JSON decodes into and Go
// code writes itself, and any other through json v2.
func (w *answerWriter) value(v any) {
	switch v := v.(type) {
	case string:
		w.str(v)
	case nil:
		w.b = append(w.b, "null"...)
	case bool:
		w.b = strconv.AppendBool(w.b, v)
	case int:
		w.b = strconv.AppendInt(w.b, int64(v), 10)
	case int64:
		w.b = strconv.AppendInt(w.b, v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			w.failed = true // json v2 refuses it
			return
		}
		w.b = jsontext.AppendFloat(w.b, v, 64)
	case Data:
		w.data(v)
	case map[string]any:
		w.data(v)
	default:
		b, err := json.Marshal(v, json.Deterministic(true))
		if err != nil {
			w.failed = true
			return
		}
		w.b = append(w.b, b...)
	}
}

// unescaped reports whether json v2 writes s as it is between its quotes:
// valid UTF-8 with no control character, quote or backslash (v2 escapes
// nothing else by default; it keeps < > & and U+2028 as they are). It
// looks at 16 bytes at a time, then 8, and checks the UTF-8 only when a
// byte is not ASCII.
func unescaped(s string) bool {
	var high uint64 // the bytes' high bits, or'd
	i := 0
	for ; i+16 <= len(s); i += 16 { // a landing URL is a few hundred bytes
		w := s[i : i+16]
		x, y := jsonscan.Word(w[:8]), jsonscan.Word(w[8:])
		if jsonscan.Escaped(x)|jsonscan.Escaped(y) != 0 {
			return false
		}
		high |= x | y
	}
	for ; i+8 <= len(s); i += 8 {
		x := jsonscan.Word(s[i : i+8])
		if jsonscan.Escaped(x) != 0 {
			return false
		}
		high |= x
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == '"' || c == '\\' {
			return false
		}
		high |= uint64(c)
	}
	return high&jsonscan.Highs == 0 || utf8.ValidString(s)
}
