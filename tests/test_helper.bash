# Shared setup for the bats suites: every test gets its own HOME, XDG
# directories and database, a fixed clock and a fixed actor, so tests are
# isolated and repeatable. Run the binary as `leads`.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

LEADS_BIN=${LEADS_BIN:-$BATS_TEST_DIRNAME/../leads}
FIXTURES=$BATS_TEST_DIRNAME/fixtures
EXAMPLES=$BATS_TEST_DIRNAME/../examples

leads() {
	"$LEADS_BIN" "$@"
}

setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	export XDG_DATA_HOME=$HOME/.local/share
	export XDG_CONFIG_HOME=$HOME/.config
	mkdir -p "$HOME"
	export LEADS_DB=$BATS_TEST_TMPDIR/leads.db
	export LEADS_NOW=2026-11-24T09:00:00Z
	export LEADS_USER=tester
	export NO_COLOR=1
	unset LEADS_CONFIG LEADS_BUSY_TIMEOUT
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Add a lead and keep its id in $id.
add_lead() {
	id=$(leads add "$@") || return 1
}

# sqlite3 query on the test database.
sql() {
	sqlite3 "$LEADS_DB" "$@"
}
