#!/bin/sh
# Routing and scoring benchmark (issue 5): `leads route --all` and
# `leads score --recalc --all` over N leads (default 1,000,000) with 20
# rules each, against one sqlite3 UPDATE over all rows with an equivalent
# CASE expression, in the same run, printed as ratios.
#
# The database is made by `leads init` and filled by sqlite3 directly (a
# million `leads add` would take far too long): leads spread over the
# stages, statuses, titles, states and sources the rules look at, custom
# fields in extra, and about 0.68 activities a lead (opens, calls,
# meetings) for the behaviour rules. Each timed run starts from its own
# copy of that database.
#
# What the peers do is less than what leads does, on purpose: the UPDATE
# only computes the new owner or score. leads also records an "assigned"
# event per assignment, queues each member's mail (one digest per member
# for a bulk run), rescores the lead it assigned,
# fires the score thresholds crossed (event, task, mail), and evaluates
# real POSIX regexes where the peer uses LIKE.
#
# The scoring runs start from leads never scored, the worst case: every
# score changes and every threshold a lead is above fires. The routing runs
# start from the same leads with their scores computed, as they always are
# in a database leads writes (every change rescores), so routing does not
# pay for first-time thresholds. leads prints its route report as TSV: a
# terminal table of a million rows is held in memory to align it.
#
# usage: bench/route-score.sh [LEADS] [ROWS]   (default ./leads, 1000000)
#   BENCH_REPEAT=N  time each command N times and keep the best (noisy hosts)
set -eu
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-1000000}
tmp=${BENCH_TMP:-$(mktemp -d)}
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench
now=$(date -d "$LEADS_NOW" +%s)

repeat=${BENCH_REPEAT:-1}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/best-of.sh"

# wall seconds of a command (the best of $repeat runs, each on a fresh copy
# of the database $base)
measure() {
	best_of 'fresh "$base"' "$@"
}

cat >"$tmp/config.yaml" <<'YAML'
team:
  - {name: ana, email: ana@example.com, weight: 3, capacity: 900000, groups: [east]}
  - {name: ben, email: ben@example.com, weight: 2, groups: [east]}
  - {name: cy, email: cy@example.com, away: true}
  - {name: dee, email: dee@example.com, weight: 2, groups: [west]}
  - {name: eli, email: eli@example.com, groups: [west]}
  - {name: fay, email: fay@example.com}
  - {name: gus, email: gus@example.com}
  - {name: hal, email: hal@example.com}
routing:
  rules:
    - {name: spam, when: {field: email, regex: "@(mailinator|trashmail)\\."}, assign: unassigned}
    - {name: enterprise, when: {field: extra.employees, gte: 4500}, assign: {round_robin: [ana, dee], weighted: true}}
    - {name: revenue, when: {field: extra.annual_revenue, gte: 2900000}, assign: ana}
    - {name: big-deal, when: {field: value, gte: 95000}, assign: {least_loaded: [ana, ben, dee]}}
    - {name: ceo-ny, when: {all: [{field: title, eq: CEO}, {field: state, eq: NY}]}, assign: ana}
    - {name: ceo-ca, when: {all: [{field: title, eq: CEO}, {field: state, eq: CA}]}, assign: dee}
    - {name: partner, when: {field: source, eq: partner}, assign: eli}
    - {name: webinar-east, when: {all: [{field: source, eq: webinar}, {field: state, in: [NY, NJ, MA, PA]}]}, assign: ben}
    - {name: webinar-west, when: {all: [{field: source, eq: webinar}, {field: state, in: [CA, WA, OR]}]}, assign: eli}
    - {name: germany, when: {field: country, eq: DE}, assign: fay}
    - {name: uk, when: {field: country, eq: UK}, assign: fay}
    - {name: directors, when: {field: title, regex: "^director", ignore_case: true}, assign: {round_robin: [ben, cy, gus]}}
    - {name: trade-show, when: {field: source, eq: trade show}, assign: gus}
    - {name: texas, when: {field: state, eq: TX}, assign: {round_robin: [ben, gus]}}
    - {name: florida, when: {field: state, eq: FL}, assign: hal}
    - {name: illinois, when: {field: state, eq: IL}, assign: hal}
    - {name: stale, when: {field: last_activity_age, gte: 80d}, assign: hal}
    - {name: engineers, when: {field: title, contains: engineer}, assign: {round_robin: [dee, eli]}}
    - {name: managers, when: {field: title, contains: manager}, assign: ben}
    - {name: everyone-else, assign: {round_robin: [ana, ben, cy, dee, eli, fay, gus, hal], weighted: true}}
