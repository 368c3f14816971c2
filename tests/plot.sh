#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TAP test of `capexsim plot`: renders every plot from small results and checks the images.
# $1 = path to capexsim, $2 = source root.
set -u
CX=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if "$@" >"$TMP/out" 2>&1; then return 0; else sed 's/^/# /' "$TMP/out"; return 1; fi; }

# A PNG starts with \x89PNG\r\n\x1a\n; an SVG is XML holding an <svg element.
is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
is_svg() { [ -s "$1" ] && grep -q '<svg' "$1" && grep -q '</svg>' "$1"; }
images() { # dir name...
    local d=$1; shift
    for f in "$@"; do is_png "$d/$f.png" && is_svg "$d/$f.svg" || { echo "# bad or missing $d/$f"; return 1; }; done
}

# A small scenario with a two-axis sweep group (the tornado and Sobol study its inputs).
cat >"$TMP/s.cfg" <<'CFG'
horizon_months = 12;
supply = { tranches = ( { name = "a"; gw = { dist = "uniform"; low = 1.0; high = 5.0; };
  cost_per_gw_year = { dist = "uniform"; low = 9.0; high = 11.0; }; } ); };
msl = { schedule = ( (0, 1.0), (11, 2.0) ); };
market = { price0 = 12.0; drift = { dist = "uniform"; low = -0.2; high = 0.2; }; vol = 0.2; };
iaas = { enabled = true; max_gw = 0.5; discount = 0.3; };
sweep = { inputs = ( { name = "supply.tranches.a.cost_per_gw_year"; from = 8.0; to = 12.0; steps = 3; },
                     { name = "supply.tranches.a.gw"; values = [2.0, 4.0]; } ); };
CFG
sed '/^sweep/,$d' "$TMP/s.cfg" >"$TMP/s1.cfg"
cat >>"$TMP/s1.cfg" <<'CFG'
sweep = { inputs = ( { name = "supply.tranches.a.gw"; values = [1.5, 2.5, 3.5]; } ); };
CFG

echo "1..22"
if check "$CX" run "$TMP/s.cfg" --paths 4000 --threads 2 --quiet --json "$TMP/run.json" &&
   check "$CX" plot "$TMP/run.json" --out "$TMP/run" &&
   images "$TMP/run" burden_hist revenue_hist fan_idle_gw fan_burden; then
    ok "run result: histograms and fan charts as PNG and SVG"
else not_ok "run result: histograms and fan charts as PNG and SVG"; fi

# MODEL.md, Calendar: with start the fan charts' axis names calendar quarters (2026-08 does
# not start one: first and last months); without it, quarter numbers as before.
{ cat "$TMP/s.cfg"; echo 'start = "2026-08";'; } >"$TMP/scal.cfg"
if check "$CX" run "$TMP/scal.cfg" --paths 2000 --quiet --json "$TMP/runcal.json" &&
   check "$CX" plot "$TMP/runcal.json" --out "$TMP/runcal" && images "$TMP/runcal" fan_idle_gw fan_burden &&
   grep -q "2026-08..2026-10" "$TMP/runcal/fan_burden.svg" &&
   ! grep -q "1 = months 0 to 2" "$TMP/runcal/fan_burden.svg" &&
   grep -q "1 = months 0 to 2" "$TMP/run/fan_burden.svg" && ! grep -q "2026-" "$TMP/run/fan_burden.svg"; then
    ok "fan charts: calendar quarters on the axis with start, quarter numbers without"
else not_ok "fan charts: calendar quarters on the axis with start, quarter numbers without"; fi

# Without the histograms key the histogram comes from the percentiles.
python3 - "$TMP/run.json" "$TMP/run_nohist.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("histograms", None); json.dump(d, open(sys.argv[2], "w"))
PY
if check "$CX" plot "$TMP/run_nohist.json" --out "$TMP/run2" && images "$TMP/run2" burden_hist revenue_hist; then
    ok "run result without histograms: density from percentiles"
else not_ok "run result without histograms: density from percentiles"; fi

if check "$CX" tornado "$TMP/s.cfg" --paths 4000 --quiet --json "$TMP/tornado.json" --csv "$TMP/tornado.csv" &&
   check "$CX" plot "$TMP/tornado.json" --out "$TMP/tornado" && images "$TMP/tornado" tornado &&
   [ "$(sed -n 2p "$TMP/tornado.csv" | cut -d, -f2)" = "supply.tranches.a.gw" ]; then
    ok "tornado: chart, and the tranche size ranked first"
