#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line tests of the analyst features (issue 14, TAP): run --export-paths, batch,
# stress, and plots of their results.
# Usage: analyst_cli.sh PATH_TO_CAPEXSIM SOURCE_ROOT
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

echo "1..25"

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
# issue 20: the once-per-path outcomes are inputs, exported as columns after their
# probabilities, and the column agrees with the metric (success iff u < p)
for o in ("msl.success", "taas.launch", "deals.signed.premium-200mw.happens",
          "deals.signed.lab-2p6x.happens"):
    assert o in ins, (o, ins)
assert ins.index("msl.success") == ins.index("msl.p_success") + 1
i_u, i_p, i_m = head.index("msl.success"), head.index("msl.p_success"), head.index("msl_success")
assert all((float(r[i_u]) < float(r[i_p])) == (float(r[i_m]) == 1.0) for r in body)
assert 0.3 < sum(float(r[i_m]) for r in body) / len(body) < 0.55
assert "market.price0" not in ins  # fixed in the default scenario: not an uncertain input
assert len(body) == 5000, len(body)
assert [int(r[0]) for r in body] == list(range(5000))
assert all(len(r) == len(head) for r in body)
PY
check "export: header (path, uncertain inputs with the outcomes, metrics), one row per path in order; msl_success == (msl.success < msl.p_success)" $?

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

# ---- batch ----
CFG=$ROOT/configs
"$BIN" batch "$CFG/meta-2026h1.cfg" "$CFG/meta-2026h1-noncancel.cfg" "$CFG/meta-2026h1-msl-wins.cfg" \
    --paths 6000 --seed 4 --threads 2 --json "$TMP/b2.json" --csv "$TMP/b2.csv" >"$TMP/b2.txt" 2>"$TMP/b2.err"; rc=$?
"$BIN" batch "$CFG/meta-2026h1.cfg" "$CFG/meta-2026h1-noncancel.cfg" "$CFG/meta-2026h1-msl-wins.cfg" \
    --paths 6000 --seed 4 --threads 1 --json "$TMP/b1.json" -q 2>>"$TMP/b2.err"; rc1=$?
"$BIN" run "$CFG/meta-2026h1-noncancel.cfg" --paths 6000 --seed 4 --threads 2 --json "$TMP/rn.json" -q
"$BIN" run "$CFG/meta-2026h1-noncancel.cfg" --paths 6000 --seed 4 --threads 2 \
    --export-paths "$TMP/pn.csv" -q
"$BIN" run "$CFG/meta-2026h1.cfg" --paths 6000 --seed 4 --threads 2 --export-paths "$TMP/pd.csv" -q
python3 - "$TMP/b2.json" "$TMP/rn.json" <<'PY'
import json, sys
b, r = (json.load(open(f)) for f in sys.argv[1:3])
run = b["runs"][1]
for d in (run, r):
    for k in ("elapsed_s", "paths_per_s"):
        d.pop(k)
assert run == r, [k for k in r if run.get(k) != r[k]]
assert [x["scenario"] for x in b["runs"]] == ["meta-2026h1", "meta-2026h1-noncancel", "meta-2026h1-msl-wins"]
PY
check "batch: each of runs[] is what run --json writes for that scenario, paths and seed" $? "rc=$rc $(cat "$TMP/b2.err")"

python3 - "$TMP/b1.json" "$TMP/b2.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def strip(d):
    d.pop("threads")
    for r in d["runs"]:
        for k in ("elapsed_s", "paths_per_s", "threads"):
            r.pop(k)
    return d
sys.exit(strip(a) != strip(b))
PY
check "batch: the same JSON at 1 and 2 threads (timing aside)" $?

