#!/bin/sh
# A short tour of leads on the built-in default pipeline, in a throw-away
# directory: add and import a few leads, work them, read the funnel.
# usage: demo.sh [PATH-TO-LEADS]
set -eu
bin=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
export LEADS_DB="$tmp/leads.db" LEADS_USER=demo
unset LEADS_CONFIG
export LEADS_NOW=2026-11-02T09:00:00Z

# show the command as one would type it: words with spaces in quotes
say() {
	line=
	for w in "$@"; do
		case $w in *' '*) w="\"$w\"" ;; esac
		line="$line $w"
	done
	printf '\n\033[1m$%s\033[0m\n' "$line" >&2
}
run() { say leads "$@"; "$bin" "$@"; }

run init
run add --first Ana --last Lima --email ana@example.com --company Acme --source web
run add --first Ben --last Okafor --email ben@example.com --company Globex --source referral
run add --json <<'JSON'
{"first_name": "Chloé", "last_name": "Martin", "email": "CHLOE@Example.org", "company": "Initech", "budget": "40k"}
JSON
if "$bin" help import >/dev/null 2>&1; then
	run import "$here/examples/import/salesforce-report.csv"
fi
export LEADS_NOW=2026-11-05T10:00:00Z
run log ana@example.com call --note "Intro call, wants a proposal"
run move ana@example.com --next
run move ana@example.com "Proposal Sent"
run edit ana@example.com --value 12000
run move ben@example.com Lost --reason "went with a competitor"
run note chloe@example.org "Asked for pricing"
run list
run show ana@example.com
if "$bin" help funnel >/dev/null 2>&1; then
	run funnel
fi
