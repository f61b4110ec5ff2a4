#!/usr/bin/env bats
# Documentation and completion stay true to the binary: every command has
# -h and a man page that documents exactly the options -h prints, the man
# pages lint clean, leads(1) covers every command, global option, exit
# status and environment variable, and the shell completions load and get
# the right candidates from `leads __complete`.
#
# Man pages are checked as rendered text (mandoc -Tascii, overstrike
# removed, no line wrapping), so `.Fl \-next Ar X` is found as "--next X".

load test_helper

ROOT=$BATS_TEST_DIRNAME/..
MAN=$ROOT/man
COMPLETIONS=$ROOT/completions

# The commands `leads help` lists, one a line.
commands() {
	leads help | awk '/^commands:$/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

# The options an -h text on stdin prints under "options:", one a line as
# "SHORT LONG METAVAR" with "-" for an absent short option or metavar:
#   "  -m, --reason TEXT      why"  ->  "m reason TEXT"
#   "      --json             read" ->  "- json -"
parse_options() {
	awk '/^options:$/ { on = 1; next } /^$/ { on = 0 }
	on {
		s = "-"
		if ($1 ~ /^-[A-Za-z],$/) { s = substr($1, 2, 1); $1 = "" ; $0 = $0 }
		long = substr($1, 3)
		meta = ($2 ~ /^[A-Z][A-Z0-9,=_]*$/) ? $2 : "-"
		print s, long, meta
	}'
}

# Rendered text of a man page, one paragraph a line.
render() {
	mandoc -Tascii -O width=1000 "$1" | sed 's/.\x08//g'
}

# One section of a rendered page (e.g. SYNOPSIS), without its heading.
section() {
	render "$1" | awk -v want="$2" '/^[A-Z]/ { on = ($0 == want); next } on'
}

# The spelling a page must use for an option: "-m TEXT, --reason TEXT",
# "-n, --next", "--json", "--stage STAGE".
spelled() {
	local s=$1 long=$2 meta=$3 arg=""
	[[ $meta != - ]] && arg=" $meta"
	if [[ $s != - ]]; then
		printf -- '-%s%s, --%s%s' "$s" "$arg" "$long" "$arg"
	else
		printf -- '--%s%s' "$long" "$arg"
	fi
}

# Standard input has the text $1, not followed by more of a name
# ("--next" is not found in "--next-stage").
has_word() {
	local re
	re=$(printf '%s\n' "$1" | sed 's/[]\\.*^$|+?(){}[]/\\&/g') || return 2
	[[ -n $re ]] || return 2
	grep -qE -- "$re([^A-Za-z0-9_-]|\$)"
}

@test "leads help lists the commands; each has -h with its usage" {
	run -0 commands
	assert_line add
	assert_line list
	assert_line move
	assert_line config
	refute_line __complete
	for c in $(commands); do
		run --separate-stderr leads "$c" -h
		[[ $status -eq 0 ]] || fail "leads $c -h exited $status"
		[[ ${lines[0]} == "usage: leads $c "* ]] ||
			fail "leads $c -h starts with '${lines[0]}', not 'usage: leads $c'"
		[[ -z $stderr ]] || fail "leads $c -h wrote to stderr: $stderr"
	done
}

@test "leads help CMD prints the same as leads CMD -h" {
	for c in $(commands); do
		diff <(leads help "$c") <(leads "$c" -h) || fail "help $c and $c -h differ"
	done
}

@test "the alias ls shows the help of list" {
	run -0 leads ls -h
	assert_line --index 0 --partial "usage: leads list "
}

@test "every command has a man page, except help, which leads(1) describes" {
	for c in $(commands); do
		[[ $c == help ]] && continue
		[[ -s $MAN/leads-$c.1 ]] || fail "no man page man/leads-$c.1"
	done
	section "$MAN/leads.1" DESCRIPTION | grep -q '^     help \[command\]$' ||
		fail "leads(1) does not describe 'help [command]'"
}

@test "the man page leads CMD -h points to exists" {
	for c in $(commands); do
		page=$(leads "$c" -h | sed -n 's/^See \(leads[a-z-]*\)(1) for details\.$/\1/p')
		[[ -n $page ]] || fail "leads $c -h names no man page"
		[[ -f $MAN/$page.1 ]] || fail "leads $c -h points to $page(1), which does not exist"
	done
}

@test "there is no man page for a command that does not exist" {
	cmds=" $(commands | tr '\n' ' ') "
	for f in "$MAN"/leads-*.1; do
		c=$(basename "$f" .1)
		c=${c#leads-}
		[[ $cmds == *" $c "* ]] || fail "man/leads-$c.1 documents no command of 'leads help'"
	done
}

@test "each man page has the title of its file" {
	for f in "$MAN"/*.1 "$MAN"/*.5; do
		[[ -e $f ]] || continue
		base=$(basename "$f")
		name=${base%.*} sec=${base##*.}
		want=".Dt $(printf '%s' "$name" | tr a-z A-Z) $sec"
		grep -qxF "$want" "$f" || fail "$base: no '$want'"
		grep -qxF ".Nm $name" "$f" || fail "$base: NAME is not '.Nm $name'"
	done
}

@test "every option leads CMD -h prints is in its page's SYNOPSIS and OPTIONS" {
	errors="" n=0
	for c in $(commands); do
		[[ $c == help ]] && continue
		page=$MAN/leads-$c.1
		syn=$(section "$page" SYNOPSIS)
		opts=$(section "$page" OPTIONS)
		while read -r s long meta; do
			n=$((n + 1))
			want=$(spelled "$s" "$long" "$meta")
			has_word "$want" <<<"$opts" ||
				errors+="leads-$c.1: OPTIONS lacks '$want' (as leads $c -h prints it)"$'\n'
			[[ $meta == - ]] && arg="" || arg=" $meta"
			has_word "--$long$arg" <<<"$syn" ||
				errors+="leads-$c.1: SYNOPSIS lacks '--$long$arg'"$'\n'
		done < <(leads "$c" -h | parse_options)
	done
	[[ -z $errors ]] || fail "$errors"
	# about 66 today: fewer than 30 means the parser above lost them
	((n >= 30)) || fail "only $n options parsed from the -h outputs"
}

@test "a command page's SYNOPSIS has no option its command lacks" {
	errors=""
	for c in $(commands); do
		[[ $c == help ]] && continue
		known=" $(leads "$c" -h | parse_options | awk '{ print $2 }' | tr '\n' ' ') "
		for o in $(section "$MAN/leads-$c.1" SYNOPSIS | grep -oE -- '--[a-z][a-z-]*'); do
			[[ $known == *" ${o#--} "* ]] ||
				errors+="leads-$c.1: SYNOPSIS shows $o, which leads $c -h does not list"$'\n'
		done
	done
	[[ -z $errors ]] || fail "$errors"
}

@test "the option parser of these tests reads move -h" {
	run -0 parse_options < <(leads move -h)
	assert_output "n next -
b back -
m reason TEXT"
}

@test "leads(1) shows every global option in SYNOPSIS and DESCRIPTION" {
	syn=$(section "$MAN/leads.1" SYNOPSIS)
	desc=$(section "$MAN/leads.1" DESCRIPTION)
	errors="" n=0
	while read -r s long meta; do
		n=$((n + 1))
		[[ $meta == - ]] && arg="" || arg=" $meta"
		has_word "--$long$arg" <<<"$syn" || errors+="SYNOPSIS lacks '--$long$arg'"$'\n'
		want=$(spelled "$s" "$long" "$meta")
		has_word "$want" <<<"$desc" || errors+="global options lack '$want'"$'\n'
	done < <(leads help | parse_options)
	[[ -z $errors ]] || fail "leads.1: $errors"
	((n >= 8)) || fail "only $n global options parsed from 'leads help'"
}

@test "leads(1) refers to every command page" {
	text=$(render "$MAN/leads.1")
	for c in $(commands); do
		[[ $c == help ]] && continue
		grep -qF "leads-$c(1)" <<<"$text" || fail "leads.1 does not refer to leads-$c(1)"
	done
	grep -qF "leads-config(5)" <<<"$text" || fail "leads.1 does not refer to leads-config(5)"
}

@test "leads(1) documents every exit status" {
	run -0 section "$MAN/leads.1" "EXIT STATUS"
	for code in 0 1 64 65 66 69 70 74 75 78; do
		assert_line --regexp "^     $code +[A-Z]"
	done
}

@test "leads(1) documents every environment variable the code reads" {
	env=$(section "$MAN/leads.1" ENVIRONMENT)
	vars=$(grep -ohE 'getenv\("[A-Z_]+"\)' "$ROOT"/cmd/*.c "$ROOT"/lib/*.c | sort -u |
		sed 's/getenv("\(.*\)")/\1/')
	[[ -n $vars ]] || fail "found no getenv() calls in cmd/ and lib/"
	missing=""
	for v in $vars XDG_DATA_HOME; do
		grep -qE "^     $v( |$)" <<<"$env" || missing+=" $v"
	done
	[[ -z $missing ]] || fail "leads.1 ENVIRONMENT lacks:$missing"
}

@test "every man page lints clean with mandoc -Tlint -Wwarning" {
	n=0
	for f in "$MAN"/*.1 "$MAN"/*.5; do
		[[ -e $f ]] || continue
		n=$((n + 1))
		run mandoc -Tlint -Wwarning "$f"
		[[ $status -eq 0 && -z $output ]] || fail "$(basename "$f"): $output"
	done
	((n >= 13)) || fail "only $n man pages found"
}

@test "bash completion loads and registers _leads for leads" {
	run -0 bash -c "source '$COMPLETIONS/leads.bash' && complete -p leads"
	assert_output "complete -F _leads leads"
}

@test "zsh and fish completions exist" {
	[[ -s $COMPLETIONS/_leads ]] || fail "completions/_leads is missing or empty"
	[[ -s $COMPLETIONS/leads.fish ]] || fail "completions/leads.fish is missing or empty"
	run -0 head -n 1 "$COMPLETIONS/_leads"
	assert_output "#compdef leads"
	run -0 grep -c '^complete -c leads ' "$COMPLETIONS/leads.fish"
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$COMPLETIONS/_leads"
	fi
	if command -v fish >/dev/null; then
		run -0 fish -n "$COMPLETIONS/leads.fish"
	fi
}

@test "completion: commands" {
	run --separate-stderr leads __complete ""
	assert_success
	assert_output "$(commands)"
}

@test "completion: stage names after move LEAD" {
	run --separate-stderr leads __complete move 1 ""
	assert_success
	assert_output "Prospecting
Contacted
Appointment Set
Proposal Sent
Customer Agreed
Closed Deal
Customer
Lost"
}

@test "completion: stage names come from the config in use" {
	cat >pipeline.yaml <<-'EOF'
	pipeline:
	  stages:
	    - name: New
	      group: active
	    - name: Won
	      group: won
	    - name: Gone
	      group: lost
	EOF
	LEADS_CONFIG=$PWD/pipeline.yaml run --separate-stderr leads __complete move 1 ""
	assert_success
	assert_output "New
Won
Gone"
}

@test "completion: statuses, activities and config actions" {
	run -0 leads __complete status 1 ""
	assert_output "new
active
inactive
unqualified"
	run -0 leads __complete log 1 ""
	assert_output "call
email
meeting
email-opened"
	run -0 leads __complete config ""
	assert_output "check
show
graph"
}

@test "completion: the value of an option, list --status" {
	run --separate-stderr leads __complete list --status ""
	assert_success
	assert_output "new
active
inactive
unqualified"
}

@test "completion: a command's options and the global ones" {
	run --separate-stderr leads __complete move 1 --
	assert_success
	assert_line --index 0 -- "--next"
	assert_line -- "--back"
	assert_line -- "--reason"
	assert_line -- "--format"
	refute_line -- "--json"
}

@test "completion: the bash function completes commands and quotes stage names" {
	mkdir bin
	ln -s "$LEADS_BIN" bin/leads
	script="source '$COMPLETIONS/leads.bash'
		COMP_WORDS=(leads mo); COMP_CWORD=1; _leads; printf '%s\n' \"\${COMPREPLY[@]}\"
		COMP_WORDS=(leads move 1 Appo); COMP_CWORD=3; _leads; printf '%s\n' \"\${COMPREPLY[@]}\""
	PATH=$PWD/bin:$PATH run -0 bash -c "$script"
	assert_output 'move
Appointment\ Set'
}
