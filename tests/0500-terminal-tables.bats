#!/usr/bin/env bats
# Tables on a real pseudo-terminal (script(1)): fitted to the width, paged
# through $PAGER, and streamed from a bounded look-ahead (issue 19).

load test_helper

# Run "$@" (a shell command line) on a terminal COLS wide; output has its
# CRs removed. Skips when there is no script(1) or no pseudo-terminal.
on_tty() {
	local cols=$1
	shift
	command -v script >/dev/null || skip "no script(1) to give leads a terminal"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
	run script -qec "stty cols $cols rows 40; $*" /dev/null
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
}

# Every line of $output at most $1 display columns wide.
assert_fits() {
	local line
	while IFS= read -r line; do
		(($(printf %s "$line" | wc -m) <= $1)) || fail "wider than $1: '$line'"
	done <<<"$output"
}

# Three leads with long names, emails and companies.
wide_leads() {
	leads add -q --first Maximiliana --last Vandenberghe-Oyelaran \
		--email maximiliana.vandenberghe@international-holdings.example.com \
		--company "International Holdings of Very Long Names Ltd" >/dev/null
	leads add -q --first Bo --last Li --email bo@example.com --company Tiny >/dev/null
	leads add -q --first Zoë --last 王小明 --email zoe@example.com --company "Ωmega" >/dev/null
}

@test "80 columns: rows fit, long text is cut with an ellipsis, id, name and stage stay" {
	wide_leads
	on_tty 80 "LEADS_PAGER=cat '$LEADS_BIN' list"
	assert_success
	assert_fits 80
	assert_equal "$(wc -l <<<"$output")" 4 # a header and three rows: nothing wrapped
	assert_line --index 0 --regexp '^ID +NAME +.*STAGE'
	assert_output --partial '…'
	assert_output --partial 'Prospecting'
}

@test "a narrow terminal leaves out the dispensable columns first" {
	wide_leads
	on_tty 40 "LEADS_PAGER=cat '$LEADS_BIN' list"
	assert_success
	assert_fits 40
	assert_line --index 0 --regexp '^ID +NAME +STAGE$'
	assert_line --index 2 --regexp '^ 2 +Bo Li +Prospecting$'
}

@test "a wide terminal shows every column in full" {
	wide_leads
	on_tty 250 "LEADS_PAGER=cat '$LEADS_BIN' list"
	assert_success
	refute_output --partial '…'
	assert_output --partial 'maximiliana.vandenberghe@international-holdings.example.com'
	assert_line --index 0 --regexp 'SCORE$'
}

@test "a pipe gets every column in full, whatever the terminal" {
	wide_leads
	COLUMNS=40 run -0 leads list
	refute_output --partial '…'
	assert_output --partial 'International Holdings of Very Long Names Ltd'
}

@test "numbers are never cut; the last resort cuts at the width" {
	wide_leads
	on_tty 12 "LEADS_PAGER=cat '$LEADS_BIN' list -C id,value,email"
	assert_success
	assert_fits 12
	assert_line --index 0 'ID  VALUE'
}

# A pager that records it ran, and with which LESS and LV.
fake_pager() {
	mkdir -p bin
	cat >bin/pager <<EOF
#!/bin/sh
echo "LESS=\$LESS LV=\$LV" >'$BATS_TEST_TMPDIR/paged'
cat
EOF
	chmod +x bin/pager
}

@test "a table on a terminal goes through \$PAGER with LESS=FRX, as git does" {
	wide_leads
	fake_pager
	on_tty 120 "PAGER='$PWD/bin/pager' '$LEADS_BIN' list"
	assert_success
	assert_output --partial 'Bo Li'
	run -0 cat paged
	assert_output 'LESS=FRX LV=-c'
}

@test "LESS set by the user is kept; LEADS_PAGER comes before PAGER" {
	leads add -q --first Bo >/dev/null
	fake_pager
	on_tty 120 "LESS=-S LEADS_PAGER='$PWD/bin/pager' PAGER=false '$LEADS_BIN' list"
	assert_success
	assert_output --partial 'Bo'
	run -0 cat paged
	assert_output 'LESS=-S LV=-c'
}

@test "no pager with --no-pager, LEADS_PAGER=cat, pager: false, a pipe or a machine format" {
	leads add -q --first Bo >/dev/null
	fake_pager
	P="PAGER='$PWD/bin/pager'"
	on_tty 120 "$P '$LEADS_BIN' --no-pager list"
	assert_success
	assert_output --partial 'Bo'
	on_tty 120 "$P '$LEADS_BIN' list --no-pager"
	assert_success
	on_tty 120 "$P LEADS_PAGER=cat '$LEADS_BIN' list"
	assert_success
	on_tty 120 "$P '$LEADS_BIN' --format csv list"
	assert_success
	assert_output --partial ',Bo,'
	PAGER=$PWD/bin/pager run -0 leads list
	mkdir -p "$XDG_CONFIG_HOME/leads"
	leads config show >"$XDG_CONFIG_HOME/leads/config.yaml"
	echo 'pager: false' >>"$XDG_CONFIG_HOME/leads/config.yaml"
	on_tty 120 "$P '$LEADS_BIN' list"
	assert_success
	assert_output --partial 'Bo'
	[ ! -e paged ] || fail "the pager ran: $(cat paged)"
}

