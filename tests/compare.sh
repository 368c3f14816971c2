#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# capexsim compare on real runs (issue 13): two seeds pass, a 4% cost change fails, --exact,
# bad input, and the false-alarm rate over seed pairs. TAP output.
#   bash tests/compare.sh BUILD/capexsim SOURCE_ROOT
set -u
bin=$1
root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (exit $3, expected $2)"; fi
}
cfg=$root/configs/meta-2026h1.cfg
echo "1..53"

"$bin" run "$cfg" -n 20000 -s 1 -t 2 -q -j "$t/s1.json"
"$bin" run "$cfg" -n 20000 -s 1 -t 1 -q -j "$t/s1t1.json"
"$bin" run "$cfg" -n 20000 -s 2 -t 2 -q -j "$t/s2.json"

"$bin" compare "$t/s2.json" "$t/s1.json" --allow-seed >"$t/out" 2>&1
check "two seeds of one scenario: same" 0 $?
grep -q "DIFFERENT SEEDS (2 vs 1)" "$t/out" && ok "the table says the seeds differ" || bad "the table says the seeds differ"

"$bin" compare "$t/s2.json" "$t/s1.json" >"$t/out" 2>&1
check "different seeds refused without --allow-seed" 2 $?
grep -q -- "--allow-seed" "$t/out" && ok "the refusal names --allow-seed" || bad "the refusal names --allow-seed"

"$bin" compare "$t/s1t1.json" "$t/s1.json" --exact -q
check "--exact: same seed, 1 and 2 threads" 0 $?
"$bin" compare "$t/s2.json" "$t/s1.json" --exact --allow-seed -q
check "--exact: different seeds differ" 1 $?

# A real change: 4% higher cost on one tranche (installed-2025, the first pert 7/9/12 cost).
awk '!d && /low = 7.0; mode = 9.0; high = 12.0;/ {sub(/low = 7.0; mode = 9.0; high = 12.0;/,
     "low = 7.28; mode = 9.36; high = 12.48;"); d = 1} {print}' "$cfg" >"$t/cost4.cfg"
"$bin" run "$t/cost4.cfg" -n 20000 -s 2 -t 2 -q -j "$t/c4.json"
"$bin" compare "$t/c4.json" "$t/s1.json" --allow-seed --allow-scenario --json "$t/c4cmp.json" \
    >"$t/out" 2>&1
check "4% higher cost on one tranche: different" 1 $?
grep -q "^\* metrics.committed_cost.mean" "$t/out" && ok "committed_cost.mean is flagged" \
    || bad "committed_cost.mean is flagged"
grep -q "DIFFERENT SCENARIOS" "$t/out" && ok "the table says the scenarios differ" \
    || bad "the table says the scenarios differ"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['kind'] == 'capexsim-compare' and d['verdict'] == 'different', d['verdict']
assert d['rows'][0]['verdict'] == 'different'
assert all(r['verdict'] != 'different' or r['p_holm'] <= 0.01 for r in d['rows'])
" "$t/c4cmp.json" && ok "--json: verdict and rows worst first" || bad "--json: verdict and rows worst first"
"$bin" compare "$t/c4.json" "$t/s1.json" --allow-seed -q 2>"$t/err"
check "different scenarios refused without --allow-scenario" 2 $?

# Keys another version may add are ignored; a metric that vanished is a difference.
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
d['interval_method'] = 'order-statistic'; d['nonfinite'] = {'capex_burden': 0}
d['metrics']['capex_burden']['extra'] = [1, 2]
json.dump(d, open(sys.argv[2], 'w'))
del d['metrics']['revenue_iaas']
json.dump(d, open(sys.argv[3], 'w'))
" "$t/s2.json" "$t/extra.json" "$t/less.json"
"$bin" compare "$t/extra.json" "$t/s1.json" --allow-seed -q
check "unknown keys are ignored" 0 $?
"$bin" compare "$t/less.json" "$t/s1.json" --allow-seed -q
check "a metric missing in NEW is a difference" 1 $?

