#!/bin/sh
# scripts/valgrind-suite.sh [BATS_FILE...] - the bats suite with every
# leads run under valgrind memcheck: no invalid read or write, no use of
# uninitialised memory, no definite leak.
#
# Builds build/valgrind/leads (-O1 -g, no sanitizers), then runs the bats
# files (default: all of tests/*.bats but the few listed in SLOW below)
# with LEADS_BIN pointing at a wrapper that runs
#
#   valgrind --leak-check=full --errors-for-leak-kinds=definite
#            --error-exitcode=99 ...
#
# so a memory error fails the command (exit 99) and usually its test; every
# report also goes to build/valgrind/logs/vg.PID.log. The script fails if
# any test failed or any log holds an error, and prints those logs.
#
# Environment: VALGRIND_JOBS (bats --jobs, default 2), VALGRIND_ALL=1 to
# run the SLOW files too.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
B=build/valgrind

# Files whose point is timing (signals at a read offset, busy timeouts,
# many processes at once) or volume (a month of sweeps over 3000 leads):
# under valgrind's 20-50x slow-down they test the clock, not the memory.
# Every command they use is run by the other files too.
SLOW="0104-import-interrupted 0304-sweep-month 0430-stress 0440-crash"

command -v valgrind >/dev/null || {
	echo "valgrind-suite: valgrind not found (apt-get install valgrind)" >&2
	exit 1
}
make --no-print-directory -s -j2 BUILD=$B CFLAGS="-O1 -g" $B/leads

logs=$root/$B/logs
rm -rf "$logs"
mkdir -p "$logs"
wrapper=$root/$B/leads-vg
cat >"$wrapper" <<EOF
#!/bin/sh
exec valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=yes \\
	--log-file=$logs/vg.%p.log $root/$B/leads "\$@"
EOF
chmod +x "$wrapper"

if [ $# -eq 0 ]; then
	for f in tests/*.bats; do
		n=$(basename "$f" .bats)
		case " $SLOW " in
		*" $n "*) [ -n "${VALGRIND_ALL:-}" ] || continue ;;
		esac
		set -- "$@" "$f"
	done
fi

status=0
jobs=${VALGRIND_JOBS:-2}
if [ "$jobs" -gt 1 ]; then
	LEADS_BIN=$wrapper bats --jobs "$jobs" --no-parallelize-within-files "$@" || status=$?
else
	LEADS_BIN=$wrapper bats "$@" || status=$?
fi

bad=0
for f in "$logs"/vg.*.log; do
	[ -s "$f" ] || continue
	bad=$((bad + 1))
	echo "==== $f" >&2
	cat "$f" >&2
done
n=$(ls "$logs" | wc -l)
if [ "$bad" -gt 0 ]; then
	echo "valgrind-suite: $bad of $n leads runs reported memory errors or leaks" >&2
	exit 1
fi
if [ "$status" -ne 0 ]; then
	echo "valgrind-suite: some tests failed under valgrind (see above)" >&2
	exit 1
fi
echo "valgrind-suite: $n leads runs, no memory errors, no definite leaks"
