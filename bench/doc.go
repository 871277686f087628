// Package bench measures what kenarkit's validated server costs against its
// peers, on Divar's seed requests: see docs/BENCHMARKS.md in the repository
// for the figures and the command that reproduces them. It is a module of
// its own so that the peers never become dependencies of the SDK.
package bench
