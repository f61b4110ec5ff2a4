#!/usr/bin/env bats
# leads note LEAD: no text opens $VISUAL/$EDITOR on a terminal (a temporary
# file, git commit style), '-' reads standard input.
load test_helper

notes() {
	sql "SELECT data FROM events WHERE kind = 'note' ORDER BY id"
}

# A fake editor: puts $NOTE_TEXT above what the file holds, keeps a copy.
fake_editor() {
	cat >"$BATS_TEST_TMPDIR/ed" <<-'SH'
	#!/bin/sh
	cp "$1" "$BATS_TEST_TMPDIR/seen"
	{ printf '%s' "$NOTE_TEXT"; cat "$1"; } >"$1.new" && mv "$1.new" "$1"
	SH
	chmod +x "$BATS_TEST_TMPDIR/ed"
}

# Skip where there is no pseudo-terminal to give leads (a chroot without
# /dev/pts). Call from the test itself: a skip inside `run` is lost.
need_tty() {
	command -v script >/dev/null || skip "no script(1) to give leads a terminal"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
}

# Run leads on a pseudo-terminal.
on_tty() {
	script -qec "$(printf '%q ' "$LEADS_BIN" "$@")" /dev/null
}

@test "note LEAD - reads the text from standard input" {
	add_lead --email a@example.com --first Ann
	printf 'first line\nsecond line\n\n' | leads note ann -
	run -0 notes
	assert_output '{"text":"first line\nsecond line"}'
	run --separate-stderr leads note 1 - </dev/null
	assert_failure 64
	assert_equal "$stderr" "leads note: the note is empty; nothing recorded"
}

@test "note LEAD on a terminal opens \$VISUAL or \$EDITOR; '#' lines are left out" {
	need_tty
	add_lead --email a@example.com --first Ann
	fake_editor
	export EDITOR=$BATS_TEST_TMPDIR/ed NOTE_TEXT=$'wants a demo\n# not this\nnext week\n'
	unset VISUAL
	run -0 on_tty note 1
	run -0 notes
	assert_output '{"text":"wants a demo\nnext week"}'
	run -0 cat "$BATS_TEST_TMPDIR/seen"
	assert_line "# The note for Ann (#1). Lines starting with '#' are left out;"
	# $VISUAL first, and the temporary file is gone
	VISUAL=$BATS_TEST_TMPDIR/ed EDITOR=false NOTE_TEXT="from visual" run -0 on_tty note 1
	run -0 notes
	assert_line --index 1 '{"text":"from visual"}'
	run -0 find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'leads-note-*' -newer "$BATS_TEST_TMPDIR/ed"
	assert_output ""
}

@test "an empty note from the editor records nothing; a failing editor neither" {
	need_tty
	add_lead --email a@example.com --first Ann
	fake_editor
	EDITOR=$BATS_TEST_TMPDIR/ed NOTE_TEXT="" run on_tty note 1
	assert_failure 64
	assert_output --partial "the note is empty; nothing recorded"
	EDITOR=false run on_tty note 1
	assert_failure
	assert_output --partial "the editor 'false' failed; nothing recorded"
	run -0 notes
	assert_output ""
	# an ambiguous or unknown lead fails before any editor opens
	EDITOR=false run on_tty note nobody
	assert_failure 66
}

@test "without text and without a terminal: a usage error, no editor" {
	add_lead --email a@example.com --first Ann
	EDITOR=false run --separate-stderr leads note 1 </dev/null
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads note: give the note's text, or - to read it from standard input (the editor opens on a terminal only)"
}
