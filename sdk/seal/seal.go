// Package seal turns a value into an opaque, URL-safe token and back:
// encrypted and authenticated with AES-256-GCM, carrying its own expiry,
// sealed with the newest of a list of keys and opened with any of them, so
// that keys rotate without breaking what is in flight. [Sealer.SealFor]
// binds a token to where it is kept (its owner, its store key): a copy
// moved elsewhere does not open.
//
//	keys, err := seal.ParseKeys(os.Getenv("SESSION_KEYS")) // openssl rand -base64 32, newest first
//	s, err := seal.New(keys...)
//	tok, err := s.Seal(v, 10*time.Minute)
//	err = s.Open(tok, &v)
//
// sdk/session seals a callback's context into the URL of the page it
// opens with it, sdk/consent its OAuth states, sdk/tokens the users'
// tokens at rest.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

// The errors of a [Sealer]. Compare with errors.Is; an error never repeats
// a token, its content or a key.
var (
	// ErrInvalid: a token that was not made with one of the keys, or that
	// was altered, truncated or is empty.
	ErrInvalid = errors.New("seal: invalid token")
	// ErrExpired: a genuine token whose TTL has passed.
	ErrExpired = errors.New("seal: token expired")
	// ErrTooLong: the value to seal makes a token over [MaxTokenLength].
	ErrTooLong = errors.New("seal: token would be too long for a URL")
	// ErrKey: a key of the wrong size or encoding.
	ErrKey = errors.New("seal: bad key")
	// ErrUnknownKey: a token sealed with a key the [Sealer] does not hold:
	// the keys are misconfigured, or the key was dropped while tokens
	// sealed with it still live. errors.Is(err, ErrInvalid) holds too.
	ErrUnknownKey = fmt.Errorf("%w: sealed with a key the sealer does not hold", ErrInvalid)
)

// KeySize is the length of a [Sealer] key: 32 bytes, AES-256.
const KeySize = 32

// MaxTokenLength is the longest token [Sealer.Seal] makes and [Sealer.Open]
// reads. A token travels in a URL Divar opens in a web view, and Divar
// refuses a URL over 2048 characters (sdk/session keeps its URLs under
// that).
const MaxTokenLength = 4096

// Version is the first byte of every sealed value ([Sealer.AppendSeal]):
// a format that carries sealed values beside values of its own tells them
// apart by it.
const Version = 1

// Overhead is what sealing adds to a value's encoding, in bytes.
const Overhead = headLen + nonceLen + expiryLen + tagLen

const (
	keyIDLen  = 4
	headLen   = 1 + keyIDLen // version, key id; authenticated, not secret
	nonceLen  = 12
	expiryLen = 8
	tagLen    = 16
	room      = headLen + nonceLen + expiryLen // before the value
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// Sealer turns a value into an opaque, URL-safe token and back: encrypted
// and authenticated with AES-256-GCM, carrying its own expiry. Use it for
// any value that must travel through a client, or rest in a store, intact
// and unread.
//
// A Sealer holds one or more keys, newest first. It seals with the first and
// opens with any, so keys rotate without breaking links in flight: add the new
// key in front, and drop the old one once the longest TTL has passed.
//
// A Sealer is safe for concurrent use.
type Sealer struct {
	keys []sealerKey
	now  func() time.Time
}

type sealerKey struct {
	id   [keyIDLen]byte
	aead cipher.AEAD
}

// New returns a Sealer with keys, newest first, each [KeySize] bytes
// (see [ParseKeys]). With no key it makes a random one: tokens then last
// only as long as the process, and other replicas cannot open them, which
// is fine on a laptop and wrong in production.
func New(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		k := make([]byte, KeySize)
		rand.Read(k)
		keys = [][]byte{k}
	}
	s := &Sealer{now: time.Now}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d", ErrKey, i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKey, i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKey, i+1, err)
		}
		// The key id picks the key when opening; derived from the key so
		// that nobody has to number keys, and one-way so it reveals nothing.
		sum := sha256.Sum256(append([]byte("kenarkit sealer key id\x00"), k...))
		var sk sealerKey
		copy(sk.id[:], sum[:])
		sk.aead = aead
		s.keys = append(s.keys, sk)
	}
	return s, nil
}

// Seal returns a token carrying v that [Sealer.Open] accepts until ttl has
// passed: v encoded by its AppendBinary method when it has one, else as
// JSON. It fails when v does not encode, when ttl is not positive, or when
// the token would be longer than [MaxTokenLength] ([ErrTooLong]): keep what
// a URL carries small, or use a [Handoff].
func (s *Sealer) Seal(v any, ttl time.Duration) (string, error) {
	return s.sealBound(v, ttl, nil)
}

// SealFor is [Sealer.Seal] bound to bind: the token opens only with
// [Sealer.OpenFor] and the same bind (bind is authenticated, not carried).
// Bind a value to where it is kept (its owner, its store key), so that a
// copy moved elsewhere fails to open.
func (s *Sealer) SealFor(bind string, v any, ttl time.Duration) (string, error) {
	return s.sealBound(v, ttl, []byte(bind))
}

func (s *Sealer) sealBound(v any, ttl time.Duration, bind []byte) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("seal: the TTL must be positive, got %v", ttl)
	}
	buf, err := s.AppendSeal(make([]byte, 0, 256), bind, v, s.now().Add(ttl))
	if err != nil {
		return "", err
	}
	if tokenEncoding.EncodedLen(len(buf)) > MaxTokenLength {
		return "", ErrTooLong
	}
	return tokenEncoding.EncodeToString(buf), nil
}