@test "config pager: a command; config show writes it back" {
	leads add -q --first Bo >/dev/null
	fake_pager
	mkdir -p "$XDG_CONFIG_HOME/leads"
	leads config show >"$XDG_CONFIG_HOME/leads/config.yaml"
	echo "pager: $PWD/bin/pager" >>"$XDG_CONFIG_HOME/leads/config.yaml"
	run -0 leads config check
	run -0 leads config show
	assert_output --partial "pager: \"$PWD/bin/pager\""
	on_tty 120 "PAGER=false '$LEADS_BIN' list"
	assert_success
	assert_output --partial 'Bo'
	[ -e paged ]
}

@test "a pager quit early is not an error" {
	for i in $(seq 1 50); do echo "u$i@example.com"; done | sed '1i Email' >p.csv
	leads import -q p.csv
	on_tty 80 "PAGER='head -n 2' '$LEADS_BIN' list; echo rc=\$?"
	assert_output --partial 'u1@example.com'
	refute_output --partial 'u50@example.com'
}

@test "rows stream: widths come from the first 200 rows, a later wider cell is printed whole" {
	{
		echo "Email,First Name"
		for i in $(seq 1 249); do echo "u$i@example.com,A$i"; done
		echo "u250@example.com,Bartholomew-the-very-long-first-name"
	} >p.csv
	leads import -q p.csv
	run -0 leads list -C id,name,stage
	# the name column is as wide as the first 200 rows need, not the 250th
	assert_line --index 1 '  1  A1    Prospecting'
	assert_line --index 250 '250  Bartholomew-the-very-long-first-name  Prospecting'
	# on a terminal the late cell is cut to the column instead
	on_tty 80 "LEADS_PAGER=cat '$LEADS_BIN' list -C id,name,stage"
	assert_success
	assert_line --index 250 '250  Bar…  Prospecting'
}

@test "list | head stops the query at once (no whole-table buffering)" {
	# 300 leads: the first line is out after the look-ahead (200 rows), and a
	# reader gone makes leads stop, exit 0 when SIGPIPE is ignored (EPIPE)
	for i in $(seq 1 300); do echo "u$i@example.com"; done | sed '1i Email' >p.csv
	leads import -q p.csv
	run -0 bash -c "trap '' PIPE; '$LEADS_BIN' list -C id | head -n 2; echo \"rc=\${PIPESTATUS[0]}\""
	assert_line --index 0 ' ID'
	assert_line --index 1 '  1'
	assert_line --index 2 'rc=0'
}

@test "the import progress bar is drawn on a terminal, to its width" {
	awk 'BEGIN { print "Email"; for (i = 1; i <= 10000; i++) printf "u%d@example.com\n", i }' >p.csv
	on_tty 80 "'$LEADS_BIN' import p.csv"
	assert_success
	assert_output --regexp '\[#* *\] +[0-9.]+%'
	assert_output --partial 'generic: 10000 read, 10000 inserted'
}

@test "on a narrow terminal the progress bar is cut, never wrapped" {
	awk 'BEGIN { print "Email"; for (i = 1; i <= 10000; i++) printf "u%d@example.com\n", i }' >p.csv
	command -v script >/dev/null || skip "no script(1)"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
	run -0 script -qec "stty cols 40 rows 40; '$LEADS_BIN' import p.csv" /dev/null
	assert_output --partial '['
	local seg
	while IFS= read -r -d $'\r' seg; do
		[[ $seg == '['* ]] || continue # the summary after it is a message
		((${#seg} < 40)) || fail "progress line as wide as the terminal: '$seg'"
	done <<<"$output"$'\r'
}

@test "task list is paged; a command that writes never is" {
	leads add -q --first Bo >/dev/null
	leads task add -q 1 Call --due 1d >/dev/null
	fake_pager
	on_tty 120 "PAGER='$PWD/bin/pager' '$LEADS_BIN' task list"
	assert_success
	assert_output --partial 'Call'
	[ -e paged ] || fail "task list was not paged"
	rm paged
	export LEADS_CONFIG=$EXAMPLES/team-routing.yaml
	on_tty 120 "PAGER='$PWD/bin/pager' '$LEADS_BIN' route 1"
	assert_success
	assert_output --partial 'Bo'
	[ ! -e paged ] || fail "route was paged: quitting the pager would kill it"
}