scoring:
  rules:
    - {name: exec, when: {field: title, regex: "ceo|cfo|vp", ignore_case: true}, points: 20}
    - {name: director, when: {field: title, regex: "^director", ignore_case: true}, points: 10}
    - {name: engineer, when: {field: title, contains: engineer}, points: 2}
    - {name: manager, when: {field: title, contains: manager}, points: -5}
    - {name: referral, when: {field: source, eq: referral}, points: 10}
    - {name: partner, when: {field: source, eq: partner}, points: 8}
    - {name: webinar, when: {field: source, eq: webinar}, points: 5}
    - {name: size-1k, when: {field: extra.employees, gte: 1000}, points: 10}
    - {name: size-4k, when: {field: extra.employees, gte: 4000}, points: 10}
    - {name: revenue, when: {field: extra.annual_revenue, gte: 1000000}, points: 10}
    - {name: deal, when: {field: value, gte: 50000}, points: 15}
    - {name: east, when: {field: state, in: [NY, NJ, MA, PA]}, points: 3}
    - {name: abroad, when: {field: country, ne: US}, points: -3}
    - {name: unqualified, when: {field: status, eq: unqualified}, points: -30}
    - {name: appointment, when: {field: stage, eq: appointment-set}, points: 10}
    - {name: fresh, when: {field: age, lt: 30d}, points: 5}
    - {name: idle, when: {field: last_activity_age, gte: 60d}, points: -10}
    - {name: opens, on: email-opened, points: 3, max: 15, within: 30d}
    - {name: calls, on: call, points: 5, max: 20, within: 60d}
    - {name: meetings, on: meeting, points: 15, decay: {half_life: 30d}}
  cap: 100
  thresholds:
    - {name: warm, at: 50, instructions: "Send the case study."}
    - {name: hot, at: 75, instructions: "Call within the hour.", due: 1h}
YAML
export LEADS_CONFIG="$tmp/config.yaml"

# ---- the database ----
export LEADS_DB="$tmp/base.db"
"$leads" init 2>/dev/null
sqlite3 "$LEADS_DB" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $rows)
INSERT INTO leads(email, first_name, last_name, company, title, state, country, source,
                  stage, status, priority, score, value, created_at, updated_at,
                  last_activity_at, stage_entered_at, extra, reached_pos)
