// Package divar is the sending side of an add-on: its calls to Divar's
// open-platform API, through a [Client] ([NewClient]). Post add-ons built
// from sdk's typed widgets, messages in users' conversations and from the
// app's chat bot, event subscriptions, the user and posts; user and
// business add-ons, chat media, conversations, post stats, buttons and
// semantic data with gen/divarapi's models; payments from the app's
// wallet, where money moves at most once ([Client.Reorder]: one id per
// payment, looked up rather than paid again, a pending outcome followed
// within a bound); any other operation with [Client.Do]. Every request is
// checked against Divar's description (pinned in api/divar, with
// kenarkit's overlay of the rules Divar's pages state in prose, each
// citing its page) before it is sent (an
// sdk.InvalidAnswerError for each failing field); calls have timeouts,
// retry only where safe ([Config.MaxRetries]), never hold the API key or
// a token in an error or a log line, never follow a redirect (which would
// carry them wherever it points; [Config.HTTPClient]), and fail with
// errors.Is-able errors: Divar's refusals are [*APIError]s.
//
// In tests, sdk/divartest.NewAPI plays Divar's API: pass its URL as
// [Config.BaseURL].
package divar
