#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIMD paths from the command line (TAP): the same report on every path this CPU runs and
# at any thread count; the path named in the JSON; a bad CAPEXSIM_SIMD is a usage error.
# Usage: simd.sh PATH_TO_CAPEXSIM SOURCE_ROOT
set -u
BIN=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
fails=0
check() { # check NAME CONDITION-EXIT-STATUS [diagnostic]
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else fails=$((fails + 1)); echo "not ok $n - $1"; [ -n "${3:-}" ] && echo "# $3"; fi
}
strip='import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k, None) for k in ("threads","elapsed_s","paths_per_s","simd")]; print(json.dumps(d, sort_keys=True))'

CAPEXSIM_SIMD=scalar "$BIN" run --paths 5000 --seed 3 --threads 1 --json "$TMP/scalar.json" -q
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["simd"] != "scalar")' "$TMP/scalar.json"
check "CAPEXSIM_SIMD=scalar runs the C path and the JSON says so" $?

ran=scalar
for p in avx2 avx512; do
    if CAPEXSIM_SIMD=$p "$BIN" run --paths 10 -q 2>/dev/null; then
        ran="$ran $p"
        for th in 1 2; do
            CAPEXSIM_SIMD=$p "$BIN" run --paths 5000 --seed 3 --threads $th --json "$TMP/$p.$th.json" -q
            [ "$(python3 -c "$strip" "$TMP/$p.$th.json")" = "$(python3 -c "$strip" "$TMP/scalar.json")" ]
            check "$p at $th threads: the same report as scalar at 1 thread" $?
        done
    fi
done
echo "# SIMD paths this CPU ran: $ran"

CAPEXSIM_SIMD=sse9 "$BIN" run --paths 10 -q 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown SIMD path" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ]
check "an unknown CAPEXSIM_SIMD: exit 2, one line" $? "rc=$rc $(cat "$TMP/err")"

for p in avx2 avx512; do
    CAPEXSIM_SIMD=$p "$BIN" run --paths 10 -q 2>"$TMP/err"; rc=$?
    if [ $rc -ne 0 ]; then
        [ $rc -eq 2 ] && grep -q "cannot run" "$TMP/err"
        check "CAPEXSIM_SIMD=$p on a CPU without it: exit 2 with a message" $? "rc=$rc"
    fi
done
echo "1..$n"
[ $fails -eq 0 ]