SELECT 'l' || i || '@c' || (i % 997) || (CASE WHEN i % 101 = 0 THEN '.mailinator.com' ELSE '.example.com' END),
       CASE i % 8 WHEN 0 THEN 'Ana' WHEN 1 THEN 'Ben' WHEN 2 THEN 'Chloé' WHEN 3 THEN 'Dmitri'
                  WHEN 4 THEN 'Émile' WHEN 5 THEN 'Fatima' WHEN 6 THEN 'Gustavo' ELSE 'Hana' END,
       CASE i % 7 WHEN 0 THEN 'Lima' WHEN 1 THEN 'Okafor' WHEN 2 THEN 'Martin' WHEN 3 THEN 'Ivanov'
                  WHEN 4 THEN 'Durand' WHEN 5 THEN 'Sato' ELSE 'Patel' END,
       'Company ' || (i % 997),
       CASE i % 6 WHEN 0 THEN 'CEO' WHEN 1 THEN 'VP Sales' WHEN 2 THEN 'Director of IT'
                  WHEN 3 THEN 'Engineer' WHEN 4 THEN 'Office Manager' ELSE 'CFO' END,
       CASE i % 10 WHEN 0 THEN 'NY' WHEN 1 THEN 'NJ' WHEN 2 THEN 'CA' WHEN 3 THEN 'TX' WHEN 4 THEN 'FL'
                   WHEN 5 THEN 'WA' WHEN 6 THEN 'MA' WHEN 7 THEN 'IL' WHEN 8 THEN 'OR' ELSE 'PA' END,
       CASE WHEN i % 17 = 0 THEN 'DE' WHEN i % 19 = 0 THEN 'UK' ELSE 'US' END,
       CASE i % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'referral' WHEN 2 THEN 'webinar' WHEN 3 THEN 'partner'
                  ELSE 'trade show' END,
       CASE i % 10 WHEN 8 THEN 'closed-deal' WHEN 9 THEN 'lost'
                   ELSE CASE i % 3 WHEN 0 THEN 'prospecting' WHEN 1 THEN 'contacted' ELSE 'appointment-set' END END,
       CASE WHEN i % 50 = 0 THEN 'unqualified' WHEN i % 4 = 0 THEN 'new' ELSE 'active' END,
       'normal', 0,
       CASE WHEN i % 3 = 0 THEN (i * 7919) % 100000 * 100 END,
       $now - (i % 365) * 86400, $now - (i % 365) * 86400,
       CASE WHEN i % 2 = 0 THEN $now - (i % 90) * 86400 END,
       $now - (i % 60) * 86400,
       json_object('employees', printf('%d', (i * 31) % 5000),
                   'annual_revenue', printf('%d', (i * 7) % 3000000),
                   'industry', CASE i % 4 WHEN 0 THEN 'Software' WHEN 1 THEN 'Retail'
                                          WHEN 2 THEN 'Finance' ELSE 'Health' END),
       0
FROM s;
INSERT INTO events(lead_id, at, actor, kind)
  SELECT id, $now - (id % 40) * 86400, 'bench', 'email_opened' FROM leads WHERE id % 3 = 0;
INSERT INTO events(lead_id, at, actor, kind)
  SELECT id, $now - (id % 70) * 86400, 'bench', 'call' FROM leads WHERE id % 5 = 0;
INSERT INTO events(lead_id, at, actor, kind)
  SELECT id, $now - (id % 50) * 86400, 'bench', 'meeting' FROM leads WHERE id % 7 = 0;
COMMIT;
SQL
# the stages table as leads keeps it (every writing command syncs it)
"$leads" -q score --recalc 1 2>/dev/null
sqlite3 "$LEADS_DB" "UPDATE leads SET score = 0; DELETE FROM events WHERE kind LIKE 'score.%';
                     DELETE FROM tasks; DELETE FROM outbox; DELETE FROM scores; VACUUM;"
n=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM leads")
[ "$n" -eq "$rows" ] || { echo "bench: made $n of $rows leads" >&2; exit 1; }
nev=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM events")
nopen=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM leads WHERE status <> 'unqualified'
                             AND stage IN (SELECT key FROM stages WHERE grp = 'active')")

fresh() {
	rm -f "$tmp/run.db"*
	cp "$tmp/$1.db" "$tmp/run.db"
	export LEADS_DB="$tmp/run.db"
}

# the same leads with their scores computed, as leads keeps them
cp "$tmp/base.db" "$tmp/scored.db"
LEADS_DB="$tmp/scored.db" "$leads" -q score --recalc --all

