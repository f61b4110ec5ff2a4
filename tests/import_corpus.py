#!/usr/bin/env python3
"""Compare what `leads import` stored with what Python's csv module reads.

usage: import_corpus.py FILE.csv DETECT.tsv EXPORT.json

DETECT.tsv is `leads import --detect --format tsv FILE` (column, target,
by); EXPORT.json is `leads export --format json` after importing FILE into
an empty database. Every data row (not a report footer: a row with more
than its first cell filled) must be a lead, in order, and every column
that lands on a text field or a custom field must hold the cell exactly
as Python reads it (trimmed); emails are compared after leads' own
normalisation (lower case, the first address of a list). Fields leads
rewrites by design (dates, stages, statuses, amounts, split names) are
checked by the other tests. Prints each difference; exit 1 if any.
"""
import csv
import json
import sys

TEXT = {"phone", "company", "title", "website", "industry", "city", "state",
        "country", "source", "owner", "ext_id", "first_name", "last_name"}


def main():
    path, detect, export = sys.argv[1:4]
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], [r for r in rows[1:] if any(c.strip() for c in r[1:])]
    targets = {}
    with open(detect, encoding="utf-8") as f:
        next(f)
        for line in f:
            col, target, _ = line.rstrip("\n").split("\t")
            targets[col] = target
    with open(export, encoding="utf-8") as f:
        leads = json.load(f)
    bad = 0
    if len(leads) != len(data):
        print(f"{path}: {len(data)} rows, {len(leads)} leads")
        return 1
    for n, (row, lead) in enumerate(zip(data, leads), 2):
        extra = lead.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
        for col, cell in zip(header, row):
            col, cell = col.strip(), cell.strip()
            t = targets.get(col)
            if not cell or t is None:
                continue
            if t == "email":
                want, got = cell.split(",")[0].strip().lower(), lead["email"]
            elif t in TEXT:
                want, got = cell, lead.get(t)
                if t in ("first_name", "last_name") and got is None:
                    continue  # a full-name column filled it instead
            elif t.startswith("extra."):
                want, got = cell, extra.get(t[6:])
            else:
                continue
            if want != got:
                print(f"{path}: row {n}, column {col!r} ({t}): python {want!r}, leads {got!r}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