// AppendSeal appends to dst v sealed until expires, bound to bind (nil:
// unbound), as bytes rather than a token and with no bound on their
// length: [Sealer.OpenBytes] reads them. It is for a format of its own
// (sdk/session's URLs and stored contexts), whose clock gives the expiry.
// It appends [Overhead] bytes and v's encoding, the first of them
// [Version]. v is encoded by its AppendBinary method
// ([encoding.BinaryAppender]) when it has one, else as JSON.
func (s *Sealer) AppendSeal(dst, bind []byte, v any, expires time.Time) ([]byte, error) {
	n := len(dst)
	buf, err := encode(append(dst, zeroRoom[:]...), v)
	if err != nil {
		return dst[:n], fmt.Errorf("seal: %w", err)
	}
	buf = slices.Grow(buf, tagLen)
	// In place: buf[n:] keeps buf's spare capacity, which the tag takes.
	sealed := s.seal(buf[n:], expires, bind)
	return buf[:n+len(sealed)], nil
}

// zeroRoom is the space a seal writes its header, nonce and expiry in.
var zeroRoom [room]byte

// seal seals buf in place: buf holds room bytes, then the payload, and has
// tagLen bytes of spare capacity. bind, if any, is authenticated with it:
// opening needs the same bind.
func (s *Sealer) seal(buf []byte, expires time.Time, bind []byte) []byte {
	k := s.keys[0]
	buf[0] = Version
	copy(buf[1:headLen], k.id[:])
	nonce := buf[headLen : headLen+nonceLen]
	readNonce(nonce)
	binary.BigEndian.PutUint64(buf[headLen+nonceLen:], uint64(expires.UnixMilli()))
	aad := buf[:headLen]
	if bind != nil {
		aad = append(append(make([]byte, 0, headLen+len(bind)), aad...), bind...)
	}
	// In place: the ciphertext overwrites the plaintext exactly.
	return k.aead.Seal(buf[:headLen+nonceLen], nonce, buf[headLen+nonceLen:], aad)
}

// Open reads a token made by [Sealer.Seal] with one of the Sealer's keys
// into v. It returns [ErrInvalid] for anything that is not such a token
// (empty, too long, tampered with, sealed with an unknown key), and
// [ErrExpired] for a genuine token past its TTL; an error never repeats
// the token or its content. v is untouched unless Open succeeds. A token
// sealed with a key it does not hold is [ErrUnknownKey] (an ErrInvalid).
func (s *Sealer) Open(token string, v any) error {
	return s.openBound(token, nil, v)
}

// OpenFor is [Sealer.Open] of a token made by [Sealer.SealFor] with the
// same bind: one bound elsewhere, or not bound, is [ErrInvalid].
func (s *Sealer) OpenFor(bind, token string, v any) error {
	return s.openBound(token, []byte(bind), v)
}

func (s *Sealer) openBound(token string, bind []byte, v any) error {
	if token == "" || len(token) > MaxTokenLength {
		return ErrInvalid
	}
	raw, err := tokenEncoding.DecodeString(token)
	if err != nil {
		return ErrInvalid
	}
	return s.open(raw, bind, v, s.now())
}

// OpenBytes reads into v what [Sealer.AppendSeal] made, bound to bind, as
// of now: the errors of [Sealer.Open].
func (s *Sealer) OpenBytes(raw, bind []byte, v any, now time.Time) error {
	return s.open(raw, bind, v, now)
}

// open reads sealed bytes, bound to bind, into v as of now.
func (s *Sealer) open(raw, bind []byte, v any, now time.Time) error {
	if len(raw) < Overhead || raw[0] != Version {
		return ErrInvalid
	}
	for _, k := range s.keys {
		if [keyIDLen]byte(raw[1:headLen]) != k.id {
			continue
		}
		aad := raw[:headLen]
		if bind != nil {
			aad = append(append(make([]byte, 0, headLen+len(bind)), aad...), bind...)
		}
		plain, err := k.aead.Open(nil, raw[headLen:headLen+nonceLen], raw[headLen+nonceLen:], aad)
		if err != nil {
			return ErrInvalid
		}
		expires := int64(binary.BigEndian.Uint64(plain))
		if now.UnixMilli() >= expires {
			return ErrExpired
		}
		if err := decode(plain[expiryLen:], v); err != nil {
			// Sealed by us, so the payload is JSON; it does not fit v.
			return fmt.Errorf("%w: its content does not fit %T", ErrInvalid, v)
		}
		return nil
	}
	return ErrUnknownKey
}

// ParseKeys reads [Sealer] keys from configuration: a comma-separated list
// of base64 keys (standard or URL alphabet, padded or not), newest first,
// each decoding to [KeySize] bytes. Make one with `openssl rand -base64 32`
// or [NewKey]. An empty list gives no keys. Errors say which key is wrong,
// never what it is.
func ParseKeys(list string) ([][]byte, error) {
	var keys [][]byte
	for i, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, err := decodeKey(f)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d is not base64", ErrKey, i+1)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d", ErrKey, i+1, len(k), KeySize)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// NewKey returns a fresh random key in the form [ParseKeys] reads.
func NewKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// encode appends v to b: by its AppendBinary method, or as JSON.
func encode(b []byte, v any) ([]byte, error) {
	if a, ok := v.(encoding.BinaryAppender); ok {
		return a.AppendBinary(b)
	}
	w := appender{b}
	err := json.MarshalWrite(&w, v, json.Deterministic(true))
	return w.b, err
}

// decode reads b, made by encode, into v.
func decode(b []byte, v any) error {
	if u, ok := v.(encoding.BinaryUnmarshaler); ok {
		if _, ok := v.(encoding.BinaryAppender); ok {
			return u.UnmarshalBinary(b)
		}
	}
	return json.Unmarshal(b, v)
}

type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}
