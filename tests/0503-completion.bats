#!/usr/bin/env bats
# Shell completion (issue 19): files for file arguments, values after short
# options, `help COMMAND`, descriptions, and stage names kept one word in
# all three shells. `leads __complete` drives them all.

load test_helper

COMPLETIONS=$BATS_TEST_DIRNAME/../completions


link_bin() {
	mkdir -p bin
	ln -sf "$LEADS_BIN" bin/leads
	PATH=$PWD/bin:$PATH
}

@test "__complete: file arguments ask the shell for files" {
	for words in 'import ""' 'import -r ""' 'import --rejects ""' 'export -O ""' \
		'export --output ""' 'funnel --svg ""' '-d ""' '--db ""' 'list -d ""' '-c ""'; do
		eval "run -0 leads __complete $words"
		assert_output '__files__'
	done
}

@test "__complete: values after short options, global ones before the command" {
	run -0 leads __complete list -s ''
	assert_line --index 2 'Appointment Set'
	run -0 leads __complete -q --format json list --status ''
	assert_line --index 0 'new'
	run -0 leads __complete -d x.db move 1 ''
	assert_line --index 0 'Prospecting'
	run -0 leads __complete -q ''
	assert_line 'list'
	run -0 leads __complete --format ''
	assert_output $'table\ncsv\ntsv\njson\njsonl'
}

@test "__complete: help COMMAND offers the commands" {
	run -0 leads __complete help ''
	assert_line 'list'
	assert_line 'funnel'
	refute_line '__complete'
	run -0 leads __complete help list ''
	assert_output ''
}

@test "__complete: descriptions with LEADS_COMPLETE_DESC, for commands and options" {
	LEADS_COMPLETE_DESC=1 run -0 leads __complete ''
	assert_line $'list\tlist leads'
	LEADS_COMPLETE_DESC=1 run -0 leads __complete move 1 --re
	assert_line --regexp $'^--reason\t.+'
	# values have none: the stage name is the whole line
	LEADS_COMPLETE_DESC=1 run -0 leads __complete move 1 ''
	assert_line 'Appointment Set'
}

@test "bash: files for import, stage names quoted, help COMMAND" {
	link_bin
	touch leads.csv other.txt
	script="source '$COMPLETIONS/leads.bash'
		COMP_WORDS=(leads import lea); COMP_CWORD=2; _leads; printf '%s\n' \"\${COMPREPLY[@]}\"
		COMP_WORDS=(leads list -s Appo); COMP_CWORD=3; _leads; printf '%s\n' \"\${COMPREPLY[@]}\"
		COMP_WORDS=(leads help fun); COMP_CWORD=2; _leads; printf '%s\n' \"\${COMPREPLY[@]}\""
	run -0 bash -c "$script"
	assert_output 'leads.csv
Appointment\ Set
funnel'
}

@test "zsh: compadd quotes (no -Q) and gets descriptions; _files for files" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	link_bin
	run -0 zsh -fc '
		compadd() { print -r -- "ARGS: $argv[1,-2]"; print -rl -- "${(@P)argv[-1]}" "${(@P)argv[3]}" }
		_files() { print FILES }
		source "$0" 2>/dev/null
		words=(leads move 1 Appo); CURRENT=4; _leads
		words=(leads help l); CURRENT=3; _leads
		words=(leads import ""); CURRENT=3; _leads' "$COMPLETIONS/_leads"
	assert_line --index 0 'ARGS: -l -d descs -a'
	assert_line 'Appointment Set'
	assert_line 'list -- list leads'
	assert_line 'FILES'
}

@test "fish: stage names whole, descriptions, files and help COMMAND" {
	command -v fish >/dev/null || skip "fish is not installed"
	link_bin
	touch leads.csv
	run -0 fish -c "source '$COMPLETIONS/leads.fish'
		complete -C 'leads move 1 Appo'
		complete -C 'leads mo'
		complete -C 'leads import lea'
		complete -C 'leads help fun'"
	assert_output $'Appointment Set\nmove\tmove a lead to another stage\nleads.csv\nfunnel\tshow the pipeline funnel'
}
