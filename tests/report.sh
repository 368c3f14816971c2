#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML report, rerun and the spreadsheet tables (issue 22), from the command line. TAP.
# The report of a run, a tornado, a Sobol, a batch, a stress, a sweep and an optimize (with its
# frontier) is checked for
# balanced tags (Python's html.parser), every section and chart (SVG with <title>), the
# summary's numbers against the JSON, escaping, size and time; then rendered in headless
# Chromium with the network blocked (skipped, and said so, when chromium is absent).
#   bash tests/report.sh BUILD/capexsim SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
CFG=$ROOT/configs
echo "1..23"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/# /'; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# ---- results to report
"$BIN" run -n 10000 -q --json run.json --csv csv
"$BIN" tornado "$CFG/meta-2026h1.cfg" -n 4096 -q --json tornado.json
"$BIN" sobol "$CFG/meta-2026h1.cfg" -n 2048 -q --json sobol.json 2>/dev/null
"$BIN" batch "$CFG/meta-2026h1.cfg" "$CFG/meta-2026h1-noncancel.cfg" -n 2048 -q --json batch.json
"$BIN" stress "$CFG/meta-2026h1.cfg" --input msl.p_success:0.9:1 -n 2048 -q --json stress.json
printf '{"study": "shapley", "scenario": "meta-2026h1", "paths": 10, "rows": [{"input": "a", "phi": 0.5}]}\n' \
    >shapley.json

# ---- 1-2: the default scenario's report: size and time
t0=$(date +%s.%N)
"$BIN" report run.json -o run.html >/dev/null; rc=$?
t1=$(date +%s.%N)
size=$(stat -c %s run.html 2>/dev/null || echo 0)
[ $rc -eq 0 ] && [ "$size" -gt 10000 ] && [ "$size" -lt 1048576 ]
check "report of the default scenario's run: $size bytes, under 1 MB" $? "rc=$rc"
[ $rc -eq 0 ] && python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 1.0 else 1)"
check "report written in under 1 s ($(python3 -c "print(round($t1 - $t0, 3))") s)" $?

# ---- 3: every study's report, tags balanced
"$BIN" report run.json tornado.json sobol.json batch.json stress.json shapley.json -o all.html \
    >/dev/null; rc=$?
cat >balanced.py <<'PY'
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "wbr", "source",
        "rect", "line", "circle", "polyline", "polygon", "path"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errs = [], []
    def handle_starttag(self, t, a):
        if t not in VOID:
            self.stack.append(t)
    def handle_startendtag(self, t, a):
        pass  # <rect .../>: opens and closes
    def handle_endtag(self, t):
        if not self.stack or self.stack[-1] != t:
            self.errs.append("line %d: </%s> closes %s" % (self.getpos()[0], t, self.stack[-1:]))
        else:
            self.stack.pop()
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
if p.errs or p.stack:
    print(p.errs[:5], "unclosed:", p.stack[-5:])
    sys.exit(1)
PY
out=$(python3 balanced.py all.html 2>&1; python3 balanced.py run.html 2>&1)
[ $rc -eq 0 ] && [ -z "$out" ]
check "report of run, tornado, sobol, batch, stress and a shapley result: tags balanced" $? \
    "rc=$rc $out"

# ---- 4: sections and charts
out=$(python3 - all.html <<'PY' 2>&1
import html, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
for s in ("run", "tornado", "sobol", "batch", "stress", "shapley", "provenance"):
    assert 'data-study="%s"' % s in h, "no section " + s
svgs = [html.unescape(t) for t in re.findall(r"<svg[^>]*>\s*<title>([^<]+)</title>", h)]
assert len(svgs) == len(re.findall(r"<svg", h)), "an SVG without a <title>"
want = ["Distribution of capex burden", "Distribution of total revenue", "P(capex burden > x)",
        "Idle capacity", "Revenue per quarter", "Cumulative capex burden", "Tornado of",
        "Sobol indices of", "Capex burden by scenario"]
for w in want:
    assert any(t.startswith(w) for t in svgs), "no chart " + w
# titles name the scenario and the paths
assert all("meta-2026h1" in t or "by scenario" in t for t in svgs), svgs
assert "10000 paths" in svgs[0], svgs[0]
for k in ("scenario_sha256", "git_commit", "compiler", "seed", "capexsim rerun run.json",
          "Scenario text", "Its command: <code>capexsim run --paths 10000 --seed 20260703"):
    assert k in h, "provenance lacks " + k
PY
)
check "every section, chart (SVG with <title>, scenario and paths in it) and provenance item" $? "$out"

