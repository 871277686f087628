// Package redisstore keeps the state of kenarkit add-ons that run several
// replicas in Redis, the one store they share: a [Deduper] (an event
// delivered twice, to two replicas at once, is handled once, and its
// messages are sent at most once, across a Redis crash too when Redis
// persists every write), a
// [SessionStore] (a landing page's context, too long for its URL, is found
// by whichever replica serves the page), and [Tokens] and [UsedStates]
// (users' OAuth tokens, refreshed once across replicas, and OAuth states
// used once).
//
//	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
//	cfg := redisstore.Config{} // one configuration for every store: the key prefix, the bounds
//	mux := &event.Mux{Dedupe: redisstore.NewDeduper(rdb, cfg), …}
//	h, err := session.New(session.Config{Keys: keys, Store: redisstore.NewSessionStore(rdb, cfg)})
//	keeper, err := tokens.New(tokens.Config{Store: redisstore.NewTokens(rdb, cfg), …})
//	consents, err := consent.New(consent.Config{UsedStates: redisstore.NewUsedStates(rdb, cfg), …})
//
// rdb is any go-redis client: one node, a master behind Sentinels
// (redis.NewFailoverClient) or a Redis Cluster (redis.NewClusterClient);
// [Open] makes the right one from REDIS_URL. No script or
// transaction of these stores spans two keys, so on a Cluster their keys
// need no hash tag and spread over the nodes; and their key names are
// those of every earlier version, so an upgrade finds what Redis holds.
//
// Config.Observer is told of every Redis error, by store and operation
// (sdk/metrics counts them as kenarkit_redis_errors_total); a key not
// found is not an error.
//
// Each store runs the conformance suite of the room whose interface it
// implements (dedupetest, sessiontest, tokenstest, consenttest) in its
// tests, against real redis-servers (sdk/redisstore/redistest): one node,
// a master behind a Sentinel, and a cluster of three masters.
package redisstore
