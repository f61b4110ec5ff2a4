#!/bin/sh
# scripts/check-sql.sh [FILE.c...] - "SQL uses bound parameters only".
#
# Every statement leads prepares or executes must have constant SQL text,
# with user data bound as parameters. This reads the C sources (default
# lib/*.c cmd/*.c) and reports:
#
#   - a db_prep, db_prep_keep, db_prepare_once, db_exec, db_exec_raw,
#     st_prepare, sqlite3_prepare*, sqlite3_exec call whose SQL argument is
#     not a string literal (a variable, a buffer, a ternary);
#   - a sqlite3_mprintf/snprintf/vmprintf format with a conversion other
#     than %w %q %Q (quoted by SQLite) or integers;
#   - an sb_add*/snprintf call whose text holds SQL keywords (SQL being
#     assembled in a buffer);
#
# unless the place is in scripts/sql-allow.txt, a reviewed list with one
# reason per entry:  FILE FUNCTION KIND -- why this SQL carries no user data.
# Exit 0 when everything is literal or allowed, 1 otherwise (each finding
# on one line: FILE:LINE: FUNCTION: KIND: the call), 2 on a stale entry
# (allowed, but no longer found: remove it so the list stays short).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
	cd "$root"
	set -- lib/*.c cmd/*.c
fi
SQL_ALLOW=$root/scripts/sql-allow.txt exec perl -e '
use strict;
use warnings;

my %allow;
my %used;
open(my $af, "<", $ENV{SQL_ALLOW}) or die "check-sql: $ENV{SQL_ALLOW}: $!\n";
while (<$af>) {
	next if /^\s*(#|$)/;
	/^(\S+)\s+(\S+)\s+(\S+)\s+--\s+\S/ or die "check-sql: sql-allow.txt:$.: want FILE FUNCTION KIND -- REASON\n";
	$allow{"$1 $2 $3"} = $.;
}
close $af;

my $found = 0;
my @files = @ARGV;
for my $file (@files) {
	open(my $fh, "<", $file) or die "check-sql: $file: $!\n";
	local $/;
	my $src = <$fh>;
	close $fh;
	# comments out, line breaks kept (strings are kept: they are the SQL)
	$src =~ s{("(?:[^"\\\n]|\\.)*")|(/\*.*?\*/)|(//[^\n]*)}{
		defined $1 ? $1 : defined $2 ? ($2 =~ tr/\n//cdr) : ""
	}gse;
	# the function each offset belongs to: a definition starts a line
	my @funcs;
	while ($src =~ /^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{]*?\)\s*\{/mg) {
		push @funcs, [ $-[0], $1 ];
	}
	my $func_at = sub {
		my ($off) = @_;
		my $name = "(file)";
		for my $f (@funcs) { last if $f->[0] > $off; $name = $f->[1]; }
		return $name;
	};
	my $line_at = sub { 1 + (substr($src, 0, $_[0]) =~ tr/\n//) };
	# the argument list of the call whose "(" is at $open: split at top-level commas
	my $args = sub {
		my ($open) = @_;
		my ($depth, $i, $start, @out) = (0, $open, $open + 1);
		while ($i < length $src) {
			my $c = substr($src, $i, 1);
			if ($c eq q(")) {
				pos($src) = $i;
				$src =~ /\G"(?:[^"\\]|\\.)*"/gc or return ();
				$i = pos($src);
				next;
			}
			if ($c eq "(" || $c eq "[" || $c eq "{") { $depth++; }
			elsif ($c eq ")" || $c eq "]" || $c eq "}") {
				$depth--;
				if ($depth == 0) { push @out, substr($src, $start, $i - $start); last; }
			} elsif ($c eq "," && $depth == 1) {
				push @out, substr($src, $start, $i - $start);
				$start = $i + 1;
			}
			$i++;
		}
		return map { my $s = $_; $s =~ s/\s+/ /g; $s =~ s/^ | $//g; $s } @out;
	};
	my $report = sub {
		my ($off, $kind, $what) = @_;
		my $func = $func_at->($off);
		my $key = "$file $func $kind";
		if (exists $allow{$key}) { $used{$key} = 1; return; }
		printf "%s:%d: %s: %s: %s\n", $file, $line_at->($off), $func, $kind, $what;
		$found++;
	};
	my $literal = qr/^(?:"(?:[^"\\]|\\.)*"\s*)+$/s;
	# constant SQL: literals and upper-case macros (MSG_COLS), or a choice
	# between two such (fast ? "PRAGMA ..." : "PRAGMA ...")
	my $piece = qr/(?:"(?:[^"\\]|\\.)*"|\b[A-Z][A-Z0-9_]*\b)/;
	my $const = qr/^(?:$piece\s*)+$/s;
	my $choice = qr/^[\w>.\-!]+ \? (?:$piece\s*)+ : (?:$piece\s*)+$/s;

	while ($src =~ /\b(db_prep|db_prep_keep|db_prepare_once|db_exec|db_exec_raw|st_prepare|sqlite3_prepare(?:_v2|_v3)?|sqlite3_exec)\s*\(/g) {
		my ($name, $off, $open) = ($1, $-[0], $+[0] - 1);
		my $save = pos($src);
		my @a = $args->($open);
		pos($src) = $save;
		next if @a < 2 || $a[0] =~ /^(?:struct|const|sqlite3) /; # a definition or prototype
		next if $a[1] =~ $const || $a[1] =~ $choice;
		$report->($off, "sql-arg", "$name(..., $a[1], ...)");
	}
	while ($src =~ /\bsqlite3_(?:v?mprintf|snprintf)\s*\(/g) {
		my ($off, $open) = ($-[0], $+[0] - 1);
		my $save = pos($src);
		my @a = $args->($open);
		pos($src) = $save;
		my ($fmt) = grep { /$literal/ } @a;
		next unless defined $fmt;
		my @conv = $fmt =~ /%[-+ #0-9.]*(?:ll|l|z)?([a-zA-Z%])/g;
		my @bad = grep { !/^[wqQdiu%]$/ } @conv;
		$report->($off, "mprintf", "format $fmt uses %" . join(" %", @bad)) if @bad;
	}
	my $kw = qr/\b(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|WHERE|VALUES|ORDER BY)\b/;
	while ($src =~ /\b(sb_addf|sb_adds|sb_add|snprintf)\s*\(/g) {
		my ($name, $off, $open) = ($1, $-[0], $+[0] - 1);
		my $save = pos($src);
		my @a = $args->($open);
		pos($src) = $save;
		my @sql = grep { /$literal/ && /$kw/ } @a;
		$report->($off, "builds-sql", "$name(..., $sql[0], ...)") if @sql;
	}
}
my $stale = 0;
for my $k (sort { $allow{$a} <=> $allow{$b} } keys %allow) {
	next if $used{$k};
	next unless grep { $k =~ /^\Q$_\E / } @files; # only files checked this run
	print "scripts/sql-allow.txt:$allow{$k}: stale entry (no longer found): $k\n";
	$stale++;
}
if ($found) {
	print "check-sql: $found place(s) build SQL text from something other than literals;\n",
	      "bind user data as parameters, or review the place and add it to scripts/sql-allow.txt\n";
	exit 1;
}
exit($stale ? 2 : 0);
' "$@"
