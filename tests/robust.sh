#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 25, items 2 to 6: no output over an input or another output; SIGTERM and write errors;
# CSV that spreadsheets open safely; seeds past 2^63; batch memory; compare's checks. TAP.
#   bash tests/robust.sh BUILD/capexsim SOURCE_ROOT
set -u
bin=$1
root=$2
t=$(mktemp -d)
trap 'umount "$t/full" 2>/dev/null; rm -rf "$t"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (exit $3, expected $2)"; fi
}
one_line() { # one_line NAME FILE: exactly one line, starting "capexsim: "
    if [ "$(wc -l <"$2")" = 1 ] && grep -q '^capexsim: ' "$2"; then ok "$1: one line"
    else bad "$1: one line ($(head -c 300 "$2"))"; fi
}
cfg=$root/configs/meta-2026h1.cfg
cd "$t" || exit 1
cp "$cfg" s.cfg
cp "$cfg" s0.cfg
printf '@include "s0.cfg"\n' >inc.cfg
sum0=$(cksum <s.cfg)

# --- item 2: an output never replaces an input or another output ------------------------
clash() { # clash NAME ARGS...: exit 2, one line, the scenario untouched
    local name=$1; shift
    "$bin" "$@" >out 2>err
    check "$name: refused" 2 $?
    one_line "$name" err
}
clash "run --export-paths over the scenario" run s.cfg -n 1024 -q --export-paths s.cfg
clash "run --json over the scenario" run s.cfg -n 1024 -q --json s.cfg
clash "run --json over an @include" run inc.cfg -n 1024 -q --json s0.cfg
clash "run --json over the scenario by another path" run s.cfg -n 1024 -q --json ../"$(basename "$t")"/s.cfg
clash "run --csv folder over --export-paths" run s.cfg -n 1024 -q --csv . --export-paths ./quarters.csv
clash "run --checkpoint F --json F" run s.cfg -n 1024 -q --checkpoint F --json F
clash "batch --json over a scenario" batch s0.cfg s.cfg -n 1024 -q --json s.cfg
clash "stress --csv over the scenario" stress s.cfg -i msl.p_success:0:0.1 -n 1024 -q --csv s.cfg
clash "sweep --csv over --json" sweep s.cfg -n 1024 -q --json o.json --csv ./o.json
clash "tornado --json over the scenario" tornado s.cfg -n 1024 -q --json s.cfg
[ "$(cksum <s.cfg)" = "$sum0" ] && ok "the scenario is untouched" || bad "the scenario is untouched"
[ ! -e F ] && ok "no checkpoint left by a refused run" || bad "no checkpoint left by a refused run"
cp "$cfg" s.cfg # (before the fix the cases above replaced it)
"$bin" run s.cfg -n 1024 -q --json a.json 2>err
check "run a.json" 0 $?
sum1=$(cksum <a.json)
clash "compare --json over NEW" compare a.json a.json --json a.json
ln a.json h.json
clash "compare --json over a hard link of NEW" compare a.json s.cfg --json h.json
[ "$(cksum <a.json)" = "$sum1" ] && ok "the result is untouched" || bad "the result is untouched"
"$bin" compare a.json a.json -q
check "compare a file with itself still works" 0 $?

