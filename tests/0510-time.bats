#!/usr/bin/env bats
# Times as a person types and reads them: the user's zone (config timezone:,
# else $TZ, else the system's), local input without an offset, natural words,
# machine formats with an explicit offset (UTC unless --local).
load test_helper

@test "a due time without an offset is local in \$TZ and lists as that local time" {
	add_lead --email a@example.com --first Ann
	export TZ=America/Sao_Paulo
	run -0 leads task add 1 x --due 2026-12-06T10:00
	run -0 leads task list
	assert_line --partial "2026-12-06 10:00"
	# machine formats: ISO 8601 with an offset, UTC unless --local
	run -0 leads task list --format csv
	assert_line --index 1 "1,1,Ann,,x,2026-12-06T13:00:00Z,open"
	run -0 leads task list --format csv --local
	assert_line --index 1 "1,1,Ann,,x,2026-12-06T10:00:00-03:00,open"
	run -0 sql "SELECT due_at FROM tasks"
	assert_output "$(date -u -d 2026-12-06T13:00:00Z +%s)"
}

@test "the config's timezone: wins over \$TZ; business_hours falls back to it" {
	mkdir -p "$XDG_CONFIG_HOME/leads"
	cat >"$XDG_CONFIG_HOME/leads/config.yaml" <<-YAML
	timezone: America/New_York
	business_hours:
	  days: mon-fri
	  hours: "09:00-17:00"
	YAML
	add_lead --email a@example.com --first Ann
	TZ=Asia/Tokyo run -0 leads task add 1 x --due 2026-12-07T09:30
	TZ=Asia/Tokyo run -0 leads task list --format csv
	assert_line --index 1 "1,1,Ann,,x,2026-12-07T14:30:00Z,open"
	TZ=Asia/Tokyo run -0 leads task list
	assert_line --partial "2026-12-07 09:30"
	run -0 leads config show
	assert_line "timezone: America/New_York"
	assert_line "  timezone: America/New_York"
	# business time counts in New York: Tue 09:00 is 14:00Z
	LEADS_NOW=2026-11-23T22:00:00Z run -0 leads task add 1 y --due 1h --business-hours
	run -0 sql "SELECT datetime(due_at, 'unixepoch') FROM tasks WHERE id = 2"
	assert_output "2026-11-24 15:00:00"
}

@test "a bad timezone: in the config is a config error" {
	printf 'timezone: Mars/Base\n' >cfg.yaml
	run --separate-stderr leads -c cfg.yaml task list
	assert_failure 78
	[[ $stderr == *"unknown time zone 'Mars/Base'"* ]]
	printf 'business_hours: {days: mon-fri}\n' >cfg.yaml
	run --separate-stderr leads -c cfg.yaml task list
	assert_failure 78
	[[ $stderr == *"business_hours needs a timezone"* ]]
}

@test "natural words: tomorrow, weekdays, in 3h, +2d, eod, next week" {
	add_lead --email a@example.com --first Ann
	export TZ=America/Sao_Paulo LEADS_NOW=2026-12-03T17:30:00Z # Thu 14:30 local
	leads task add 1 a --due tomorrow >/dev/null
	leads task add 1 b --due "fri 10:00" >/dev/null
	leads task add 1 c --due "in 3h" >/dev/null
	leads task add 1 d --due +2d >/dev/null
	leads task add 1 e --due eod >/dev/null
	leads task add 1 f --due "next week" >/dev/null
	leads task add 1 g --due "Monday 9am" >/dev/null
	run -0 leads task list --all --format csv --local
	assert_output "id,lead,name,owner,title,due,state
3,1,Ann,,c,2026-12-03T17:30:00-03:00,open
5,1,Ann,,e,2026-12-03T23:59:59-03:00,open
2,1,Ann,,b,2026-12-04T10:00:00-03:00,open
1,1,Ann,,a,2026-12-04T23:59:59-03:00,open
4,1,Ann,,d,2026-12-05T14:30:00-03:00,open
7,1,Ann,,g,2026-12-07T09:00:00-03:00,open
6,1,Ann,,f,2026-12-07T23:59:59-03:00,open"
	run --separate-stderr leads task add 1 h --due someday
	assert_failure 64
	[[ $stderr == *"bad --due 'someday'"* ]]
}

