#!/usr/bin/env bats
# The issue's "done when": the crontab lines of leads-sweep(1) and the
# README, run over a month of simulated times against a database of a few
# thousand leads, produce exactly the status changes, reminders, task
# marks and emails an independent model (the awk below) expects, and
# running any sweep again adds nothing.
#
#   */15 * * * * leads -q sweep
#   30 7 * * 1-5 leads -q sweep --digest
#
# The */15 line is simulated at two of its times a day (09:00 and 17:00);
# the model covers whatever times are used.
load test_helper
load wf_helper

N=3000
T0=1793523600 # 2026-11-01T09:00:00Z, a Sunday

# The leads, generated from their number i:
#   owner    ana (i%3==1, group east), ben (i%3==2), nobody (i%3==0)
#   stage    Prospecting (i%20==0: remind 7d, repeat 7d, escalate after
#            2), Contacted (i%20==1: remind 3d once), Proposal Sent
#            (2..17), Lost (18, 19)
#   idle     since T0 - (i%45) days; a person acted then (status active)
#            unless i%4==0 (never acted on: status new, created then)
#   status   unqualified when i%11==0
leads_csv() {
	awk -v N=$N -v t0=$T0 'BEGIN {
		print "email,first_name,owner,stage,status,created_at,last_activity_at,stage_entered_at"
		for (i = 1; i <= N; i++) {
			own = i % 3 == 1 ? "ana" : i % 3 == 2 ? "ben" : ""
			m = i % 20
			st = m == 0 ? "Prospecting" : m == 1 ? "Contacted" : m <= 17 ? "Proposal Sent" : "Lost"
			s = t0 - (i % 45) * 86400
			act = i % 4 != 0
			status = i % 11 == 0 ? "unqualified" : act ? "active" : "new"
			cr = act ? t0 - 60 * 86400 : s
			fmt = "%Y-%m-%dT%H:%M:%SZ"
			printf "l%d@example.com,L%d,%s,%s,%s,%s,%s,%s\n", i, i, own, st, status,
				strftime(fmt, cr, 1), act ? strftime(fmt, s, 1) : "", strftime(fmt, cr, 1)
		}
	}'
}

# The month: "sweep TIME [digest]" and "done|call TIME" lines, in order.
# Reps act twice: on Nov 2 at 12:00 ana finishes the first-call task of
# the leads with i%120==100; on Nov 15 at 12:00 someone calls i%97==0.
schedule() {
	awk -v t0=$T0 'BEGIN {
		for (d = 0; d < 30; d++) {
			day = t0 - 9 * 3600 + d * 86400
			wd = d % 7 # 0 = Sunday
			if (wd >= 1 && wd <= 5)
				print "sweep", day + 7 * 3600 + 1800, "digest"
			print "sweep", day + 9 * 3600
			if (d == 1)
				print "done", day + 12 * 3600
			if (d == 14)
				print "call", day + 12 * 3600
			print "sweep", day + 17 * 3600
		}
	}'
}

# The model: reads the schedule, prints one line per lead
# "i|status|reminders|last n|copied" and then totals.
model() {
	schedule | awk -v N=$N -v t0=$T0 '
	BEGIN {
		for (i = 1; i <= N; i++) {
			own[i] = i % 3 == 1 ? "ana" : i % 3 == 2 ? "ben" : ""
			m = i % 20
			R[i] = m == 0 ? 7 * 86400 : m == 1 ? 3 * 86400 : 0
			P[i] = m == 0 ? 7 * 86400 : 0
			E[i] = m == 0 ? 2 : 0
			S[i] = t0 - (i % 45) * 86400
			st[i] = i % 11 == 0 ? "unqualified" : i % 4 != 0 ? "active" : "new"
			last[i] = 0
			# the workflow: First call, due 3d, notice 1d before; an unqualified
			# lead is closed, so the sweep cancels its task without a mail
			if (own[i] == "ana" && m == 0 && i % 11 != 0) {
				task[i] = 1; due[i] = t0 + 3 * 86400; nfy[i] = t0 + 2 * 86400
			}
		}
	}
	function act(i, t) {
		S[i] = t; last[i] = 0
		if (st[i] == "new" || st[i] == "inactive")
			st[i] = "active"
	}
	$1 == "done" {
		for (i = 1; i <= N; i++)
			if (task[i] && i % 120 == 100) { done[i] = 1; act(i, $2) }
		next
	}
	$1 == "call" {
		for (i = 1; i <= N; i++)
			if (i % 97 == 0) act(i, $2)
		next
	}
	$1 == "sweep" {
		t = $2
		for (i = 1; i <= N; i++)
			if ((st[i] == "new" || st[i] == "active") && S[i] <= t - 30 * 86400) {
				st[i] = "inactive"; inactive++
			}
		for (i = 1; i <= N; i++) {
			if (!R[i] || st[i] == "unqualified" || S[i] + R[i] > t)
				continue
			k = P[i] ? 1 + int((t - S[i] - R[i]) / P[i]) : 1
			if (k <= last[i])
				continue
			last[i] = k; nrem[i]++; reminders++; mails++
			if (E[i] && k > E[i] && own[i] != "") { cc[i]++; copied++ }
		}
		for (i = 1; i <= N; i++)
			if (task[i] && !done[i] && !late[i] && due[i] < t) {
				late[i] = 1; lates++; mails++
			}
		for (i = 1; i <= N; i++)
			if (task[i] && !done[i] && !noticed[i] && nfy[i] <= t && t < due[i]) {
				noticed[i] = 1; notices++; mails++
			}
		if ($3 == "digest") {
			end = (int(t / 86400) + 1) * 86400
			for (i = 1; i <= N; i++)
				if (task[i] && !done[i] && due[i] < end) { digests++; mails++; break }
		}
	}
	END {
		for (i = 1; i <= N; i++)
			printf "%d|%s|%d|%d|%d\n", i, st[i], nrem[i], last[i], cc[i]
		printf "inactive %d\nreminders %d\ncopied %d\nlate %d\nnotices %d\ndigests %d\nmails %d\n",
			inactive, reminders, copied, lates, notices, digests, mails
	}'
}

