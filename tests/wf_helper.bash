# Shared by the workflow, task, sweep and mail suites (03xx): a config with
# a team, reminders and business hours, the fake sendmail, and readers of
# what it received. Load after test_helper.

# test_helper's setup, then ours.
eval "base_$(declare -f setup)"
setup() {
	base_setup
	wf_setup
}

# Write $BATS_TEST_TMPDIR/leads.yaml from stdin (or the standard one) and
# use it; MAIL_DIR collects what the fake sendmail gets.
wf_setup() {
	export MAIL_DIR=$BATS_TEST_TMPDIR/mail
	mkdir -p "$MAIL_DIR"
	unset MAIL_FAIL
	export LEADS_CONFIG=$BATS_TEST_TMPDIR/leads.yaml
}

# The standard team and pipeline, plus whatever the test appends. These
# suites count reminder and task mail: the mail to an owner given by hand
# is off here unless WF_ASSIGN_MAIL=true (its own tests turn it on).
wf_config() {
	cat >"$LEADS_CONFIG" <<-YAML
	pipeline:
	  stages:
	    - {name: Prospecting, group: active, remind_after: 7d, repeat: 7d, escalate_after: 2}
	    - {name: Contacted, group: active, remind_after: 3d}
	    - {name: Proposal Sent, group: active}
	    - {name: Closed Deal, group: won}
	    - {name: Lost, group: lost}
	status:
	  inactive_after: ${WF_INACTIVE:-30d}
	team:
	  - {name: ana, email: ana@example.com, groups: [east]}
	  - {name: ben, email: ben@example.com, groups: [west]}
	  - {name: mia, email: mia@example.com, role: manager}
	lifecycle: {assignment_mail: ${WF_ASSIGN_MAIL:-false}${WF_LIFECYCLE:+, $WF_LIFECYCLE}}
	mail:
	  from: "Leads <leads@example.com>"
	  sendmail: $FIXTURES/sendmail -t -i
	YAML
	cat >>"$LEADS_CONFIG"
}

# How many messages the fake sendmail received.
mails() {
	find "$MAIL_DIR" -name 'msg.*' | wc -l
}

# Every message received, oldest file first.
mail_text() {
	local f
	for f in $(ls -tr "$MAIL_DIR"/msg.* 2>/dev/null); do
		cat "$f"
	done
}

# The value of header $1 in every message received, one a line; a folded
# header's lines are joined with a space.
mail_header() {
	mail_text | awk -v h="$1:" '
		/^$/ { body = 1 }
		/^==> / { body = 0 }
		body { next }
		on && /^[ \t]/ { sub(/^[ \t]+/, ""); v = v " " $0; next }
		on { print v; on = 0 }
		$1 == h { sub(/^[^:]*: /, ""); v = $0; on = 1 }
		END { if (on) print v }'
}

# $stderr (from run --separate-stderr) has a line containing $1.
stderr_has() {
	grep -qF -- "$1" <<<"$stderr" || fail "stderr lacks: $1
stderr was:
$stderr"
}
