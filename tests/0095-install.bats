#!/usr/bin/env bats
# make install / make uninstall: every file where the variables say, the
# zsh completion in site-functions under /usr/local (in zsh's fpath), and
# uninstall removing exactly what install put there. Installs ./leads as
# built (make -o leads: no rebuild from inside the suite).
load test_helper

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# make in the source tree, not as a sub-make of `make check`'s run.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$TOP" -o leads "$@"
}

setup() {
	pg_skip "the installed layout does not depend on the database"
	[ -x "$TOP/leads" ] || skip "build ./leads first (make)"
	dest=$BATS_TEST_TMPDIR/dest
}

# Everything under $dest that is not a directory, sorted.
files() {
	(cd "$dest" && find . ! -type d | LC_ALL=C sort)
}

@test "make install PREFIX=/usr/local puts everything in place, uninstall removes it all" {
	mk install DESTDIR="$dest" PREFIX=/usr/local >/dev/null
	[ -x "$dest/usr/local/bin/leads" ]
	[ -f "$dest/usr/local/share/man/man1/leads.1" ]
	[ -f "$dest/usr/local/share/man/man1/leads-sweep.1" ]
	[ -f "$dest/usr/local/share/man/man5/leads-config.5" ]
	[ -f "$dest/usr/local/share/bash-completion/completions/leads" ]
	[ -f "$dest/usr/local/share/zsh/site-functions/_leads" ]
	[ ! -e "$dest/usr/local/share/zsh/vendor-completions" ]
	[ -f "$dest/usr/local/share/fish/vendor_completions.d/leads.fish" ]
	# every man page of the tree, nothing else
	assert_equal "$(ls "$dest/usr/local/share/man/man1" | wc -l)" "$(ls "$TOP"/man/*.1 | wc -l)"
	run "$dest/usr/local/bin/leads" --version
	assert_success

	# a file of another program in the same directories stays
	echo other >"$dest/usr/local/bin/other"
	echo other >"$dest/usr/local/share/zsh/site-functions/_other"
	mk uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null
	run files
	assert_output "./usr/local/bin/other
./usr/local/share/zsh/site-functions/_other"
	rm "$dest/usr/local/bin/other" "$dest/usr/local/share/zsh/site-functions/_other"
	run files
	assert_output ''
}

@test "make install honours BINDIR, MANDIR and the completion dirs; uninstall the same" {
	local vars=(DESTDIR="$dest" PREFIX=/opt/leads BINDIR=/opt/bin MANDIR=/opt/man
		BASHCOMPDIR=/opt/bash ZSHCOMPDIR=/opt/zsh FISHCOMPDIR=/opt/fish)
	mk install "${vars[@]}" >/dev/null
	run files
	assert_line ./opt/bin/leads
	assert_line ./opt/man/man1/leads.1
	assert_line ./opt/man/man5/leads-config.5
	assert_line ./opt/bash/leads
	assert_line ./opt/zsh/_leads
	assert_line ./opt/fish/leads.fish
	refute_line --partial ./opt/leads/
	mk uninstall "${vars[@]}" >/dev/null
	run files
	assert_output ''
}