else not_ok "tornado: chart, and the tranche size ranked first"; fi

if check "$CX" sobol "$TMP/s.cfg" --paths 2048 --quiet --json "$TMP/sobol.json" --csv "$TMP/sobol.csv" &&
   check "$CX" plot "$TMP/sobol.json" --out "$TMP/sobol" && images "$TMP/sobol" sobol; then
    ok "sobol: index chart"
else not_ok "sobol: index chart"; fi

if check "$CX" sweep "$TMP/s.cfg" --paths 1000 --quiet --json "$TMP/sweep.json" --csv "$TMP/sweep.csv" &&
   check "$CX" plot "$TMP/sweep.json" --out "$TMP/sweep" &&
   images "$TMP/sweep" sweep_capex_burden sweep_revenue_total &&
   [ "$(grep -c ',capex_burden,' "$TMP/sweep.csv")" = 6 ]; then
    ok "two-axis sweep: curves, 6 points in the CSV"
else not_ok "two-axis sweep: curves, 6 points in the CSV"; fi

if check "$CX" sweep "$TMP/s1.cfg" --paths 1000 --quiet --json "$TMP/sweep1.json" &&
   check "$CX" plot "$TMP/sweep1.json" --out "$TMP/sweep1" &&
   images "$TMP/sweep1" sweep_capex_burden sweep_revenue_total; then
    ok "one-axis sweep: band and curves"
else not_ok "one-axis sweep: band and curves"; fi

# Optimize (issue 21): the efficient frontier with its CIs and the best point, and the chart
# of the best point against the baseline and the runner-up. A gnuplot in front of the real
# one keeps each script's data files, so the points drawn can be checked against the JSON.
cat >"$TMP/opt.cfg" <<'CFG'
horizon_months = 12;
supply = { tranches = (
  { name = "a"; gw = { dist = "uniform"; low = 1.0; high = 5.0; }; cost_per_gw_year = 10.0; },
  { name = "b"; gw = 0.5; cost_per_gw_year = 10.0; } ); };
msl = { schedule = ( (0, 1.0) ); };
market = { price0 = 12.0; drift = { dist = "uniform"; low = -0.2; high = 0.2; }; vol = 0.2; };
iaas = { enabled = true; max_gw = 4.0; discount = 0.3; };
optimize = { decisions = ( { input = "supply.tranches.b.gw"; low = 0.0; high = 4.0; } );
  objective = { metric = "revenue_total"; stat = "mean"; sense = "max"; };
  constraints = ( { metric = "capex_burden"; stat = "p95"; max = 30.0; },
                  { metric = "capex_burden"; stat = "p_exceed"; threshold = 80.0; max = 0.5; } ); };
CFG
mkdir -p "$TMP/keepbin" "$TMP/kept"
real_gnuplot=$(command -v gnuplot)
printf '#!/bin/sh\ncp "$(dirname "$1")"/*.dat "%s/kept/" 2>/dev/null\nexec "%s" "$@"\n' "$TMP" "$real_gnuplot" >"$TMP/keepbin/gnuplot"
chmod +x "$TMP/keepbin/gnuplot"
if check "$CX" optimize "$TMP/opt.cfg" -n 2048 -t 2 --frontier 4 -q -j "$TMP/opt.json" &&
   PATH="$TMP/keepbin:$PATH" check "$CX" plot "$TMP/opt.json" --out "$TMP/opt" &&
   images "$TMP/opt" optimize_frontier optimize_best &&
   grep -q "Efficient frontier: mean of revenue_total, maximised, against the bound on p95 of capex_burden" "$TMP/opt/optimize_frontier.svg" &&
   grep -q "opt, 2048 search paths, 8192 check paths; bars: fresh-seed 95% CIs" "$TMP/opt/optimize_frontier.svg" &&
   grep -q "bound on p95 of capex_burden (\$B): the statistic at most this" "$TMP/opt/optimize_frontier.svg" &&
   grep -q "mean of revenue_total (\$B) at the optimum" "$TMP/opt/optimize_frontier.svg" &&
   python3 - "$TMP/opt.json" "$TMP/kept/optimize_frontier.dat" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sets = [[list(map(float, l.split())) for l in s.strip().splitlines()]
        for s in open(sys.argv[2]).read().split("\n\n\n") if s.strip()]
