// Package metrics counts what an add-on built with kenarkit does, in
// Prometheus' format (github.com/prometheus/client_golang): the callbacks
// Divar makes and how they were answered, the events and what became of
// them, the calls to Divar, the consents and tokens, the subscriptions
// renewed, the Redis stores' errors. A [Metrics] is the observer every
// room takes (server.Config, event.Mux, divar.Config, tokens.Config,
// consent.Config and redisstore.Config each have an Observer field);
// [Handler] serves what it counted. An add-on that
// does not import this package links nothing of Prometheus.
//
//	m, err := metrics.New(prometheus.NewRegistry())
//	cfg.Observer = m // server.Config, divar.Config, …
//	go http.ListenAndServe(":9090", m.Handler()) // never on the port Divar calls
//
// The names follow Prometheus' conventions (kenarkit_ prefix, _total
// counters, _seconds histograms) and the labels are few and bounded: an
// operation of the spec, a status, an event type, an outcome, a reason;
// never a post token, a user, a conversation or a request id.
//
// The latency histograms' buckets bracket Divar's standards for an
// add-on (docs/misc/standards.md of kenar-docs): p99 under 500 ms and
// p999 under 2 s; [Buckets] lists them.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tokens"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Buckets are the latency histograms' upper bounds, in seconds: fine
// below Divar's 500 ms, and bounds at 500 ms and 2 s, so that the share
// of answers within each is read off one bucket.
var Buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5}

// Metrics holds kenarkit's collectors, registered with one registry. It
// implements server.Observer, event.Observer, divar.Observer,
// tokens.Observer and consent.Observer. It is safe for concurrent use.
type Metrics struct {
	gatherer prometheus.Gatherer

	requests   *prometheus.CounterVec   // operation, status
	latency    *prometheus.HistogramVec // operation
	refusals   *prometheus.CounterVec   // operation, reason
	overBudget *prometheus.CounterVec   // operation
	panics     *prometheus.CounterVec   // operation

	events *prometheus.CounterVec // type, outcome

	calls       *prometheus.CounterVec   // operation, status
	callLatency *prometheus.HistogramVec // operation
	retries     *prometheus.CounterVec   // operation, status
	rateWaits   *prometheus.CounterVec   // operation
	rateWaited  *prometheus.CounterVec   // operation

	refreshes   *prometheus.CounterVec // outcome
	reconsents  prometheus.Counter
	revocations prometheus.Counter
	consents    prometheus.Counter
	consentEnds *prometheus.CounterVec // outcome, reason

	subscriptions *prometheus.CounterVec // outcome

	redisErrors *prometheus.CounterVec // store, operation

	ops readMostly[string, *opMetrics] // made at the operation's first request
}

// opMetrics are one operation's children of requests and latency, and
// the function that counts a request to it: a callback is then counted
// with two map lookups, not a hash of its labels and an allocation.
type opMetrics struct {
	m        *Metrics
	op       string
	latency  prometheus.Observer
	statuses readMostly[int, prometheus.Counter]
	done     func(server.Result)
}

// op returns the operation's metrics.
func (m *Metrics) op(op string) *opMetrics {
	return m.ops.get(op, func() *opMetrics {
		o := &opMetrics{m: m, op: op, latency: m.latency.WithLabelValues(op)}
		o.done = o.count
		return o
	})
}

// count counts a request to the operation once it is answered.
func (o *opMetrics) count(res server.Result) {
	o.statuses.get(res.Status, func() prometheus.Counter {
		return o.m.requests.WithLabelValues(o.op, strconv.Itoa(res.Status))
	}).Inc()
	o.latency.Observe(res.Duration.Seconds())
	if res.Refused != "" {
		o.m.refusals.WithLabelValues(o.op, res.Refused).Inc()
	}
	if res.OverBudget {
		o.m.overBudget.WithLabelValues(o.op).Inc()
	}
	if res.Panicked {
		o.m.panics.WithLabelValues(o.op).Inc()
	}
}

// readMostly is a map read on every request and written a few times in
// a process's life (once per operation, once per status sent): a read
// takes no lock and hashes no interface, as a sync.Map's does; a write
// copies the contents.
type readMostly[K comparable, V any] struct {
	p  atomic.Pointer[entries[K, V]]
	mu sync.Mutex // serialises the writes
}

// entries are a readMostly's contents. Up to fewEntries of them are
// looked up in order: comparing a few keys costs less than a map's lookup
// (a string key compares equal at once when it is the same string, as an
// operation's name is on every request), and a process holds a few
// operations and statuses. Past that, a map.
type entries[K comparable, V any] struct {
	keys []K
	vals []V
	m    map[K]V // nil up to fewEntries
}

const fewEntries = 8

