# Sourced by bench/instructions and bench/gate: counting the instructions a
# benchmark executes, under valgrind's callgrind (Debian: valgrind). A
# count, not a time: it repeats whatever else the machine is doing.

# cg_build BIN: builds this module's benchmarks into the test binary BIN.
cg_build() {
  CGO_ENABLED=0 go test -c -o "$1" .
}

# Go's asynchronous preemption signals trip callgrind's signal bookkeeping;
# with one P, no idle thread spins and the collector's work (if it runs)
# is counted on the same thread. valgrind 3.19 stops on RDTSCP, which the
# runtime reads its tick counter with where the CPU has it (some AMD EPYC
# hosts, though their /proc/cpuinfo may not list it): off, the runtime
# reads it with RDTSC, and nothing else changes (golang.org/x/sys/cpu,
# which does not know the option, says so once on stderr).
export GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1

# cg_pattern NAME: the -test.bench pattern that runs exactly the benchmark
# NAME (Benchmark/sub/sub...): each level anchored, its metacharacters quoted.
cg_pattern() {
  local IFS=/ level out=()
  for level in $1; do
    out+=("^$(printf '%s' "$level" | sed 's/[][\.*+?(){}|^$]/\\&/g')\$")
  done
  printf '%s' "${out[*]}"
}

# cg_count BIN NAME N: the instructions of a whole run of the benchmark
# NAME for N iterations. Fails, with the benchmark's output, when the run
# fails or runs no benchmark of that name.
cg_count() {
  local out; out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" \
    -test.run '^$' -test.bench "$(cg_pattern "$2")" -test.benchtime "${3}x" >"$out" 2>&1 ||
    { cat "$out" >&2; rm -f "$out"; return 1; }
  grep -qF "$2" "$out" || { echo "no benchmark ran for $2" >&2; cat "$out" >&2; rm -f "$out"; return 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out"
  rm -f "$out"
}

# cg_per_op BIN NAME LO HI: instructions per iteration of the benchmark
# NAME, (count(HI) - count(LO)) / (HI - LO), which cancels the start-up.
cg_per_op() {
  local a b
  a=$(cg_count "$1" "$2" "$3") || return 1
  b=$(cg_count "$1" "$2" "$4") || return 1
  echo $(( (b - a) / ($4 - $3) ))
}
