#!/bin/sh
# fuzz/run.sh [SECONDS] [HARNESS...] - build the libFuzzer harnesses and run
# each for SECONDS (default 60), one after the other (`make fuzz` runs all;
# FUZZ_SECONDS=600 make fuzz for a long run).
#
#   harnesses: csv config cond time json form  (fuzz/fuzz_<name>.c)
#
# lib/*.c is compiled with clang-14 and -fsanitize=fuzzer-no-link,address,
# undefined into build/fuzz (the Makefile's own rules, another BUILD dir),
# each harness is linked with it and run on a work corpus in
# build/fuzz/corpus/<name> seeded from fuzz/corpus/<name> (committed,
# small); new inputs libFuzzer finds stay in build/fuzz only. A crash
# leaves its input in build/fuzz/crashes/ and makes this script exit 1
# after the other harnesses have run. To keep one as a regression case,
# copy it to tests/fixtures/fuzz-regressions/<name>/ (replayed by
# tests/unit/test_fuzz_replay.c in `make check`).
#
# Environment: CLANG (default clang-14), FUZZ_JOBS (make -j, default 2),
# FUZZ_FLAGS (more libFuzzer flags, e.g. -runs=1000).
set -eu
cd "$(dirname "$0")/.."

secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-csv config cond time json form}
CLANG=${CLANG:-clang-14}
B=build/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $SAN -Wno-error"

command -v "$CLANG" >/dev/null || {
	echo "fuzz: $CLANG not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 1
}

objs="$B/gen/templates.o"
for f in lib/*.c; do
	o=$B/${f%.c}.o
	objs="$objs $o"
done
# the Makefile's object rules, compiled with clang (its dependency files
# rebuild what changed)
make --no-print-directory -s -j"${FUZZ_JOBS:-2}" BUILD=$B CC="$CLANG" CFLAGS="$CFLAGS" $objs

libs="$(pkg-config --libs sqlite3 yaml-0.1 jansson) -lm"
incs="-Ilib $(pkg-config --cflags sqlite3 yaml-0.1 jansson)"
mkdir -p $B/crashes
failed=""
for h in $harnesses; do
	src=fuzz/fuzz_$h.c
	[ -f "$src" ] || { echo "fuzz: no harness $src" >&2; exit 64; }
	bin=$B/fuzz_$h
	# shellcheck disable=SC2086
	$CLANG -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O1 -g \
		-fsanitize=fuzzer $SAN $incs -o "$bin" "$src" $objs $libs
	mkdir -p $B/corpus/$h fuzz/corpus/$h
	dict=""
	[ -f fuzz/dict/$h.dict ] && dict="-dict=fuzz/dict/$h.dict"
	echo "fuzz: $h for ${secs}s" >&2
	start=$(date +%s)
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix=$B/crashes/$h- $dict ${FUZZ_FLAGS:-} \
		$B/corpus/$h fuzz/corpus/$h >$B/$h.log 2>&1; then
		echo "fuzz: $h ok ($(($(date +%s) - start))s, $(grep -m1 'stat::number_of_executed_units' $B/$h.log | awk '{print $2}') runs)" >&2
	else
		echo "fuzz: $h FAILED, see $B/$h.log and $B/crashes/" >&2
		tail -n 40 $B/$h.log >&2
		failed="$failed $h"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: crashes in:$failed" >&2
	exit 1
fi