@test "task snooze takes a time: tomorrow, a weekday at an hour" {
	add_lead --email a@example.com --first Ann
	export TZ=America/Sao_Paulo LEADS_NOW=2026-12-03T17:30:00Z
	leads task add 1 x --due 1h >/dev/null
	run -0 leads task snooze 1 tomorrow
	run -0 leads task list --format csv --local
	assert_line --index 1 "1,1,Ann,,x,2026-12-04T23:59:59-03:00,open"
	run --separate-stderr leads -v task snooze 1 "mon 9:00"
	assert_success
	assert_equal "$stderr" "leads task: task #1 was due 2026-12-04 23:59 -03:00, now 2026-12-07 09:00 -03:00"
	run -0 leads task snooze 1 2h
	run -0 leads task list --format csv
	assert_line --index 1 "1,1,Ann,,x,2026-12-07T14:00:00Z,open"
}

@test "filters take local and natural times too: list --since, log --at" {
	export TZ=America/Sao_Paulo
	LEADS_NOW=2026-11-24T02:30:00Z add_lead --email a@example.com --first Ann # 23:30 the 23rd local
	LEADS_NOW=2026-11-24T03:30:00Z add_lead --email b@example.com --first Bob # 00:30 the 24th local
	run -0 leads list --since 2026-11-24 --format csv --columns email
	assert_output $'email\nb@example.com'
	run -0 leads list --since today --format csv --columns email
	assert_output $'email\nb@example.com'
	run -0 leads list --since yesterday --format csv --columns email
	assert_output $'email\na@example.com\nb@example.com'
	run -0 leads log 1 meeting --at "tomorrow 15:00"
	run -0 sql "SELECT data FROM events WHERE kind = 'meeting_scheduled'"
	assert_output '{"at":"2026-11-25T18:00:00Z"}'
}

@test "tables show local times; \$TZ falls back to the system zone when unset" {
	LEADS_NOW=2026-11-24T12:00:00Z add_lead --email a@example.com --first Ann
	TZ=Asia/Kolkata run -0 leads list --columns id,created_at
	assert_line --partial "2026-11-24 17:30"
	TZ=Asia/Kolkata run -0 leads list --columns id,created_at --format jsonl
	assert_output '{"id":1,"created_at":"2026-11-24T12:00:00Z"}'
	unset TZ
	run -0 leads list --columns id,created_at
	[ -e /etc/localtime ] || assert_line --partial "2026-11-24 12:00"
}

@test "times inside an imported file: --timezone, else the config's timezone:, else UTC; never \$TZ" {
	printf '%s\n' 'Email,Created Date' 'a@example.com,2024-03-14 09:30' 'b@example.com,2024-03-14' \
		'c@example.com,2024-03-14T09:30:00Z' 'd@example.com,2024-03-14T09:30:00+01:00' >d.csv
	created() {
		sql "SELECT email || ' ' || strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') FROM leads ORDER BY id"
	}
	# $TZ is the machine's, not the file's: UTC
	TZ=Asia/Tokyo leads import -q d.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T09:30:00Z
b@example.com 2024-03-14T00:00:00Z
c@example.com 2024-03-14T09:30:00Z
d@example.com 2024-03-14T08:30:00Z'
	# --timezone: local times only; instants stay
	leads import -q --revert 1 >/dev/null
	leads import -q --timezone America/New_York d.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T13:30:00Z
b@example.com 2024-03-14T04:00:00Z
c@example.com 2024-03-14T09:30:00Z
d@example.com 2024-03-14T08:30:00Z'
	# other formats and epoch numbers alike
	printf '%s\n' 'Email,Created Date,Last Modified' 'e@example.com,3/14/2024 9:30 PM,1710408600' >e.csv
	leads import -q --timezone America/New_York e.csv
	run -0 sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') FROM leads WHERE email = 'e@example.com'"
	assert_output "2024-03-15T01:30:00Z"
	# the config's timezone:
	leads import -q --revert 3 >/dev/null
	leads import -q --revert 2 >/dev/null
	printf 'timezone: America/Sao_Paulo\n' >cfg.yaml
	leads -c cfg.yaml import -q d.csv
	run -0 sql "SELECT strftime('%H:%M', created_at, 'unixepoch') FROM leads WHERE email = 'a@example.com'"
	assert_output "12:30"
	run --separate-stderr leads import --timezone Mars/Base d.csv
	assert_failure 64
	[[ $stderr == *"unknown time zone 'Mars/Base'"* ]]
}
