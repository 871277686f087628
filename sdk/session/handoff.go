// Package session hands a Divar callback's context (post, conversation,
// user, the action's data) to the page the add-on opens, and keeps it
// from being read, forged or replayed after it expires.
//
// A [Handoff] answers the init callback with a URL carrying the context:
// sealed into the URL itself (sdk/seal: AES-256-GCM, with an expiry) when it
// fits the 2048 characters Divar accepts, so that any replica with the same
// keys serves the page; otherwise sealed the same way into a [Store] under a
// random 128-bit id that the URL carries instead: in memory by default
// ([MemoryStore]), in Redis for several replicas. Either way a link expires
// with its TTL, checked again when it is opened, and one altered anywhere
// (in the URL or in the store) is refused.
//
//	h, err := session.New(session.Config{Keys: keys}) // keys: seal.ParseKeys(os.Getenv("SESSION_KEYS"))
//	// in the init callback:
//	u, err := h.LandingURL(ctx, "https://addon.example/landing", req.Body) // the Landing of the callback
//	// (any other value: h.URL(ctx, base, v))
//	return sdk.OpenURL(u), err
//	// in the landing page:
//	var l session.Landing
//	err := h.Open(r.Context(), r.URL.Query().Get(session.Param), &l)
//
// Redis-backed stores for several replicas are in sdk/redisstore.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kenarkit/kenarkit/sdk/seal"
)

// The errors of a [Handoff]. Compare with errors.Is; an error never
// repeats a token, its content or a key.
var (
	// ErrInvalid: a token that was not made with one of the keys, or that
	// was altered, truncated or is empty ([seal.ErrInvalid]).
	ErrInvalid = seal.ErrInvalid
	// ErrExpired: a genuine token whose TTL has passed, or whose context
	// the store no longer holds ([seal.ErrExpired]).
	ErrExpired = seal.ErrExpired
	// ErrTooLong: a URL base leaves no room for even a stored context's id.
	ErrTooLong = errors.New("session: the URL would be too long")
)

// A token is one of two formats, told apart by its first byte: a sealed
// context (seal.Version) or the id of a context the Store holds.
const versionStored = seal.Version + 1

var tokenEncoding = base64.RawURLEncoding.Strict()

// Param is the query parameter [Handoff.URL] puts its token in.
const Param = "s"

// Defaults of [Config].
const (
	// DefaultTTL is how long a landing URL stays valid.
	DefaultTTL = 30 * time.Minute
	// DefaultMaxURLLength is the longest URL Divar accepts as an init
	// callback's answer (its url, ≤ 2048 characters).
	DefaultMaxURLLength = 2048
)

// idLen is the length of a stored context's random id: 128 bits.
const idLen = 16

// Config configures [New]. Zero fields take the defaults.
type Config struct {
	// Keys seal the contexts, newest first, each seal.KeySize bytes (see
	// seal.ParseKeys); give every replica the same. None: one random key,
	// so links break on restart and across replicas.
	Keys [][]byte
	// TTL is how long a URL stays valid; DefaultTTL if 0.
	TTL time.Duration
	// MaxURLLength is the longest URL [Handoff.URL] answers with the
	// context sealed in it; a longer one is made short by keeping the
	// context in Store. DefaultMaxURLLength if 0.
	MaxURLLength int
	// Store keeps the contexts too long for a URL; a [MemoryStore] if nil.
	Store Store
}

// Handoff carries a context from a callback to the page it opens, within a
// URL length budget. It is safe for concurrent use.
type Handoff struct {
	sealer *seal.Sealer
	store  Store
	ttl    time.Duration
	maxURL int
	now    func() time.Time
}

// New returns a Handoff; it fails only for a bad key (seal.ErrKey).
func New(cfg Config) (*Handoff, error) {
	s, err := seal.New(cfg.Keys...)
	if err != nil {
		return nil, err
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxURLLength <= 0 {
		cfg.MaxURLLength = DefaultMaxURLLength
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(MemoryStoreConfig{})
	}
	return &Handoff{sealer: s, store: cfg.Store, ttl: cfg.TTL, maxURL: cfg.MaxURLLength, now: time.Now}, nil
}

// buffers holds the scratch space of [Handoff.URL].
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// URL returns base with a token carrying v added as the query parameter
// [Param], at most [Config.MaxURLLength] long: v sealed in the token when
// that fits, else kept in the Store under an id the token carries.
// [Handoff.Open] reads the token back until the TTL has passed. v is
// encoded by its AppendBinary method when it has one
// ([encoding.BinaryAppender], as [Landing] does), else as JSON. URL fails
// when v does not encode, when the Store fails, and with [ErrTooLong] when
// base leaves no room even for an id.
func (h *Handoff) URL(ctx context.Context, base string, v any) (string, error) {
	sep := "?" + Param + "="
	if strings.IndexByte(base, '?') >= 0 {
		sep = "&" + Param + "="
	}
	room := len(base) + len(sep)
	if room+tokenEncoding.EncodedLen(1+idLen) > h.maxURL {
		return "", ErrTooLong
	}
	bp := buffers.Get().(*[]byte)
	defer release(bp)
	expires := h.now().Add(h.ttl)
	b, err := h.sealer.AppendSeal((*bp)[:0], nil, v, expires)
	*bp = b
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	if room+tokenEncoding.EncodedLen(len(b)) <= h.maxURL {
		return join(base, sep, b), nil
	}
	// Too long for the URL: sealed again, bound to a random id, into the
	// Store. This costs a second encoding, on the long path only.
	var ref [1 + idLen]byte
	ref[0] = versionStored
	id := ref[1:]
	rand.Read(id)
	value, err := h.sealer.AppendSeal(make([]byte, 0, len(b)), id, v, expires) // the Store keeps it
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	if err := h.store.Put(ctx, tokenEncoding.EncodeToString(id), value, h.ttl); err != nil {
		return "", fmt.Errorf("session: store: %w", err)
	}
	return join(base, sep, ref[:]), nil
}

// join returns base+sep+raw in base64, encoded in raw's spare capacity and
// copied once.
func join(base, sep string, raw []byte) string {
	enc := appendBase64(raw[len(raw):], raw)
	var u strings.Builder
	u.Grow(len(base) + len(sep) + len(enc))
	u.WriteString(base)
	u.WriteString(sep)
	u.Write(enc)
	return u.String()
}

func release(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		buffers.Put(bp)
	}
}

// Open reads the token of a URL made by [Handoff.URL] into v. It returns
// [ErrInvalid] for anything that is not such a token (empty, too long,
// tampered with, made with an unknown key), [ErrExpired] once its TTL has
// passed or its context is no longer stored, and a wrapped error when the
// Store fails; an error never repeats the token or its content. v is
// untouched unless Open succeeds.
func (h *Handoff) Open(ctx context.Context, token string, v any) error {
	if token == "" || len(token) > h.maxURL {
		return ErrInvalid
	}
	raw, err := tokenEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 {
		return ErrInvalid
	}
	if raw[0] != versionStored {
		return h.sealer.OpenBytes(raw, nil, v, h.now())
	}
	if len(raw) != 1+idLen {
		return ErrInvalid
	}
	id := raw[1:]
	value, err := h.store.Get(ctx, tokenEncoding.EncodeToString(id))
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrExpired
	case err != nil:
		return fmt.Errorf("session: store: %w", err)
	}
	return h.sealer.OpenBytes(value, id, v, h.now())
}
