#!/bin/sh
# Funnel benchmark (issue 7): `leads funnel` on N leads (default 1,000,000)
# with 5N history events, against sqlite3's own
#   SELECT stage, count(*) FROM leads GROUP BY stage
# on the same file, in the same run, printed as a ratio (target: under 1 s
# and within 3x).
#
# The database is made by `leads init` (one `leads add`, deleted again,
# syncs the stages table as any writing command does) and filled by
# sqlite3 directly with recursive CTEs, as leads itself would have left it:
#  - leads created one a minute over the two years before now, owned by
#    four reps (one in ten unassigned), from four sources (one in five
#    none); 35% never moved, the rest moved forward 1 to 6 stages (into
#    the won stages for 8%), and 45% of those not won lost at the end; a
#    value on the leads that got to Proposal Sent; reached_pos as `leads
#    move` keeps it; stage_entered_at the time of the last move;
#  - events: one 'created' per lead, one 'moved' per move (about 2N), and
#    calls, emails, meetings and notes up to 5N events in all;
#  - stays derived from those events (each stage event to the lead's
#    next), inserted so that the trigger of lib/db.c fills stay_hist,
#    exactly what the trigger would have written had `leads move` made
#    the moves.
# Before timing, the funnel's figures are checked against independent SQL
# over the events alone (current, reached, stays, median and mean per
# stage), so the speed is that of right answers.
#
# Both commands are run RUNS times (default 7), alternating; the medians
# are compared. The leads_stage index that the funnel scans also serves
# the sqlite3 query; a second figure shows the ratio against sqlite3 on a
# narrow index of stage alone, which leads does not have, for comparison.
#
# usage: bench/funnel.sh [LEADS] [ROWS]   (default ./leads, 1000000)
set -eu
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-1000000}
runs=${RUNS:-7}
tmp=${BENCH_TMP:-$(mktemp -d)}
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench NO_COLOR=1
unset LEADS_CONFIG
export LEADS_DB="$tmp/funnel.db" XDG_CONFIG_HOME="$tmp/none"
now=$(date -d "$LEADS_NOW" +%s)
events=$((rows * 5))

rm -f "$LEADS_DB"*
"$leads" init >/dev/null 2>&1
"$leads" add --first Seed >/dev/null
sqlite3 "$LEADS_DB" "DELETE FROM events; DELETE FROM leads"

# no index of leads or events while loading: they are built again after,
# as leads init made them (whatever the schema step)
ix_of="FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('leads', 'events') AND sql IS NOT NULL"
ix_drop=$(sqlite3 "$LEADS_DB" "SELECT 'DROP INDEX ' || name || ';' $ix_of")
ix_make=$(sqlite3 "$LEADS_DB" "SELECT sql || ';' $ix_of")

gen_start=$(date +%s)
sqlite3 "$LEADS_DB" >/dev/null <<SQL
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
$ix_drop
CREATE TEMP TABLE st(pos INTEGER PRIMARY KEY, key TEXT);
INSERT INTO st VALUES (0, 'prospecting'), (1, 'contacted'), (2, 'appointment-set'),
  (3, 'proposal-sent'), (4, 'customer-agreed'), (5, 'closed-deal'), (6, 'customer'), (7, 'lost');
-- per lead: forward steps k, lost at the end, created, the gaps between moves
-- (move j at created + j*base + c*j*(j+1)/2)
CREATE TEMP TABLE p AS
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows),
h AS (SELECT i, (i * 2654435761) % 1000 AS h1, (i * 40503) % 100 AS h2 FROM n)
SELECT i, k, (k < 5 AND h2 < 45) AS lost,
  $now - 30 * 86400 - ($rows - i) * 60 AS created,
  3600 * (2 + (i * 7) % 120) AS base, 3600 * ((i * 11) % 24) AS c
FROM (SELECT i, h2, CASE WHEN h1 < 350 THEN 0 WHEN h1 < 600 THEN 1 WHEN h1 < 750 THEN 2
  WHEN h1 < 850 THEN 3 WHEN h1 < 920 THEN 4 WHEN h1 < 970 THEN 5 ELSE 6 END AS k FROM h);
CREATE TEMP TABLE j(j INTEGER PRIMARY KEY);
INSERT INTO j VALUES (1), (2), (3), (4), (5), (6), (7);

INSERT INTO events(lead_id, at, actor, kind, from_val, to_val)
SELECT i, created, 'bench', 'created', NULL, 'prospecting' FROM p;
INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, data)
SELECT p.i, p.created + j.j * p.base + p.c * j.j * (j.j + 1) / 2, 'bench', 'moved',
  (SELECT key FROM st WHERE pos = j.j - 1),
  CASE WHEN j.j <= p.k THEN (SELECT key FROM st WHERE pos = j.j) ELSE 'lost' END,
  CASE WHEN j.j > p.k THEN '{"reason":"bench"}' END
