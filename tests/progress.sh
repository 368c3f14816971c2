#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Progress on stderr (issue 23 item 5), TAP: with stderr a file, every long command (run,
# sweep, tornado, sobol, shapley, stress, batch, optimize) writes plain progress lines with
# --progress=SECONDS: monotone, ending at 100% for a complete run, without a control
# character; stdout and the JSON are the same bytes (but for timing) with and without them;
# a log gets lines without --progress only once the command runs longer than the interval;
# --no-progress and -q; an interrupted stress reports both columns on the same paths and an
# interrupted batch the paths that ran (SIGINT once the progress file shows the run going).
#   bash tests/progress.sh BUILD/capexsim SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
CFG=$ROOT/configs/meta-2026h1.cfg
unset CX_PROGRESS_INTERVAL
echo "1..15"
n=0
check() { # check NAME STATUS [DETAIL]
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; [ -n "${3:-}" ] && echo "# $3"; fi
}
# the progress lines of FILE: at least one; percentages never fall; no control character
# but the newline; with "end", the last at 100%
lines_ok() { # lines_ok FILE [end]
    python3 - "$@" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
bad = [c for c in data if (c < 0x20 and c != 0x0a) or c == 0x7f]
lines = [l for l in data.decode().splitlines() if l.startswith('capexsim: progress: ')]
pct = [float(re.search(r', ([0-9.]+)%, ', l).group(1)) for l in lines]
why = []
if bad: why.append('control characters %r' % sorted(set(bad))[:5])
if not lines: why.append('no progress line')
if any(b < a for a, b in zip(pct, pct[1:])): why.append('percentages fall: %r' % pct)
if len(sys.argv) > 2 and (not pct or pct[-1] != 100.0): why.append('last not 100%%: %r' % pct[-3:])
for l in lines:
    if not re.match(r'capexsim: progress: (.*: )?\d+/\d+ [a-z ]+, [0-9.]+%, \d+ [a-z ]+/s, elapsed \S+, ETA \S+', l):
        why.append('format: ' + l)
        break
if why:
    print('; '.join(why))
    sys.exit(1)
PY
}
# the JSON without what may differ between two runs of one binary: timing and threads
strip() {
    python3 - "$1" <<'PY'
import json, sys
def s(d):
    if isinstance(d, dict):
        return {k: s(v) for k, v in d.items()
                if k not in ('elapsed_s', 'paths_per_s', 'timing', 'setup_s', 'search_s', 'check_s')}
    if isinstance(d, list):
        return [s(x) for x in d]
    return d
print(json.dumps(s(json.load(open(sys.argv[1]))), sort_keys=True))
PY
}
# stdout without its times ("1.23 s", "456 paths/s", "(23.9 /s)")
untimed() { sed -E 's/[0-9]+\.[0-9]+ s\b/T s/g; s/[0-9.e+]+ (paths)?\/s/R \1\/s/g' "$1"; }
# waits (at most 60 s) until FILE holds a progress line
wait_progress() {
    for _ in $(seq 600); do
        grep -q '^capexsim: progress: ' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

cat >sweep.cfg <<'CFG'
horizon_months = 36;
supply = { tranches = ( { name = "a"; gw = { dist = "uniform"; low = 1.0; high = 5.0; };
  cost_per_gw_year = { dist = "uniform"; low = 9.0; high = 11.0; }; } ); };
msl = { schedule = ( (0, 1.0), (11, 2.0) ); };
market = { price0 = 12.0; drift = { dist = "uniform"; low = -0.2; high = 0.2; }; vol = 0.2; };
sweep = { inputs = ( { name = "supply.tranches.a.gw"; values = [1.5, 3.5, 5.5, 7.5]; } ); };
CFG

# One command with and without progress: the lines, then the same stdout and JSON.
# cmd NAME ARGS...: runs `capexsim ARGS --json` twice (--progress=0.05, --no-progress)
cmd() {
    local name=$1
    shift
    "$BIN" "$@" --threads 2 --json "$name.p.json" --progress=0.05 >"$name.p.out" 2>"$name.p.err"
    local rc1=$?
    "$BIN" "$@" --threads 2 --json "$name.n.json" --no-progress >"$name.n.out" 2>"$name.n.err"
    local rc2=$?
    local why
    why=$(lines_ok "$name.p.err" end)
    [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -z "$why" ] && ! grep -q 'progress' "$name.n.err" \
      && [ "$(strip "$name.p.json")" = "$(strip "$name.n.json")" ] \
      && [ "$(untimed "$name.p.out")" = "$(untimed "$name.n.out")" ]
    check "$name: --progress lines monotone to 100%, no control characters; same stdout and JSON" \
        $? "rc=$rc1/$rc2 $why $(tail -2 "$name.p.err" | tr '\n' '|')"
}
cmd run run "$CFG" --paths 600000
cmd sweep sweep sweep.cfg --paths 60000
cmd tornado tornado "$CFG" --paths 60000
cmd sobol sobol "$CFG" --paths 2048
cmd shapley shapley "$CFG" --paths 128
cmd stress stress "$ROOT/configs/stress.cfg" --paths 300000
cmd batch batch "$CFG" "$ROOT/configs/meta-2026h1-price-crash.cfg" --paths 100000
cmd optimize optimize "$ROOT/configs/meta-2026h1-optimize.cfg" --paths 1024 --starts 1 \
    --max-evals 4 --check-paths 2048

# A log without --progress: nothing from a run shorter than the interval (the default 10 s),
# lines once it runs longer (CX_PROGRESS_INTERVAL); never with --no-progress or -q alone;
# -q --progress asks for them.
"$BIN" run "$CFG" --paths 20000 --threads 2 >/dev/null 2>short.err; r1=$?
CX_PROGRESS_INTERVAL=0.02 "$BIN" run "$CFG" --paths 600000 --threads 2 >/dev/null 2>long.err; r2=$?
why=$(lines_ok long.err end)
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ ! -s short.err ] && [ -z "$why" ]
check "no --progress: no line from a short run, lines once a run is longer than the interval" $? "$why"
CX_PROGRESS_INTERVAL=0.02 "$BIN" run "$CFG" --paths 600000 --threads 2 --no-progress >/dev/null 2>np.err
CX_PROGRESS_INTERVAL=0.02 "$BIN" run "$CFG" --paths 600000 --threads 2 -q 2>q.err
CX_PROGRESS_INTERVAL=0.02 "$BIN" run "$CFG" --paths 600000 --threads 2 -q --progress 2>qp.err
why=$(lines_ok qp.err end)
[ ! -s np.err ] && [ ! -s q.err ] && [ -z "$why" ]
check "--no-progress and -q: none; -q --progress: lines (CX_PROGRESS_INTERVAL sets the interval)" \
    $? "$why $(head -c 300 np.err q.err)"