# --- item 3: signals, full disks, stdout ---------------------------------------------------
no_tmp() { # no_tmp NAME: no .capexsim-XXXXXX left in the folder
    if ls -A | grep -q '^\.capexsim-'; then bad "$1: a temporary survived"; rm -f .capexsim-*
    else ok "$1: no temporary left"; fi
}
wait_for() { # wait_for FILE: until it exists (at most 20 s)
    for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1
}
# SIGTERM in a command that has no checkpoint: stops like Ctrl-C, reports, exit 130
"$bin" tornado s.cfg -n 2000000 -q --json tor.json 2>err &
pid=$!
sleep 1.5
kill -TERM $pid
wait $pid
check "SIGTERM stops tornado like Ctrl-C" 130 $?
[ -s tor.json ] && grep -q '"complete": false' tor.json && ok "SIGTERM: the partial tornado is written" || bad "SIGTERM: the partial tornado is written"
# two SIGTERMs during an export: no hidden temporary left
"$bin" run s.cfg -n 50000000 -q --export-paths big.csv 2>err &
pid=$!
for _ in $(seq 100); do ls -A | grep -q '^\.capexsim-' && break; sleep 0.1; done
sleep 0.5
kill -TERM $pid; sleep 0.05; kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] || [ $rc = 130 ] && ok "two SIGTERMs during an export end it (exit $rc)" || bad "two SIGTERMs during an export end it (exit $rc)"
no_tmp "two SIGTERMs during an export"
"$bin" run s.cfg -n 50000000 -q --export-paths big.csv 2>err &
pid=$!
for _ in $(seq 100); do ls -A | grep -q '^\.capexsim-' && break; sleep 0.1; done
sleep 0.5
kill -INT $pid; sleep 0.05; kill -INT $pid
wait $pid
no_tmp "two Ctrl-Cs during an export"
rm -f big.csv
# an export larger than the free space is refused before the run, unless --force
timeout 30 "$bin" run s.cfg -n 1000000000000 -q --export-paths big.csv 2>err
check "an export beyond the free space is refused" 2 $?
one_line "the export beyond the free space" err
grep -q -- '--force' err && ok "the refusal names --force" || bad "the refusal names --force"
# a file size limit stands for a full disk: the run stops, the JSON is still written, exit 1
(ulimit -f 1024; exec "$bin" run s.cfg -n 400000 -q --export-paths e.csv --json ej.json 2>err)
check "an export that cannot be written: exit 1" 1 $?
grep -q 'e.csv: File too large' err && ok "the message names the file and the error" || bad "the message names the file and the error ($(cat err))"
[ -s ej.json ] && grep -q '"complete": false' ej.json && ok "the JSON is still written (partial)" || bad "the JSON is still written (partial)"
no_tmp "a failed export"
[ ! -e e.csv ] && ok "no half export" || bad "no half export"
# ... and at once: the write fails in the first round of blocks (its first MB), so the run
# ends with that round (about 120,000 of 5,000,000 paths; before the fix it ran them all),
# and the --csv folder is written too
(ulimit -f 1024; exec "$bin" run s.cfg -n 5000000 -t 2 -q --export-paths e.csv --json ej5.json --csv ecsv 2>err)
check "an export that cannot be written, 5,000,000 paths: exit 1" 1 $?
python3 -c "import json,sys; d=json.load(open('ej5.json')); sys.exit(0 if 0 < d['paths'] <= 250000 and d['paths_requested'] == 5000000 else 1)" \
    && ok "the failed export stopped the run at once ($(grep -m1 '"paths"' ej5.json | tr -dc 0-9) paths)" \
    || bad "the failed export stopped the run at once ($(grep -m1 '"paths"' ej5.json))"
[ -s ecsv/quarters.csv ] && [ -s ecsv/metrics.csv ] && ok "the failed export: the --csv folder is written" \
    || bad "the failed export: the --csv folder is written"
# a full file system (a 2 MB tmpfs, where one can be mounted: root): No space left on device
mkdir -p full
if mount -t tmpfs -o size=2m tmpfs full 2>/dev/null; then
    "$bin" run s.cfg -n 2000000 -t 2 -q --export-paths full/e.csv --force --json ej6.json 2>err
    check "an export to a full file system: exit 1" 1 $?
    grep -q 'full/e.csv: No space left on device' err && ok "the message names the file and ENOSPC" \
        || bad "the message names the file and ENOSPC ($(cat err))"
    python3 -c "import json,sys; d=json.load(open('ej6.json')); sys.exit(0 if 0 < d['paths'] <= 250000 and not d['complete'] else 1)" \
        && ok "a full file system: the run stopped at once, the JSON written" \
        || bad "a full file system: the run stopped at once, the JSON written"
    [ -z "$(ls -A full)" ] && ok "a full file system: nothing left on it" || bad "a full file system: nothing left on it ($(ls -A full))"
    umount full
else
    for c in "exit 1" "the message" "stopped at once" "nothing left"; do ok "a full tmpfs: $c # SKIP cannot mount a tmpfs (not root)"; done
