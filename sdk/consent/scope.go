package consent

import (
	"fmt"
	"strings"
)

// Scope is one permission an add-on asks a user for. Divar's scopes come in
// two shapes (docs/oauth/ReadMe.md in divar-ir/kenar-docs): user-wide ones,
// a bare NAME such as [UserPhone], and object-bound ones, NAME.<id>, which
// the builders make from the object's id, as in
// PostAddonCreate("AZTH74V2") for "POST_ADDON_CREATE.AZTH74V2".
//
// The constants and builders are generated (scopes.gen.go, by
// internal/cmd/scopes) from the one table of which scope each call to
// Divar needs: Divar's description with kenarkit's overlay (api/divar), the
// same one sdk/divar checks its requests against and sdk/divartest judges
// them by. Each names the operations whose security names it.
// [OfflineAccess] asks for a refresh token too, so that the add-on can act
// for the user after the access token's hour: for 30 days, renewed at each
// refresh; [NotificationAccessRevocation], with [UserID], makes Divar send
// the USER_ACCESS_REVOCATION event when the user takes the consent back
// (docs/events/ReadMe.md).
type Scope string

func bound(name, id string) Scope { return Scope(name + "." + id) }

// maxScopeID bounds an object id; Divar's are 8-character post tokens and
// 36-character UUIDs.
const maxScopeID = 128

// Validate reports whether s can be asked for: a user-wide name, or NAME.<id>
// with an id of letters, digits, '-' and '_' only. An id with a space or a
// dot would split or change the scope Divar reads, so a post token taken
// from a request is never trusted to be one: the builders leave the check
// to Validate, which [Manager.AuthCodeURL] runs on every scope.
func (s Scope) Validate() error {
	name, id, bound := strings.Cut(string(s), ".")
	if !validName(name) {
		return fmt.Errorf("%w: %q is not a scope name", ErrBadScope, name)
	}
	if !bound {
		return nil
	}
	if id == "" {
		return fmt.Errorf("%w: %s has an empty object id", ErrBadScope, name)
	}
	if len(id) > maxScopeID {
		return fmt.Errorf("%w: %s's object id is %d bytes, at most %d", ErrBadScope, name, len(id), maxScopeID)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Errorf("%w: %s's object id has %q at byte %d; ids are letters, digits, '-' and '_'", ErrBadScope, name, id[i], i)
		}
	}
	return nil
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func idByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// strings returns the scopes as oauth2.Config wants them, each validated.
func scopeStrings(scopes []Scope) ([]string, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("%w: no scope asked for", ErrBadScope)
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		out[i] = string(s)
	}
	return out, nil
}
