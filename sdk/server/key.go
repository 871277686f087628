package server

import (
	"crypto/subtle"
	"errors"
	"hash/maphash"
	"net/http"
	"strings"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/labstack/echo/v4"
)

// The errors of the identification key. Compare with errors.Is.
var (
	// ErrNoKey: a request carries no identification key in Authorization.
	ErrNoKey = errors.New("server: no identification key in the Authorization header")
	// ErrWrongKey: a request's identification key is not one of the add-on's.
	ErrWrongKey = errors.New("server: the identification key is not one of the add-on's keys")
	// ErrNoKeys: a server or middleware was configured with no identification
	// key, or an empty one. It refuses to start rather than accept anyone.
	ErrNoKeys = errors.New("server: no identification key configured (set the add-on's key from the Kenar panel)")
)

// WWWAuthenticate is the challenge sent with every 401 answer. Divar sends
// the add-on's identification key as the raw Authorization value, with no
// scheme, so the challenge names kenarkit's own.
const WWWAuthenticate = `DivarKey realm="kenar-addon"`

// CheckKey reports whether authorization, the value of a request's
// Authorization header, is one of the add-on's identification keys. It
// returns nil, [ErrNoKey] or [ErrWrongKey].
//
// The comparison takes the same time whichever key matches, however long
// the keys are, and whether one matches at all: authorization is hashed
// with a secret seed drawn when the keys are given ([hash/maphash], whose
// time follows the length of what it hashes, never its bytes) and its hash
// compared in constant time with every key's; only a hash that matches is
// then compared byte for byte, in constant time, with its key. Several keys are accepted at once so that a key can be rotated
// without downtime: add the new key, change it in the Kenar panel, then drop
// the old one.
//
// Divar sends the raw key: a value "Bearer KEY" does not match KEY.
func CheckKey(authorization string, keys ...string) error {
	return newKeySet(keys).check(authorization)
}

// keySet is the add-on's keys and their hashes under a seed of its own.
// (SHA-256 digests did the same at about ten times the cost: 2 200
// instructions a request, the key check's 9% of a callback's in process.)
type keySet struct {
	seed   maphash.Seed
	keys   []string
	hashes []uint64
}

func newKeySet(keys []string) keySet {
	s := keySet{seed: maphash.MakeSeed(), keys: keys, hashes: make([]uint64, len(keys))}
	for i, k := range keys {
		s.hashes[i] = maphash.String(s.seed, k)
	}
	return s
}

func (s keySet) check(authorization string) error {
	if authorization == "" {
		return ErrNoKey
	}
	got := maphash.String(s.seed, authorization)
	match, which := 0, 0
	for i, h := range s.hashes { // every key, whichever matches
		eq := subtle.ConstantTimeEq(int32(uint32(got^h)), 0) & subtle.ConstantTimeEq(int32((got^h)>>32), 0)
		match |= eq
		which = subtle.ConstantTimeSelect(eq, i, which)
	}
	if match != 1 || !sameKey(authorization, s.keys[which]) {
		return ErrWrongKey
	}
	return nil
}

// sameKey compares a and b in a time that depends on their lengths only.
func sameKey(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var diff byte
	for i := range len(a) {
		diff |= a[i] ^ b[i]
	}
	return diff == 0
}

// SplitKeys splits a comma-separated list of identification keys, as kept
// in one environment variable, trimming spaces and dropping empty items:
//
//	keys := server.SplitKeys(os.Getenv("KENAR_IDENTIFICATION_KEY"))
func SplitKeys(list string) []string {
	var keys []string
	for k := range strings.SplitSeq(list, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func checkKeysConfig(keys []string) error {
	if len(keys) == 0 {
		return ErrNoKeys
	}
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return ErrNoKeys
		}
	}
	return nil
}

// checkRequestKey checks the one Authorization header of r; a request with
// several is refused. (The header's name is canonical already: it is looked
// up without canonicalising it again.)
func checkRequestKey(keys keySet, r *http.Request) error {
	values := r.Header[echo.HeaderAuthorization]
	switch len(values) {
	case 0:
		return ErrNoKey
	case 1:
		return keys.check(values[0])
	}
	return ErrWrongKey
}

func unauthorized(c echo.Context, err error) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, WWWAuthenticate)
	detail := "no identification key in the Authorization header: it must carry the add-on's"
	if err == ErrWrongKey {
		detail = "the identification key in the Authorization header is not accepted"
	}
	return sdk.NewProblem(http.StatusUnauthorized, detail)
}
