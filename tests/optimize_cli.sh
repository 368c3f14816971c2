#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line tests of capexsim optimize (issue 21, TAP): help, bad groups (one line, exit 2),
# same JSON at 1 and 2 threads, the JSON against docs/schema/optimize.schema.json, Ctrl-C.
# Usage: optimize_cli.sh PATH_TO_CAPEXSIM SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }
py=python3
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null && py=/usr/bin/python3

echo "1..8"

out=$("$BIN" optimize --help); rc=$?
[ $rc -eq 0 ] && for o in --paths --seed --threads --json --quiet --frontier --check-paths --starts; do
    grep -q -- "$o" <<<"$out" || exit 1; done && grep -q "default" <<<"$out"
check "optimize --help exits 0 and lists its options with defaults" $?

# a small scenario: tranche a uncertain, b a fixed size (the decision)
cat >"$TMP/base.cfg" <<'CFG'
horizon_months = 12;
supply = { tranches = (
  { name = "a"; gw = { dist = "uniform"; low = 1.0; high = 5.0; }; cost_per_gw_year = 10.0; },
  { name = "b"; gw = 0.5; cost_per_gw_year = 10.0; } ); };
msl = { schedule = ( (0, 1.0) ); };
market = { price0 = 12.0; drift = { dist = "uniform"; low = -0.2; high = 0.2; }; vol = 0.2; };
CFG
good='optimize = { decisions = ( { input = "supply.tranches.b.gw"; low = 0.0; high = 4.0; } );
  objective = { metric = "capex_burden"; stat = "mean"; sense = "max"; };
  constraints = ( { metric = "capex_burden"; stat = "p95"; max = 75.0; } ); };'
{ cat "$TMP/base.cfg"; echo "$good"; } >"$TMP/good.cfg"

bad() { # bad NAME OPTIMIZE-GROUP EXPECTED-SUBSTRING
    { cat "$TMP/base.cfg"; echo "$2"; } >"$TMP/bad.cfg"
    "$BIN" optimize "$TMP/bad.cfg" -n 1024 -q >"$TMP/bad.out" 2>"$TMP/bad.err"; local rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -qF -- "$3" "$TMP/bad.err" && [ ! -s "$TMP/bad.out" ]
    check "$1: one line naming file, line and key, exit 2" $? "rc=$rc $(cat "$TMP/bad.err")"
}
bad "a decision on a distribution" \
    'optimize = { decisions = ( { input = "supply.tranches.a.gw"; low = 0.0; high = 1.0; } ); objective = { metric = "capex_burden"; stat = "mean"; sense = "max"; }; };' \
    "bad.cfg:7: optimize.decisions[0].input: \"supply.tranches.a.gw\" is a distribution"
bad "low >= high" \
    'optimize = { decisions = ( { input = "supply.tranches.b.gw"; low = 1.0; high = 1.0; } ); objective = { metric = "capex_burden"; stat = "mean"; sense = "max"; }; };' \
    "bad.cfg:7: optimize.decisions[0].low: low must be below high"
bad "an unknown statistic" \
    'optimize = { decisions = ( { input = "supply.tranches.b.gw"; low = 0.0; high = 1.0; } ); objective = { metric = "capex_burden"; stat = "p0"; sense = "max"; }; };' \
    "bad.cfg:7: optimize.objective.stat: unknown statistic \"p0\""

"$BIN" optimize "$TMP/base.cfg" -n 1024 -q >/dev/null 2>"$TMP/none.err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$TMP/none.err")" -eq 1 ] && grep -q "no optimize group" "$TMP/none.err"
check "no optimize group: one line, exit 2" $? "rc=$rc $(cat "$TMP/none.err")"

"$BIN" optimize "$TMP/good.cfg" -n 2048 -t 1 --frontier 3 -q -j "$TMP/t1.json" 2>"$TMP/t1.err" && \
"$BIN" optimize "$TMP/good.cfg" -n 2048 -t 2 --frontier 3 -q -j "$TMP/t2.json" 2>>"$TMP/t1.err"
rc=$?
strip='import json,sys; d=json.load(open(sys.argv[1])); d.pop("timing"); print(json.dumps(d, sort_keys=True))'
[ $rc -eq 0 ] && [ "$(python3 -c "$strip" "$TMP/t1.json")" = "$(python3 -c "$strip" "$TMP/t2.json")" ]
check "same JSON bytes at 1 and 2 threads (timing aside), with a frontier" $? "rc=$rc $(cat "$TMP/t1.err")"

out=$("$py" - "$ROOT/docs/schema/optimize.schema.json" "$TMP/t1.json" 2>&1 <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
errs = list(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:5]:
    print("/".join(map(str, e.path)) + ": " + e.message)
sys.exit(1 if errs else 0)
PY
)
check "the JSON validates against docs/schema/optimize.schema.json" $? "$out"

# Ctrl-C: large evaluations, the signal during the search; the best point so far, exit 130
"$BIN" optimize "$TMP/good.cfg" -n 400000 -t 1 -j "$TMP/int.json" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
sleep 4
kill -INT $pid
wait $pid; rc=$?
if [ -s "$TMP/int.json" ]; then
    [ $rc -eq 130 ] && grep -q "interrupted" "$TMP/int.err" && grep -q "best" "$TMP/int.out" &&
        [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["complete"])' "$TMP/int.json")" = False ]
else
    [ $rc -eq 130 ] && grep -q "interrupted" "$TMP/int.err"
fi
check "SIGINT: exit 130, the best point so far, complete false" $? "rc=$rc $(cat "$TMP/int.err")"
