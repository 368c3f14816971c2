#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `capexsim shapley` from the command line (issue 20 item 5): bad input is one line and exit 2,
# --help, the same JSON bytes for 1 and 2 threads (but for timing and the thread count), the
# JSON against docs/schema/shapley.schema.json, the CSV. TAP output.
#   bash tests/shapley_cli.sh BUILD/capexsim SOURCE_ROOT
set -u
bin=$1
root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
py=python3
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null && py=/usr/bin/python3
cfg=$root/configs/meta-2026h1.cfg
echo "1..7"
n=0
check() { # check NAME STATUS [DETAIL]
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# ${3:-}"; fi
}
one_line_exit2() { # one_line_exit2 ARGS...: exit 2, one "capexsim: " line on stderr (and
    # for a usage error the hint to --help), nothing on stdout
    "$bin" shapley "$@" >"$t/out" 2>"$t/err"; rc=$?
    [ "$rc" = 2 ] && [ ! -s "$t/out" ] && [ "$(grep -vc '^Try .* --help' "$t/err")" = 1 ] \
      && head -1 "$t/err" | grep -q '^capexsim: '
}
one_line_exit2 "$cfg" --metric nope -q
check "unknown metric: exit 2, one line" $? "$(cat "$t/err")"
one_line_exit2 "$cfg" --paths 100 -q && grep -q "at least 128" "$t/err"
check "too few permutations: exit 2, one line naming the minimum" $? "$(cat "$t/err")"
# configs/stress.cfg has no report.discount_rate: its present values would be 0 on every path
one_line_exit2 "$root/configs/stress.cfg" --metric capex_burden_pv -n 256 -q \
  && grep -q "needs report.discount_rate" "$t/err"
check "a present value without report.discount_rate: exit 2, one line (was nan shares, exit 0)" $? "$(cat "$t/err")"
"$bin" shapley --help >"$t/help" 2>&1 && grep -q -- "--paths N" "$t/help" && grep -q "default 8192" "$t/help"
check "--help: exit 0, the defaults" $? "$(head -3 "$t/help")"
"$bin" shapley "$cfg" -n 256 -s 5 -t 1 -q -j "$t/a.json" -c "$t/a.csv" \
  && "$bin" shapley "$cfg" -n 256 -s 5 -t 2 -q -j "$t/b.json"
rc=$?
"$py" - "$t/a.json" "$t/b.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    d.pop("elapsed_s"); d.pop("threads")
sys.exit(0 if a == b else 1)
PY
check "the same JSON for 1 and 2 threads (but elapsed_s, threads)" $((rc + $?))
"$py" - "$root/docs/schema/shapley.schema.json" "$t/a.json" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
d = json.load(open(sys.argv[2]))
errs = list(Draft202012Validator(schema).iter_errors(d))
for e in errs[:5]:
    print("# " + "/".join(map(str, e.path)) + ": " + e.message)
shares = [r["shapley"] for r in d["indices"]]
ok = not errs and abs(sum(shares) - 1) < 1e-9 and shares == sorted(shares, reverse=True) \
    and d["study"] == "shapley" and any(r["name"] == "(price path)" for r in d["indices"])
sys.exit(0 if ok else 1)
PY
check "the JSON meets its schema; shares ranked, summing to 1; the noise is a player" $?
[ "$(head -1 "$t/a.csv")" = "name,shapley,se,lo,hi,effect,complete" ] \
  && [ "$(($(wc -l <"$t/a.csv") - 1))" = "$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["indices"]))' "$t/a.json")" ]
check "the CSV: a header and one row per player" $?
exit 0