iso() {
	date -u -d "@$1" +%FT%TZ
}

@test "a month of crontab sweeps over $N leads: exactly the expected changes and mail, once" {
	wf_config <<-'YAML'
	workflows:
	  - on: lead.received
	    for: {groups: [east]}
	    when: {field: stage, eq: Prospecting}
	    task: {title: First call, due: 3d, notify_before: 1d}
	YAML
	# the fake sendmail is fast here: one process, appending
	sed -i "s|sendmail: .*|sendmail: tee -a $MAIL_DIR/log|" "$LEADS_CONFIG"
	leads_csv >leads.csv
	# rows of the past: their workflows fire all the same (--events all)
	LEADS_NOW=$(iso $T0) leads -q import --events all leads.csv
	run -0 sql "SELECT count(*), sum(CASE WHEN owner = 'ana' THEN 1 ELSE 0 END) FROM leads; SELECT count(*) FROM tasks"
	assert_output $'3000|1000\n50'

	zero="sweep: 0 leads inactive, 0 reminders, 0 tasks late, 0 due-soon notices, 0 leads re-routed"
	n=0
	while read -r what t digest; do
		export LEADS_NOW=$(iso "$t")
		case $what in
		done)
			for id in $(sql "SELECT t.id FROM tasks t JOIN leads l ON l.id = t.lead_id
				WHERE CAST(substr(l.first_name, 2) AS INTEGER) % 120 = 100"); do
				leads task done "$id"
			done
			;;
		call)
			for id in $(sql "SELECT id FROM leads WHERE CAST(substr(first_name, 2) AS INTEGER) % 97 = 0 ORDER BY id"); do
				leads log "$id" call
			done
			;;
		sweep)
			# the crontab's command line, then the same sweep again: nothing more
			run --separate-stderr leads -q sweep ${digest:+--digest}
			[[ $status -eq 0 && -z $output && -z $stderr ]] ||
				fail "sweep at $LEADS_NOW: status $status, output '$output', stderr '$stderr'"
			before=$(sql "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox),
				(SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL),
				(SELECT sum(late) FROM tasks), (SELECT count(notified_at) FROM tasks)")
			run -0 leads sweep ${digest:+--digest}
			assert_output "$zero${digest:+, 0 digests}; mail: 0 queued, 0 sent, 0 to retry, 0 failed, 0 waiting"
			after=$(sql "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox),
				(SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL),
				(SELECT sum(late) FROM tasks), (SELECT count(notified_at) FROM tasks)")
			[[ $after == "$before" ]] || fail "re-running the sweep at $LEADS_NOW changed $before to $after"
			n=$((n + 1))
			;;
		esac
	done < <(schedule)
	((n == 81)) || fail "ran $n sweeps"

	model >model.txt
	# every lead: status, reminders, the last reminder's number, the copies
	sql "SELECT CAST(substr(first_name, 2) AS INTEGER) AS i, status,
		(SELECT count(*) FROM events e WHERE e.lead_id = l.id AND kind = 'reminder'),
		coalesce((SELECT json_extract(data, '$.n') FROM events e WHERE e.lead_id = l.id
			AND kind = 'reminder' AND at >= coalesce(l.last_activity_at, l.created_at)
			ORDER BY id DESC LIMIT 1), '0'),
		(SELECT count(*) FROM events e WHERE e.lead_id = l.id AND kind = 'reminder'
			AND json_extract(data, '$.cc') IS NOT NULL)
		FROM leads l ORDER BY i" >got.txt
	run diff <(head -n $N model.txt) got.txt
	assert_success
	totals=$(sql "SELECT 'inactive ' || count(*) FROM events WHERE actor = 'sweep' AND kind = 'status';
		SELECT 'reminders ' || count(*) FROM events WHERE kind = 'reminder';
		SELECT 'copied ' || count(*) FROM outbox WHERE kind = 'reminder' AND cc IS NOT NULL;
		SELECT 'late ' || sum(late) FROM tasks;
		SELECT 'notices ' || count(notified_at) FROM tasks;
		SELECT 'digests ' || count(*) FROM outbox WHERE kind = 'digest';
		SELECT 'mails ' || count(*) FROM outbox WHERE sent_at IS NOT NULL")
	assert_equal "$totals" "$(tail -n 7 model.txt)"
	# what sendmail received: each message once, all of them
	run -0 bash -c "grep -c '^Message-ID: ' '$MAIL_DIR/log'; grep '^Message-ID: ' '$MAIL_DIR/log' | sort | uniq -d | wc -l"
	assert_output "$(sed -n 's/^mails //p' model.txt)
0"
	# a sanity check of the model itself: every kind of change happened
	run -0 awk '$2 == 0' model.txt
	assert_output ""
}
