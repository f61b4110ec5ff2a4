#!/usr/bin/env bats
# Config files: errors with file:line:col, check, show, templates, renames.
load test_helper

CFG=$BATS_TEST_DIRNAME/fixtures/config

@test "config check reports every problem at once and exits 1" {
	run --separate-stderr leads -c "$CFG/many-errors.yaml" config check
	assert_failure 1
	assert_output ''
	n=$(grep -c '^error: ' <<<"$stderr")
	[ "$n" -ge 5 ]
	[[ $stderr == *"many-errors.yaml:5:7: unknown key 'grup' in stage (expected: name, key, group, steps, remind_after, repeat, escalate_after, probability)"* ]]
	[[ $stderr == *"many-errors.yaml:7:21: invalid duration 'soon' for remind_after"* ]]
	[[ ${stderr_lines[-1]} == *"many-errors.yaml: $n errors, 0 warnings" ]]
}

@test "an error shows the line and a caret under the column" {
	run --separate-stderr leads -c "$CFG/many-errors.yaml" config check
	grep -A2 -F "many-errors.yaml:7:21:" <<<"$stderr" >got
	run cat got
	assert_line --index 1 '        remind_after: soon'
	assert_line --index 2 '                      ^'
}

@test "any other command refuses a broken config with 78" {
	run --separate-stderr leads -c "$CFG/many-errors.yaml" list
	assert_failure 78
	assert_output ''
	[[ ${stderr_lines[-1]} == "leads list: "*" errors in config '$CFG/many-errors.yaml'" ]]
}

@test "tabs, invalid YAML and unknown keys are config errors" {
	for f in tabs invalid unknown-key duplicate-stages no-won no-lost bad-group wrong-types; do
		run --separate-stderr leads -c "$CFG/$f.yaml" add --email a@example.com
		[ "$status" -eq 78 ] || fail "$f.yaml: exit $status"
		[[ $stderr == *"$f.yaml:"[0-9]*:[0-9]*": "* ]] || fail "$f.yaml: no file:line:col in: $stderr"
	done
	run sql "SELECT count(*) FROM leads" 2>/dev/null
	refute_output 1
}

@test "a config file that does not exist is exit 66" {
	run --separate-stderr leads -c nowhere.yaml list
	assert_failure 66
	[[ $stderr == "leads list: cannot open nowhere.yaml: No such file or directory" ]]
}

@test "the default config file is used when present" {
	mkdir -p "$XDG_CONFIG_HOME/leads"
	cp "$EXAMPLES/appointment-setting.yaml" "$XDG_CONFIG_HOME/leads/config.yaml"
	add_lead --email a@example.com
	run --separate-stderr leads move 1 'appointment set'
	assert_success
	run leads list --format csv --columns stage
	assert_output $'stage\nAppointment Set'
}

@test "LEADS_CONFIG names the config" {
	LEADS_CONFIG=$EXAMPLES/deal-desk.yaml run --separate-stderr leads config check
	assert_success
	assert_output "$EXAMPLES/deal-desk.yaml: ok (6 stages, 4 team members)"
}

@test "config check of the built-in default" {
	run --separate-stderr leads config check
	assert_success
	assert_output 'built-in default: ok (8 stages, 0 team members)'
}

@test "config show prints YAML that loads back the same" {
	run --separate-stderr leads config show
	assert_success
	echo "$output" >shown.yaml
	run --separate-stderr leads -c shown.yaml config check
	assert_success
	run --separate-stderr leads -c shown.yaml config show
	assert_equal "$output" "$(cat shown.yaml)"
	grep -q '^    - name: Customer Agreed$' shown.yaml
}

@test "every example config works with the everyday commands" {
	for t in appointment-setting full-sales-cycle deal-desk; do
		new_db LEADS_DB "$t"
		export LEADS_CONFIG=$EXAMPLES/$t.yaml
		leads config check >/dev/null
		id=$(leads add --email "a@$t.example.com" --first A)
		leads move "$id" --next
		leads note "$id" "hello"
		leads edit "$id" --company X
		leads status "$id" active
		run leads export --format csv --columns x 2>/dev/null
		run leads list --format csv --columns id,stage,status
		assert_line --index 1 --regexp "^$id,[^,]+,active$"
	done
}

@test "init --template writes a private starter config" {
	run --separate-stderr leads init --template deal-desk
	assert_success
	[ -f "$XDG_CONFIG_HOME/leads/config.yaml" ]
	[ "$(stat -c %a "$XDG_CONFIG_HOME/leads/config.yaml")" = 600 ]
	cmp "$XDG_CONFIG_HOME/leads/config.yaml" "$EXAMPLES/deal-desk.yaml"
	[[ ${stderr_lines[0]} == "leads init: wrote config '$XDG_CONFIG_HOME/leads/config.yaml' from template 'deal-desk'" ]]
	run --separate-stderr leads init --template appointment-setting
	assert_failure 65
	assert_equal "$stderr" "leads init: config '$XDG_CONFIG_HOME/leads/config.yaml' exists already (use --force to replace it)"
	run --separate-stderr leads init --template appointment-setting --force
	assert_success
}

@test "init --template with an unknown name lists the templates" {
	run --separate-stderr leads init --template nope
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads init: no template 'nope' (templates: appointment-setting, deal-desk, full-sales-cycle, team-routing, workflows)" ]]
}

@test "renaming a stage keeps its leads through the stable key" {
	cat >v1.yaml <<'YAML'
pipeline:
  stages:
    - {name: New, group: active}
    - {name: Talking, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
YAML
	cat >v2.yaml <<'YAML'
pipeline:
  stages:
    - {name: New, group: active}
    - {name: In Conversation, key: talking, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
YAML
	LEADS_CONFIG=$PWD/v1.yaml leads add --email a@example.com --stage Talking >/dev/null
	LEADS_CONFIG=$PWD/v2.yaml run --separate-stderr leads list --format csv --columns stage
	assert_output $'stage\nIn Conversation'
	LEADS_CONFIG=$PWD/v2.yaml run --separate-stderr leads config check
	assert_success
	assert_equal "$stderr" ""
}

@test "config check warns about leads in stages the config no longer has" {
	cat >v1.yaml <<'YAML'
pipeline:
  stages:
    - {name: New, group: active}
    - {name: Demo, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
YAML
	grep -v Demo v1.yaml >v2.yaml
	LEADS_CONFIG=$PWD/v1.yaml leads add --email a@example.com --stage Demo >/dev/null
	LEADS_CONFIG=$PWD/v2.yaml run --separate-stderr leads config check
	assert_success
	assert_output "$PWD/v2.yaml: ok (3 stages, 0 team members, with warnings)"
	assert_equal "$stderr" "warning: 1 lead is in stage 'Demo' (key 'demo'), which the config no longer has"
	LEADS_CONFIG=$PWD/v2.yaml run --separate-stderr leads list --format csv --columns stage
	assert_output $'stage\nDemo (not in config)'
}

@test "a config writable by others gets a warning, not an error" {
	cp "$EXAMPLES/appointment-setting.yaml" open.yaml
	chmod 666 open.yaml
	run --separate-stderr leads -c open.yaml config check
	assert_success
	[[ $stderr == "warning: "*"open.yaml"*"writable"* ]]
}
