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

echo "1..9"
if check "$CX" run "$TMP/s.cfg" --paths 4000 --threads 2 --quiet --json "$TMP/run.json" &&
   check "$CX" plot "$TMP/run.json" --out "$TMP/run" &&
   images "$TMP/run" burden_hist revenue_hist fan_idle_gw fan_burden; then
    ok "run result: histograms and fan charts as PNG and SVG"
else not_ok "run result: histograms and fan charts as PNG and SVG"; fi

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

if check "$CX" sobol "$TMP/s.cfg" --paths 512 --quiet --json "$TMP/sobol.json" --csv "$TMP/sobol.csv" &&
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
[ -n "${SRC}" ] || true
exit $((fails > 0))