python3 - "$TMP/b2.json" "$TMP/b2.csv" "$TMP/b2.txt" <<'PY'
import csv, json, sys
b = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
txt = open(sys.argv[3]).read()
assert b["study"] == "batch" and b["thresholds"] == [10.0, 25.0, 50.0, 100.0]
# noncancel shares the default's uncertain inputs; msl-wins (p_success fixed) does not, and
# pairs all the same, path by path (issue 23 item 8: same seed and paths)
p = b["paired"]
assert p[0]["scenario"] == "meta-2026h1-noncancel" and p[0]["versus"] == "meta-2026h1", p[0]
assert p[0]["same_inputs"] is True and p[1]["same_inputs"] is False, p
assert p[1]["scenario"] == "meta-2026h1-msl-wins"
m0, m1 = (b["runs"][i]["metrics"]["capex_burden"] for i in (0, 1))
d = p[0]["diffs"]["burden_mean"]
assert d["diff"] == m1["mean"] - m0["mean"], (d, m1["mean"] - m0["mean"])
lo, hi = d["ci95"]
assert lo < d["diff"] < hi and d["se"] > 0
assert p[0]["diffs"]["burden_p95"]["diff"] == m1["percentiles"]["p95"] - m0["percentiles"]["p95"]
e = b["runs"][1]["burden_exceedance"]["25"] - b["runs"][0]["burden_exceedance"]["25"]
assert abs(p[0]["diffs"]["exceed_25"]["diff"] - e) < 1e-15
assert [r["run"] for r in rows] == ["meta-2026h1", "meta-2026h1-noncancel", "meta-2026h1-msl-wins"]
assert float(rows[1]["diff_burden_mean"]) == d["diff"] and rows[0]["diff_burden_mean"] == ""
assert float(rows[2]["diff_burden_mean"]) == p[1]["diffs"]["burden_mean"]["diff"]
assert float(rows[0]["burden_cvar95"]) == b["runs"][0]["burden_cvar95"]
assert "Paired differences vs meta-2026h1" in txt and "uncertain inputs differ" in txt
PY
check "batch: table, CSV and paired differences (diff = the reports' difference, CI around it)" $?

# The sectioning SE of the paired burden-mean difference, recomputed independently from the
# per-path exports of the two runs: with 6 blocks there are 6 sections of one block each, so
# the SE is that of the 6 per-block mean differences (independent replicates), up to rounding.
python3 - "$TMP/b2.json" "$TMP/pd.csv" "$TMP/pn.csv" <<'PY'
import csv, json, math, sys
b = json.load(open(sys.argv[1]))
col = lambda f: [float(r["capex_burden"]) for r in csv.DictReader(open(f))]
a, n = col(sys.argv[2]), col(sys.argv[3])
blocks = [range(i, min(i + 1024, len(a))) for i in range(0, len(a), 1024)]
d = [sum(n[j] - a[j] for j in bl) / len(bl) for bl in blocks]
k = len(d)
mu = sum(d) / k
se = math.sqrt(sum((x - mu) ** 2 for x in d) / (k - 1)) / math.sqrt(k)
got = b["paired"][0]["diffs"]["burden_mean"]["se"]
assert b["paired"][0]["sections"] == k == 6
assert abs(got - se) <= 1e-9 * se, (got, se)
PY
check "batch: sectioning SE = the SE of per-block paired differences from --export-paths" $?

"$BIN" batch "$CFG/meta-2026h1.cfg" "$CFG/meta-2026h1.cfg" --paths 3000 --seed 4 --json "$TMP/bs.json" -q
python3 -c "
import json,sys
b=json.load(open(sys.argv[1]))
bad=[(k,v) for k,v in b['paired'][0]['diffs'].items() if v['diff']!=0 or v['se']!=0 or v['ci95']!=[0,0]]
sys.exit(bool(bad))" "$TMP/bs.json"
check "batch: a scenario against itself differs by exactly 0 with a zero-width CI" $?

# ---- pairs across variants (issue 23 item 8) ----
# A variant of the default that adds a tranche (first in the list, so every tranche input
# after it moves) and a signed deal: every input the two share keeps its draws, path by path.
sed -e 's/^supply = { tranches = ($/&\n  { name = "extra-2026"; kind = "colo"; gw = { dist = "uniform"; low = 0.3; high = 0.7; }; start_month = 12; cost_per_gw_year = { dist = "pert"; low = 9.0; mode = 11.0; high = 14.0; }; },/' \
    -e 's/^  signed = ($/&\n    { name = "extra-deal"; p_signed = 0.5; start_month = { dist = "uniform"; low = 2; high = 6; }; gw = 0.1; price_per_gw_year = 40.0; cancellable = true; },/' \
    -e 's/^name = .*/name = "meta-2026h1-extra";/' "$CFG/meta-2026h1.cfg" >"$TMP/extra.cfg"