# ---- 5: the summary's numbers are the JSON's
out=$(python3 - run.html run.json <<'PY' 2>&1
import json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
d = json.load(open(sys.argv[2]))
summary = h[h.index('class="summary"'):h.index("</div>", h.index('class="summary"'))]
spans = re.findall(r'<span class="num" data-key="([^"]+)" data-value="([^"]+)"'
                   r'(?: data-scale="([^"]+)")?>([^<&]+)', summary)
assert len(spans) >= 15, len(spans)
for key, val, scale, text in spans:
    v = d
    for part in key.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    assert repr(float(v)) == repr(float(val)), (key, v, val)
    shown = float(text.replace(",", "").rstrip("%"))
    want = float(v) * float(scale or 1)
    assert abs(shown - want) <= 5e-4 * abs(want) + 1e-12, (key, text, want)
p50 = d["metrics"]["capex_burden"]["percentiles"]["p50"]
assert "median of <span" in summary and ("%.4g" % p50) in summary
PY
)
check "the summary's numbers equal the run JSON's (keys, values, rounding)" $? "$out"

# ---- 6: escaping
sed 's/^name = .*/name = "<script>alert(1)<\/script>";/' "$CFG/meta-2026h1.cfg" >evil.cfg
"$BIN" run evil.cfg -n 2048 -q --json evil.json && "$BIN" report evil.json -o evil.html >/dev/null
out=$(python3 - evil.html <<'PY' 2>&1
import sys
h = open(sys.argv[1], encoding="utf-8").read()
assert "<script" not in h.lower(), "a raw <script"
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h
PY
)
check "a scenario named <script>alert(1)</script> shows as text" $? "$out"

# ---- 7: nothing external
out=$(python3 - all.html <<'PY' 2>&1
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
bad = re.findall(r'(?:src|href)\s*=\s*"(?!#)[^"]*"|@import|url\(', h)
assert not bad, bad[:5]
assert "default-src 'none'" in h
PY
)
check "no external script, style, font or image (no src/href/url(), a CSP of default-src 'none')" $? "$out"

# ---- 8-10: headless Chromium, network blocked
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
    skip "chromium is absent (Debian package chromium, installed by bash .ci/setup test)"
    skip "chromium is absent: no rendered DOM check"
    skip "chromium is absent: no screenshot"
else
    flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
           --disable-background-networking --disable-component-update --disable-sync
           --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9
           --user-data-dir="$TMP/chrome" --enable-logging=stderr --v=0)
    timeout 120 "$chrome" "${flags[@]}" --log-net-log="$TMP/net.json" --dump-dom \
        "file://$TMP/all.html" >dom.html 2>chrome.err
    rc=$?
    cons=$(grep -E "CONSOLE|Uncaught|Refused to|net::ERR" chrome.err | grep -v "dbus" | head -5)
    # the net log's requests, but the browser's own (update checks, time, accounts, dictionary
    # on Google's hosts): the page's would name another host
    net=$(grep -o '"url":"[^"]*"' net.json 2>/dev/null | sort -u |
          grep -v -E '"url":"https?://[^/"]*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[/"]' |
          head -5)
    [ $rc -eq 0 ] && [ -z "$cons" ] && [ -z "$net" ] && [ -s net.json ]
    check "chromium loads the report with no console errors and no network request" $? \
        "rc=$rc $cons $net"
    out=$(python3 - dom.html <<'PY' 2>&1
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
assert 'id="provenance"' in h, "DOM incomplete"
assert len(re.findall(r"<svg", h)) >= 9, "charts missing in the DOM"
for s in ("tornado", "sobol", "batch", "stress", "shapley"):
    assert 'data-study="%s"' % s in h, s
PY
)
    check "chromium's DOM holds every section and chart" $? "$out"
    timeout 120 "$chrome" "${flags[@]}" --hide-scrollbars --window-size=1000,3800 \
        --screenshot="$TMP/run.png" "file://$TMP/run.html" >/dev/null 2>&1
    [ -s run.png ] && [ "$(head -c 4 run.png | tail -c 3)" = PNG ]
    check "chromium renders a screenshot of the run's report" $?
    [ -n "${CX_REPORT_PNG:-}" ] && [ -s run.png ] && cp run.png "$CX_REPORT_PNG"