fi
# stdout is checked
"$bin" run s.cfg -n 2048 >/dev/full 2>err
check "run > /dev/full fails" 1 $?
grep -q 'standard output' err && ok "run > /dev/full says why" || bad "run > /dev/full says why"
"$bin" --help >/dev/full 2>err
check "--help > /dev/full fails" 1 $?
# --- item 4: CSV that spreadsheets open safely; seeds as unsigned 64 bits -------------------
# a scenario named with " and = (and a comma), a stress case named like a formula
# (the shipped stress group left out: q.cfg brings its own case)
sed -e 's/^name = .*/name = "=cmd|\\"calc\\",x";/' -e '/^stress = { cases = (/,/^); };/d' s.cfg >q.cfg
grep -q '^name = "=cmd' q.cfg || bad "q.cfg has the crafted name"
cat >>q.cfg <<'CFG'
stress = { cases = ( { name = "@SUM(1+1)"; inputs = ( { name = "msl.p_success"; lo = 0.0; hi = 0.1; } ); } ); };
CFG
csv_ok() { # csv_ok NAME FILE: every row has the header's number of fields (RFC 4180), and
           # no field starts with = + - @ unless it is a number
    python3 - "$2" <<'PY' && ok "$1: RFC 4180, no formula" || bad "$1: RFC 4180, no formula"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert len(rows) > 1, "empty"
for r in rows:
    assert len(r) == len(rows[0]), r
    for c in r:
        if c[:1] in ('=', '+', '-', '@'):
            float(c)  # only numbers may start so
PY
}
"$bin" batch q.cfg s.cfg -n 1024 -q --csv qb.csv 2>err
check "batch of a scenario named with \" and =" 0 $?
csv_ok "batch CSV" qb.csv
grep -q "'=cmd|\"\"calc\"\",x" qb.csv && ok "batch CSV: the name kept, quoted, with a leading '" || bad "batch CSV: the name kept ($(sed -n 2p qb.csv | cut -c1-60))"
"$bin" stress q.cfg -n 1024 -q --csv qs.csv --json qs.json 2>err
check "stress of a case named like a formula" 0 $?
csv_ok "stress CSV" qs.csv
"$bin" run q.cfg -n 1024 -q --csv qd --export-paths qe.csv 2>err
csv_ok "quarters CSV" qd/quarters.csv
csv_ok "export CSV" qe.csv
"$bin" tornado q.cfg -n 1024 -q --csv qt.csv 2>err
csv_ok "tornado CSV" qt.csv
"$bin" sweep q.cfg -n 1024 -q --csv qw.csv 2>err
csv_ok "sweep CSV" qw.csv
{ grep -v '^stress' q.cfg; printf 'stress = { cases = ( { name = "a\001b"; inputs = ( { name = "msl.p_success"; lo = 0.0; hi = 0.1; } ); } ); };\n'; } >cc.cfg
"$bin" stress cc.cfg -n 1024 -q 2>err
check "a stress case named with a control character is refused" 2 $?
# seeds past 2^63: unsigned everywhere
big=18446744073709551615
"$bin" batch s.cfg s0.cfg -n 1024 -q -s $big --json bb.json --csv bb.csv 2>err
python3 -c "import json,sys; d=json.load(open('bb.json')); sys.exit(0 if str(d['seed'])=='$big' and str(d['runs'][0]['seed'])=='$big' else 1)" \
    && ok "batch JSON: the seed past 2^63" || bad "batch JSON: the seed past 2^63 ($(grep -m1 '"seed"' bb.json))"
