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
// The words on the wire (requests, answers, actions, events) are package
// sdk's; the calls the add-on makes to Divar are package sdk/divar's.
package server
