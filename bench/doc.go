// Package bench measures what kenarkit's validated server costs against its
// peers, on Divar's seed requests: see docs/BENCHMARKS.md in the repository
// for the figures and the command that reproduces them. It is a module of
// its own so that the peers never become dependencies of the SDK.
//
// Beside the in-process benchmarks, bench/e2e measures the add-on end to
// end: the scaffolded starter and the minimal floor (cmd/floor), each its
// own process under the same wrk load, and profiles the starter
// (e2edebug/pprof.go, built into a scaffolded copy only by the harness).
package bench