for t in 1 2; do
    "$BIN" run "$CFG/meta-2026h1.cfg" --paths 3000 --seed 4 --threads $t --export-paths "$TMP/xd$t.csv" -q
    "$BIN" run "$TMP/extra.cfg" --paths 3000 --seed 4 --threads $t --export-paths "$TMP/xv$t.csv" -q
done
python3 - "$TMP/xd1.csv" "$TMP/xv1.csv" <<'PY'
import csv, sys
(hd, *d), (hv, *v) = (list(csv.reader(open(f))) for f in sys.argv[1:3])
new = [c for c in hv if c not in hd]
assert "supply.tranches.extra-2026.gw" in new and "deals.signed.extra-deal.happens" in new, new
assert hv.index("supply.tranches.extra-2026.gw") < hv.index("supply.tranches.installed-2025.gw")
ins = hd[1:hd.index("capex_burden")]
shared = [c for c in ins if c in hv]
assert shared == ins and len(shared) >= 50, (len(shared), len(ins))
bad = [c for c in shared if [r[hd.index(c)] for r in d] != [r[hv.index(c)] for r in v]]
assert not bad, bad
PY
check "variants: a variant adding a tranche and a deal keeps every shared input's exported draws" $?
cmp -s "$TMP/xd1.csv" "$TMP/xd2.csv" && cmp -s "$TMP/xv1.csv" "$TMP/xv2.csv"
check "variants: the exports are the same bytes at 1 and 2 threads" $?

for t in 1 2; do
    "$BIN" batch "$CFG/meta-2026h1.cfg" "$TMP/extra.cfg" --paths 16384 --seed 4 --threads $t \
        --json "$TMP/bx$t.json" >"$TMP/bx$t.txt"
done
python3 - "$TMP/bx2.json" "$TMP/bx2.txt" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read()
assert b["seed"] == 4 and all(r["seed"] == 4 and r["paths"] == 16384 for r in b["runs"])
p = b["paired"][0]
assert p is not None and p["scenario"] == "meta-2026h1-extra" and p["same_inputs"] is False, p
c = p["correlation"]
assert c["paths"] == 16384 and c["capex_burden"] > 0.9 and c["revenue_total"] > 0.9, c
for k in ("burden_mean", "burden_p95", "revenue_mean"):
    d = p["diffs"][k]
    assert d["ci95"][0] < d["diff"] < d["ci95"][1], (k, d)
    # the paired CI is narrower than the runs' CI as if independent, by far
    assert 0 < 3 * d["se"] < d["se_unpaired"], (k, d)
assert "corr burden" in txt and "uncertain inputs differ" in txt, txt
PY
check "variants: batch pairs the variant: correlation reported and high, paired CI narrower than unpaired" $?
python3 - "$TMP/bx1.json" "$TMP/bx2.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def strip(d):
    d.pop("threads", None)
    for r in d["runs"]:
        for k in ("elapsed_s", "paths_per_s", "threads"):
            r.pop(k)
    return d
sys.exit(strip(a) != strip(b))
PY
check "variants: the batch JSON is the same at 1 and 2 threads (timing aside)" $?