func (e *entries[K, V]) find(k K) (V, bool) {
	if e.m != nil {
		v, ok := e.m[k]
		return v, ok
	}
	for i := range e.keys {
		if e.keys[i] == k {
			return e.vals[i], true
		}
	}
	var zero V
	return zero, false
}

// get returns the value of k, made by newValue and stored at the first
// get of k.
func (r *readMostly[K, V]) get(k K, newValue func() V) V {
	if e := r.p.Load(); e != nil {
		if v, ok := e.find(k); ok {
			return v
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.p.Load()
	if old == nil {
		old = &entries[K, V]{}
	}
	if v, ok := old.find(k); ok {
		return v
	}
	v := newValue()
	next := &entries[K, V]{keys: append(slices.Clip(old.keys), k), vals: append(slices.Clip(old.vals), v)}
	if len(next.keys) > fewEntries {
		next.m = make(map[K]V, len(next.keys))
		for i, k := range next.keys {
			next.m[k] = next.vals[i]
		}
	}
	r.p.Store(next)
	return v
}

// New returns Metrics registered with reg, which is also what
// [Metrics.Handler] serves when it is a prometheus.Gatherer too (a
// *prometheus.Registry is both). Pass prometheus.NewRegistry() for
// kenarkit's metrics alone, or prometheus.DefaultRegisterer to serve them
// with the Go runtime's and the process's. It fails when reg already
// holds collectors of the same names.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: New needs a registry (prometheus.NewRegistry())")
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "kenarkit", Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "kenarkit", Name: name, Help: help, Buckets: Buckets}, labels)
	}
	m := &Metrics{
		requests:   counter("server_requests_total", "Requests to the spec's operations (Divar's callbacks and events), by operation and status sent.", "operation", "status"),
		latency:    histogram("server_request_duration_seconds", "Time from a callback's arrival to its answer, by operation.", "operation"),
		refusals:   counter("server_refusals_total", "Requests the server refused before the handler ran, by operation and reason (ip, key, size, media_type, schema).", "operation", "reason"),
		overBudget: counter("server_over_budget_total", "Handlers that did not answer within their budget (answered 503), by operation.", "operation"),
		panics:     counter("server_panics_total", "Handlers that panicked (answered 500), by operation.", "operation"),

		events: counter("events_total", "Event deliveries, by event type and outcome (handled, duplicate, in_progress, failed, unfinished, ignored).", "type", "outcome"),

		calls:       counter("divar_calls_total", "Calls to Divar's API, by operation and the status of Divar's last answer (none: no answer came).", "operation", "status"),
		callLatency: histogram("divar_call_duration_seconds", "Time a call to Divar took, retries and waits included, by operation.", "operation"),
		retries:     counter("divar_retries_total", "Calls to Divar sent again, by operation and the status that caused it (none: no answer came).", "operation", "status"),
		rateWaits:   counter("divar_rate_limited_waits_total", "Waits after Divar answered 429, by operation.", "operation"),
		rateWaited:  counter("divar_rate_limited_wait_seconds_total", "Time spent waiting after Divar answered 429, by operation.", "operation"),

		refreshes:   counter("token_refreshes_total", "Refreshes of a user's token at Divar, by outcome (ok, failed).", "outcome"),
		reconsents:  prometheus.NewCounter(prometheus.CounterOpts{Namespace: "kenarkit", Name: "token_reconsents_needed_total", Help: "Times a user's token source answered that the user must consent again."}),
		revocations: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "kenarkit", Name: "token_revocations_total", Help: "Users whose withdrawal of access deleted their tokens."}),
		consents:    prometheus.NewCounter(prometheus.CounterOpts{Namespace: "kenarkit", Name: "consents_started_total", Help: "Users sent to Divar's consent page."}),
		consentEnds: counter("consents_ended_total", "Redirects back from Divar's consent page, by outcome (granted, declined, refused) and reason.", "outcome", "reason"),

		subscriptions: counter("subscription_renewals_total", "Renewals of event subscriptions, by outcome (ok, failed).", "outcome"),

		redisErrors: counter("redis_errors_total", "Commands and scripts of the Redis stores that failed (a key not found is no error), by store (dedupe, session, tokens, oauth_states) and operation.", "store", "operation"),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.latency, m.refusals, m.overBudget, m.panics, m.events,
		m.calls, m.callLatency, m.retries, m.rateWaits, m.rateWaited,
		m.refreshes, m.reconsents, m.revocations, m.consents, m.consentEnds, m.subscriptions, m.redisErrors,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	if g, ok := reg.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	return m, nil
}

