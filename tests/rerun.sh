#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# capexsim rerun on the result of every command that writes one (issue 22, item 4): run,
# sweep, tornado, sobol, shapley, stress (--input/--outcome and a case), batch, optimize, on
# the built-in scenario and on files that are gone by the time of the rerun (the embedded text
# is what re-runs); the same bytes at another thread count but for the timing fields;
# --paths; the refusals. TAP.
#   bash tests/rerun.sh BUILD/capexsim SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
echo "1..18"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/# /'; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }

# the scenarios as files of this folder, removed before any rerun
cp "$ROOT/configs/meta-2026h1.cfg" a.cfg
cp "$ROOT/configs/meta-2026h1-noncancel.cfg" b.cfg
cp "$ROOT/configs/stress.cfg" s.cfg
sed 's/@include "meta-2026h1.cfg"/@include "a.cfg"/' "$ROOT/configs/meta-2026h1-optimize.cfg" >o.cfg
grep -q '@include "a.cfg"' o.cfg || echo "# o.cfg: the include was not renamed"

# NAME COMMAND ARGS...: the result NAME.json at 2 threads
made=()
mk() {
    local name=$1
    shift
    if "$BIN" "$@" -t 2 -q --json "$name.json" 2>"$name.err"; then made+=("$name"); else
        echo "# $name: $* failed: $(tail -1 "$name.err")"; fi
}
mk run run -n 4096
mk sweep sweep a.cfg -n 2048
mk tornado tornado -n 2048 --sampling lhs --antithetic --metric revenue_total
mk sobol sobol a.cfg -n 2048 --target-ci 0.3 --max-paths 4096 --order input
mk shapley shapley -n 128 --crn --metric revenue_total
mk stress stress a.cfg --outcome msl.success=0 --input msl.p_success:0.9:1 -n 2048
mk stress_case stress s.cfg --case price-crash -n 2048
mk batch batch a.cfg b.cfg -n 2048 --sampling lhs
mk optimize optimize o.cfg -n 1024 --starts 2 --frontier 2 --check-paths 2048
rm a.cfg b.cfg s.cfg o.cfg

# the JSON without its timing lines: threads, elapsed_s, paths_per_s and optimize's timing
strip() { grep -v -E '^ *"(threads|elapsed_s|paths_per_s|setup_s|search_s|check_s|evaluations_per_s)":' "$1"; }

# ---- 1-9: each result re-runs to the same bytes, at 1 thread, from its embedded text
for name in run sweep tornado sobol shapley stress stress_case batch optimize; do
    if [ ! -s "$name.json" ]; then
        notok "$name: rerun gives the same bytes" "no $name.json"
        continue
    fi
    "$BIN" rerun "$name.json" -t 1 -q --json "$name.re.json" 2>"$name.re.err"
    rc=$?
    [ $rc -eq 0 ] && [ -s "$name.re.json" ] && cmp -s <(strip "$name.json") <(strip "$name.re.json")
    check "$name: rerun at 1 thread gives the same bytes but the timing fields" $? \
        "rc=$rc $(tail -2 "$name.re.err") $(diff <(strip "$name.json") <(strip "$name.re.json") 2>&1 | head -6)"
done

# ---- 10: what the results embed
out=$(python3 - <<'PY' 2>&1
import hashlib, json
for name, cmd in [("run", "run"), ("sweep", "sweep"), ("tornado", "tornado"), ("sobol", "sobol"),
                  ("shapley", "shapley"), ("stress", "stress"), ("batch", "batch"),
                  ("optimize", "optimize")]:
    d = json.load(open(name + ".json"))
    o = d["options"]
    assert o["command"] == cmd and d.get("study", "run") == cmd, name
    assert "threads" not in o, name
    scen = d["scenarios"] if cmd == "batch" else [d]
    for s in scen:
        assert hashlib.sha256(s["scenario_text"].encode()).hexdigest() == s["scenario_sha256"], name
    assert list(d)[-1] == ("scenarios" if cmd == "batch" else "scenario_text"), name
t = json.load(open("tornado.json"))
assert t["scenario_path"] == "<built-in>" and t["options"]["metric"] == "revenue_total"
assert t["options"]["sampling"] == "lhs" and t["options"]["antithetic"] is True
assert json.load(open("sobol.json"))["options"]["target_ci"] == 0.3
assert json.load(open("sobol.json"))["options"]["order"] == "input"
assert json.load(open("shapley.json"))["options"]["crn"] is True
assert json.load(open("stress.json"))["options"]["input"] == ["msl.success=0", "msl.p_success:0.9:1"]
assert json.load(open("stress_case.json"))["options"]["case"] == "price-crash"
b = json.load(open("batch.json"))
assert [s["scenario_path"] for s in b["scenarios"]] == ["a.cfg", "b.cfg"]
assert b["options"]["sampling"] == "lhs"
assert json.load(open("optimize.json"))["options"]["frontier"] == 2
PY
)
check "every result embeds its options (flags by name, no threads) and scenario texts that match their SHA-256" $? "$out"