# A metric that is constant over paths (se 0): rounding is not a change, 1% is.
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
m = d['metrics']['committed_cost']; m['se'] = 0.0; m['sd'] = 0.0
json.dump(d, open(sys.argv[2], 'w'))
m['mean'] *= 1 + 1e-13; json.dump(d, open(sys.argv[3], 'w'))
m['mean'] *= 1.01; json.dump(d, open(sys.argv[4], 'w'))
" "$t/s1.json" "$t/k0.json" "$t/k1.json" "$t/k2.json"
"$bin" compare "$t/k1.json" "$t/k0.json" -q
check "a constant metric: last-bit rounding is not a change" 0 $?
"$bin" compare "$t/k2.json" "$t/k0.json" -q
check "a constant metric: 1% is a change" 1 $?

# Bad input: exit 2 with a message naming the file.
"$bin" compare "$t/nope.json" "$t/s1.json" 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "nope.json" "$t/err" && ok "unreadable file: exit 2, named" \
    || bad "unreadable file: exit 2, named (exit $rc)"
printf '{"a": 1' >"$t/broken.json"
"$bin" compare "$t/broken.json" "$t/s1.json" 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "broken.json:1" "$t/err" && ok "not JSON: exit 2 with the line" \
    || bad "not JSON: exit 2 with the line (exit $rc)"
echo '{"metrics": 3}' >"$t/other.json"
"$bin" compare "$t/other.json" "$t/s1.json" 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "not a capexsim result" "$t/err" && ok "other JSON: not a capexsim result" \
    || bad "other JSON: not a capexsim result (exit $rc)"
"$bin" compare "$t/s1.json" 2>/dev/null
check "one file: usage error" 2 $?
"$bin" compare --alpha 2 "$t/s1.json" "$t/s1.json" 2>/dev/null
check "--alpha 2: usage error" 2 $?

# Latin hypercube: se and CIs from replicates (batch means, sectioning), tested with Student's t.
"$bin" run "$cfg" -n 65536 -s 1 -t 2 --sampling lhs -q -j "$t/l1.json"
"$bin" run "$cfg" -n 65536 -s 2 -t 2 --sampling lhs -q -j "$t/l2.json"
"$bin" compare "$t/l2.json" "$t/l1.json" --allow-seed -q --json "$t/lcmp.json"
rc=$?
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
m = [r for r in d['rows'] if r['statistic'] == 'metrics.capex_burden.mean'][0]
p = [r for r in d['rows'] if r['statistic'] == 'metrics.capex_burden.p50'][0]
assert m['df'] is not None and p['df'] is not None, (m['df'], p['df'])
" "$t/lcmp.json"
prc=$?
[ $rc = 0 ] && [ $prc = 0 ] && ok "lhs, two seeds: same, with t degrees of freedom" \
    || bad "lhs, two seeds: same, with t degrees of freedom (exit $rc)"

# Studies.
"$bin" sweep "$cfg" -n 2048 -s 1 -q -j "$t/w1.json"
"$bin" sweep "$cfg" -n 2048 -s 2 -q -j "$t/w2.json"
"$bin" compare "$t/w2.json" "$t/w1.json" --allow-seed -q
check "sweep, two seeds: same" 0 $?
"$bin" compare "$t/w1.json" "$t/s1.json" 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "different studies" "$t/err" && ok "sweep vs run: different studies" \
    || bad "sweep vs run: different studies (exit $rc)"
"$bin" tornado "$cfg" -n 4096 -s 1 -q -j "$t/t1.json"
"$bin" compare "$t/t1.json" "$t/t1.json" 2>/dev/null
check "tornado without --exact: refused" 2 $?
"$bin" compare "$t/t1.json" "$t/t1.json" --exact -q
check "tornado --exact: same" 0 $?
# Sobol indices: se from batch means, Student's t. At 8 batches (2,048 base samples) the se
# of a small ST is too often too small (2 alarms in 20 seed pairs were measured), so such
# indices are left untested with a note; from 16 batches they are tested. False alarms over
# 10 seed pairs at 4,096 base samples (16 batches): P(2 or more | rate 0.01) = 0.0043.
"$bin" sobol "$cfg" -n 2048 -s 1 -q -j "$t/o1.json"
"$bin" sobol "$cfg" -n 2048 -s 2 -q -j "$t/o2.json"
"$bin" compare "$t/o2.json" "$t/o1.json" --allow-seed >"$t/out"
rc=$?; [ $rc = 0 ] && grep -q "Sobol indices are not tested: their se comes from fewer than 16 batches (8 and 8)" "$t/out"
check "sobol at 8 batches: indices untested, with a note saying why" 0 $?
alarms=0
for p in $(seq 1 10); do
    "$bin" sobol "$cfg" -n 4096 -s $((200 + 2 * p)) -q -j "$t/o1.json"
    "$bin" sobol "$cfg" -n 4096 -s $((201 + 2 * p)) -q -j "$t/o2.json"
    "$bin" compare "$t/o2.json" "$t/o1.json" --allow-seed >"$t/out"
    rc=$?
    grep -q "^1[0-9][0-9] statistics tested" "$t/out" || alarms=$((alarms + 100))
    [ $rc = 1 ] && alarms=$((alarms + 1))
    [ $rc = 2 ] && alarms=$((alarms + 100))