# ---- the peers: one UPDATE each, with the same 20 rules as CASE ----
thirty=$((now - 30 * 86400)) sixty=$((now - 60 * 86400))
route_sql="UPDATE leads SET owner = CASE
  WHEN email LIKE '%@%.mailinator.%' OR email LIKE '%@%.trashmail.%' THEN NULL
  WHEN CAST(json_extract(extra, '\$.employees') AS REAL) >= 4500 THEN CASE id % 5 WHEN 2 THEN 'dee' WHEN 4 THEN 'dee' ELSE 'ana' END
  WHEN CAST(json_extract(extra, '\$.annual_revenue') AS REAL) >= 2900000 THEN 'ana'
  WHEN value >= 9500000 THEN CASE id % 3 WHEN 0 THEN 'ana' WHEN 1 THEN 'ben' ELSE 'dee' END
  WHEN title = 'CEO' AND state = 'NY' THEN 'ana'
  WHEN title = 'CEO' AND state = 'CA' THEN 'dee'
  WHEN source = 'partner' THEN 'eli'
  WHEN source = 'webinar' AND state IN ('NY', 'NJ', 'MA', 'PA') THEN 'ben'
  WHEN source = 'webinar' AND state IN ('CA', 'WA', 'OR') THEN 'eli'
  WHEN country = 'DE' THEN 'fay'
  WHEN country = 'UK' THEN 'fay'
  WHEN lower(title) LIKE 'director%' THEN CASE id % 2 WHEN 0 THEN 'ben' ELSE 'gus' END
  WHEN source = 'trade show' THEN 'gus'
  WHEN state = 'TX' THEN CASE id % 2 WHEN 0 THEN 'ben' ELSE 'gus' END
  WHEN state = 'FL' THEN 'hal'
  WHEN state = 'IL' THEN 'hal'
  WHEN last_activity_at <= $now - 80 * 86400 THEN 'hal'
  WHEN title LIKE '%engineer%' THEN CASE id % 2 WHEN 0 THEN 'dee' ELSE 'eli' END
  WHEN title LIKE '%manager%' THEN 'ben'
  ELSE CASE id % 11 WHEN 0 THEN 'ana' WHEN 1 THEN 'ana' WHEN 2 THEN 'ana' WHEN 3 THEN 'ben' WHEN 4 THEN 'ben'
                     WHEN 5 THEN 'dee' WHEN 6 THEN 'dee' WHEN 7 THEN 'eli' WHEN 8 THEN 'fay' WHEN 9 THEN 'gus'
                     ELSE 'hal' END END,
  assigned_at = $now
WHERE status <> 'unqualified' AND stage IN (SELECT key FROM stages WHERE grp = 'active');"
score_sql="UPDATE leads SET score = min(100,
    (CASE WHEN title LIKE '%ceo%' OR title LIKE '%cfo%' OR title LIKE '%vp%' THEN 20 ELSE 0 END)
  + (CASE WHEN lower(title) LIKE 'director%' THEN 10 ELSE 0 END)
  + (CASE WHEN title LIKE '%engineer%' THEN 2 ELSE 0 END)
  + (CASE WHEN title LIKE '%manager%' THEN -5 ELSE 0 END)
  + (CASE WHEN source = 'referral' THEN 10 ELSE 0 END)
  + (CASE WHEN source = 'partner' THEN 8 ELSE 0 END)
  + (CASE WHEN source = 'webinar' THEN 5 ELSE 0 END)
  + (CASE WHEN CAST(json_extract(extra, '\$.employees') AS REAL) >= 1000 THEN 10 ELSE 0 END)
  + (CASE WHEN CAST(json_extract(extra, '\$.employees') AS REAL) >= 4000 THEN 10 ELSE 0 END)
  + (CASE WHEN CAST(json_extract(extra, '\$.annual_revenue') AS REAL) >= 1000000 THEN 10 ELSE 0 END)
  + (CASE WHEN value >= 5000000 THEN 15 ELSE 0 END)
  + (CASE WHEN state IN ('NY', 'NJ', 'MA', 'PA') THEN 3 ELSE 0 END)
  + (CASE WHEN country IS NULL OR country <> 'US' THEN -3 ELSE 0 END)
  + (CASE WHEN status = 'unqualified' THEN -30 ELSE 0 END)
  + (CASE WHEN stage = 'appointment-set' THEN 10 ELSE 0 END)
  + (CASE WHEN created_at > $thirty THEN 5 ELSE 0 END)
  + (CASE WHEN last_activity_at <= $sixty THEN -10 ELSE 0 END)
  + min(15, 3 * (SELECT count(*) FROM events e INDEXED BY events_lead WHERE e.lead_id = leads.id AND e.kind = 'email_opened'
                 AND e.at >= $thirty AND e.at <= $now))
  + min(20, 5 * (SELECT count(*) FROM events e INDEXED BY events_lead WHERE e.lead_id = leads.id AND e.kind = 'call'
                 AND e.at >= $sixty AND e.at <= $now))
  + coalesce((SELECT round(sum(15 * power(0.5, ($now - e.at) / 2592000.0))) FROM events e INDEXED BY events_lead
              WHERE e.lead_id = leads.id AND e.kind = 'meeting' AND e.at <= $now), 0));"