FROM p JOIN j ON j.j <= p.k + p.lost ORDER BY p.i, j.j;

INSERT INTO leads(id, email, first_name, last_name, company, source, owner, stage, status,
  priority, score, value, created_at, updated_at, last_activity_at, stage_entered_at, reached_pos)
SELECT p.i, 'lead' || p.i || '@example.com', 'First' || p.i, 'Last' || p.i, 'Company ' || (p.i % 5000),
  CASE p.i % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'referral' WHEN 2 THEN 'ads' WHEN 3 THEN 'event' END,
  CASE WHEN p.i % 10 = 0 THEN NULL ELSE CASE p.i % 4 WHEN 0 THEN 'ana' WHEN 1 THEN 'ben'
    WHEN 2 THEN 'cy' ELSE 'dee' END END,
  CASE WHEN p.lost THEN 'lost' ELSE (SELECT key FROM st WHERE pos = p.k) END,
  CASE WHEN p.k + p.lost = 0 THEN 'new' ELSE 'active' END, 'normal', p.i % 100,
  CASE WHEN p.k >= 3 THEN 100000 * (10 + p.i % 490) END,
  p.created, p.created, NULL,
  p.created + (p.k + p.lost) * p.base + p.c * (p.k + p.lost) * (p.k + p.lost + 1) / 2,
  p.k
FROM p;

-- activities up to 5N events, on leads spread over all, in the 30 days after
-- each one's creation (created is the formula of p)
CREATE TEMP TABLE m(n INTEGER);
INSERT INTO m SELECT $events - count(*) FROM events;
INSERT INTO events(lead_id, at, actor, kind)
SELECT lead, $now - 30 * 86400 - ($rows - lead) * 60 + (x * 7919) % (30 * 86400), 'bench', kind
FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < (SELECT n FROM m))
  SELECT x, 1 + (x * 48271) % $rows AS lead,
    CASE x % 7 WHEN 0 THEN 'meeting' WHEN 1 THEN 'note' WHEN 2 THEN 'email' WHEN 3 THEN 'email'
      ELSE 'call' END AS kind FROM n);

