#!/usr/bin/env bats
# The same thing answered the same way across commands (issue 19).

load test_helper

@test "a mistyped command suggests by edit distance, a swap counting once" {
	run --separate-stderr leads lsit
	assert_failure 64
	assert_equal "$stderr" "leads: 'lsit' is not a leads command; did you mean 'list'?"
	run --separate-stderr leads shwo
	assert_failure 64
	assert_equal "$stderr" "leads: 'shwo' is not a leads command; did you mean 'show'?"
	run --separate-stderr leads xyzzy
	assert_failure 64
	assert_equal "$stderr" "leads: 'xyzzy' is not a leads command; see 'leads help'"
}

@test "funnel --svg - writes the picture to stdout, as export -O - does" {
	leads add -q --first Ana >/dev/null
	run --separate-stderr leads funnel --svg -
	assert_success
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_output --partial '</svg>'
	refute_output --partial 'Prospecting    '
	[ ! -e ./- ]
}
