package consent_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/kenarkit/kenarkit/sdk/divar"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// The consent address for adding an add-on to one post, with a refresh
// token. The state (random and sealed) is left out of the output.
func ExampleManager_AuthCodeURL() {
	sealer, _ := seal.New() // give it the session keys in production
	api, _ := divar.NewClient(divar.Config{APIKey: "api-key-from-the-kenar-panel"})
	keeper, err := tokens.New(tokens.Config{
		ClientID:     "my-addon",
		ClientSecret: "secret-from-the-kenar-panel",
		Sealer:       sealer,
		API:          api, // asked who granted each consent
	})
	if err != nil {
		panic(err)
	}
	defer keeper.Close()
	consents, err := consent.New(consent.Config{
		Tokens:      keeper,
		RedirectURL: "https://addon.example/divar/oauth/callback",
		Sealer:      sealer,
	})
	if err != nil {
		panic(err)
	}

	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "https://addon.example/divar/start?post_token=AZTH74V2", nil)
	addr, err := consents.AuthCodeURL(w, r, consent.Request{
		UserID: "awoDdf1ecd2wac",
		Scopes: []consent.Scope{consent.PostAddonCreate("AZTH74V2"), consent.OfflineAccess},
		Data:   map[string]string{"post_token": "AZTH74V2"},
	})
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(addr)
	q := u.Query()
	q.Del("state")
	fmt.Println(u.Scheme + "://" + u.Host + u.Path)
	fmt.Println(q.Encode())
	fmt.Println(w.Result().Cookies()[0].Name, "cookie set")
	// Output:
	// https://oauth.divar.ir/oauth2/auth
	// client_id=my-addon&redirect_uri=https%3A%2F%2Faddon.example%2Fdivar%2Foauth%2Fcallback&response_type=code&scope=POST_ADDON_CREATE.AZTH74V2+offline_access+USER_ID
	// kenarkit_consent cookie set
}

// A post token from a request is checked when the address is made: one
// that would change the scope Divar reads is refused.
func ExampleScope_Validate() {
	fmt.Println(consent.PostAddonCreate("AZTH74V2"))
	fmt.Println(consent.PostAddonCreate("AZTH74V2 USER_PHONE").Validate())
	// Output:
	// POST_ADDON_CREATE.AZTH74V2
	// consent: bad scope: POST_ADDON_CREATE's object id has ' ' at byte 8; ids are letters, digits, '-' and '_'
}