-- the stays, as the trigger writes them: each stage event to the lead's next
INSERT INTO stays(lead_id, stage, entered_at, left_at, secs)
SELECT lead_id, to_val, at, nxt, nxt - at FROM (
  SELECT lead_id, to_val, at, lead(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS nxt
  FROM events WHERE kind IN ('created', 'moved'))
WHERE nxt IS NOT NULL;
SQL
sqlite3 "$LEADS_DB" >/dev/null <<SQL
PRAGMA cache_size = -262144;
$ix_make
PRAGMA journal_mode = WAL;
SQL
gen_s=$(($(date +%s) - gen_start))
nleads=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM leads")
nevents=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM events")
nmoves=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM events WHERE kind = 'moved'")
nstays=$(sqlite3 "$LEADS_DB" "SELECT count(*) FROM stays")
[ "$nleads" -eq "$rows" ] || { echo "bench: made $nleads leads, not $rows" >&2; exit 1; }

# the schema must be what leads init makes (this script rebuilt the indexes)
LEADS_DB="$tmp/schema.db" "$leads" init >/dev/null 2>&1
q="SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
sqlite3 "$tmp/schema.db" "$q" >"$tmp/schema.want"
sqlite3 "$LEADS_DB" "$q" >"$tmp/schema.have"
if ! cmp -s "$tmp/schema.want" "$tmp/schema.have"; then
	echo "bench: the schema differs from that of leads init:" >&2
	diff "$tmp/schema.want" "$tmp/schema.have" >&2 || true
	exit 1
fi

# ---- independent SQL over the events alone ----
sqlite3 -csv "$LEADS_DB" >"$tmp/want.csv" <<SQL
CREATE TEMP TABLE se AS SELECT lead_id, to_val AS stage, at,
  lead(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS nxt
  FROM events WHERE kind IN ('created', 'moved');
CREATE TEMP TABLE d AS SELECT stage, max(0, coalesce(nxt, $now) - at) AS secs FROM se;
CREATE TEMP TABLE r AS SELECT stage, secs,
  row_number() OVER (PARTITION BY stage ORDER BY secs) AS rn,
  count(*) OVER (PARTITION BY stage) AS n FROM d;
CREATE TEMP TABLE t AS SELECT stage, n, (sum(secs) + n / 2) / n AS mean,
  min(CASE WHEN rn = (n + 1) / 2 THEN secs END) AS m1,
  min(CASE WHEN rn = n / 2 + 1 THEN secs END) AS m2 FROM r GROUP BY stage;
CREATE TEMP TABLE cur AS SELECT stage, count(*) AS n FROM se WHERE nxt IS NULL GROUP BY stage;
CREATE TEMP TABLE mx AS SELECT se.lead_id, max(CASE WHEN s.grp <> 'lost' THEN s.position END) AS m,
  max(s.grp = 'lost') AS lost FROM se JOIN stages s ON s.key = se.stage GROUP BY se.lead_id;
SELECT s.key, coalesce(cur.n, 0),
  CASE WHEN s.grp = 'lost' THEN (SELECT count(*) FROM mx WHERE lost)
       ELSE (SELECT count(*) FROM mx WHERE m >= s.position) END,
  coalesce(t.n, 0), CASE WHEN t.n % 2 THEN t.m1 ELSE t.m1 + (t.m2 - t.m1) / 2 END, t.mean
FROM stages s LEFT JOIN cur ON cur.stage = s.key LEFT JOIN t ON t.stage = s.key
WHERE s.in_config ORDER BY s.position;
SQL
"$leads" funnel --format csv | awk -F, 'NR > 1 && $4 != "total" {
	print $3 "," $5 "," $6 "," $11 "," $12 "," $13 }' >"$tmp/have.csv"
if ! cmp -s "$tmp/want.csv" "$tmp/have.csv"; then
	echo "bench: leads funnel disagrees with SQL over the events:" >&2
	diff "$tmp/want.csv" "$tmp/have.csv" >&2 || true
	exit 1
fi
path=$("$leads" -v funnel --format csv 2>&1 >/dev/null)
# and the general path (a condition every lead meets) gives the same funnel
"$leads" funnel --format csv >"$tmp/fast.csv"
slow_start=$(date +%s%N)
"$leads" funnel --format csv --where '{field: id, gte: 1}' >"$tmp/slow.csv"
slow_ms=$((($(date +%s%N) - slow_start) / 1000000))
if ! cmp -s "$tmp/fast.csv" "$tmp/slow.csv"; then
	echo "bench: the general path disagrees with the whole-pipeline one:" >&2
	diff "$tmp/fast.csv" "$tmp/slow.csv" >&2 || true
	exit 1
fi

# ---- timing ----
# wall seconds of one run, with three decimals
wall() {
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	echo $(((e - s) / 1000000)) | awk '{ printf "%.3f\n", $1 / 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/t_leads"
: >"$tmp/t_sqlite"
i=0
while [ "$i" -lt "$runs" ]; do
	wall "$leads" funnel >>"$tmp/t_leads"
	wall sqlite3 "$LEADS_DB" "SELECT stage, count(*) FROM leads GROUP BY stage" >>"$tmp/t_sqlite"
	i=$((i + 1))
done
t_leads=$(median <"$tmp/t_leads")
t_sqlite=$(median <"$tmp/t_sqlite")

# for comparison only: sqlite3 on an index of stage alone
sqlite3 "$LEADS_DB" "CREATE INDEX bench_stage_only ON leads(stage)"
: >"$tmp/t_narrow"
i=0
while [ "$i" -lt "$runs" ]; do
	wall sqlite3 "$LEADS_DB" "SELECT stage, count(*) FROM leads GROUP BY stage" >>"$tmp/t_narrow"
	i=$((i + 1))
done
t_narrow=$(median <"$tmp/t_narrow")
sqlite3 "$LEADS_DB" "DROP INDEX bench_stage_only"

printf '\nfunnel of %s leads, %s history events (%s moves, %s finished stays; built in %ss)\n' \
	"$nleads" "$nevents" "$nmoves" "$nstays" "$gen_s"
printf 'figures checked against SQL over the events: ok (%s)\n' "${path#leads funnel: }"
printf 'the general path (--where, every lead read) agrees: ok, in %s ms\n' "$slow_ms"
printf '%-44s %8s %8s\n' "" seconds ratio
printf '%-44s %8.3f %8s\n' "sqlite3 SELECT stage, count(*) GROUP BY stage" "$t_sqlite" "1.00"
printf '%-44s %8.3f %8.2f   (target < 1 s and <= 3.00)\n' "leads funnel" "$t_leads" \
	"$(echo "$t_leads / $t_sqlite" | bc -l)"
printf '%-44s %8.3f %8.2f   (sqlite3 on an extra index of stage alone)\n' \
	"  the same against a narrow index" "$t_narrow" "$(echo "$t_leads / $t_narrow" | bc -l)"