done
[ $alarms -le 1 ] && ok "sobol at 16 batches, two seeds: at most 1 alarm in 10 pairs, every index tested ($alarms)" \
    || bad "sobol at 16 batches, two seeds: at most 1 alarm in 10 pairs, every index tested ($alarms)"

# Batch and stress results (issue 25): run by run, matched by scenario name.
one_line() { # one_line NAME FILE: exactly one line, starting "capexsim: "
    if [ "$(wc -l <"$2")" = 1 ] && grep -q '^capexsim: ' "$2"; then ok "$1: one line"
    else bad "$1: one line ($(head -c 300 "$2"))"; fi
}
sed 's/^name = .*/name = "other";/' "$cfg" >"$t/other.cfg"
sed 's/^name = .*/name = "other";/' "$t/cost4.cfg" >"$t/other4.cfg"
sed 's/^name = .*/name = "third";/' "$cfg" >"$t/third.cfg"
"$bin" batch "$cfg" "$t/other.cfg" -n 20000 -s 1 -q -j "$t/b1.json"
"$bin" batch "$cfg" "$t/other.cfg" -n 20000 -s 2 -q -j "$t/b2.json"
"$bin" batch "$t/other.cfg" "$cfg" -n 20000 -s 1 -q -j "$t/b1r.json"
"$bin" batch "$cfg" "$t/other4.cfg" -n 20000 -s 1 -q -j "$t/b4.json"
"$bin" batch "$cfg" "$t/third.cfg" -n 20000 -s 1 -q -j "$t/b3.json"
"$bin" compare "$t/b1.json" "$t/b1.json" >"$t/out" 2>&1
check "batch against itself: same" 0 $?
grep -q "runs matched by scenario name: 2 of NEW's 2 and of BASE's 2" "$t/out" \
    && ok "batch: both runs matched" || bad "batch: both runs matched ($(grep matched "$t/out"))"
"$bin" compare "$t/b1.json" "$t/b1.json" --exact -q
check "batch against itself, --exact: same" 0 $?
"$bin" compare "$t/b2.json" "$t/b1.json" --allow-seed -q
check "batch, two seeds: same" 0 $?
"$bin" compare "$t/b1r.json" "$t/b1.json" -q
check "batch in another order: runs matched by name, same" 0 $?
"$bin" compare "$t/b4.json" "$t/b1.json" -q 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "runs\[other\].scenario_sha256" "$t/err" \
    && ok "batch with a changed scenario: refused without --allow-scenario, the run named" \
    || bad "batch with a changed scenario: refused, the run named (exit $rc: $(cat "$t/err"))"
"$bin" compare "$t/b4.json" "$t/b1.json" --allow-scenario --all >"$t/out" 2>&1
check "batch with a changed scenario: different" 1 $?
grep -q "^\* runs\[other\].metrics.committed_cost.mean" "$t/out" && ! grep -q "^\* runs\[meta" "$t/out" \
    && ok "batch: the changed scenario is flagged, the other is not" \
    || bad "batch: the changed scenario is flagged, the other is not"
"$bin" compare "$t/b4.json" "$t/b1.json" --allow-scenario --exact -q
check "batch with a changed scenario, --exact: different" 1 $?
"$bin" compare "$t/b1.json" "$t/b3.json" --json "$t/b3cmp.json" >"$t/out" 2>&1
check "batch with a run in each only: different" 1 $?
grep -q "1 of NEW's 2 and of BASE's 2; in BASE only (a difference each): 1 (runs\[third\]); in NEW only (not compared): 1 (runs\[other\])" "$t/out" \
    && ok "batch: unmatched runs named and counted" || bad "batch: unmatched runs named and counted ($(grep matched "$t/out"))"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