want = [[f["bound"], f["objective"]["value"]] + f["objective"]["ci95"] for f in d["frontier"] if f["found"]]
best = [[d["problem"]["constraints"][0]["max"], d["best"]["objective"]["value"]] + d["best"]["objective"]["ci95"]]
assert len(want) >= 2 and sets == [want, best], (sets, want, best)
PY
then ok "optimize --frontier: the frontier (each level's objective and CI, the best point marked) and the best-point chart"
else not_ok "optimize --frontier: the frontier (each level's objective and CI, the best point marked) and the best-point chart"; fi

# Without --frontier: the best-point chart alone, a panel a statistic with the bound, values
# and CIs of baseline, best and runner-up as in the JSON.
rm -f "$TMP"/kept/*
if check "$CX" optimize "$TMP/opt.cfg" -n 2048 -t 2 -q -j "$TMP/opt1.json" &&
   PATH="$TMP/keepbin:$PATH" check "$CX" plot "$TMP/opt1.json" --out "$TMP/opt1" &&
   images "$TMP/opt1" optimize_best && [ ! -e "$TMP/opt1/optimize_frontier.png" ] &&
   grep -q "p95 of capex_burden &lt;= 30" "$TMP/opt1/optimize_best.svg" &&
   grep -q "P(capex_burden > 80) &lt;= 0.5" "$TMP/opt1/optimize_best.svg" &&
   grep -q "capex_burden (probability)" "$TMP/opt1/optimize_best.svg" &&
   python3 - "$TMP/opt1.json" "$TMP/kept/optimize_best.dat" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sets = [[list(map(float, l.split())) for l in s.strip().splitlines()]
        for s in open(sys.argv[2]).read().split("\n\n\n") if s.strip()]
want = []
for k in range(1 + len(d["problem"]["constraints"])):
    rows = []
    for i, key in enumerate(("baseline", "best", "runner_up")):
        pt = d[key]
        if pt is None:
            continue
        c = pt["objective"] if k == 0 else pt["constraints"][k - 1]
        rows.append([i + 1, c["value"]] + c["ci95"])
    want.append(rows)
assert len(want) == 3 and sets == want, (sets, want)
PY
then ok "optimize without a frontier: the best point against baseline and runner-up, values and CIs as in the JSON"
else not_ok "optimize without a frontier: the best point against baseline and runner-up, values and CIs as in the JSON"; fi

# An interrupted search (no check: no CIs, no paired differences) still plots, marked so.
python3 - "$TMP/opt1.json" "$TMP/optint.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["complete"] = False
d.pop("paired_difference")
for k in ("best", "runner_up", "baseline"):
    if d[k]:
        d[k]["objective"]["ci95"] = None
        for c in d[k]["constraints"]:
            c["ci95"] = None
json.dump(d, open(sys.argv[2], "w"))
PY
if check "$CX" plot "$TMP/optint.json" --out "$TMP/optint" && images "$TMP/optint" optimize_best &&
   grep -q "opt, 2048 search paths, 8192 check paths, partial; search-sample values (not checked)" "$TMP/optint/optimize_best.svg"; then
    ok "an interrupted optimize result: the best-point chart, marked partial and not checked"
else not_ok "an interrupted optimize result: the best-point chart, marked partial and not checked"; fi

# Failures are clear: not JSON, not a result, gnuplot missing.
echo "not json" >"$TMP/bad.json"
"$CX" plot "$TMP/bad.json" --out "$TMP/bad" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "capexsim: plot:" "$TMP/err"; then ok "unreadable JSON is an error"
else not_ok "unreadable JSON is an error (rc $rc)"; fi
echo '{"a": 1}' >"$TMP/other.json"
"$CX" plot "$TMP/other.json" --out "$TMP/bad" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "not a capexsim result" "$TMP/err"; then ok "a JSON that is no result is a usage error"
else not_ok "a JSON that is no result is a usage error (rc $rc)"; fi
PATH=/nonexistent "$CX" plot "$TMP/run.json" --out "$TMP/nognuplot" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "gnuplot" "$TMP/err"; then ok "missing gnuplot is a clear runtime error"
else not_ok "missing gnuplot is a clear runtime error (rc $rc)"; fi

# ---- hostile results (issue 11): nothing from the JSON runs, work is bounded, no leftovers.
# Every plot below runs with TMPDIR in a folder of its own, which must end empty.
mkdir -p "$TMP/t"
plot_h() { TMPDIR="$TMP/t" "$CX" plot "$@"; }
no_tmp_left() { [ -z "$(ls -A "$TMP/t")" ] || { echo "# left in TMPDIR: $(ls "$TMP/t")"; return 1; }; }

cd "$TMP" || exit 1
evil=$'m\n!touch pwned1\nset output \'pwned2\'\n`touch pwned3`\nsystem(\"touch pwned4\")\n\x1b[31m@x $y %s'
python3 - "$TMP/tornado.json" "$TMP/sobol.json" "$TMP/sweep.json" "$evil" <<'PY'
import json, sys
evil = sys.argv[4]
t = json.load(open(sys.argv[1])); t["metric"] = evil
for r in t["tornado"]: r["input"] = evil
json.dump(t, open("evil_tornado.json", "w"))
s = json.load(open(sys.argv[2])); s["metric"] = evil
for r in s["indices"]: r["input"] = evil
json.dump(s, open("evil_sobol.json", "w"))
w = json.load(open(sys.argv[3]))
for a in w["axes"]: a["name"] = evil
json.dump(w, open("evil_sweep.json", "w"))
PY
all=0
for k in tornado sobol sweep; do
    plot_h "evil_$k.json" --out "$TMP/evil_$k" >/dev/null 2>"$TMP/err" || { all=1; sed 's/^/# /' "$TMP/err"; }
done
if [ $all -eq 0 ] && ! ls "$TMP"/pwned* "$TMP"/evil_*/pwned* >/dev/null 2>&1 &&
   images "$TMP/evil_tornado" tornado && images "$TMP/evil_sweep" sweep_capex_burden && no_tmp_left; then
    ok "strings with newlines, quotes, backquotes and escapes in a result run nothing"
