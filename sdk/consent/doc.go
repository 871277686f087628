// Package consent gets a Divar user's consent for an add-on to act for
// them: Divar's OAuth 2.0 authorization code flow (docs/oauth/ReadMe.md in
// divar-ir/kenar-docs), on golang.org/x/oauth2. It is the web flow; the
// grants it yields are kept, refreshed and revoked by a tokens.Keeper
// (sdk/tokens).
//
// A [Manager] does the two parts:
//
//   - Asking: [Manager.Redirect] sends the user to Divar's consent page for
//     typed scopes ([PostAddonCreate], [OfflineAccess], ...), with a state
//     that is sealed, expiring, single use and bound to the browser by a
//     cookie, so a forged, replayed or stolen redirect is refused.
//   - Coming back: the Manager is the http.Handler of the redirect address.
//     It exchanges the code, asks Divar who granted
//     (tokens.Keeper.Owner) and refuses a grant by another user than the
//     one asked ([ErrWrongUser]), saves the token in the Keeper and hands
//     the grant to [Config.OnGrant]; every failure (declined, bad state,
//     used code, Divar down, store down) gets a short Persian and English
//     page with a 4xx or 5xx that says what to do. The states that came
//     back are kept until they expire, at most [DefaultMaxStates] at once
//     (429 beyond), in [UsedStates] shared by the replicas.
//
// Wiring, with echo:
//
//	keeper, err := tokens.New(tokens.Config{ClientID: slug, ClientSecret: secret, Sealer: sealer,
//		Store: redisstore.NewTokens(rdb, redisstore.Config{}), API: client, OnRefresh: resubscribe})
//	consents, err := consent.New(consent.Config{
//		Tokens: keeper, Sealer: sealer,
//		RedirectURL: publicURL + "/divar/oauth/callback",
//		UsedStates: redisstore.NewUsedStates(rdb, redisstore.Config{}),
//		OnGrant: finish,
//	})
//	e.GET("/divar/oauth/callback", echo.WrapHandler(consents))
//	events.UserAccessRevocation = keeper.UserAccessRevocation
//
// Tokens, codes and the client secret never appear in a log line, an error
// or a page.
package consent
