// Package sdk is kenarkit's vocabulary: the words of Divar's wire format
// that a Go add-on for Divar's Kenar platform receives and answers with.
//
// Divar's servers POST JSON to an add-on when a user clicks one of its
// widgets or chat buttons, and when a subscribed event happens:
//
//   - the init callback of open_server_link ([OpenServerLinkRequest]),
//     answered with the URL to open: [OpenURL];
//   - the dynamic-action callback ([DynamicActionRequest]), answered with an
//     action, a text message, or both: [Reply], [TextMessage],
//     [DynamicActionResponse.WithText];
//   - event webhooks (chat messages, post updates, access revocations,
//     payments), which have a room of their own, sdk/event: event.Event,
//     handed to its handler once by event.Mux, answered with event.Ack.
//
// The actions an add-on places beside its widgets, or answers, are built
// with [OpenDirectLink], [OpenServerLink], [GetDynamicAction],
// [OpenPostPage] and [OpenPostManagePage]; their JSON ([MarshalAnswer]) is
// byte for byte what Divar documents.
//
// These words travel in both directions, so this package holds only them
// and what checks them; the two directions have rooms of their own:
//
//   - sdk/server receives Divar's calls: server.New registers the
//     strict-server handlers that oapi-codegen generates from kenarkit's
//     OpenAPI document (package gen, or the add-on's own gen/ made by
//     `scaffold new`) behind a guard that checks the identification key
//     Divar sends in Authorization, validates every request against the
//     document, runs the handler within Divar's budget and answers every
//     error as an RFC 9457 [Problem] naming each failing field by JSON
//     pointer; the server serves itself, with timeouts, a drain and a
//     graceful shutdown.
//   - sdk/divar makes the add-on's calls to Divar (divar.Client): post
//     add-ons built from the typed widgets of sdk/widget (widget.Addon,
//     widget.TitleRow, widget.ButtonBar, …), messages in users' conversations ([ChatText]) and from the
//     app's chat bot ([BotText]), whose buttons carry the same actions,
//     event subscriptions, the user and posts. Every request is checked
//     against Divar's documented limits before it is sent (an
//     [*InvalidAnswerError] for each failing field); calls have timeouts,
//     retry only where safe, and fail with errors.Is-able typed errors.
//
// The state that outlives a request has its own packages: sdk/session
// carries a callback's context to the page the add-on opens, sdk/dedupe
// makes an event delivered twice run once and send its messages at most
// once (event.Mux's Dedupe), and sdk/redisstore keeps them (and OAuth
// tokens) in Redis for several replicas.
//
// The package sdk/divartest plays Divar in tests: its calls to the add-on,
// and its API for the client (divartest.NewAPI).
package sdk