else not_ok "strings with newlines, quotes, backquotes and escapes in a result run nothing"; fi
cd - >/dev/null || exit 1

# No LANG or LC_*: gnuplot runs in C.UTF-8 and prints no iconv warning.
env -i PATH="$PATH" TMPDIR="$TMP/t" "$CX" plot "$TMP/run.json" --out "$TMP/nolang" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ]; then ok "no locale: no warnings on stderr"
else not_ok "no locale: no warnings on stderr (rc $rc)"; sed 's/^/# /' "$TMP/err"; fi

# A 30,000 x 30,000 sweep and a 2,000,000-bin histogram are refused at once, naming the limit.
python3 - "$TMP/run.json" <<'PY'
import json, sys
n = 30000
json.dump({"study": "sweep", "axes": [{"name": "a", "values": list(range(n))},
                                      {"name": "b", "values": list(range(n))}],
           "points": [{"values": [i, i], "metrics": {}} for i in range(n)]},
          open(sys.argv[1] + ".bigsweep", "w"))
d = json.load(open(sys.argv[1]))
b = 2000000
d["histograms"]["capex_burden"] = {"edges": list(range(b + 1)), "counts": [1] * b, "below": 0, "above": 0}
json.dump(d, open(sys.argv[1] + ".bighist", "w"))
PY
start=$(date +%s)
plot_h "$TMP/run.json.bigsweep" --out "$TMP/big1" >/dev/null 2>"$TMP/err1"; rc1=$?
plot_h "$TMP/run.json.bighist" --out "$TMP/big2" >/dev/null 2>"$TMP/err2"; rc2=$?
took=$(( $(date +%s) - start ))
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && grep -q "at most 100$" "$TMP/err1" && grep -q "at most 10001$" "$TMP/err2" &&
   [ $took -lt 30 ] && no_tmp_left; then ok "huge sweeps and histograms are refused with the limit, no temporary files left"
else not_ok "huge sweeps and histograms are refused with the limit (rc $rc1 $rc2, ${took}s)"; cat "$TMP/err1" "$TMP/err2" | sed 's/^/# /'; fi

# Not JSON, not a regular file (a FIFO must not hang), missing: all exit 2 with one line.
mkfifo "$TMP/fifo.json"
all=0
for f in "$TMP/bad.json" "$TMP/fifo.json" "$TMP/missing.json" "$TMP"; do
    timeout 20 "$CX" plot "$f" --out "$TMP/bad" >/dev/null 2>"$TMP/err"; rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] || { all=1; echo "# $f: rc $rc: $(cat "$TMP/err")"; }
