package session

import (
	"context"
	"encoding/binary"
	"encoding/hex"
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
//	u, err := h.LandingURL(ctx, landingURL, req.Body) // h.URL(ctx, landingURL, session.LandingOf(req.Body))
//	…
//	var l session.Landing
//	err := h.Open(ctx, r.URL.Query().Get(session.Param), &l)
//
// It encodes itself compactly ([Landing.AppendBinary]): the strings as they
// are, but a known user side or source as a code and a conversation id
// that is a UUID as its 16 bytes; the data as the bytes Divar sent; no
// return address when it is Divar's fixed one. So its URL stays short and
// cheap to make.
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

// LandingURL is [Handoff.URL] of the init callback's [LandingOf]: base
// with a token carrying the callback's Landing, which the page reads back
// into a Landing with [Handoff.Open]. It makes the same URL as
// h.URL(ctx, base, LandingOf(req)) without copying the Landing to the heap
// (an interface holding it would).
func (h *Handoff) LandingURL(ctx context.Context, base string, req *sdk.OpenServerLinkRequest) (string, error) {
	return h.URL(ctx, base, (*initCallback)(req))
}

// initCallback encodes the Landing of the callback it is.
type initCallback sdk.OpenServerLinkRequest

func (c *initCallback) AppendBinary(b []byte) ([]byte, error) {
	return LandingOf((*sdk.OpenServerLinkRequest)(c)).AppendBinary(b)
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

// The first byte of an encoded Landing: its format. Format 1 carried every
// field as a string; format 2, the one written since, carries the known
// user sides and sources as a code and a canonical conversation id (a
// lower-case UUID) as its 16 bytes, which makes the seed's landing URL 51
// characters shorter. Both are read: a link made before an upgrade opens
// after it. A version that reads format 1 only refuses format 2
// (ErrInvalid): during a rolling upgrade from it, a link made by an
// upgraded replica fails on one not yet upgraded (README, the hand-off).
const (
	landingFormat1 = 1
	landingFormat  = 2
)

var errLanding = errors.New("session: not an encoded Landing")

// The codes of format 2's flags byte: bits 0-1 the user side, bits 2-4 the
// source (0: carried as a string; then the index in sides or sources), bit
// 5 set when the conversation id is carried as a UUID's 16 bytes.
var (
	sides   = [...]sdk.UserSide{1: "", 2: sdk.UserSideSupply, 3: sdk.UserSideDemand}
	sources = [...]sdk.Source{1: "", 2: sdk.SourcePostAddon, 3: sdk.SourceChatMessageAction, 4: sdk.SourceChat}
)

const (
	sourceShift = 2
	uuidFlag    = 1 << 5
)

// codeOf returns v's index in known, or 0 (carried) when it is none of them.
func codeOf[T ~string](v T, known []T) byte {
	for i := 1; i < len(known); i++ {
		if known[i] == v {
			return byte(i)
		}
	}
	return 0
}

// AppendBinary implements [encoding.BinaryAppender]: a format byte, a
// flags byte (the user side's and the source's codes, how the
// conversation id is carried), then each field not coded as a uvarint
// length and its bytes.
func (l Landing) AppendBinary(b []byte) ([]byte, error) {
	returnTo := l.ReturnTo
	if returnTo == sdk.CompletionURL {
		returnTo = ""
	}
	side, source := codeOf(l.UserSide, sides[:]), codeOf(l.Source, sources[:])
	flags := side | source<<sourceShift
	var id [16]byte
	if parseUUID(&id, l.ConversationID) {
		flags |= uuidFlag
	}
	b = append(b, landingFormat, flags)
	b = appendField(b, l.PostToken)
	if flags&uuidFlag != 0 {
		b = append(b, id[:]...)
	} else {
		b = appendField(b, l.ConversationID)
	}
	if side == 0 {
		b = appendField(b, string(l.UserSide))
	}
	b = appendField(b, l.UserID)
	if source == 0 {
		b = appendField(b, string(l.Source))
	}
	b = append(binary.AppendUvarint(b, uint64(len(l.Data))), l.Data...)
	return appendField(b, returnTo), nil
}

func appendField(b []byte, f string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

// UnmarshalBinary implements [encoding.BinaryUnmarshaler] for what
// [Landing.AppendBinary] made, in either format. l is untouched when b is
// not such bytes.
func (l *Landing) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || (b[0] != landingFormat1 && b[0] != landingFormat) {
		return errLanding
	}
	r := landingReader{b: b[1:], all: string(b[1:])} // one copy; the fields share it
	var flags byte                                   // format 1: every field carried
	if b[0] == landingFormat {
		if len(r.b) == 0 {
			return errLanding
		}
		flags = r.b[0]
		r.i = 1
	}
	side, source := flags&3, flags>>sourceShift&7
	if flags&^(uuidFlag|7<<sourceShift|3) != 0 || int(source) >= len(sources) {
		return errLanding
	}
	var f Landing
	f.PostToken = r.field()
	if flags&uuidFlag != 0 {
		f.ConversationID = r.uuid()
	} else {
		f.ConversationID = r.field()
	}
	f.UserSide = sides[side]
	if side == 0 {
		f.UserSide = sdk.UserSide(r.field())
	}
	f.UserID = r.field()
	f.Source = sources[source]
	if source == 0 {
		f.Source = sdk.Source(r.field())
	}
	if data := r.field(); data != "" {
		f.Data = sdk.RawData(data)
	}
	f.ReturnTo = r.field()
	if r.bad || r.i != len(r.all) {
		return errLanding
	}
	if f.ReturnTo == "" {
		f.ReturnTo = sdk.CompletionURL
	}
	*l = f
	return nil
}

// landingReader reads an encoded Landing's fields from i on: b and all
// are the same bytes. bad says one was cut short.
type landingReader struct {
	b   []byte
	all string
	i   int
	bad bool
}

// field reads a uvarint length and that many bytes.
func (r *landingReader) field() string {
	n, w := binary.Uvarint(r.b[r.i:])
	if r.bad || w <= 0 || n > uint64(len(r.all)-r.i-w) {
		r.bad = true
		return ""
	}
	r.i += w
	f := r.all[r.i : r.i+int(n)]
	r.i += int(n)
	return f
}

// uuid reads a UUID's 16 bytes as its canonical text.
func (r *landingReader) uuid() string {
	if r.bad || len(r.b)-r.i < 16 {
		r.bad = true
		return ""
	}
	id := r.b[r.i : r.i+16]
	r.i += 16
	var t [36]byte
	hex.Encode(t[0:8], id[0:4])
	hex.Encode(t[9:13], id[4:6])
	hex.Encode(t[14:18], id[6:8])
	hex.Encode(t[19:23], id[8:10])
	hex.Encode(t[24:36], id[10:16])
	t[8], t[13], t[18], t[23] = '-', '-', '-', '-'
	return string(t[:])
}

// parseUUID reads s into id when it is a UUID in canonical form (36
// characters, lower-case hexadecimal, dashes at 8, 13, 18 and 23): the
// form that reads back byte for byte.
func parseUUID(id *[16]byte, s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	var bad byte
	for j, at := range uuidDigits {
		hi, lo := unhex[s[at]], unhex[s[at+1]]
		bad |= hi | lo
		id[j] = hi<<4 | lo
	}
	return bad <= 15
}

// uuidDigits are where each byte's two digits begin in a canonical UUID.
var uuidDigits = [16]byte{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// unhex is the value of each lower-case hexadecimal digit, 0xff for any
// other byte.
var unhex = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()
