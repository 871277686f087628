// Package divartest plays Divar in an add-on's tests, the way
// net/http/httptest plays a client: it sends each of Divar's calls exactly
// as Divar does (method, path, Authorization, API_VERSION, JSON body) to an
// http.Handler or to a URL, and checks the answer the way Divar would take
// it: status, content type, the response schema of the add-on's OpenAPI
// document, one action kind, absolute http(s) URLs, and time.
//
//	divar := divartest.New(t, gen.GetSpec, handler) // handler built with divartest.Key
//	answer := divar.OpenServerLink(divartest.OpenServerLink().PostToken("gZd7omnS"))
//	// answer.URL is what Divar opens; a wrong answer has already failed t
//
// The builders start from the seeds' examples: OpenServerLink,
// DynamicAction, and Event for each documented event type. Their setters
// change one field; Set and Without reach any field, unknown ones included.
//
// [NewAPI] plays the other side, Divar's open-platform API, for an
// divar.Client: it checks each call's API key, permission, OAuth token and
// scope, body and limits as Divar does, refuses with Divar's status and
// error body, records what it accepted ([API.PostAddons], [API.Messages],
// [API.BotMessages], [API.Subscriptions]), and can be told to answer 429,
// 412, 5xx or slowly ([API.FailNext]), or lose its answer after acting
// ([LostAnswer]). It plays Divar's wallet too: balance, prices, a payment
// id refused once used, PENDING transactions and RECONCILING promotions,
// the PAYMENT_TRANSACTION events to deliver ([API.PaymentEvents]), and
// every charge made ([API.Charges]).
//
// [Checker.Check] is the verdict without a testing.TB, as `scaffold
// trigger` prints it; [ValidateResponses] wraps an echo app so that every
// answer it gives in a test is checked against the spec, and reports an
// answer the sdk refused to send with its reason; [Start] serves an add-on
// on a loopback port with both, as an add-on's own tests do.
package divartest