[ "$(sed -n 2p bb.csv | cut -d, -f4)" = $big ] && ok "batch CSV: the seed past 2^63" || bad "batch CSV: the seed past 2^63"
"$bin" stress s.cfg -i msl.p_success:0:0.1 -n 1024 -q -s $big --json sj.json --csv sj.csv 2>err
grep -m1 '"seed"' sj.json | grep -q "$big" && ok "stress JSON: the seed past 2^63" || bad "stress JSON: the seed past 2^63"
[ "$(sed -n 2p sj.csv | cut -d, -f4)" = $big ] && ok "stress CSV: the seed past 2^63" || bad "stress CSV: the seed past 2^63"
"$bin" tornado s.cfg -n 1024 -q -s $big --json tj.json 2>err
grep -m1 '"seed"' tj.json | grep -q "$big" && ok "tornado JSON: the seed past 2^63" || bad "tornado JSON: the seed past 2^63"
# --- item 5: a batch's memory does not grow with its scenarios --------------------------------
if [ -x /usr/bin/time ]; then
    rss() { /usr/bin/time -f %M "$bin" batch "$@" -n 1024 -t 1 -q --csv rss.csv 2>&1 >/dev/null | tail -1; }
    r4=$(rss s.cfg s.cfg s.cfg s.cfg)
    r20=$(rss $(for _ in $(seq 20); do echo s.cfg; done))
    # before: about 28 MB more a scenario (every run's accumulators kept to the end)
    [ $((r20 - r4)) -lt 60000 ] && ok "batch RSS: 4 scenarios ${r4} kB, 20 scenarios ${r20} kB" \
        || bad "batch RSS: 4 scenarios ${r4} kB, 20 scenarios ${r20} kB"
    [ "$(wc -l <rss.csv)" = 21 ] && ok "batch of 20: 20 rows" || bad "batch of 20: 20 rows"
    # with --json too: each run's report is streamed out, not held to the end (before, 0.18
    # MB a scenario: 11.5 MB for 4 scenarios, 18.2 MB for 40, a ratio of 1.58; now 1.03). The
    # ratio at N and 10N scenarios, not an absolute (builds differ). What is measured is the
    # memory held: glibc's mmap threshold is fixed (else a freed 28 MB of accumulators may
    # stay in the heap once, behind a small block: 26 MB at 20 scenarios, 55 MB at 40, 26 MB
    # at 80), and ASan's quarantine of freed memory (256 MB) kept small.
    rssj() { MALLOC_MMAP_THRESHOLD_=65536 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 /usr/bin/time -f %M \
             "$bin" batch $(for _ in $(seq "$1"); do echo s.cfg; done) -n 1024 -t 1 -q --json "rss$1.json" \
             --csv "rss$1.csv" 2>&1 >/dev/null | tail -1; }
    r4=$(rssj 4)
    r40=$(rssj 40)
    [ -n "$r4" ] && [ -n "$r40" ] && [ $((r40 * 100)) -lt $((r4 * 125)) ] \
        && ok "batch --json RSS: 4 scenarios ${r4} kB, 40 scenarios ${r40} kB (under 1.25x)" \
        || bad "batch --json RSS: 4 scenarios ${r4} kB, 40 scenarios ${r40} kB (1.25x or more)"
    python3 - <<'PY' && ok "batch of 40: the streamed JSON holds 40 runs and 40 table rows" || bad "batch of 40: the streamed JSON holds 40 runs and 40 table rows"
import json
d = json.load(open('rss40.json'))
assert len(d['runs']) == 40 and len(d['table']) == 40 and len(d['paired']) == 39, len(d['runs'])
assert all(r['scenario'] == d['table'][0]['scenario'] and r['complete'] for r in d['runs'])
PY
    "$bin" compare rss40.json rss40.json --exact -q && "$bin" batch s.cfg s.cfg -n 1024 -t 2 -q --json rss2t.json 2>err \
        && "$bin" batch s.cfg s.cfg -n 1024 -t 1 -q --json rss1t.json 2>err \
        && "$bin" compare rss2t.json rss1t.json --exact -q \
        && [ "$(grep -v '"elapsed_s"\|"paths_per_s"\|"threads"' rss1t.json | cksum)" = "$(grep -v '"elapsed_s"\|"paths_per_s"\|"threads"' rss2t.json | cksum)" ] \
        && ok "batch --json: the same bytes at 1 and 2 threads (timing aside)" \
        || bad "batch --json: the same bytes at 1 and 2 threads (timing aside)"
    no_tmp "a streamed batch JSON"
else
    ok "batch RSS # SKIP no /usr/bin/time"
    ok "batch of 20 # SKIP no /usr/bin/time"
    ok "batch --json RSS # SKIP no /usr/bin/time"
    ok "batch of 40 # SKIP no /usr/bin/time"
    ok "batch --json at 1 and 2 threads # SKIP no /usr/bin/time"
    ok "a streamed batch JSON: no temporary # SKIP no /usr/bin/time"
