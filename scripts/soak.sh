#!/bin/bash
# The soak (`make soak`, not part of `make check`): SOAK_SECONDS (default
# 1800) of mixed load on one database from SOAK_WORKERS (default 8)
# processes, with a killer sending SIGKILL to a random leads process every
# few seconds. After every kill the database must pass integrity_check;
# at the end every write that was acknowledged (exit 0) must be there, no
# message may have reached sendmail more than twice (leads-sweep(1)), and
# every exit status must be one leads(1) documents (or 137, killed).
#
#   make soak                      # 30 minutes
#   SOAK_SECONDS=120 make soak     # a quick look
#   LEADS_DB=postgresql:///soak make soak   # the same on a server
#
# Simulated time runs at an hour a second (LEADS_NOW from the wall
# clock), so reminders fall due and mail goes out while it runs.
# The figures go to stdout; the exit status is 0 when every check held.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
LEADS_BIN=${LEADS_BIN:-$here/leads}
SECONDS_TOTAL=${SOAK_SECONDS:-1800}
WORKERS=${SOAK_WORKERS:-8}
dir=$(mktemp -d /tmp/leads-soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT
export HOME=$dir/home MAIL_DIR=$dir/mail LEADS_CONFIG=$dir/leads.yaml LEADS_USER=soak
mkdir -p "$HOME" "$MAIL_DIR" "$dir/log"
export LEADS_DB=${LEADS_DB:-$dir/leads.db}
export LEADS_BUSY_TIMEOUT=${LEADS_BUSY_TIMEOUT:-10000}
cat >"$LEADS_CONFIG" <<YAML
pipeline:
  stages:
    - {name: Prospecting, group: active, remind_after: 2d, repeat: 2d, escalate_after: 2}
    - {name: Contacted, group: active, remind_after: 3d}
    - {name: Proposal Sent, group: active}
    - {name: Closed Deal, group: won}
    - {name: Lost, group: lost}
status:
  inactive_after: 10d
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
  - {name: mia, email: mia@example.com, role: manager}
routing:
  default: {round_robin: [ana, ben]}
mail:
  from: "Leads <leads@example.com>"
  sendmail: $here/tests/fixtures/sendmail -t -i
YAML
chmod 600 "$LEADS_CONFIG"
base=$(date -u -d 2026-01-01T00:00:00Z +%s)
start=$(date +%s)
deadline=$((start + SECONDS_TOTAL))

now() { # an hour of simulated time per second
	date -u -d "@$((base + ($(date +%s) - start) * 3600))" +%Y-%m-%dT%H:%M:%SZ
}

"$LEADS_BIN" init -q || exit 1

# One worker: random commands until the deadline. Each line of its log is
# "op status"; acknowledged adds and imports also list their emails.
worker() {
	local w=$1 n=0 rc op id
	local log=$dir/log/ops.$w acked=$dir/log/acked.$w
	while [ "$(date +%s)" -lt "$deadline" ]; do
		n=$((n + 1))
		export LEADS_NOW
		LEADS_NOW=$(now)
		id=$((RANDOM % (n * WORKERS / 2 + 1) + 1))
		case $((RANDOM % 12)) in
		0 | 1 | 2)
			op=add
			"$LEADS_BIN" add -q --email "w$w-$n@example.com" --first "W$w" --last "N$n" \
				--company "Co $((n % 50))" >/dev/null 2>>"$dir/log/err.$w"
			rc=$?
			[ $rc -ne 0 ] || echo "w$w-$n@example.com" >>"$acked"
			;;
		3)
			op=import
			local f=$dir/log/in.$w.csv
			{
				echo "email,first_name,company"
				for k in 1 2 3 4 5 6 7 8 9 10; do echo "i$w-$n-$k@example.com,I$k,Imp $w"; done
			} >"$f"
			"$LEADS_BIN" import -q "$f" 2>>"$dir/log/err.$w"
			rc=$?
			[ $rc -ne 0 ] || sed 1d "$f" | cut -d, -f1 >>"$acked"
			;;
		4) op=move; "$LEADS_BIN" move -q "$id" --next 2>/dev/null; rc=$? ;;
		5) op=note; "$LEADS_BIN" note -q "$id" "soak note $n" 2>/dev/null; rc=$? ;;
		6) op=log; "$LEADS_BIN" log -q "$id" call 2>/dev/null; rc=$? ;;
		7) op=sweep; "$LEADS_BIN" sweep -q >/dev/null 2>>"$dir/log/err.$w"; rc=$? ;;
		8) op=route; "$LEADS_BIN" route -q --all --reassign >/dev/null 2>&1; rc=$? ;;
		9) op=export; "$LEADS_BIN" export -O "$dir/log/export.$w.csv" 2>>"$dir/log/err.$w"; rc=$? ;;
		10) op=funnel; "$LEADS_BIN" funnel >/dev/null 2>>"$dir/log/err.$w"; rc=$? ;;
		11) op=list; "$LEADS_BIN" list -n 20 >/dev/null 2>>"$dir/log/err.$w"; rc=$? ;;
		esac
		echo "$op $rc" >>"$log"
	done
}

