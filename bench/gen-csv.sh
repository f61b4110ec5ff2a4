#!/bin/sh
# Generate a Salesforce-style lead export for benchmarks: N rows (default
# 1,000,000), 11 columns, quoted commas and quotes, UTF-8 names, MM/DD/YYYY
# dates. Deterministic: the same N gives the same bytes.
# usage: gen-csv.sh [N] > leads.csv
set -eu
n=${1:-1000000}
awk -v n="$n" 'BEGIN {
	split("Ana,Ben,Chloé,Dmitri,Émile,Fatima,Gustavo,Hana,Ingrid,José,Kenji,Léa,Mårten,Nadia,Oğuz,Priya", first, ",")
	split("Lima,Okafor,Martin,Ivanov,Durand,Zahra,Pérez,Sato,Johansen,García,Watanabe,Moreau,Åberg,Haddad,Yılmaz,Patel", last, ",")
	split("Acme,Globex,Initech,Umbrella,Hooli,Stark,Wayne,Tyrell,Cyberdyne,Soylent", co, ",")
	split("Web,Referral,Trade Show,Partner,Cold Call", src, ",")
	split("Open - Not Contacted,Working - Contacted,Closed - Converted,Closed - Not Converted", st, ",")
	split("CEO,VP Sales,Director of IT,Engineer,Office Manager,CFO", ti, ",")
	print "Lead ID,First Name,Last Name,Email,Company / Account,Title,Phone,Lead Source,Lead Status,Create Date,Description"
	for (i = 1; i <= n; i++) {
		f = first[i % 16 + 1]; l = last[int(i / 16) % 16 + 1]; c = co[i % 10 + 1]
		printf "00Q%012d,%s,%s,%s.%s%d@%s.example.com,\"%s, Inc.\",%s,+1 555 %04d,%s,%s,%02d/%02d/20%02d %d:%02d %s,\"Met at \"\"%s\"\", wants a demo, budget %d\"\n", \
			i, f, l, tolower(f), tolower(l), i, tolower(c), c, ti[i % 6 + 1], i % 10000, src[i % 5 + 1], \
			st[i % 4 + 1], i % 12 + 1, i % 28 + 1, 15 + i % 10, i % 12 + 1, i % 60, (i % 2 ? "AM" : "PM"), src[i % 5 + 1], i % 100 * 1000
	}
}'
