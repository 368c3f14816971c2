#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark gate (bench/gate.py): thresholds on synthetic record files, then on real
# callgrind instruction counts: a repeat passes, a slowdown of 10% injected into the real
# binary (bench/slow_shim.c, LD_PRELOAD; base and new both run with the shim, at 0 and at a
# calibrated spin, so only the injected cost differs) fails. TAP output.
#   bash tests/bench_gate.sh BUILD/capexsim SOURCE_ROOT
set -u
bin=$1
root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
gate="python3 $root/bench/gate.py"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (exit $3, expected $2)"; fi; }
echo "1..14"

# Synthetic records: what the gate does with known figures.
mk() { # mk FILE ICOUNT_PER_PATH PATHS_PER_S RSS_KIB
    cat >"$1" <<JSON
{"kind": "capexsim-bench", "format_version": 1, "records": [
 {"bench": "machine", "program": "bench_paths", "cpu": "x", "cores": 2, "compiler": "gcc", "cflags": "", "version": "0.1.0"},
 {"bench": "icount", "program": "capexsim run", "scenario": "meta-2026h1", "paths": 4096, "threads": 1, "instructions": 1, "instructions_per_path": $2},
 {"bench": "paths_per_s", "scenario": "meta-2026h1", "threads": 1, "paths": 65536, "seconds": 1, "paths_per_s": $3},
 {"bench": "max_rss", "paths": 131072, "threads": 2, "max_rss_kib": $4}]}
JSON
}
mk "$t/base.json" 28000 150000 20000
mk "$t/same.json" 28000 150000 20000
mk "$t/ic10.json" 30800 150000 20000
mk "$t/ic1.json" 28280 150000 20000
mk "$t/slow30.json" 28000 105000 20000
mk "$t/rss20.json" 28000 150000 24000
$gate "$t/base.json" "$t/same.json" >/dev/null; check "same figures pass" 0 $?
$gate "$t/base.json" "$t/ic10.json" >"$t/out"; check "instructions +10% fail" 1 $?
$gate "$t/base.json" "$t/ic1.json" >/dev/null; check "instructions +1% pass (threshold 2%)" 0 $?
$gate "$t/base.json" "$t/slow30.json" >/dev/null; check "paths/s -30% is reported, not gated" 0 $?
$gate "$t/base.json" "$t/slow30.json" --time-threshold 0.2 >/dev/null
check "paths/s -30% fails with --time-threshold 0.2" 1 $?
$gate "$t/base.json" "$t/rss20.json" >/dev/null; check "memory +20% fails" 1 $?
grep -v icount "$t/base.json" >"$t/noic.json"
$gate "$t/base.json" "$t/noic.json" >/dev/null 2>&1; check "an icount missing in NEW fails" 1 $?
$gate "$t/noic.json" "$t/noic.json" --memory-threshold 0.1 >/dev/null 2>&1
rc=$?; $gate "$t/nope.json" "$t/base.json" >/dev/null 2>&1; rc2=$?
echo '{"a": 1}' >"$t/other.json"; $gate "$t/other.json" "$t/base.json" >/dev/null 2>&1; rc3=$?
[ $rc = 0 ] && [ $rc2 = 2 ] && [ $rc3 = 2 ] && ok "bad input: exit 2 (unreadable, not records)" \
    || bad "bad input: exit 2 (got $rc2, $rc3; base without icount: $rc)"
python3 -c "
import json; d = json.load(open('$t/base.json'))
print('\n'.join(json.dumps(r) for r in d['records'][:3]))" >"$t/lines.jsonl"
$gate "$t/lines.jsonl" "$t/base.json" --memory-threshold 0.1 >/dev/null 2>&1
check "JSON lines as printed by bench/run.sh are read" 0 $?

# Real instruction counts (release builds with valgrind only).
skip_real=""
command -v valgrind >/dev/null || skip_real="valgrind not installed"
"$bin" --version | grep -q -- -fsanitize && skip_real="sanitizer build (valgrind cannot run it)"
cc=${CC:-cc}
if [ -z "$skip_real" ] && ! "$cc" -shared -fPIC -O1 -o "$t/slow.so" "$root/bench/slow_shim.c" -ldl 2>"$t/ccerr"; then
    skip_real="cannot build bench/slow_shim.c: $(head -1 "$t/ccerr")"
fi
if [ -n "$skip_real" ]; then
    for k in 1 2 3 4 5; do n=$((n + 1)); echo "ok $n # SKIP $skip_real"; done
    exit 0
fi
ic() { # ic OUT SPIN: one callgrind record file, capexsim run with the shim at SPIN
    { CX_SLOW_SPIN=$2 CX_ICOUNT_PRELOAD=$t/slow.so bash "$root/bench/icount.sh" "$bin" --paths 1024
    } | python3 -c "
import json, sys
print(json.dumps({'kind': 'capexsim-bench', 'format_version': 1, 'records': [json.loads(l) for l in sys.stdin if l.strip()]}))" >"$1"
}
per_path() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['records'][0]['instructions_per_path'])" "$1"; }
ic "$t/r1.json" 0; ic "$t/r2.json" 0
a=$(per_path "$t/r1.json"); b=$(per_path "$t/r2.json")
echo "# instructions per path: $a, repeat $b"
[ "$a" = "$b" ] && ok "instruction counts repeat exactly" || bad "instruction counts repeat exactly ($a vs $b)"
$gate "$t/r1.json" "$t/r2.json" >/dev/null 2>&1; check "real repeat passes the gate" 0 $?
# Calibrate the shim: instructions per path that one spin adds, then a spin for +10%.
ic "$t/cal.json" 200
c=$(per_path "$t/cal.json")
spin=$(python3 -c "import sys; a, c = float(sys.argv[1]), float(sys.argv[2]); print(round(0.10 * a / ((c - a) / 200)) if c > a else 0)" "$a" "$c")
if [ "$spin" -le 0 ]; then
    for k in 1 2 3; do n=$((n + 1)); echo "not ok $n - the shim added no instructions (no exp/log calls in the engine?)"; done
    exit 0
fi
ic "$t/slow.json" "$spin"
s=$(per_path "$t/slow.json")
pct=$(python3 -c "import sys; print(f'{100 * (float(sys.argv[2]) / float(sys.argv[1]) - 1):.2f}')" "$a" "$s")
echo "# injected slowdown: spin $spin per exp/log call -> $s instructions per path, +$pct%"
python3 -c "import sys; sys.exit(0 if 9.5 <= float(sys.argv[1]) <= 10.5 else 1)" "$pct" \
    && ok "the injected slowdown is 10% (+$pct%)" || bad "the injected slowdown is 10% (+$pct%)"
$gate "$t/r1.json" "$t/slow.json" >"$t/out" 2>&1; check "a 10% slowdown fails the gate" 1 $?
grep -q "^\* icount" "$t/out" && ok "the gate names the icount figure" || bad "the gate names the icount figure"
exit 0