v = {r['statistic']: r['verdict'] for r in d['rows']}
assert v['runs[third]'] == 'missing' and v['runs[other]'] == 'new-only', v
assert d['different'] == 1 and d['different'] <= d['compared'], (d['different'], d['compared'])
" "$t/b3cmp.json" && ok "batch --json: the missing run a difference, counts that add up" \
    || bad "batch --json: the missing run a difference, counts that add up"
"$bin" compare "$t/b1.json" "$t/s1.json" 2>"$t/err"
check "batch against a run: refused" 2 $?
one_line "batch against a run" "$t/err"
grep -q "different studies" "$t/err" && ok "batch against a run: different studies" \
    || bad "batch against a run: different studies"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
k = list(d['runs'][1]['burden_exceedance'])[0]
d['runs'][1]['burden_exceedance'][k] = 1.5
json.dump(d, open(sys.argv[2], 'w'))
" "$t/b1.json" "$t/bdmg.json"
"$bin" compare "$t/bdmg.json" "$t/b1.json" -q 2>"$t/err"
check "a batch with a probability of 1.5: bad input" 2 $?
one_line "a damaged batch" "$t/err"
grep -q "bdmg.json: runs\[1\].burden_exceedance" "$t/err" && ok "a damaged batch: the value named" \
    || bad "a damaged batch: the value named ($(cat "$t/err"))"
"$bin" stress "$cfg" -i msl.p_success:0:0.2 -n 20000 -s 1 -q -j "$t/x1.json"
"$bin" stress "$t/cost4.cfg" -i msl.p_success:0:0.2 -n 20000 -s 1 -q -j "$t/x4.json"
"$bin" stress "$cfg" -i market.drift:0:0.1 -n 20000 -s 1 -q -j "$t/xd.json"
"$bin" compare "$t/x1.json" "$t/x1.json" -q
check "stress against itself: same" 0 $?
"$bin" compare "$t/x1.json" "$t/x1.json" --exact -q
check "stress against itself, --exact: same" 0 $?
"$bin" compare "$t/x4.json" "$t/x1.json" --allow-scenario --all >"$t/out" 2>&1
check "stress of a changed scenario: different" 1 $?
grep -q "^\* stressed.metrics.committed_cost.mean" "$t/out" && grep -q "^\* baseline.metrics.committed_cost.mean" "$t/out" \
    && ok "stress: both runs flagged" || bad "stress: both runs flagged"
"$bin" compare "$t/xd.json" "$t/x1.json" -q 2>"$t/err"
rc=$?; [ $rc = 2 ] && grep -q "different studies" "$t/err" && ok "stress of another case: different studies" \
    || bad "stress of another case: different studies (exit $rc)"
"$bin" compare "$t/x1.json" "$t/b1.json" -q 2>"$t/err"
check "stress against a batch: refused" 2 $?
# A CVaR beyond the metric's range is impossible, not untestable.
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
d['burden_cvar95'] = 1e308
json.dump(d, open(sys.argv[2], 'w'))
" "$t/s1.json" "$t/cvar.json"
"$bin" compare "$t/cvar.json" "$t/s1.json" -q 2>"$t/err"
check "a CVaR of 1e308: bad input" 2 $?

# False alarms over seed pairs: at alpha 0.01 the rate must be <= 1%; with 30 pairs,
# P(3 or more alarms | rate 0.01) = 0.0033, so 3 or more fails the test.
pairs=30
alarms=0
for p in $(seq 1 $pairs); do
    "$bin" run "$cfg" -n 10000 -s $((100 + 2 * p)) -t 2 -q -j "$t/a.json"
    "$bin" run "$cfg" -n 10000 -s $((101 + 2 * p)) -t 2 -q -j "$t/b.json"
    "$bin" compare "$t/a.json" "$t/b.json" --allow-seed -q
    rc=$?
    [ $rc = 1 ] && alarms=$((alarms + 1))
    [ $rc = 2 ] && alarms=$((alarms + 100))
done
echo "# false alarms: $alarms of $pairs seed pairs (alpha 0.01)"
[ $alarms -le 2 ] && ok "false alarms over $pairs seed pairs: $alarms (<= 2)" \
    || bad "false alarms over $pairs seed pairs: $alarms (<= 2)"
exit 0