for w in $(seq 1 "$WORKERS"); do worker "$w" & done

# The killer: SIGKILL a random leads process, then check the file.
kills=0 checks=0 bad_checks=0
is_sqlite=1
case $LEADS_DB in postgres*) is_sqlite=0 ;; esac
while [ "$(date +%s)" -lt "$deadline" ]; do
	sleep "$((RANDOM % 3 + 1))"
	pids=$(pgrep -f "^$LEADS_BIN " || true)
	[ -n "$pids" ] || continue
	victim=$(shuf -n1 -e $pids)
	kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	if [ $is_sqlite = 1 ]; then
		r=$(sqlite3 -cmd '.timeout 10000' "$LEADS_DB" 'PRAGMA integrity_check' 2>&1)
	else
		r=$(psql -X -A -t -d "$LEADS_DB" -c 'SELECT 1' 2>&1 | sed 's/^1$/ok/')
	fi
	checks=$((checks + 1))
	[ "$r" = ok ] || { bad_checks=$((bad_checks + 1)); echo "check after kill $kills: $r"; }
done
wait

status=0
# Acknowledged writes are all there.
cat "$dir"/log/acked.* 2>/dev/null | sort -u >"$dir/acked"
"$LEADS_BIN" export --format jsonl | jq -r .email | sort -u >"$dir/have"
lost=$(comm -23 "$dir/acked" "$dir/have" | wc -l)
# No message more than twice. (find, not a glob: half an hour of mail is
# more files than one command line holds)
find "$MAIL_DIR" -name 'msg.*' -exec grep -h '^Message-ID:' {} + | sort >"$dir/ids"
dups=$(uniq -c "$dir/ids" | awk '$1 > 2' | wc -l)
twice=$(uniq -c "$dir/ids" | awk '$1 == 2' | wc -l)
sent=$(wc -l <"$dir/ids")
# Exit statuses: leads(1)'s, or 137 (killed by us).
odd=$(cat "$dir"/log/ops.* | awk '$2 !~ /^(0|1|64|65|66|73|74|75|78|137)$/' | sort | uniq -c)
ops=$(cat "$dir"/log/ops.* | wc -l)
r=ok
[ $is_sqlite = 0 ] || r=$(sqlite3 "$LEADS_DB" 'PRAGMA integrity_check')

echo "soak: $SECONDS_TOTAL s, $WORKERS workers, $ops commands, $kills SIGKILLs"
echo "  by status: $(cat "$dir"/log/ops.* | awk '{print $2}' | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
echo "  integrity checks after a kill: $checks, failed: $bad_checks; at the end: $r"
echo "  acknowledged emails: $(wc -l <"$dir/acked"), missing: $lost"
echo "  mail: $sent sent, $twice sent twice, $dups more than twice"
[ -z "$odd" ] || { echo "  undocumented exit statuses:"; echo "$odd"; status=1; }
[ "$bad_checks" -eq 0 ] && [ "$r" = ok ] || status=1
[ "$lost" -eq 0 ] || { comm -23 "$dir/acked" "$dir/have" | head -5; status=1; }
[ "$dups" -eq 0 ] || status=1
if [ $status -eq 0 ]; then
	rm -rf "$dir"
	echo "soak: ok"
else
	echo "soak: FAILED (kept $dir)"
fi
exit $status
