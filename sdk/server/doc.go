// Package server is the receiving side of an add-on: the HTTP server that
// Divar's calls reach. [New] registers the strict-server handlers that
// oapi-codegen generates from the add-on's OpenAPI document behind one
// guard that, for every operation of the document, checks the
// identification key Divar sends in Authorization ([CheckKey]) before
// reading the body, can refuse addresses outside Divar's
// ([IPAllowlistConfig]), validates the request, hands the handler the
// validated body, and runs it within Divar's budget. Every error is
// answered as an RFC 9457 sdk.Problem naming each failing field by JSON
// pointer. The [Server] serves itself ([Server.Serve]) with timeouts, a
// drain ([Ready]) and a graceful shutdown, and refuses to start when a
// spec operation is registered where the guard does not check it.
//
// Every request gets a fresh X-Request-Id and one access-log line on
// [Config.Logger], at a level that follows the answer's status: Debug for
// 2xx and 3xx, Info for 4xx (the key refused, the body invalid: with why),
// Error for 5xx and panics ([Ready]'s 503 while draining at Info). A
// logger at Info, the usual default, so logs
// what went wrong and builds nothing for the requests served (count those
// with metrics, [Config.Observer]); a logger at Debug logs every request.
//
// The words on the wire (requests, answers, actions, events) are package
// sdk's; the calls the add-on makes to Divar are package sdk/divar's.
package server