done
if [ $all -eq 0 ]; then ok "not JSON, a FIFO, a missing file, a folder: exit 2, one line"
else not_ok "not JSON, a FIFO, a missing file, a folder: exit 2, one line"; fi

# JSON where numbers should be (null, strings, NaN-like) fails cleanly or plots; never a crash.
python3 - "$TMP/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["metrics"]["capex_burden"]["percentiles"] = {k: None for k in d["metrics"]["capex_burden"]["percentiles"]}
d["histograms"]["capex_burden"]["counts"] = ["x"] * len(d["histograms"]["capex_burden"]["counts"])
d["quarters"]["idle_gw_mean"] = [{"mean": "a"}] * 3
json.dump(d, open(sys.argv[1] + ".odd", "w"))
PY
plot_h "$TMP/run.json.odd" --out "$TMP/odd" >/dev/null 2>"$TMP/err"; rc=$?
if { [ $rc -eq 0 ] || [ $rc -eq 2 ]; } && [ "$(grep -c "^capexsim" "$TMP/err")" -le 1 ] && no_tmp_left; then
    ok "nulls and strings where numbers belong: no crash (rc $rc)"
else not_ok "nulls and strings where numbers belong (rc $rc)"; sed 's/^/# /' "$TMP/err"; fi

# Ctrl-C while gnuplot runs: gnuplot is stopped, the temporary folder removed, exit 130.
mkdir -p "$TMP/slowbin"
printf '#!/bin/sh\nsleep 30\n' >"$TMP/slowbin/gnuplot"
chmod +x "$TMP/slowbin/gnuplot"
PATH="$TMP/slowbin:$PATH" TMPDIR="$TMP/t" "$CX" plot "$TMP/run.json" --out "$TMP/slow" >/dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do [ -n "$(ls -A "$TMP/t")" ] && break; sleep 0.1; done
sleep 0.3
kill -INT $pid
start=$(date +%s)
wait $pid; rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 130 ] && [ $took -lt 10 ] && no_tmp_left && grep -q "interrupted" "$TMP/err"; then
    ok "Ctrl-C during gnuplot: exit 130 at once, temporary files removed"
else not_ok "Ctrl-C during gnuplot (rc $rc, ${took}s)"; sed 's/^/# /' "$TMP/err"; fi

# SIGTERM likewise.
PATH="$TMP/slowbin:$PATH" TMPDIR="$TMP/t" "$CX" plot "$TMP/run.json" --out "$TMP/slow" >/dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do [ -n "$(ls -A "$TMP/t")" ] && break; sleep 0.1; done
sleep 0.3
kill -TERM $pid
wait $pid; rc=$?
if [ $rc -eq 130 ] && no_tmp_left; then ok "SIGTERM during gnuplot: temporary files removed"
else not_ok "SIGTERM during gnuplot (rc $rc)"; fi

# An output folder name with a quote or a newline is refused (it would go into the script).
"$CX" plot "$TMP/run.json" --out "$TMP/a'b" >/dev/null 2>"$TMP/err"; rc1=$?
"$CX" plot "$TMP/run.json" --out "$TMP/a
b" >/dev/null 2>"$TMP/err"; rc2=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ]; then ok "output folder names with a quote or a newline: exit 2"
else not_ok "output folder names with a quote or a newline (rc $rc1 $rc2)"; fi
# Outputs that are links, FIFOs or devices are refused, not written through; a file where the
# folder should be is refused.
mkdir -p "$TMP/links"
ln -s "$TMP/victim.png" "$TMP/links/burden_hist.png"
"$CX" plot "$TMP/run.json" --out "$TMP/links" >/dev/null 2>"$TMP/err"; rc1=$?
"$CX" plot "$TMP/run.json" --out "$TMP/run.json" >/dev/null 2>"$TMP/err2"; rc2=$?
if [ $rc1 -eq 2 ] && [ ! -e "$TMP/victim.png" ] && grep -q "not a regular file" "$TMP/err" && [ $rc2 -eq 2 ]; then
    ok "plot outputs through a link are refused; a file as the folder is refused"
else not_ok "plot outputs through a link (rc $rc1 $rc2)"; cat "$TMP/err" "$TMP/err2" | sed 's/^/# /'; fi
[ -n "${SRC}" ] || true
exit $((fails > 0))
