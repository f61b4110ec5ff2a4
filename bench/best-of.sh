# Sourced by the benchmarks: the timing loop they share.
#
# best_of SETUP CMD [ARG...]: the best wall seconds of $BENCH_REPEAT runs
# (default 1) of CMD, each after SETUP (shell code run here, e.g. making a
# fresh database) and a sync, both outside the timing: the gigabytes a
# run before wrote may still be flushing, and a COMMIT's fsync would wait
# behind them (ext4 orders them). Needs $tmp. A failed run prints its
# stderr and fails. BENCH_VERBOSE=1 prints every try to stderr, to tell a
# noisy machine (one slow try) from a slow program (every try).
best_of() {
	_setup=$1
	shift
	best=
	for _ in $(seq 1 "${BENCH_REPEAT:-1}"); do
		eval "$_setup"
		sync
		/usr/bin/time -f '%e' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || {
			cat "$tmp/err" >&2
			return 1
		}
		t=$(cat "$tmp/time")
		if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
			printf '  try: %6s s  %s\n' "$t" "$(echo "$*" | head -n 1 | cut -c1-70)" >&2
		fi
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then
			best=$t
		fi
	done
	echo "$best"
}