err=$("$BIN" batch --paths 10 "$CFG/meta-2026h1.cfg" "$TMP/nope.cfg" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "nope.cfg" <<<"$err" && [ "$(wc -l <<<"$err")" -eq 1 ]
check "batch: a missing scenario is one line, exit 2, before any run" $? "rc=$rc err=$err"

# ---- stress ----
"$BIN" stress "$CFG/meta-2026h1.cfg" --input msl.p_success:0:1 --paths 4000 --seed 4 --threads 2 \
    --json "$TMP/s0.json" -q
"$BIN" run "$CFG/meta-2026h1.cfg" --paths 4000 --seed 4 --threads 2 --json "$TMP/r0.json" -q
python3 - "$TMP/s0.json" "$TMP/r0.json" <<'PY'
import json, sys
s, r = (json.load(open(f)) for f in sys.argv[1:3])
assert s["study"] == "stress" and s["inputs"] == [{"name": "msl.p_success", "lo": 0.0, "hi": 1.0}]
# p_success is tabulated and in the copula: baseline and [0, 1] stress both draw as run does
for k in ("baseline", "stressed"):
    assert s[k]["metrics"] == r["metrics"], k
PY
check "stress: a [0, 1] slice of a copula input gives run's numbers in both runs" $?

"$BIN" stress "$CFG/meta-2026h1.cfg" --input msl.p_success:0.9:1 --input market.drift:0:0.25 \
    --paths 4000 --seed 4 --json "$TMP/s1.json" --csv "$TMP/s1.csv" >"$TMP/s1.txt"; rc=$?
python3 - "$TMP/s1.json" "$TMP/s1.csv" <<'PY'
import csv, json, sys
s = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert [r["run"] for r in rows] == ["baseline", "stressed"]
b, t = s["baseline"]["metrics"], s["stressed"]["metrics"]
# beta(3, 4): P(success) 3/7 unstressed; the top decile of p_success raises it (E = 0.77)
n = s["paths"]
assert abs(b["msl_success"]["mean"] - 3 / 7) < 5 * (3 / 7 * 4 / 7 / n) ** 0.5
assert t["msl_success"]["mean"] > 0.7
d = s["paired"]["diffs"]["revenue_mean"]
assert d["diff"] == t["revenue_total"]["mean"] - b["revenue_total"]["mean"]
PY
check "stress: baseline and stressed side by side (JSON, CSV), paired differences" $? "rc=$rc"

all=0
for bad in "nope:0.1:0.9|unknown input 'nope'" "market.price0:0.9:1|is fixed" \
           "msl.p_success:0.9:0.9|0 <= LO < HI <= 1" "msl.p_success:0.5:1.2|0 <= LO < HI <= 1" \
           "msl.p_success:-1:0.5|0 <= LO < HI <= 1" "msl.p_success|expected NAME:LO:HI"; do
    arg=${bad%%|*}
    msg=${bad#*|}
    err=$("$BIN" stress "$CFG/meta-2026h1.cfg" --paths 10 --input "$arg" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 2 ] || ! grep -qF -- "capexsim: --input: " <<<"$err" || ! grep -qF -- "$msg" <<<"$err" \
       || [ "$(wc -l <<<"$err")" -ne 1 ]; then
        all=1
        echo "# $arg: rc=$rc err=$err"
    fi
done
check "stress: unknown, fixed and badly sliced inputs are one line, exit 2" $all

# issue 20: --outcome holds a once-per-path outcome; an unknown one is one line, exit 2
all=0
for bad in "msl.sucess=0|unknown outcome 'msl.sucess' (outcomes: msl.success, taas.launch" \
           "msl.p_success=1|unknown outcome 'msl.p_success'" "msl.success=2|0 (fails) or 1 (succeeds)"; do
    arg=${bad%%|*}
    msg=${bad#*|}
    err=$("$BIN" stress "$CFG/meta-2026h1.cfg" --paths 10 --outcome "$arg" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 2 ] || ! grep -qF -- "$msg" <<<"$err" || [ "$(wc -l <<<"$err")" -ne 1 ]; then
        all=1
        echo "# $arg: rc=$rc err=$err"
    fi
done
# a flag without NAME=: the usage error and its --help hint
err=$("$BIN" stress "$CFG/meta-2026h1.cfg" --paths 10 --outcome msl.success 2>&1 >/dev/null); rc=$?
{ [ $rc -eq 2 ] && grep -qF -- "expected NAME=0|1" <<<"$err"; } || { all=1; echo "# rc=$rc err=$err"; }
"$BIN" stress "$CFG/meta-2026h1.cfg" --outcome msl.success=0 --paths 4000 --seed 4 --threads 2 \
    --json "$TMP/so.json" -q; rc=$?
python3 - "$TMP/so.json" <<'PY' || all=1
import json, sys
s = json.load(open(sys.argv[1]))
assert s["inputs"] == [{"name": "msl.success", "lo": 0.0, "hi": 1.0, "outcome": "fails"}], s["inputs"]
assert s["stressed"]["metrics"]["msl_success"]["max"] == 0.0
assert s["baseline"]["metrics"]["msl_success"]["max"] == 1.0
# MSL failing leaves its capacity idle: the burden rises
assert s["stressed"]["metrics"]["capex_burden"]["mean"] > s["baseline"]["metrics"]["capex_burden"]["mean"]
PY
[ $rc -eq 0 ] || all=1
check "stress --outcome: msl.success=0 fails on every path against the baseline; bad names and values one line, exit 2" $all

# the shipped scenario with its own stress group replaced by these cases
sed '/^stress = { cases = (/,/^); };/d' "$CFG/meta-2026h1.cfg" >"$TMP/sc.cfg"
cat >>"$TMP/sc.cfg" <<'CFG'
stress = { cases = (
  { name = "msl-wins"; inputs = ( { name = "msl.p_success"; lo = 0.9; hi = 1.0; } ); },
  { name = "cheap"; inputs = ( { name = "market.drift"; lo = 0.0; hi = 0.1; } ); } ); };
CFG
"$BIN" stress "$TMP/sc.cfg" --case cheap --paths 2000 --json "$TMP/sc.json" -q; rc=$?
[ $rc -eq 0 ] && python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))
sys.exit(not (s['case']=='cheap' and s['inputs'][0]['name']=='market.drift' and s['inputs'][0]['hi']==0.1))" "$TMP/sc.json"
check "stress: --case picks a named case of the scenario's stress group" $? "rc=$rc"

err=$("$BIN" stress "$TMP/sc.cfg" --case nope --paths 10 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "no case 'nope'.*cases: msl-wins, cheap" <<<"$err"
check "stress: an unknown --case is a usage error listing the cases" $? "rc=$rc err=$err"

# The shipped scenarios carry stress groups (issue 23 item 9): `capexsim stress SCENARIO`
# runs the first case as docs/analyst.md says; MSL failing more often raises the burden.
"$BIN" stress "$CFG/meta-2026h1.cfg" --paths 32768 --threads 2 -q --json "$TMP/ship.json" 2>"$TMP/ship.err"; rc=$?
"$BIN" stress "$CFG/stress.cfg" --paths 2048 --threads 2 -q --case price-crash 2>>"$TMP/ship.err"; rc2=$?
[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))
b, t = s['baseline']['metrics'], s['stressed']['metrics']
sys.exit(not (s['case'] == 'msl-fails-more' and s['inputs'][0]['name'] == 'msl.p_success'
              and t['capex_burden']['mean'] > b['capex_burden']['mean']))" "$TMP/ship.json"
check "stress: the shipped scenarios' stress groups run (meta-2026h1: msl-fails-more raises the burden)" $? \
  "rc=$rc/$rc2 $(cat "$TMP/ship.err")"

# ---- plots of batch and stress results ----
if command -v gnuplot >/dev/null; then
    "$BIN" plot "$TMP/b2.json" --out "$TMP/pl" >/dev/null && "$BIN" plot "$TMP/s1.json" --out "$TMP/pl" >/dev/null \
      && [ -s "$TMP/pl/batch_burden_cdf.png" ] && [ -s "$TMP/pl/batch_burden_cdf.svg" ] \
      && [ -s "$TMP/pl/stress_burden_cdf.svg" ] \
      && [ "$(grep -c 'meta-2026h1' "$TMP/pl/batch_burden_cdf.svg")" -ge 3 ] \
      && grep -q "stressed" "$TMP/pl/stress_burden_cdf.svg"
    check "plot: batch and stress results overlay their burden CDFs (PNG and SVG)" $?
else
    ok "plot: batch and stress overlays # SKIP gnuplot not installed"
fi
