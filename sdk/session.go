package sdk

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

// SealerKeySize is the length of a [Sealer] key: 32 bytes, AES-256.
const SealerKeySize = 32

// MaxTokenLength is the longest token [Sealer.Seal] makes and [Sealer.Open]
// reads. A token travels in a URL Divar opens in a web view, and a URL
// much over 2 KiB is fragile on phones; 4 KiB leaves room for the rest.
const MaxTokenLength = 4096

const (
	tokenVersion  = 1
	tokenKeyIDLen = 4
	tokenHeadLen  = 1 + tokenKeyIDLen // version, key id; authenticated, not secret
	tokenOverhead = tokenHeadLen + 12 + 16 + 8
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// Sealer turns a value into an opaque, URL-safe token and back: encrypted
// and authenticated with AES-256-GCM, carrying its own expiry. It is how the
// init callback hands its context (post, conversation, user) to the page it
// opens without a server-side store, so any replica can serve that page.
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
	id   [tokenKeyIDLen]byte
	aead cipher.AEAD
}

// NewSealer returns a Sealer with keys, newest first, each [SealerKeySize]
// bytes (see [ParseSealerKeys]). With no key it makes a random one: tokens
// then last only as long as the process, and other replicas cannot open them,
// which is fine on a laptop and wrong in production.
func NewSealer(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		k := make([]byte, SealerKeySize)
		rand.Read(k)
		keys = [][]byte{k}
	}
	s := &Sealer{now: time.Now}
	for i, k := range keys {
		if len(k) != SealerKeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d", ErrSealerKey, i+1, len(k), SealerKeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrSealerKey, i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrSealerKey, i+1, err)
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

// Seal returns a token carrying v, encoded as JSON, that [Sealer.Open]
// accepts until ttl has passed. It fails when v does not encode, when ttl is
// not positive, or when the token would be longer than [MaxTokenLength]
// ([ErrTokenTooLong]): keep what a URL carries small.
func (s *Sealer) Seal(v any, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("sdk: seal: the TTL must be positive, got %v", ttl)
	}
	payload, err := json.Marshal(v, json.Deterministic(true))
	if err != nil {
		return "", fmt.Errorf("sdk: seal: %w", err)
	}
	if tokenEncoding.EncodedLen(tokenOverhead+len(payload)) > MaxTokenLength {
		return "", ErrTokenTooLong
	}
	k := s.keys[0]
	nonceSize := k.aead.NonceSize()
	buf := make([]byte, tokenHeadLen+nonceSize, tokenOverhead+len(payload))
	buf[0] = tokenVersion
	copy(buf[1:], k.id[:])
	nonce := buf[tokenHeadLen:]
	rand.Read(nonce)

	plain := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint64(plain, uint64(s.now().Add(ttl).UnixMilli()))
	plain = append(plain, payload...)
	buf = k.aead.Seal(buf, nonce, plain, buf[:tokenHeadLen])
	return tokenEncoding.EncodeToString(buf), nil
}

// Open reads a token made by [Sealer.Seal] with one of the Sealer's keys
// into v. It returns [ErrTokenInvalid] for anything that is not such a token
// (empty, too long, tampered with, sealed with an unknown key), and
// [ErrTokenExpired] for a genuine token past its TTL; an error never repeats
// the token or its content. v is untouched unless Open succeeds.
func (s *Sealer) Open(token string, v any) error {
	if token == "" || len(token) > MaxTokenLength {
		return ErrTokenInvalid
	}
	raw, err := tokenEncoding.DecodeString(token)
	if err != nil || len(raw) < tokenOverhead || raw[0] != tokenVersion {
		return ErrTokenInvalid
	}
	for _, k := range s.keys {
		if [tokenKeyIDLen]byte(raw[1:tokenHeadLen]) != k.id {
			continue
		}
		nonceEnd := tokenHeadLen + k.aead.NonceSize()
		plain, err := k.aead.Open(nil, raw[tokenHeadLen:nonceEnd], raw[nonceEnd:], raw[:tokenHeadLen])
		if err != nil {
			return ErrTokenInvalid
		}
		expires := int64(binary.BigEndian.Uint64(plain))
		if s.now().UnixMilli() >= expires {
			return ErrTokenExpired
		}
		if err := json.Unmarshal(plain[8:], v); err != nil {
			// Sealed by us, so the payload is JSON; it does not fit v.
			return fmt.Errorf("%w: its content does not fit %T", ErrTokenInvalid, v)
		}
		return nil
	}
	return ErrTokenInvalid
}

// ParseSealerKeys reads [Sealer] keys from configuration: a comma-separated
// list of base64 keys (standard or URL alphabet, padded or not), newest
// first, each decoding to [SealerKeySize] bytes. Make one with
// `openssl rand -base64 32` or [NewSealerKey]. An empty list gives no keys.
// Errors say which key is wrong, never what it is.
func ParseSealerKeys(list string) ([][]byte, error) {
	var keys [][]byte
	for i, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, err := decodeKey(f)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d is not base64", ErrSealerKey, i+1)
		}
		if len(k) != SealerKeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d", ErrSealerKey, i+1, len(k), SealerKeySize)
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

// NewSealerKey returns a fresh random key in the form [ParseSealerKeys]
// reads.
func NewSealerKey() string {
	k := make([]byte, SealerKeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}
