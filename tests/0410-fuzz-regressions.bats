#!/usr/bin/env bats
# The inputs the fuzzers of fuzz/ found (tests/fixtures/fuzz-regressions/
# <harness>/) through the command line as well: tests/unit/
# test_fuzz_replay.c replays them through the harnesses; here each must
# end in a documented exit code with a message, and what succeeds must be
# right. Crashes (exit >= 128) and internal errors (70) are failures.
load test_helper

REG=$BATS_TEST_DIRNAME/fixtures/fuzz-regressions

# Exit code $1 is one leads documents for bad input.
documented() {
	case $1 in
	0 | 1 | 64 | 65 | 66 | 74 | 78) return 0 ;;
	*) return 1 ;;
	esac
}

@test "add --json: every JSON regression is stored exactly or refused with 65" {
	local f n=0 nul="instr(j.value, char(0)) > 0"
	# PostgreSQL text cannot hold a NUL at all (nor invalid UTF-8)
	[ -z "${LEADS_TEST_PG:-}" ] || nul=false
	for f in "$REG"/json/*; do
		reset_db
		run --separate-stderr leads add --json <"$f"
		documented "$status" || fail "$(basename "$f"): exit $status: $stderr"
		if ((status == 0)); then
			# every custom field stored holds valid UTF-8 without a NUL
			run -0 sql "SELECT count(*) FROM leads, json_each(leads.extra) AS j
				WHERE j.type = 'text' AND (j.value IS NULL OR $nul)"
			assert_output 0
		else
			[ -n "$stderr" ] || fail "$(basename "$f"): exit $status without a message"
		fi
		n=$((n + 1))
	done
	((n > 0))
}

@test "config: every config regression loads, and what config show writes loads again" {
	local f n=0
	for f in "$REG"/config/*; do
		run --separate-stderr leads -c "$f" config check
		documented "$status" || fail "$(basename "$f"): exit $status: $stderr"
		if ((status == 0)); then
			leads -c "$f" config show >shown.yaml
			run --separate-stderr leads -c shown.yaml config check
			assert_success
		fi
		n=$((n + 1))
	done
	((n > 0))
}

@test "import: every CSV regression (less the harness's option byte) ends with a documented code" {
	local f
	for f in "$REG"/csv/*; do
		[ -e "$f" ] || continue
		tail -c +2 "$f" >in.csv
		reset_db
		run --separate-stderr leads import in.csv
		documented "$status" || fail "$(basename "$f"): exit $status: $stderr"
	done
}
