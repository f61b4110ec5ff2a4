#!/usr/bin/env bats
# Tasks as a rep's day: bare `leads task` is my day (late, due today, the
# next few); --due today includes late ones; `late` everywhere (overdue an
# alias); --mine from LEADS_USER (name or email), $USER, git's user.email.
load test_helper

team() {
	mkdir -p "$XDG_CONFIG_HOME/leads"
	cat >"$XDG_CONFIG_HOME/leads/config.yaml" <<-YAML
	team:
	  - {name: Ana Souza, email: ana@example.com}
	  - {name: ben, email: benjamin@example.com}
	YAML
}

my_tasks() {
	team
	add_lead --email a@example.com --first Ann --owner ana@example.com
	add_lead --email b@example.com --first Bob --owner ben
	leads task add 1 "Late one" --due 2026-11-23T10:00:00Z >/dev/null   # 1: late
	leads task add 1 "This afternoon" --due 2026-11-24T15:00 >/dev/null # 2: today
	leads task add 1 "Tomorrow" --due tomorrow >/dev/null               # 3
	for i in 4 5 6 7 8 9; do leads task add 1 "Later $i" --due "+${i}d" >/dev/null; done
	leads task add 2 "Ben's" --due 1h >/dev/null                        # 10
}

@test "bare 'leads task' is my day: late, due today, then the next five" {
	my_tasks
	LEADS_USER=ana@example.com run -0 leads task --format csv
	assert_output "id,lead,name,owner,title,due,state
1,1,Ann,Ana Souza,Late one,2026-11-23T10:00:00Z,late
2,1,Ann,Ana Souza,This afternoon,2026-11-24T15:00:00Z,open
3,1,Ann,Ana Souza,Tomorrow,2026-11-25T23:59:59Z,open
4,1,Ann,Ana Souza,Later 4,2026-11-28T09:00:00Z,open
5,1,Ann,Ana Souza,Later 5,2026-11-29T09:00:00Z,open
6,1,Ann,Ana Souza,Later 6,2026-11-30T09:00:00Z,open
7,1,Ann,Ana Souza,Later 7,2026-12-01T09:00:00Z,open"
	# nobody known: everyone's day, and says so
	LEADS_USER=zed run --separate-stderr leads task --format csv
	assert_success
	assert_equal "$stderr" "leads task: LEADS_USER 'zed' is no team member's name or email; showing everyone's tasks"
	assert_line "10,2,Bob,ben,Ben's,2026-11-24T10:00:00Z,open"
}

@test "--due today includes the late ones; late and overdue are one word" {
	my_tasks
	run -0 leads task list --due today --format csv
	assert_output "id,lead,name,owner,title,due,state
1,1,Ann,Ana Souza,Late one,2026-11-23T10:00:00Z,late
10,2,Bob,ben,Ben's,2026-11-24T10:00:00Z,open
2,1,Ann,Ana Souza,This afternoon,2026-11-24T15:00:00Z,open"
	run -0 leads task list --due late --format csv
	assert_output $'id,lead,name,owner,title,due,state\n1,1,Ann,Ana Souza,Late one,2026-11-23T10:00:00Z,late'
	run -0 leads task list --due OVERDUE --format csv
	assert_output $'id,lead,name,owner,title,due,state\n1,1,Ann,Ana Souza,Late one,2026-11-23T10:00:00Z,late'
	run -0 leads task list --due tomorrow --format csv
	assert_output $'id,lead,name,owner,title,due,state\n3,1,Ann,Ana Souza,Tomorrow,2026-11-25T23:59:59Z,open'
	# the state column says late, as the filter does
	run -0 leads task list
	assert_line --partial "Late one"
	assert_line --regexp "Late one .* late$"
}

@test "--mine: LEADS_USER by name or email, else \$USER, else git's user.email" {
	my_tasks
	LEADS_USER="ana souza" run -0 leads task list --mine --format csv
	assert_equal "${#lines[@]}" 10
	LEADS_USER=BENJAMIN@example.com run -0 leads task list --mine --format csv
	assert_output $'id,lead,name,owner,title,due,state\n10,2,Bob,ben,Ben\'s,2026-11-24T10:00:00Z,open'
	unset LEADS_USER
	# $USER: a member's name, or the part of a member's email before the @
	USER=benjamin run -0 leads task list --mine --format csv
	assert_line --index 1 --partial ",ben,Ben's,"
	# git's user.email
	git config --global user.email ana@example.com
	USER=nobody run -0 leads task list --mine --format csv
	assert_line --index 1 --partial ",Ana Souza,Late one,"
	git config --global user.email zed@example.com
	USER=nobody run --separate-stderr leads task list --mine
	assert_failure 64
	assert_equal "$stderr" "leads task: --mine: no team member is 'nobody' or 'zed@example.com'; set LEADS_USER to your name or email"
}

@test "list --mine: my leads; without a team, LEADS_USER as it is" {
	my_tasks
	LEADS_USER=ana@example.com run -0 leads list --mine --format csv --columns id,owner
	assert_output $'id,owner\n1,Ana Souza'
	LEADS_USER=ana@example.com run --separate-stderr leads list --mine --owner ben
	assert_failure 64
	LEADS_USER=nobody run --separate-stderr leads list --mine
	assert_failure 64
	assert_equal "$stderr" "leads list: --mine: LEADS_USER 'nobody' is no team member's name or email"
	rm "$XDG_CONFIG_HOME/leads/config.yaml"
	LEADS_USER=ben run -0 leads list --mine --format csv --columns id
	assert_output $'id\n2'
}