// Handler serves the metrics of the registry given to [New] in
// Prometheus' text format (prometheus.DefaultGatherer's when that
// registry is not a Gatherer). Serve it on a listener of its own, never on
// the port Divar calls.
func (m *Metrics) Handler() http.Handler {
	g := m.gatherer
	if g == nil {
		g = prometheus.DefaultGatherer
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// ObserveRequest implements server.Observer.
func (m *Metrics) ObserveRequest(ctx context.Context, r server.Request) (context.Context, func(server.Result)) {
	return ctx, m.op(r.Operation).done
}

// ObserveEvent implements event.Observer. An event of a type kenarkit
// does not know is counted as type "other".
func (m *Metrics) ObserveEvent(ctx context.Context, e *event.Event) (context.Context, func(event.Outcome, error)) {
	typ := eventType(e.Type)
	return ctx, func(o event.Outcome, _ error) {
		m.events.WithLabelValues(typ, string(o)).Inc()
	}
}

// eventType is t when kenarkit knows it, else "other": a label takes no
// value Divar could vary at will.
func eventType(t event.Type) string {
	for _, k := range event.Types() {
		if k == t {
			return string(t)
		}
	}
	return "other"
}

// ObserveCall implements divar.Observer.
func (m *Metrics) ObserveCall(ctx context.Context, op string) (context.Context, divar.CallObserver) {
	return ctx, &call{m: m, op: op, start: time.Now()}
}

type call struct {
	m     *Metrics
	op    string
	start time.Time
}

func (c *call) Sending(context.Context, http.Header) {}

func (c *call) Retrying(status int, wait time.Duration) {
	c.m.retries.WithLabelValues(c.op, statusLabel(status)).Inc()
	if status == http.StatusTooManyRequests {
		c.m.rateWaits.WithLabelValues(c.op).Inc()
		c.m.rateWaited.WithLabelValues(c.op).Add(wait.Seconds())
	}
}

func (c *call) Done(status int, _ error) {
	c.m.calls.WithLabelValues(c.op, statusLabel(status)).Inc()
	c.m.callLatency.WithLabelValues(c.op).Observe(time.Since(c.start).Seconds())
}

func statusLabel(status int) string {
	if status == 0 {
		return "none"
	}
	return strconv.Itoa(status)
}

// ObserveRefresh implements tokens.Observer.
func (m *Metrics) ObserveRefresh(ctx context.Context) (context.Context, func(error)) {
	return ctx, func(failed error) { m.refreshes.WithLabelValues(outcome(failed)).Inc() }
}

// Reconsent implements tokens.Observer.
func (m *Metrics) Reconsent(context.Context) { m.reconsents.Inc() }

// Revoked implements tokens.Observer.
func (m *Metrics) Revoked(context.Context) { m.revocations.Inc() }

// ConsentStarted implements consent.Observer.
func (m *Metrics) ConsentStarted(context.Context) { m.consents.Inc() }

// ConsentEnded implements consent.Observer.
func (m *Metrics) ConsentEnded(_ context.Context, err *consent.CallbackError) {
	switch {
	case err == nil:
		m.consentEnds.WithLabelValues("granted", "").Inc()
	case errors.Is(err, consent.ErrDenied):
		m.consentEnds.WithLabelValues("declined", "").Inc()
	default:
		m.consentEnds.WithLabelValues("refused", consentReason(err)).Inc()
	}
}

// consentReasons name the sentinels a refused redirect wraps.
var consentReasons = []struct {
	err  error
	name string
}{
	{consent.ErrStateExpired, "state_expired"},
	{consent.ErrStateInvalid, "state_invalid"},
	{consent.ErrStateForeign, "state_foreign"},
	{consent.ErrStateReplayed, "state_replayed"},
	{consent.ErrTooManyStates, "too_many_states"},
	{consent.ErrStoreUnavailable, "store_unavailable"},
	{consent.ErrNoCode, "no_code"},
	{consent.ErrCodeRejected, "code_rejected"},
	{consent.ErrDivarRefused, "divar_refused"},
	{consent.ErrNoUser, "no_user"},
	{consent.ErrWrongUser, "wrong_user"},
	{consent.ErrGrantHandler, "grant_handler"},
}

func consentReason(err error) string {
	for _, r := range consentReasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "other"
}

// SubscriptionRenewed counts a renewal of an event subscription: err is
// nil when Divar took it. The starter's renewal loop calls it.
func (m *Metrics) SubscriptionRenewed(err error) {
	m.subscriptions.WithLabelValues(outcome(err)).Inc()
}

// RedisError implements redisstore.Observer (sdk/redisstore): it counts
// the error by store and operation, both fixed names. (Metrics does not
// import redisstore, so that an add-on without Redis links no go-redis
// for its metrics.)
func (m *Metrics) RedisError(_ context.Context, store, operation string, _ error) {
	m.redisErrors.WithLabelValues(store, operation).Inc()
}

func outcome(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

var (
	_ server.Observer  = (*Metrics)(nil)
	_ event.Observer   = (*Metrics)(nil)
	_ divar.Observer   = (*Metrics)(nil)
	_ tokens.Observer  = (*Metrics)(nil)
	_ consent.Observer = (*Metrics)(nil)
)