# ---- 11: --paths replaces the result's paths
"$BIN" rerun tornado.json -n 4096 -q --json more.json 2>/dev/null; rc=$?
out=$(python3 - <<'PY' 2>&1
import json
a, b = json.load(open("tornado.json")), json.load(open("more.json"))
assert b["paths"] == 4096 and b["options"]["paths"] == 4096 and a["paths"] == 2048, (a["paths"], b["paths"])
assert b["options"] == dict(a["options"], paths=4096)
assert b["tornado"] != a["tornado"]
PY
)
[ $rc -eq 0 ] && [ -z "$out" ]
check "rerun --paths N runs N paths, the other options kept" $? "rc=$rc $out"

# ---- 12: the table on stdout, as the command prints it
out=$("$BIN" rerun stress_case.json -t 1 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "^Stress of stress, case price-crash: 2048 paths" <<<"$out"
check "rerun prints the command's table" $? "rc=$rc $(head -3 <<<"$out")"

# ---- 13-16: refusals, one line and exit 2
refused() { # NAME FILE PATTERN
    local err rc
    err=$("$BIN" rerun "$2" -q --json never.json 2>&1 >/dev/null); rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "$3" <<<"$err" && [ ! -e never.json ]
    check "$1" $? "rc=$rc $err"
}
python3 - <<'PY'
import json
d = json.load(open("sobol.json"))
d["scenario_text"] = d["scenario_text"].replace("p_success", "p_success ", 1)
json.dump(d, open("bad_sobol.json", "w"), indent=2)
d = json.load(open("batch.json"))
d["scenarios"][1]["scenario_text"] += "\n"
json.dump(d, open("bad_batch.json", "w"), indent=2)
d = json.load(open("tornado.json"))
d["options"]["command"] = "run"
json.dump(d, open("bad_cmd.json", "w"), indent=2)
d = json.load(open("run.json"))
d["options"]["export_paths"] = "written.csv"
json.dump(d, open("bad_key.json", "w"), indent=2)
PY
refused "a study whose embedded scenario does not match its SHA-256 is refused" bad_sobol.json \
    "does not match its scenario_sha256"
refused "a batch with one scenario that does not match is refused" bad_batch.json \
    "does not match its scenario_sha256"
refused "a result whose options are not its study's is refused" bad_cmd.json "not its study"
refused "options that name a flag the command did not write (an output) are refused" bad_key.json \
    '"export_paths" is not a flag the command re-runs with'
[ -e written.csv ] && echo "# bad_key.json wrote written.csv"

# ---- 17: the HTML report's provenance gives the command line the options stand for
"$BIN" report sobol.json batch.json -o r.html >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'Its command: <code>capexsim sobol a.cfg --paths 2048 --seed [0-9]* --sampling mc --metric capex_burden --target-ci 0.3 --max-paths 4096 --order input</code>' r.html &&
    grep -q 'Its command: <code>capexsim batch a.cfg b.cfg --paths 2048 --seed [0-9]* --sampling lhs</code>' r.html
check "the report shows each study's command line, from its options" $? "rc=$rc $(grep -o 'Its command: <code>[^<]*' r.html 2>&1)"

# ---- 18: --help names every command that re-runs
out=$("$BIN" rerun --help); rc=$?
missing=""
for c in run sweep tornado sobol shapley stress batch optimize --paths --json default; do
    grep -q -- "$c" <<<"$out" || missing="$missing $c"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
check "rerun --help exits 0 and names every command it re-runs" $? "rc=$rc lacks:$missing"
exit 0
