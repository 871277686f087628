package tracing

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sampling chooses, at the head, the traces a [Tracer] records (give it
// with [WithSampling]). A root, a span with no parent (a callback that
// came with no traceparent, a token refresh in the background, a call to
// Divar made outside any span), is recorded with probability Ratio. A
// span whose parent is recorded is recorded; one whose parent is not is
// not: a W3C traceparent that came in is followed, sampled or not.
//
// A trace not recorded leaves no span in the context, so what its
// callback does next (the events it handles, the calls it makes to
// Divar) is decided afresh, each a root of its own.
type Sampling struct {
	// Ratio is the share of roots recorded, from 0 (none) to 1 (all).
	Ratio float64
	// IgnoreRemoteParent: a traceparent that came in is not followed;
	// its trace id decides with Ratio instead, as OpenTelemetry's
	// traceidratio sampler decides (always_on, always_off and
	// traceidratio, without the parentbased_ prefix).
	IgnoreRemoteParent bool
}

// bound is the 63-bit number below which a random number (or a trace
// id's lower 63 bits) is recorded, as OpenTelemetry's TraceIDRatioBased
// computes it.
func (s Sampling) bound() uint64 {
	switch {
	case s.Ratio >= 1:
		return 1 << 63
	case s.Ratio > 0:
		return uint64(s.Ratio * (1 << 63))
	}
	return 0 // 0, below, or NaN: none
}

// String names s as OTEL_TRACES_SAMPLER (and OTEL_TRACES_SAMPLER_ARG)
// would: "parentbased_traceidratio 0.1", "always_on".
func (s Sampling) String() string {
	prefix := "parentbased_"
	if s.IgnoreRemoteParent {
		prefix = ""
	}
	switch b := s.bound(); {
	case b == 1<<63:
		return prefix + "always_on"
	case b == 0:
		return prefix + "always_off"
	}
	return prefix + "traceidratio " + strconv.FormatFloat(s.Ratio, 'g', -1, 64)
}

// The variables OpenTelemetry's SDKs read the sampler from.
const (
	SamplerVar    = "OTEL_TRACES_SAMPLER"
	SamplerArgVar = "OTEL_TRACES_SAMPLER_ARG"
)

// SamplingFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG
// as OpenTelemetry specifies them: always_on, always_off, traceidratio
// and their parentbased_ forms, the ratio's argument 1 when unset. With
// OTEL_TRACES_SAMPLER unset, it is parentbased_traceidratio with the
// argument, or defaultRatio when that is unset too. A sampler it does not
// know, or an argument that is not a number from 0 to 1, is an error:
// traces are not sampled other than as the variables say.
func SamplingFromEnv(getenv func(string) string, defaultRatio float64) (Sampling, error) {
	name := strings.TrimSpace(getenv(SamplerVar))
	arg := strings.TrimSpace(getenv(SamplerArgVar))
	ratio := func(def float64) (float64, error) {
		if arg == "" {
			return def, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return 0, fmt.Errorf("%s must be a number from 0 to 1 for %s, such as 0.1: %q", SamplerArgVar, SamplerVar, arg)
		}
		return r, nil
	}
	if name == "" {
		r, err := ratio(defaultRatio)
		return Sampling{Ratio: r}, err
	}
	s := Sampling{IgnoreRemoteParent: !strings.HasPrefix(name, "parentbased_")}
	switch strings.TrimPrefix(name, "parentbased_") {
	case "always_on":
		s.Ratio = 1
	case "always_off":
		s.Ratio = 0
	case "traceidratio":
		r, err := ratio(1)
		if err != nil {
			return Sampling{}, err
		}
		s.Ratio = r
	default:
		return Sampling{}, fmt.Errorf("%s=%q: kenarkit knows always_on, always_off, traceidratio and their parentbased_ forms", SamplerVar, name)
	}
	return s, nil
}
