package session

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kenarkit/kenarkit/sdk"
)

// Landing is what the page an init callback opens needs of the callback:
// hand it off with [Handoff.URL] in the callback and read it back with
// [Handoff.Open] in the page.
//
//	u, err := h.URL(ctx, landingURL, session.LandingOf(req.Body))
//	…
//	var l session.Landing
//	err := h.Open(ctx, r.URL.Query().Get(session.Param), &l)
//
// It encodes itself compactly ([Landing.AppendBinary]): the strings as they
// are, the data as the bytes Divar sent, no return address when it is
// Divar's fixed one, so its URL stays short and cheap to make.
type Landing struct {
	PostToken      string
	ConversationID string
	UserSide       sdk.UserSide // normalised: SUPPLY, DEMAND or as sent
	UserID         string
	Source         sdk.Source // normalised
	Data           sdk.RawData
	// ReturnTo is where the page sends the user at the end: an absolute
	// http(s) URL, sdk.CompletionURL when Divar sent none that is.
	ReturnTo string
}

// LandingOf returns the Landing of an init callback.
func LandingOf(req *sdk.OpenServerLinkRequest) Landing {
	return Landing{
		PostToken:      req.PostToken,
		ConversationID: req.ConversationID,
		UserSide:       req.UserSide.Normalize(),
		UserID:         req.UserID,
		Source:         req.Source.Normalize(),
		Data:           req.Data(),
		ReturnTo:       req.ReturnTo(),
	}
}

// DataFields returns the top-level members of l.Data sorted by name, each
// with its value as a page shows it: a string's text, anything else as
// the JSON Divar sent. A number reads as written, so one that no float64
// holds (1e999999, a 30-digit integer) is shown as sent, never as 0 or
// rounded, as decoding into [sdk.Data] would. Data that is not a JSON
// object gives none.
func (l Landing) DataFields() [][2]string {
	var m map[string]jsontext.Value
	if err := l.Data.Decode(&m); err != nil {
		return nil
	}
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		var err error
		if v.Kind() == '"' {
			v, err = jsontext.AppendUnquote(nil, v)
		} else {
			err = v.Compact()
		}
		if err == nil {
			out = append(out, [2]string{k, string(v)})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// landingFormat is the first byte of an encoded Landing.
const landingFormat = 1

var errLanding = errors.New("session: not an encoded Landing")

// AppendBinary implements [encoding.BinaryAppender]: a format byte, then
// each field as a uvarint length and its bytes.
func (l Landing) AppendBinary(b []byte) ([]byte, error) {
	returnTo := l.ReturnTo
	if returnTo == sdk.CompletionURL {
		returnTo = ""
	}
	b = append(b, landingFormat)
	b = appendField(b, l.PostToken)
	b = appendField(b, l.ConversationID)
	b = appendField(b, string(l.UserSide))
	b = appendField(b, l.UserID)
	b = appendField(b, string(l.Source))
	b = append(binary.AppendUvarint(b, uint64(len(l.Data))), l.Data...)
	return appendField(b, returnTo), nil
}

func appendField(b []byte, f string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

// UnmarshalBinary implements [encoding.BinaryUnmarshaler] for what
// [Landing.AppendBinary] made. l is untouched when b is not such bytes.
func (l *Landing) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != landingFormat {
		return errLanding
	}
	all := string(b[1:]) // one copy; the fields share it
	var f [7]string
	i := 0
	for k := range f {
		n, w := binary.Uvarint(b[1+i:])
		if w <= 0 || n > uint64(len(all)-i-w) {
			return errLanding
		}
		i += w
		f[k] = all[i : i+int(n)]
		i += int(n)
	}
	if i != len(all) {
		return errLanding
	}
	*l = Landing{PostToken: f[0], ConversationID: f[1], UserSide: sdk.UserSide(f[2]), UserID: f[3], Source: sdk.Source(f[4]), ReturnTo: f[6]}
	if f[5] != "" {
		l.Data = sdk.RawData(f[5])
	}
	if l.ReturnTo == "" {
		l.ReturnTo = sdk.CompletionURL
	}
	return nil
}