"$BIN" run "$CFG" --paths 1000 --progress=abc >bad.out 2>bad.err; rc=$?
"$BIN" tornado "$CFG" --paths 1000 --progress=0 >bad2.out 2>bad2.err; rc2=$?
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] && [ ! -s bad.out ] && [ "$(grep -vc '^Try ' bad.err)" = 1 ] \
  && grep -q -- "--progress: expected seconds" bad.err && grep -q -- "--progress" bad2.err
check "--progress=abc or =0: exit 2, one line naming the flag" $? "$(cat bad.err bad2.err)"
# the interval: lines at most every SECONDS, timed as they arrive (rounds of 16 blocks give
# the engine a report every 16384 paths, far more often than the interval); a quarter of a
# second and 3 million paths, so that even a fast machine (about 1.5 million paths a second
# at 2 threads) writes several lines: 1 s and 10^6 paths wrote a single line there
"$BIN" run "$CFG" --paths 3000000 --threads 2 -q --round-blocks 16 --progress=0.25 2>&1 >/dev/null \
  | python3 -c '
import sys, time
t = [(time.monotonic(), "100.0%" in l) for l in sys.stdin if l.startswith("capexsim: progress: ")]
gaps = [b[0] - a[0] for a, b in zip(t, t[1:]) if not b[1]]
print(len(t), " ".join("%.2f" % g for g in gaps))
sys.exit(0 if len(t) >= 3 and all(g >= 0.225 for g in gaps) else 1)' >iv.txt
check "--progress=0.25: a line at most every quarter second (the 100% line aside)" $? "lines, gaps: $(cat iv.txt)"

# An interrupted stress: both columns on the same paths (common random numbers).
"$BIN" stress "$ROOT/configs/stress.cfg" --paths 50000000 --threads 2 --json st.json \
    --progress=0.1 >st.out 2>st.err &
pid=$!
wait_progress st.err
kill -INT $pid
wait $pid; rc=$?
got=$(python3 -c "
import json; d = json.load(open('st.json'))
b, s = d['baseline'], d['stressed']
print(d['complete'], b['paths'] == s['paths'] == d['paths_done'], 0 < b['paths'] < 50000000,
      b['complete'], s['complete'], b['paths'])" 2>&1)
pd=${got##* }
[ $rc -eq 130 ] && [ "${got% *}" = "False True True False False" ] \
  && grep -q "^Stress of .*: $pd paths, .*(incomplete: interrupted; both runs on the same paths)" st.out \
  && grep -q "both stopped after $pd of 50000000 paths" st.err && [ -z "$(lines_ok st.err)" ]
check "SIGINT in stress: exit 130, baseline and stressed on the same paths in table and JSON" $? \
    "rc=$rc got=$got $(tail -2 st.err | tr '\n' '|')"

# An interrupted batch: the paths that ran, of which scenario (not the requested count).
"$BIN" batch "$CFG" "$ROOT/configs/meta-2026h1-price-crash.cfg" --paths 50000000 --threads 2 \
    --json b.json --progress=0.1 >b.out 2>b.err &
pid=$!
wait_progress b.err
kill -INT $pid
wait $pid; rc=$?
got=$(python3 -c "
import json; d = json.load(open('b.json'))
r = d['runs'][-1]; t = d['table'][-1]
print(d['complete'], len(d['runs']), t['paths'] == r['paths'], 0 < r['paths'] < 50000000, r['complete'], r['paths'])" 2>&1)
pd=${got##* }
[ $rc -eq 130 ] && [ "${got% *}" = "False 1 True True False" ] \
  && grep -q "^Batch: 1 of 2 scenarios, .*(incomplete: interrupted)" b.out \
  && grep -q "^  meta-2026h1: $pd of 50000000 paths (partial)" b.out \
  && grep -q "meta-2026h1 ran $pd of 50000000 paths" b.err && [ -z "$(lines_ok b.err)" ]
check "SIGINT in batch: exit 130, the heading, the JSON and the message give the paths that ran" \
    $? "rc=$rc got=$got $(head -3 b.out | tr '\n' '|') $(tail -1 b.err)"

# every long command's --help lists --progress and --no-progress
all=0
for c in run sweep tornado sobol shapley stress batch optimize resume; do
    h=$("$BIN" $c --help)
    grep -q -- "--progress\[=SECONDS\]" <<<"$h" && grep -q -- "--no-progress" <<<"$h" \
      || { all=1; echo "# $c --help lacks the progress flags"; }
done
check "every long command's --help lists --progress[=SECONDS] and --no-progress" $all