fi
# --- item 6: compare ----------------------------------------------------------------------
"$bin" run s.cfg -n 2048 -q --json c1.json 2>err
python3 - <<'PY'
import json, random
d = json.load(open('c1.json'))
d['metrics']['capex_burden']['se'] = -1.0
json.dump(d, open('cneg.json', 'w'))
d = json.load(open('c1.json'))
d['burden_exceedance'][list(d['burden_exceedance'])[0]] = 1.5
json.dump(d, open('cp15.json', 'w'))
d = json.load(open('c1.json'))
d['simd'] = 'none'; d['host'] = 'elsewhere'; d['threads'] = 99
json.dump(d, open('csimd.json', 'w'))
d = json.load(open('c1.json'))
for k in list(d['metrics'])[1:]:  # NEW lacks most metrics: more missing than tested before
    del d['metrics'][k]
d['quarters'] = {}
json.dump(d, open('cless.json', 'w'))
# two sweeps of 40,000 points (200 x 200) and two of 10,000 (100 x 100), NEW in shuffled order
for k, tag in ((200, ''), (100, '10k')):
    pts = [{'values': [i * 0.01, j * 0.01], 'paths': 1024, 'complete': True,
            'metrics': {'capex_burden': {'mean': 1.0 + i + j, 'se': 0.1, 'p5': 0, 'p50': 1, 'p95': 2}}}
           for i in range(k) for j in range(k)]
    doc = {'study': 'sweep', 'scenario': 'x', 'scenario_sha256': 'ab' * 32, 'seed': 1, 'paths': 1024,
           'threads': 1, 'sampling': 'mc', 'antithetic': False, 'version': 'x', 'complete': True,
           'axes': [{'name': 'a', 'values': [i * 0.01 for i in range(k)]},
                    {'name': 'b', 'values': [i * 0.01 for i in range(k)]}], 'points': pts}
    json.dump(doc, open('sw_base%s.json' % tag, 'w'))
    random.seed(1); random.shuffle(pts)
    json.dump(doc, open('sw_new%s.json' % tag, 'w'))
PY
"$bin" compare cneg.json c1.json -q 2>err
check "compare: a negative standard error is bad input" 2 $?
one_line "compare: a negative standard error" err
"$bin" compare c1.json cp15.json -q 2>err
check "compare: a probability of 1.5 is bad input" 2 $?
"$bin" compare csimd.json c1.json --exact >out 2>&1
check "compare --exact ignores simd, host and threads" 0 $?
grep -q 'ignored (provenance and timing):.*threads.*simd' out && ok "--exact says which fields it ignored" || bad "--exact says which fields it ignored"
"$bin" compare cless.json c1.json >out 2>&1
python3 - out <<'PY' && ok "compare: no more differ than were tested" || bad "compare: no more differ than were tested ($(tail -1 out))"
import re, sys
m = re.search(r'(\d+) statistics tested.*: (\d+) differ', open(sys.argv[1]).read())
sys.exit(0 if m and int(m.group(2)) <= int(m.group(1)) else 1)
PY
# How matching grows with the points, as a ratio of CPU seconds (user + system) measured in
# one run (no absolute time: machines and sanitizer builds differ): 4x the points took ~16x
# with the O(N^2) matching before (10.9 s for 40,000), ~4x now (parsing is linear too); the
# bound 8 lies between. Each timed twice, the faster kept.
cpu() { best=; for _ in 1 2; do t=$( { /usr/bin/time -f '%U %S' timeout 120 "$bin" compare "$@" -q; } 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'); best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }'); done; echo "$best"; }
if [ -x /usr/bin/time ]; then  # (Debian package time: bash .ci/setup test installs it)
    s40=$(cpu sw_new.json sw_base.json); s10=$(cpu sw_new10k.json sw_base10k.json)
    awk -v a="$s40" -v b="$s10" 'BEGIN { exit !(a != "" && b != "" && a < 8 * (b > 0.02 ? b : 0.02)) }' \
      && ok "compare: 4x the sweep points cost ${s40} s against ${s10} s of CPU (under 8x: O(N log N))" \
      || bad "compare: 4x the sweep points cost ${s40} s against ${s10} s of CPU (8x or more: quadratic?)"
else
    ok "compare: sweep matching time # SKIP no /usr/bin/time"
fi
echo "1..$n"; exit $((fails > 0))
