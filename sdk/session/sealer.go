package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The errors of a [Sealer] and of a [Handoff]. Compare with errors.Is; an
// error never repeats a token, its content or a key.
var (
	// ErrInvalid: a token that was not made with one of the keys, or that
	// was altered, truncated or is empty.
	ErrInvalid = errors.New("session: invalid token")
	// ErrExpired: a genuine token whose TTL has passed, or whose context
	// the store no longer holds.
	ErrExpired = errors.New("session: token expired")
	// ErrTooLong: the value to seal makes a token over [MaxTokenLength], or
	// a URL base leaves no room for even a stored context's id.
	ErrTooLong = errors.New("session: token would be too long for a URL")
	// ErrKey: a key of the wrong size or encoding.
	ErrKey = errors.New("session: bad session key")
	// ErrUnknownKey: a token sealed with a key the [Sealer] does not hold:
	// the keys are misconfigured, or the key was dropped while tokens
	// sealed with it still live. errors.Is(err, ErrInvalid) holds too.
	ErrUnknownKey = fmt.Errorf("%w: sealed with a key the sealer does not hold", ErrInvalid)
)

// KeySize is the length of a [Sealer] key: 32 bytes, AES-256.
const KeySize = 32

// MaxTokenLength is the longest token [Sealer.Seal] makes and [Sealer.Open]
// reads. A token travels in a URL Divar opens in a web view, and Divar
// refuses a URL over 2048 characters; [Handoff] keeps its URLs under that.
const MaxTokenLength = 4096

const (
	versionSealed = 1 // a sealed token: the context itself
	versionStored = 2 // a stored token: the id of a context a Store holds
	keyIDLen      = 4
	headLen       = 1 + keyIDLen // version, key id; authenticated, not secret
	nonceLen      = 12
	expiryLen     = 8
	tagLen        = 16
	overhead      = headLen + nonceLen + expiryLen + tagLen
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// Sealer turns a value into an opaque, URL-safe token and back: encrypted
// and authenticated with AES-256-GCM, carrying its own expiry. [Handoff]
// uses one to hand a callback's context to the page it opens; use it
// directly for any other value that must travel through a client intact.
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

// NewSealer returns a Sealer with keys, newest first, each [KeySize] bytes
// (see [ParseKeys]). With no key it makes a random one: tokens then last
// only as long as the process, and other replicas cannot open them, which
// is fine on a laptop and wrong in production.
func NewSealer(keys ...[]byte) (*Sealer, error) {
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
		return "", fmt.Errorf("session: seal: the TTL must be positive, got %v", ttl)
	}
	buf, err := encode(make([]byte, headLen+nonceLen+expiryLen, 256), v)
	if err != nil {
		return "", fmt.Errorf("session: seal: %w", err)
	}
	if tokenEncoding.EncodedLen(len(buf)+tagLen) > MaxTokenLength {
		return "", ErrTooLong
	}
	buf = s.seal(slices.Grow(buf, tagLen), ttl, bind)
	return tokenEncoding.EncodeToString(buf), nil
}

// seal seals buf in place: buf holds headLen+nonceLen+expiryLen bytes of
// room, then the payload, and has tagLen bytes of spare capacity. bind, if
// any, is authenticated with it: opening needs the same bind.
func (s *Sealer) seal(buf []byte, ttl time.Duration, bind []byte) []byte {
	k := s.keys[0]
	buf[0] = versionSealed
	copy(buf[1:headLen], k.id[:])
	nonce := buf[headLen : headLen+nonceLen]
	rand.Read(nonce)
	binary.BigEndian.PutUint64(buf[headLen+nonceLen:], uint64(s.now().Add(ttl).UnixMilli()))
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
	return s.open(raw, bind, v)
}

// open reads sealed bytes, bound to bind, into v.
func (s *Sealer) open(raw, bind []byte, v any) error {
	if len(raw) < overhead || raw[0] != versionSealed {
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
		if s.now().UnixMilli() >= expires {
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
