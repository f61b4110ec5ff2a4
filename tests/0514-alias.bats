#!/usr/bin/env bats
# Git-style aliases in the config: `alias: {today: "task --mine --due today"}`,
# expanded before the command is looked up; a command always wins.
load test_helper

alias_config() {
	mkdir -p "$XDG_CONFIG_HOME/leads"
	cat >"$XDG_CONFIG_HOME/leads/config.yaml" <<-'YAML'
	team:
	  - {name: ana, email: ana@example.com}
	alias:
	  today: "task --mine --due today"
	  emails: list --columns 'id,email' --format csv
	YAML
	chmod 600 "$XDG_CONFIG_HOME/leads/config.yaml"
}

@test "an alias runs its command with the words after it appended" {
	alias_config
	add_lead --email a@example.com --first Ann --owner ana
	add_lead --email b@example.com --first Bob --owner ana
	leads task add 1 "Call" --due 2h >/dev/null
	leads task add 2 "Later" --due 3d >/dev/null
	LEADS_USER=ana run -0 leads today --format csv
	assert_output $'id,lead,name,owner,title,due,state\n1,1,Ann,ana,Call,2026-11-24T11:00:00Z,open'
	run -0 leads emails
	assert_output $'id,email\n1,a@example.com\n2,b@example.com'
	run -0 leads emails -n 1
	assert_output $'id,email\n1,a@example.com'
	run -0 leads -q emails
	assert_line --index 1 "1,a@example.com"
}

@test "an alias cannot shadow a command: the command runs, with a warning" {
	alias_config
	printf '  list: "show 1"\n' >>"$XDG_CONFIG_HOME/leads/config.yaml"
	add_lead --email a@example.com --first Ann
	run --separate-stderr leads list --format csv --columns id
	assert_success
	assert_output $'id\n1'
	assert_equal "$stderr" "warning: alias 'list' in config '$XDG_CONFIG_HOME/leads/config.yaml' is never used: 'list' is a command"
	run --separate-stderr leads -q list --format csv --columns id
	assert_equal "$stderr" ""
	run -0 leads config show
	assert_line '  list: show 1'
}

@test "a bad alias is a config error; an unknown word is still unknown" {
	printf 'alias:\n  x: "frob 1"\n  y: "list '"'"'oops"\n' >cfg.yaml
	run --separate-stderr leads -c cfg.yaml x
	assert_failure 78
	assert_equal "$stderr" "leads: alias 'x' in config 'cfg.yaml' expands to 'frob', which is not a command"
	run --separate-stderr leads -c cfg.yaml y
	assert_failure 78
	assert_equal "$stderr" "leads: alias 'y' in config 'cfg.yaml': unclosed quote"
	run --separate-stderr leads -c cfg.yaml lsit
	assert_failure 64
	assert_equal "$stderr" "leads: 'lsit' is not a leads command; did you mean 'list'?"
	printf 'alias: [a, b]\n' >cfg.yaml
	run --separate-stderr leads -c cfg.yaml list
	assert_failure 78
	printf 'alias:\n  "-x": list\n' >cfg.yaml
	run --separate-stderr leads -c cfg.yaml list
	assert_failure 78
}