fi

# ---- 11-13: rerun
"$BIN" rerun run.json -q -t 1 --json rerun.json; rc=$?
strip() { grep -v -E '^  "(elapsed_s|paths_per_s|threads)":' "$1"; }
[ $rc -eq 0 ] && cmp -s <(strip run.json) <(strip rerun.json)
check "rerun gives the same bytes (timing fields aside)" $? "rc=$rc $(diff <(strip run.json) <(strip rerun.json) | head -5)"
python3 - run.json bad.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["scenario_text"] = d["scenario_text"].replace("p_success", "p_success ", 1)
open(sys.argv[2], "w").write(json.dumps(d, indent=2))
PY
err=$("$BIN" rerun bad.json -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "does not match its scenario_sha256" <<<"$err"
check "rerun refuses a tampered scenario with one line, exit 2" $? "rc=$rc $err"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); del d["options"]
json.dump(d, open(sys.argv[2], "w"))' tornado.json old.json
err=$("$BIN" rerun old.json -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "embeds no scenario text and options" <<<"$err"
check "rerun refuses a result without its options (written before) with one line, exit 2" $? "rc=$rc $err"

# ---- 14: provenance in the run JSON
out=$(python3 - run.json <<'PY' 2>&1
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
assert hashlib.sha256(d["scenario_text"].encode()).hexdigest() == d["scenario_sha256"]
assert d["git_commit"] and d["options"]["paths"] == 10000 and d["options"]["seed"] == d["seed"]
assert list(d).index("git_commit") == list(d).index("version") + 1
PY
)
check "the run JSON embeds the text its SHA-256 is of, its options and the git commit" $? "$out"

# ---- 15: metrics.csv
out=$(python3 - csv/metrics.csv run.json <<'PY' 2>&1
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
assert [r["metric"] for r in rows] == list(d["metrics"]), "one row per metric"
for r in rows:
    m = d["metrics"][r["metric"]]
    for k in ("mean", "se", "sd", "min", "max"):
        assert float(r[k]) == m[k], (r["metric"], k)
    for q, v in m["percentiles"].items():
        assert float(r[q]) == v and float(r[q + "_ci95_lo"]) == m["ci95"][q][0], (r["metric"], q)
        assert float(r[q + "_ci95_hi"]) == m["ci95"][q][1]
PY
)
check "--csv writes metrics.csv: one row per metric, every statistic and CI as in the JSON" $? "$out"

# ---- 16: gzip export
"$BIN" run -n 3000 -q --export-paths p.csv && "$BIN" run -n 3000 -q --export-paths p.csv.gz
[ "$(head -c 2 p.csv.gz | od -An -tx1 | tr -d ' ')" = 1f8b ] && gzip -dc p.csv.gz | cmp -s - p.csv
check "--export-paths FILE.csv.gz writes gzip of the same CSV" $?

# ---- 17-18: plot's charts (issue 22 item 2): titled with the scenario and paths, units
if command -v gnuplot >/dev/null 2>&1; then
    "$BIN" plot run.json -o plots >/dev/null && "$BIN" plot tornado.json -o plots >/dev/null
    out=$(python3 - plots <<'PY' 2>&1
import glob, html, re, sys
svgs = sorted(glob.glob(sys.argv[1] + "/*.svg"))
assert len(svgs) == 5, svgs
for f in svgs:
    t = html.unescape(open(f, encoding="utf-8").read())
    assert re.search(r"meta-2026h1, (10000|4096) paths", t), f + ": no scenario and paths"
    assert re.search(r"\((\$B|GW)\)", t), f + ": no unit"
PY
)
    check "plot: every chart titled with the scenario and the paths, axes with units" $? "$out"
    python3 -c "
import json, sys
d = json.load(open('run.json')); d['complete'] = False; json.dump(d, open('part.json', 'w'))"
    "$BIN" plot part.json -o plots2 >/dev/null && grep -q "10000 paths, partial" plots2/burden_hist.svg
    check "plot: a stopped run's charts say partial" $?
else
    skip "gnuplot is absent"
    skip "gnuplot is absent"
fi

# ---- 19: compare names both results' scenarios and seeds (issue 22 item 6)
"$BIN" run "$CFG/meta-2026h1-noncancel.cfg" -n 2048 -s 5 -q --json nc.json
out=$("$BIN" compare nc.json run.json --allow-scenario --allow-seed 2>&1 | head -3)
grep -q "^compare run results of meta-2026h1-noncancel (NEW) and meta-2026h1 (BASE)" <<<"$out" &&
    grep -q "NEW  nc.json  scenario meta-2026h1-noncancel  seed 5" <<<"$out" &&
    grep -q "BASE run.json  scenario meta-2026h1  seed 20260703" <<<"$out"
check "compare's header names both scenarios and seeds" $? "$out"

# ---- 20-22: the sweep's charts and the optimize section (issue 21)
"$BIN" sweep "$CFG/meta-2026h1.cfg" -n 1024 -q --json sweep.json
cat >opt.cfg <<'CFG'
name = "opt";
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
"$BIN" optimize opt.cfg -n 2048 -t 2 --frontier 4 -q --json opt.json
python3 - opt.json optint.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["complete"] = False
d.pop("paired_difference"); d.pop("frontier")
for k in ("best", "runner_up", "baseline"):
    d[k]["objective"]["ci95"] = None
    for c in d[k]["constraints"]:
        c["ci95"] = None
json.dump(d, open(sys.argv[2], "w"))
PY
"$BIN" report sweep.json opt.json optint.json -o studies.html >/dev/null; rc=$?
out=$(python3 balanced.py studies.html 2>&1; python3 - studies.html <<'PY' 2>&1
import html, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
for s in ("sweep", "optimize"):
    assert 'data-study="%s"' % s in h, "no section " + s
svgs = [html.unescape(t) for t in re.findall(r"<svg[^>]*>\s*<title>([^<]+)</title>", h)]
assert len(svgs) == len(re.findall(r"<svg", h)), "an SVG without a <title>"
for w in ("Sweep of capex_burden - meta-2026h1, 1024 paths a point",
          "Sweep of revenue_total - meta-2026h1, 1024 paths a point",
          "Efficient frontier - opt, 2048 search paths, 8192 check paths"):
    assert w in svgs, "no chart " + w + " in " + repr(svgs)
assert len(svgs) == 3, svgs  # the interrupted result has no frontier
assert "The search was interrupted" in h and "Decisions" in h and "holds at best" in h
PY
)
[ $rc -eq 0 ] && [ -z "$out" ]
check "report of a sweep and two optimize results: tags balanced, sweep charts and the frontier chart with titles" $? "rc=$rc $out"

# every number of the optimize sections, traced by its data-key, equals the JSON's; the holds
# column says what the JSON says
out=$(python3 - studies.html opt.json optint.json <<'PY' 2>&1
import html, json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
docs = [json.load(open(f)) for f in sys.argv[2:]]
secs = re.findall(r'<section id="result-\d+" data-study="optimize">(.*?)</section>', h, re.S)
assert len(secs) == 2, len(secs)
for sec, d in zip(secs, docs):
    spans = re.findall(r'<span class="num" data-key="([^"]+)"(?: data-input="([^"]+)")? '
                       r'data-value="([^"]+)">([^<]+)</span>', sec)
    n_front = len(d.get("frontier", []))
    n_ci = 2 if "paired_difference" in d else 0
    # decisions 3, each statistic (3) at 3 points (value and CI) and 2 differences; the summary
    # 7; the frontier: bound, decision, 2 statistics with CIs
    want = 3 + 3 * (3 * (1 + n_ci)) + (3 * 2 * (1 + n_ci) + 7 if n_ci else 0) + n_front * (2 + 2 * 3)
    assert len(spans) == want, (len(spans), want)
    for key, inp, val, text in spans:
        v = d
        for part in key.split("."):
            v = v[int(part)] if isinstance(v, list) else v[part]
        if inp:
            v = v[html.unescape(inp)]
        assert repr(float(v)) == repr(float(val)), (key, v, val)
        assert abs(float(text) - float(v)) <= 5e-4 * abs(float(v)) + 1e-12, (key, text, v)
    rows = re.findall(r"<tr><th>([^<]*)</th><td>(&le;|&ge;)[^<]*</td>(.*?)</tr>", sec)
    assert len(rows) == 2, rows
    for (name, _, cells), c in zip(rows, d["best"]["constraints"]):
        tds = re.findall(r"<td[^>]*>(.*?)</td>", cells)
        want = "not checked" if not n_ci else "yes" if c["holds"] else \
               "no: the estimate %s it" % ("meets" if c["meets"] else "misses")
        assert tds[2] == want, (name, tds[2], want)
PY
)
check "the optimize sections' numbers (decisions, statistics, CIs, differences, frontier) equal the JSON's; holds as the JSON says" $? "$out"

# the sweep charts: one line per value of the second axis, a point per value of the first,
# and its legend; a one-axis sweep also draws P50 and P95
out=$(python3 - studies.html sweep.json <<'PY' 2>&1
import html, json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
d = json.load(open(sys.argv[2]))
nx, nz = len(d["axes"][0]["values"]), len(d["axes"][1]["values"])
charts = re.findall(r"<svg[^>]*>\s*<title>Sweep of (\w+).*?</svg>", h, re.S)
assert len(charts) == 2, len(charts)
for ch in re.findall(r"<svg[^>]*>\s*<title>Sweep of .*?</svg>", h, re.S):
    lines = re.findall(r'<polyline style="fill:none;stroke:[^"]*" points="([^"]*)"', ch)
    assert len(lines) == nz and all(len(l.split()) == nx for l in lines), [len(l.split()) for l in lines]
    assert len(re.findall(r"<polygon class=\"band\"", ch)) == nz
    name = d["axes"][1]["name"]
    for z in d["axes"][1]["values"]:
        assert ">%s = %.4g<" % (name, z) in html.unescape(ch) or ">%s = %s<" % (name, z) in ch, z
PY
)
{ cat opt.cfg; echo 'sweep = { inputs = ( { name = "market.drift"; values = [-0.1, 0.0, 0.1, 0.15]; } ); };'; } >sw1.cfg
"$BIN" sweep sw1.cfg -n 1024 -q --json sweep1.json && "$BIN" report sweep1.json -o sweep1.html >/dev/null
out2=$(python3 - sweep1.html <<'PY' 2>&1
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
for ch in re.findall(r"<svg[^>]*>\s*<title>Sweep of .*?</svg>", h, re.S):
    lines = re.findall(r'<polyline style="fill:none;stroke:[^"]*" points="([^"]*)"', ch)
    assert len(lines) == 3 and all(len(l.split()) == 4 for l in lines), lines
    assert ">P50<" in ch and ">P95<" in ch and "stroke-dasharray:6 3" in ch
PY
)
[ -z "$out$out2" ]
check "the sweep charts: a mean line and CI band per value of the second axis, a point per value of the first; one axis: P50 and P95 too" $? "$out $out2"

# ---- 23: the sweep and optimize sections load in headless Chromium, no console errors
if [ -z "$chrome" ]; then
    skip "chromium is absent: the sweep and optimize sections are not rendered"
else
    timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$TMP/studies.html" >dom2.html 2>chrome2.err
    rc=$?
    cons=$(grep -E "CONSOLE|Uncaught|Refused to|net::ERR" chrome2.err | grep -v "dbus" | head -5)
    out=$(python3 - dom2.html <<'PY' 2>&1
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
assert 'id="provenance"' in h, "DOM incomplete"
assert len(re.findall(r'data-study="optimize"', h)) == 2 and 'data-study="sweep"' in h
assert len(re.findall(r"<svg", h)) == 3, "charts missing in the DOM"
PY
)
    [ $rc -eq 0 ] && [ -z "$cons" ] && [ -z "$out" ]
    check "chromium loads the sweep and optimize sections with their charts, no console errors" $? "rc=$rc $cons $out"
fi
