#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line tests of the analyst features (issue 14, TAP): run --export-paths.
# Usage: analyst.sh PATH_TO_CAPEXSIM SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { # check NAME EXIT-STATUS [diagnostic]
    if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi
}

echo "1..7"

# ---- run --export-paths ----
"$BIN" run --paths 5000 --seed 11 --threads 1 --json "$TMP/r1.json" \
    --export-paths "$TMP/p1.csv" -q 2>"$TMP/e1"; rc1=$?
"$BIN" run --paths 5000 --seed 11 --threads 3 --json "$TMP/r3.json" \
    --export-paths "$TMP/p3.csv" -q 2>"$TMP/e3"; rc3=$?
[ $rc1 -eq 0 ] && [ $rc3 -eq 0 ] && cmp -s "$TMP/p1.csv" "$TMP/p3.csv"
check "export: the same bytes at 1 and 3 threads" $? "rc=$rc1/$rc3 $(cat "$TMP/e1" "$TMP/e3")"

# Header: path, every uncertain input (by the scenario's own list), every metric; one row
# per path in path order.
python3 - "$TMP/p1.csv" "$TMP/r1.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
head, body = rows[0], rows[1:]
d = json.load(open(sys.argv[2]))
metrics = list(d["metrics"].keys())
assert head[0] == "path", head[0]
assert head[-len(metrics):] == metrics, head[-len(metrics):]
ins = head[1:-len(metrics)]
assert "msl.p_success" in ins and "market.drift" in ins, ins
assert "market.price0" not in ins  # fixed in the default scenario: not an uncertain input
assert len(body) == 5000, len(body)
assert [int(r[0]) for r in body] == list(range(5000))
assert all(len(r) == len(head) for r in body)
PY
check "export: header (path, uncertain inputs, metrics) and one row per path in order" $?

# The mean of each metric column equals the report's mean. The two sums differ only in
# the order of the additions: the bound is n ulps of the largest |value| (exact-rounding
# sum math.fsum on our side, any order on the engine's).
python3 - "$TMP/p1.csv" "$TMP/r1.json" <<'PY'
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
n = len(rows)
assert n == d["paths"]
bad = []
for m, st in d["metrics"].items():
    xs = [float(r[m]) for r in rows]
    mean = math.fsum(xs) / n
    tol = n * 2.0 ** -52 * max(abs(x) for x in xs)
    if abs(mean - st["mean"]) > tol:
        bad.append((m, mean, st["mean"], tol))
    # and the CSV's min and max are the report's (exact in both)
    if min(xs) != st["min"] or max(xs) != st["max"]:
        bad.append((m, "min/max", min(xs), st["min"], max(xs), st["max"]))
assert not bad, bad
PY
check "export: column means equal the report's means (to summation rounding), min and max exactly" $?

"$BIN" run --paths 5000 --seed 11 --threads 2 --export-paths "$TMP/pm.csv" --export-max 1500 -q
rc=$?
[ $rc -eq 0 ] && head -n 1501 "$TMP/p1.csv" | cmp -s - "$TMP/pm.csv"
check "export: --export-max N gives the first N rows of the full export" $?

# The run's JSON does not change with an export (rounds sized for the export change no bit).
"$BIN" run --paths 5000 --seed 11 --threads 1 --json "$TMP/r0.json" -q
python3 -c "
import json,sys
a,b=(json.load(open(f)) for f in sys.argv[1:3])
for d in (a,b):
    for k in ('elapsed_s','paths_per_s'): d.pop(k)
sys.exit(a!=b)" "$TMP/r0.json" "$TMP/r1.json"
check "export: the run's report is the same with and without an export" $?

err=$("$BIN" run --paths 10 --export-max 5 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "^capexsim: --export-max: needs --export-paths" <<<"$err"
check "export: --export-max without --export-paths is a usage error" $? "rc=$rc err=$err"

err=$("$BIN" run --paths 10 --export-paths "$TMP/no-such-dir/p.csv" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "^capexsim: --export-paths: .*no-such-dir/p.csv: No such file" <<<"$err" \
  && [ "$(wc -l <<<"$err")" -eq 1 ]
check "export: an unwritable file is one line, exit 2" $? "rc=$rc err=$err"
