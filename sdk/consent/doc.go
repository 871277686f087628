// Package consent gets a Divar user's consent for an add-on to act for them
// and keeps the tokens it yields usable: Divar's OAuth 2.0 authorization
// code flow (docs/oauth/ReadMe.md in divar-ir/kenar-docs), on
// golang.org/x/oauth2.
//
// A [Manager] does the three parts:
//
//   - Asking: [Manager.Redirect] sends the user to Divar's consent page for
//     typed scopes ([PostAddonCreate], [OfflineAccess], ...), with a state
//     that is sealed, expiring, single use and bound to the browser by a
//     cookie, so a forged, replayed or stolen redirect is refused.
//   - Coming back: the Manager is the http.Handler of the redirect address.
//     It exchanges the code, asks Divar who granted ([Config.API]) and
//     refuses a grant by another user than the one asked ([ErrWrongUser]),
//     stores the token and hands the grant to
//     [Config.OnGrant]; every failure (declined, bad state, used code,
//     Divar down, store down) gets a short Persian and English page with a
//     4xx or 5xx that says what to do. The states that came back are kept
//     until they expire, at most [DefaultMaxStates] at once (429 beyond).
//   - Lasting: [Manager.TokenSource] reads the user's token from a
//     [TokenStore] shared by the replicas (sealed at rest with the session
//     keys), refreshes it before it expires, once across replicas, and
//     calls [Config.OnRefresh] so the add-on renews its event
//     subscriptions, which lapse with the token they were made with. A
//     refused refresh is [ErrReconsent]: ask the user again.
//   - Keeping: a token is sealed bound to its user, so a value moved to
//     another user's key does not open. A refreshed pair the store refuses
//     is kept in memory and used until it is saved ([Manager.TokenSource]
//     explains Divar's two-minute grace). A token that does not open
//     ([ErrUnopenable]: wrong session keys, a tampered value) is logged
//     and kept, never deleted, and [Manager.Ready] reports wrong keys. Only
//     the revocation event, Divar refusing a token known to be current, or
//     [Manager.Forget] removes a user's token.
//
// Wiring, with echo:
//
//	consents, err := consent.New(consent.Config{
//		ClientID: slug, ClientSecret: secret,
//		RedirectURL: publicURL + "/divar/oauth/callback",
//		Sealer: sealer, Tokens: redisstore.NewTokens(rdb, redisstore.TokensConfig{}),
//		UsedStates: redisstore.NewUsedStates(rdb, redisstore.TokensConfig{}, nil),
//		API: client, // divar.NewClient: asked who granted each consent
//		OnGrant: finish, OnRefresh: resubscribe,
//	})
//	e.GET("/divar/oauth/callback", echo.WrapHandler(consents))
//	events.UserAccessRevocation = consents.UserAccessRevocation
//
// Tokens, codes and the client secret never appear in a log line, an error
// or a page.
package consent
