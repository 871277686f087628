// Package tokens keeps the OAuth tokens Divar's users granted an add-on
// usable, on golang.org/x/oauth2: the token keeper that sdk/consent, the
// web flow that asks for consent, stores each grant in.
//
// A [Keeper]:
//
//   - stores each user's token in a [Store] shared by the replicas
//     (sdk/redisstore's Tokens; [NewMemoryStore] for one), sealed at rest
//     with the session keys and bound to its user, so a value moved to
//     another user's key does not open;
//   - gives it as an oauth2.TokenSource ([Keeper.TokenSource]) for the
//     Kenar API client, refreshing it before it expires, once across
//     replicas, and calling [Config.OnRefresh] so the add-on renews its
//     event subscriptions, which lapse with the token they were made with;
//   - keeps a refreshed pair the store refuses in memory, and uses it
//     until it is saved ([Keeper.TokenSource] explains Divar's two-minute
//     grace);
//   - keeps a token that does not open ([ErrUnopenable]: wrong session
//     keys, a tampered value), logged, never deleted, and reports wrong
//     keys in [Keeper.Ready];
//   - deletes a user's token only on the revocation event
//     ([Keeper.UserAccessRevocation]), when Divar refuses a token known to
//     be current, or on [Keeper.Forget].
//
// A refused refresh is [ErrReconsent]: ask the user again.
//
//	keeper, err := tokens.New(tokens.Config{
//		ClientID: slug, ClientSecret: secret, Sealer: sealer,
//		Store: redisstore.NewTokens(rdb, redisstore.Config{}),
//		API: client, // divar.NewClient: asked who owns a token
//		OnRefresh: resubscribe,
//	})
//	defer keeper.Close()
//	events.UserAccessRevocation = keeper.UserAccessRevocation
//	ts := keeper.TokenSource(ctx, userID) // for the Kenar API client
//
// Tokens, codes and the client secret never appear in a log line or an
// error.
package tokens