run="$tmp/run.db"
base=scored
t_sql_route=$(measure sqlite3 "$run" "$route_sql")
t_route=$(measure "$leads" --format tsv route --all --reassign)
assigned=$(sqlite3 "$run" "SELECT count(*) FROM events WHERE kind = 'assigned'")
mails=$(sqlite3 "$run" "SELECT count(*) FROM outbox WHERE kind IN ('assignment', 'assignment_digest')")

base=base
t_sql_score=$(measure sqlite3 "$run" "$score_sql")
sql_total=$(sqlite3 "$run" "SELECT sum(score) FROM leads")
t_score=$(measure "$leads" score --recalc --all)
leads_total=$(sqlite3 "$run" "SELECT sum(score) FROM leads")
fired=$(sqlite3 "$run" "SELECT count(*) FROM events WHERE kind = 'score.threshold'")

# ---- import with and without the engines ----
irows=$((rows / 5))
sh "$here/gen-csv.sh" "$irows" >"$tmp/import.csv"
# an import of the file into a new database
import_time() {
	best_of 'rm -f "$tmp/import.db"*' \
		env LEADS_DB="$tmp/import.db" "$leads" import "$@" "$tmp/import.csv"
}
t_import_bare=$(import_time --no-route --no-events)
t_import_engines=$(import_time)
imails=$(sqlite3 "$tmp/import.db" "SELECT count(*) FROM outbox")

ratio() { echo "$1 / $2" | bc -l; }
printf '\nrouting and scoring of %s leads (%s open, %s activities), 20 rules each%s\n' \
	"$rows" "$nopen" "$nev" "$([ "$repeat" -gt 1 ] && echo ", best of $repeat")"
printf '%-44s %8s %8s\n' "" seconds ratio
printf '%-44s %8.2f %8s\n' "sqlite3 UPDATE owner = CASE (20 rules)" "$t_sql_route" "1.00"
printf '%-44s %8.2f %8.2f   (target <= 3.00, < 10 s)\n' "leads route --all --reassign" "$t_route" \
	"$(ratio "$t_route" "$t_sql_route")"
printf '    %s assigned, %s assignment mails queued (a digest per member)\n' "$assigned" "$mails"
printf '%-44s %8.2f %8s\n' "sqlite3 UPDATE score = CASE (20 rules)" "$t_sql_score" "1.00"
printf '%-44s %8.2f %8.2f   (target <= 3.00, < 10 s)\n' "leads score --recalc --all" "$t_score" \
	"$(ratio "$t_score" "$t_sql_score")"
printf '    %s thresholds fired; total score: leads %s, sqlite3 %s%s\n' "$fired" \
	"$leads_total" "$sql_total" \
	"$([ "$leads_total" = "$sql_total" ] && echo ' (same)' || echo ' (DIFFERENT)')"
printf '%-44s %8.2f %8s\n' "leads import --no-route --no-events ($irows)" "$t_import_bare" "1.00"
printf '%-44s %8.2f %8.2f   (target <= 1.30)\n' "leads import, routing and scoring" \
	"$t_import_engines" "$(ratio "$t_import_engines" "$t_import_bare")"
printf '    %s mails queued (a digest per member, thresholds)\n' "$imails"
