#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line tests of capexsim (TAP): exit codes, messages, files, Ctrl-C.
# Usage: cli.sh PATH_TO_CAPEXSIM SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { # check NAME CONDITION-EXIT-STATUS [diagnostic]
    if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi
}
json_get() { # json_get FILE PYTHON-EXPR-ON-d
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

echo "1..40"

out=$("$BIN" --help); rc=$?
[ $rc -eq 0 ] && grep -q "run" <<<"$out" && grep -q "check" <<<"$out"
check "--help exits 0 and lists the commands" $?

out=$("$BIN" run --help); rc=$?
[ $rc -eq 0 ] && for o in --paths --seed --threads --json --csv --quiet; do grep -q -- "$o" <<<"$out" || exit 1; done \
  && grep -q "default" <<<"$out"
check "run --help exits 0 and lists every option with its default" $?

out=$("$BIN" --version); rc=$?
[ $rc -eq 0 ] && grep -q "^capexsim [0-9]" <<<"$out"
check "--version" $?

err=$("$BIN" run --paths abc 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -qF "capexsim: --paths: expected a positive integer, got 'abc'" <<<"$err" && grep -q -- "--help" <<<"$err"
check "bad --paths is a usage error (exit 2) with a message and a hint" $? "rc=$rc err=$err"

all=0
for bad in "--paths 0" "--paths -5" "--paths 12x" "--seed 99999999999999999999999" "--threads 0"; do
    "$BIN" run $bad >/dev/null 2>&1
    rc=$?
    [ $rc -eq 2 ] || { all=1; echo "# $bad: exit $rc"; }
done
check "zero, negative, trailing junk, overflow and zero threads are usage errors" $all

err=$("$BIN" run --frobnicate 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown option '--frobnicate'" <<<"$err"
check "unknown option exits 2" $? "rc=$rc err=$err"

err=$("$BIN" frob 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'frob'" <<<"$err"
check "unknown command exits 2" $?

err=$("$BIN" run "$TMP/no-such.cfg" --paths 10 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "no-such.cfg" <<<"$err" && grep -q "^capexsim: " <<<"$err"
check "missing scenario file exits 2 naming it" $? "rc=$rc err=$err"

all=0
for cfg in "$ROOT"/configs/*.cfg; do
    "$BIN" check "$cfg" >/dev/null 2>"$TMP/check.err" || { all=1; echo "# check $cfg: $(cat "$TMP/check.err")"; }
done
check "check exits 0 on every shipped config" $all

printf 'horizon_months = 36;\nmarket = { price0 = 12.0; };\nbogus_key = 1;\n' >"$TMP/bad.cfg"
err=$("$BIN" check "$TMP/bad.cfg" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "^capexsim: .*bad.cfg" <<<"$err"
check "check on an invalid config exits 2 with file in the message" $? "rc=$rc err=$err"

"$BIN" run --paths 3000 --seed 9 --threads 2 --json "$TMP/r.json" --csv "$TMP/csv" >"$TMP/table.txt" 2>"$TMP/run.err"; rc=$?
[ $rc -eq 0 ] && python3 -m json.tool "$TMP/r.json" >/dev/null
check "run --paths --json writes valid JSON" $? "rc=$rc $(cat "$TMP/run.err")"

[ "$(json_get "$TMP/r.json" "d['paths'], d['seed'], d['complete'], len(d['metrics']), sorted(d['metrics']['capex_burden']['percentiles'])==sorted(['p1','p5','p10','p25','p50','p75','p90','p95','p99'])")" = "3000 9 True 17 True" ]
check "JSON carries paths, seed, complete, every metric (the default's 15 and its 2 present values) and percentile" $?

grep -q "capex_burden" "$TMP/table.txt" && ! ls -A "$TMP" | grep -q '^\.capexsim-'
check "table on stdout, no temporary file left" $?

head -1 "$TMP/csv/quarters.csv" | grep -qx "quarter,series,mean,p5,p50,p95,label" && [ "$(wc -l <"$TMP/csv/quarters.csv")" -gt 3 ]
check "--csv writes the quarterly series (the default has start: a label column)" $?

"$BIN" run --paths 2000 --seed 9 --threads 1 --json "$TMP/r1.json" -q >"$TMP/q.out" 2>&1
"$BIN" run --paths 2000 --seed 9 --threads 3 --json "$TMP/r3.json" -q >>"$TMP/q.out" 2>&1
strip='json.dumps({k: v for k, v in d.items() if k not in ("threads", "elapsed_s", "paths_per_s")}, sort_keys=True)'
[ "$(json_get "$TMP/r1.json" "$strip")" = "$(json_get "$TMP/r3.json" "$strip")" ] && [ ! -s "$TMP/q.out" ]
check "same JSON at 1 and 3 threads; --quiet prints nothing" $?

"$BIN" run --paths 1000000000 --threads 2 --json "$TMP/int.json" -q >/dev/null 2>"$TMP/int.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] && [ "$(json_get "$TMP/int.json" "d['complete'], d['paths'] > 0, d['paths'] < 1000000000, d['paths'] % 1024 == 0")" = "False True True True" ]
check "SIGINT: exit 130, JSON of the completed blocks with complete false" $? "rc=$rc $(cat "$TMP/int.err")"

# Ctrl-C inside a block: a block of 1,024 paths with 1,000 spot offers a month over 240 months
# takes tens of seconds; the run stops within a batch of 64 paths, reports no path (the block
# is the unit of reproducibility) and exits 130 at once
sed -e 's/^horizon_months = 36;/horizon_months = 240;/' \
    -e 's/offers_per_month = { dist = "uniform"; low = 0.1; high = 0.6; };/offers_per_month = { dist = "uniform"; low = 999.0; high = 1000.0; };/' \
    -e 's/gw = { dist = "triangular"; low = 0.1; mode = 0.2; high = 0.5; };/gw = 0.0001;/' \
    "$ROOT/configs/meta-2026h1.cfg" >"$TMP/slow.cfg"
# (run, tornado and sobol each; the signal comes once set-up is done)
for c in run tornado sobol; do
    "$BIN" "$c" "$TMP/slow.cfg" --paths 2048 --threads 1 --json "$TMP/slow-$c.json" -q >/dev/null 2>"$TMP/slow.err" &
    pid=$!
    sleep 1.5
    t0=$(date +%s%N)
    kill -INT $pid
    wait $pid; rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ $rc -eq 130 ] && [ $ms -lt 8000 ] && grep -q "interrupted before any path completed" "$TMP/slow.err" &&
        [ ! -e "$TMP/slow-$c.json" ]
    check "SIGINT inside a slow $c block: exit 130 after $ms ms, no path reported" $? "rc=$rc $(cat "$TMP/slow.err")"
done

# Every option of every subcommand's --help states its default (continuation lines joined).
all=0
for c in run check sweep tornado sobol plot; do
    "$BIN" $c --help >"$TMP/help.txt" || { all=1; echo "# $c --help failed"; continue; }
    python3 - "$TMP/help.txt" "$c" <<'PY' || all=1
import re, sys
opts, cur = [], None
for line in open(sys.argv[1]):
    if re.match(r'^ {2,6}-', line):
        cur = [line.strip()]; opts.append(cur)
    elif cur is not None and re.match(r'^ {10,}\S', line):
        cur.append(line.strip())
    else:
        cur = None
bad = [o[0] for o in opts if not o[0].startswith('-h, --help') and 'default' not in ' '.join(o)]
if not opts or bad:
    print(f"# {sys.argv[2]}: options without a default: {bad or 'no options listed'}")
    sys.exit(1)
PY
done
check "every subcommand's --help lists each option with its default" $all

# The progress line: on stderr when it is a terminal (a pseudo-terminal from script), never
# with --quiet, never when stderr is not a terminal.
if command -v script >/dev/null; then
    script -qc "'$BIN' run --paths 300000 --threads 2 >/dev/null" /dev/null >"$TMP/tty.out" 2>&1
    script -qc "'$BIN' run --paths 300000 --threads 2 -q" /dev/null >"$TMP/ttyq.out" 2>&1
    # (a log gets lines only once a run is longer than the interval: tests/progress.sh)
    CX_PROGRESS_INTERVAL=600 "$BIN" run --paths 300000 --threads 2 >/dev/null 2>"$TMP/notty.err"
    grep -q "262144/300000 paths, [0-9.]*%, [0-9]* paths/s, elapsed [0-9]*s, ETA" "$TMP/tty.out" \
      && ! grep -q "paths/s" "$TMP/ttyq.out" \
      && ! grep -q "paths/s" "$TMP/notty.err"
    check "progress line only on a terminal and not with --quiet" $? "$(tr '\r' '\n' <"$TMP/tty.out" | head -3)"
else
    ok "progress line only on a terminal and not with --quiet # SKIP script(1) not installed"
fi

# --target-ci is checked every 16384 paths at first (engine.h), and stops at the same path
# for any thread count: a loose target stops long before the old 262144-path rounds.
"$BIN" run --target-ci capex_burden:0.95:0.05 --paths 10000000 --threads 1 -q --json "$TMP/tc1.json" 2>/dev/null
"$BIN" run --target-ci capex_burden:0.95:0.05 --paths 10000000 --threads 2 -q --json "$TMP/tc2.json" 2>/dev/null
tc=$(json_get "$TMP/tc1.json" "d['target_ci']['met'], d['paths'] % 16384 == 0, d['paths'] < 262144")
[ "$tc" = "True True True" ] && [ "$(json_get "$TMP/tc1.json" "$strip")" = "$(json_get "$TMP/tc2.json" "$strip")" ]
check "--target-ci stops at a 16384-path check, the same at 1 and 2 threads" $? "$tc"

# A run stopped because its target was met did what was asked (issue 23 item 4): complete,
# "stopped": "target met", no "(incomplete)" in the table; Ctrl-C stays incomplete (above).
"$BIN" run --target-ci capex_burden:0.95:0.05 --paths 10000000 --threads 2 --json "$TMP/tc3.json" >"$TMP/tc3.out" 2>/dev/null; rc=$?
tc=$(json_get "$TMP/tc3.json" "d['complete'], d.get('stopped'), d['paths'] < d['paths_requested']")
[ $rc -eq 0 ] && [ "$tc" = "True target met True" ] && ! grep -q "incomplete" "$TMP/tc3.out"
check "a run stopped by --target-ci is complete, \"stopped\": \"target met\", not \"(incomplete)\"" $? "rc=$rc $tc $(head -1 "$TMP/tc3.out")"

# Plausibility (issue 23 item 2): a tranche of 1000 GW (MW typed as GW) is a warning naming
# file, line, key, value and range in check, run and the run JSON; --strict makes it exit 2.
sed 's/name = "campus-a"; kind = "owned"; gw = 1.0;/name = "campus-a"; kind = "owned"; gw = 1000;/' \
    "$ROOT/configs/meta-2026h1.cfg" >"$TMP/mw.cfg"
line=$(grep -n 'name = "campus-a"; kind = "owned"; gw = 1000;' "$TMP/mw.cfg" | cut -d: -f1)
want="$TMP/mw.cfg:$line: supply.tranches.campus-a.gw: 1000 is outside the plausible range [0, 50] GW"
"$BIN" check "$TMP/mw.cfg" >/dev/null 2>"$TMP/mw1.err"; rc1=$?
"$BIN" check --strict "$TMP/mw.cfg" >/dev/null 2>"$TMP/mw2.err"; rc2=$?
"$BIN" run "$TMP/mw.cfg" -n 2048 -q --json "$TMP/mw.json" 2>"$TMP/mw3.err"; rc3=$?
"$BIN" run --strict "$TMP/mw.cfg" -n 2048 -q --json "$TMP/mw4.json" 2>/dev/null; rc4=$?
[ "$rc1$rc2$rc3$rc4" = "0202" ] && grep -qF "capexsim: warning: $want" "$TMP/mw1.err" \
  && grep -qF "capexsim: error: $want" "$TMP/mw2.err" && grep -qF "capexsim: warning: $want" "$TMP/mw3.err" \
  && [ "$(json_get "$TMP/mw.json" "any(w.startswith('$want') for w in d['warnings'])")" = True ] \
  && [ ! -e "$TMP/mw4.json" ] && "$BIN" check --strict "$ROOT/configs/meta-2026h1.cfg" >/dev/null 2>&1
check "implausible values warn in check, run and the JSON; --strict makes them errors (exit 2)" $? \
  "rc=$rc1$rc2$rc3$rc4 $(cat "$TMP/mw1.err")"

# Unknown names list the valid ones or the closest (issue 23 item 7).
e1=$("$BIN" tornado --metric burden -n 10 2>&1 >/dev/null); r1=$?
e2=$("$BIN" run --target-ci burden:0.9:0.1 -n 10 2>&1 >/dev/null); r2=$?
e3=$("$BIN" sobol --metric revenue_totl -n 10 2>&1 >/dev/null); r3=$?
[ "$r1$r2$r3" = 222 ] && grep -qF "unknown metric 'burden' (expected one of capex_burden, revenue_total," <<<"$e1" \
  && grep -qF "deals_clawed_back, capex_burden_pv, revenue_total_pv)" <<<"$e1" && grep -qF "unknown metric 'burden' (expected one of capex_burden," <<<"$e2" \
  && grep -qF "unknown metric 'revenue_totl' (did you mean 'revenue_total'?)" <<<"$e3"
check "an unknown metric lists the metrics, or names the closest" $? "rc=$r1$r2$r3 $e1 $e2 $e3"

# README.md's "Writing a scenario" example loads, runs, and has a burden (issue 23 item 3:
# without iaas.max_gw, unlimited resale made it 0 on every path).
awk '/^## Writing a scenario/{w=1} w && /^```/{n++; next} w && n==1' "$ROOT/README.md" >"$TMP/readme.cfg"
"$BIN" check --strict "$TMP/readme.cfg" >/dev/null 2>"$TMP/readme.err" \
  && "$BIN" run "$TMP/readme.cfg" -n 4096 -q --json "$TMP/readme.json" 2>>"$TMP/readme.err" \
  && [ "$(json_get "$TMP/readme.json" "d['metrics']['capex_burden']['mean'] > 0")" = True ]
check "README's example scenario runs with a burden mean > 0" $? "$(cat "$TMP/readme.err") $(head -3 "$TMP/readme.cfg")"

# Ctrl-C in the studies, as in run: what is complete is written, marked, exit code 130.
"$BIN" tornado --paths 1000000000 --threads 2 --json "$TMP/tor.json" --csv "$TMP/tor.csv" -q >/dev/null 2>"$TMP/tor.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] && [ "$(json_get "$TMP/tor.json" "d['complete'], 0 < d['paths'] < d['paths_requested'] == 1000000000, d['paths'] % d['block_paths'] == 0")" = "False True True" ] \
  && head -1 "$TMP/tor.csv" | grep -q ',complete$' && [ "$(tail -n +2 "$TMP/tor.csv" | cut -d, -f12 | sort -u)" = "false" ] \
  && grep -q "interrupted: reported" "$TMP/tor.err"
check "SIGINT in tornado: exit 130, JSON and CSV of the completed blocks marked incomplete" $? "rc=$rc $(cat "$TMP/tor.err")"

cat >"$TMP/sweep.cfg" <<'CFG'
horizon_months = 36;
supply = { tranches = ( { name = "a"; gw = { dist = "uniform"; low = 1.0; high = 5.0; };
  cost_per_gw_year = { dist = "uniform"; low = 9.0; high = 11.0; }; } ); };
msl = { schedule = ( (0, 1.0), (11, 2.0) ); };
market = { price0 = 12.0; drift = { dist = "uniform"; low = -0.2; high = 0.2; }; vol = 0.2; };
sweep = { inputs = ( { name = "supply.tranches.a.gw"; values = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]; } ); };
CFG
"$BIN" sweep "$TMP/sweep.cfg" --paths 4000000 --threads 2 --json "$TMP/sw.json" --csv "$TMP/sw.csv" -q >/dev/null 2>"$TMP/sw.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid; rc=$?
# finished points (complete), then at most one partial point; fewer points than the sweep has
flags=$(json_get "$TMP/sw.json" "d['complete'], ''.join('T' if p['complete'] else 'F' for p in d['points'])")
csvflags=$(awk -F, 'NR > 1 && $2 == "capex_burden" { printf "%s", ($8 == "true" ? "T" : "F") }' "$TMP/sw.csv")
[ $rc -eq 130 ] && [[ "$flags" =~ ^False\ T*F?$ ]] && [ "${flags#False }" != "" ] \
  && [ ${#csvflags} -lt 8 ] && [ "$csvflags" = "${flags#False }" ]
check "SIGINT in sweep: exit 130, finished points and the partial one marked in JSON and CSV" $? "rc=$rc flags=$flags csv=$csvflags $(cat "$TMP/sw.err")"

# ---- issue 11: output targets are checked before any work; only regular files are written.
ln -s "$TMP/target.json" "$TMP/link.json"
mkfifo "$TMP/fifo.out"
all=0
for t in "--json $TMP/link.json" "--json /dev/null" "--json $TMP/fifo.out" "--json $TMP/no-dir/r.json" \
         "--json $TMP" "--csv $TMP/no-dir/sub" "--csv $TMP/table.txt"; do
    start=$(date +%s%N)
    timeout 20 "$BIN" run --paths 100000000 -q $t >/dev/null 2>"$TMP/o.err"; rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/o.err")" -eq 1 ] && grep -q "^capexsim: --" "$TMP/o.err" && [ $ms -lt 5000 ] \
      || { all=1; echo "# $t: rc $rc ${ms} ms: $(cat "$TMP/o.err")"; }
done
for c in tornado sweep; do
    timeout 20 "$BIN" $c "$TMP/sweep.cfg" --paths 100000000 -q --csv "$TMP/link.json" >/dev/null 2>"$TMP/o.err"; rc=$?
    [ $rc -eq 2 ] && grep -q "symbolic link" "$TMP/o.err" || { all=1; echo "# $c: rc $rc: $(cat "$TMP/o.err")"; }
done
"$BIN" compare "$TMP/r1.json" "$TMP/r3.json" -q --json "$TMP/link.json" >/dev/null 2>"$TMP/o.err"; rc=$?
[ $rc -eq 2 ] && grep -q "symbolic link" "$TMP/o.err" || { all=1; echo "# compare: rc $rc: $(cat "$TMP/o.err")"; }
[ $all -eq 0 ] && [ -L "$TMP/link.json" ] && [ ! -e "$TMP/target.json" ] && [ -p "$TMP/fifo.out" ]
check "symlink, device, FIFO, folder, missing folder as output: exit 2 at once, nothing replaced" $?

long=$(printf 'x%.0s' $(seq 250))
"$BIN" run --paths 2000 -q --json "$TMP/$long.json" --export-paths "$TMP/$long.exp" >/dev/null 2>"$TMP/o.err"; rc=$?
"$BIN" tornado "$TMP/sweep.cfg" --paths 600 -q --json "$TMP/$long.tjs" --csv "$TMP/$long.tcs" >/dev/null 2>>"$TMP/o.err"; rc2=$?
"$BIN" sweep "$TMP/sweep.cfg" --paths 100 -q --csv "$TMP/$long.scs" >/dev/null 2>>"$TMP/o.err"; rc3=$?
[ "$rc$rc2$rc3" = 000 ] && python3 -m json.tool "$TMP/$long.json" >/dev/null && [ -s "$TMP/$long.exp" ] \
  && [ -s "$TMP/$long.tcs" ] && [ -s "$TMP/$long.scs" ] && ! ls -A "$TMP" | grep -q '^\.capexsim-'
check "255-character file names work for every output flag (short temporary names)" $? "rc=$rc$rc2$rc3 $(cat "$TMP/o.err")"

# --threads is capped at what can be used: one per block, a few per core.
"$BIN" run --paths 1000 --threads 1024 -q --json "$TMP/th.json" >/dev/null 2>&1; rc1=$?
"$BIN" tornado "$TMP/sweep.cfg" --paths 600 --threads 4096 -q --json "$TMP/tht.json" >/dev/null 2>&1; rc2=$?
"$BIN" sobol "$TMP/sweep.cfg" --paths 2048 --threads 4096 -q --json "$TMP/ths.json" >/dev/null 2>&1; rc3=$?
sobol_cap=$(( 4 * $(nproc) < 8 ? 4 * $(nproc) : 8 ))  # 8 blocks of 256 base samples
"$BIN" sweep "$TMP/sweep.cfg" --paths 1000 --threads 4096 -q --json "$TMP/thw.json" >/dev/null 2>&1; rc4=$?
[ "$rc1$rc2$rc3$rc4" = 0000 ] && [ "$(json_get "$TMP/th.json" "d['threads']")" = 1 ] \
  && [ "$(json_get "$TMP/tht.json" "d['threads']")" = 3 ] && [ "$(json_get "$TMP/ths.json" "d['threads']")" = "$sobol_cap" ] \
  && [ "$(json_get "$TMP/thw.json" "d['threads']")" = 1 ]
check "--threads capped at one per block: run, tornado, sobol, sweep" $? "rc $rc1$rc2$rc3$rc4"

cores=$(nproc)
"$BIN" run --paths 10000000 --threads 4096 -q --target-ci capex_burden:0.5:0.5 --json "$TMP/thc.json" >/dev/null 2>&1
t=$(json_get "$TMP/thc.json" "d['threads']")
[ "$t" -le $((4 * cores)) ] && [ "$t" -ge 1 ]
check "--threads capped at 4 per core" $? "threads=$t cores=$cores"

# Hostile scenarios (issue 11): every message is one line naming file, line and key; exit 2.
mkdir -p "$TMP/hs/folder"
base='supply = { tranches = ( { name = "a"; gw = 1.0; cost_per_gw_year = 10.0; } ); };
market = { price0 = 12.0; };'
printf '%s\n@include "folder"\n' "$base" >"$TMP/hs/dir.cfg"
printf 'run = { paths = 9999999999; };\n' >"$TMP/hs/inc.cfg"
printf '%s\n@include "inc.cfg"\n' "$base" >"$TMP/hs/wrap.cfg"
printf '%s\nrun = { seed = 99999999999999999999999L; };\n' "$base" >"$TMP/hs/wrap64.cfg"
printf 'name = "a\\nb\\x1b[2J";\n%s\n' "$base" >"$TMP/hs/name.cfg"
printf '%s\nmarket = { price0 = 3.0; };\n' "$base" >"$TMP/hs/dup.cfg"
printf '%s\ndeals = { spot = { gw = 0.1; offers_per_month = 1e300; }; };\n' "$base" >"$TMP/hs/offers.cfg"
all=0
for c in "dir:3: @include \"folder\": cannot read: Is a directory" "inc:1: run.paths: integer 9999999999" \
         "wrap64:3: run.seed: integer 99999999999999999999999L does not fit in 64 bits" \
         "name:1: name: must be printable" "dup:3: market: duplicate setting name" \
         "offers:3: deals.spot.offers_per_month: must be in [0, 1000]"; do
    f=${c%%:*}; [ "$f" = inc ] && f=wrap
    timeout 20 "$BIN" run "$TMP/hs/$f.cfg" --paths 1 -q >/dev/null 2>"$TMP/hs.err"; rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/hs.err")" -eq 1 ] && grep -qF -- "${c#*:}" "$TMP/hs.err" \
      && ! grep -q $'\x1b' "$TMP/hs.err" || { all=1; echo "# $f: rc $rc: $(cat -v "$TMP/hs.err")"; }
done
check "hostile scenarios: include of a folder, wrapping literals, names, duplicates, absurd offers" $all

# a scenario whose file name holds an escape sequence: shown with '?' on the terminal
esc=$'\x1b[31mred'
printf '%s\n' "$base" >"$TMP/hs/$esc.cfg"
out=$("$BIN" run "$TMP/hs/$esc.cfg" --paths 100 2>&1); rc=$?
err=$("$BIN" run --paths $'1\n\x1b[2J' 2>&1); rc2=$?
[ $rc -eq 0 ] && ! grep -q $'\x1b' <<<"$out" && grep -q "scenario ?\[31mred" <<<"$out" \
  && [ $rc2 -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 2 ] && ! grep -q $'\x1b' <<<"$err"
check "escape sequences in a file name or an argument never reach the terminal raw" $? "rc=$rc $rc2"

# sobol (issue 20): too few base samples is a usage error naming the minimum, not nan;
# --target-ci adds samples until every half-width is met; --order input keeps scenario order.
err=$("$BIN" sobol "$TMP/sweep.cfg" --paths 10 -q 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "at least 2048 are needed" <<<"$err" \
  && ! grep -qi nan <<<"$err"
check "sobol below the minimum size: exit 2, one line naming the minimum" $? "rc=$rc $err"
"$BIN" sobol "$TMP/sweep.cfg" --paths 2048 --target-ci 0.04 --order input -q --json "$TMP/sbt.json" \
  >/dev/null 2>"$TMP/sbt.err"; rc=$?
"$BIN" sobol "$TMP/sweep.cfg" --paths 2048 --target-ci 0 -q >/dev/null 2>&1; rc2=$?
"$BIN" sobol "$TMP/sweep.cfg" --paths 2048 --order size -q >/dev/null 2>&1; rc3=$?
"$BIN" tornado "$TMP/sweep.cfg" --paths 2048 --order input -q >/dev/null 2>&1; rc4=$?
[ "$rc$rc2$rc3$rc4" = 0222 ] && python3 - "$TMP/sbt.json" <<'PY2'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d['indices']]
hw = max(max(r['s1_ci95'][1] - r['s1'], r['s1'] - r['s1_ci95'][0], r['st_ci95'][1] - r['st'],
             r['st'] - r['st_ci95'][0]) for r in rows)
assert hw <= 0.04 + 1e-12, hw
assert d['base_samples'] > 2048, d['base_samples']
assert d['target_ci']['met'] and d['order'] == 'input', (d['target_ci'], d['order'])
PY2
check "sobol --target-ci W meets W with more samples; bad --target-ci, --order refused (exit 2)" $? "rc=$rc$rc2$rc3$rc4 $(cat "$TMP/sbt.err")"

# .ci/setup without root and without sudo: names the missing packages and says they need
# root (a fake id and dpkg-query, and a PATH without sudo).
mkdir -p "$TMP/nosudo"
for t in dirname grep; do ln -sf "$(command -v $t)" "$TMP/nosudo/$t"; done
printf '#!/bin/sh\necho 1000\n' >"$TMP/nosudo/id"
printf '#!/bin/sh\nexit 1\n' >"$TMP/nosudo/dpkg-query"
chmod +x "$TMP/nosudo/id" "$TMP/nosudo/dpkg-query"
err=$(PATH="$TMP/nosudo" "$(command -v bash)" "$ROOT/.ci/setup" build 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "missing Debian packages: meson" <<<"$err" && grep -q "needs root" <<<"$err" \
  && ! grep -q "command not found" <<<"$err"
check ".ci/setup without root or sudo names the missing packages" $? "rc=$rc $err"


# MODEL.md, Calendar and Present value: bad starts are one line naming file, line and key
# (exit 2); without the keys no trace of them in any output; with them, labels and *_pv.
all=0
for bad in '"2026-13"' '"26-07"' '202607' '"2026-7"'; do
    printf 'horizon_months = 7;\nstart = %s;\nsupply = { tranches = ( { name = "a"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\nmarket = { price0 = 12.0; };\n' "$bad" >"$TMP/cal.cfg"
    err=$("$BIN" run "$TMP/cal.cfg" --paths 10 -q 2>&1 >/dev/null); rc=$?
    { [ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qE "cal.cfg:2: start: expected (a calendar month|a string)" <<<"$err"; } \
      || { all=1; echo "# start = $bad: rc=$rc $err"; }
done
check "a bad start (2026-13, 26-07, a number, 2026-7) is a config error, one line, exit 2" $all

printf 'horizon_months = 7;\nsupply = { tranches = ( { name = "a"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\nmarket = { price0 = { dist = "uniform"; low = 10.0; high = 12.0; }; };\nmsl = { schedule = ((0, 0.4)); p_success = 0.5; };\n' >"$TMP/nokey.cfg"
"$BIN" run "$TMP/nokey.cfg" --paths 3000 --seed 5 --json "$TMP/nk.json" --csv "$TMP/nkcsv" --export-paths "$TMP/nk.csv" >"$TMP/nk.txt"
json_get "$TMP/nk.json" '"start" not in d and "discount_rate" not in d and not any(k.endswith("_pv") for k in d["metrics"]) and "label" not in d["quarters"]["revenue"][0]' | grep -qx True \
  && [ "$(head -1 "$TMP/nkcsv/quarters.csv")" = "quarter,series,mean,p5,p50,p95" ] \
  && ! grep -q "_pv" "$TMP/nk.csv" "$TMP/nk.txt" && ! grep -q "month 0 is" "$TMP/nk.txt"
check "without start and report.discount_rate: no labels, no present values, in text, JSON, CSV and export" $?

{ cat "$TMP/nokey.cfg"; printf 'start = "2026-07";\nreport = { discount_rate = 0.0; };\n'; } >"$TMP/key.cfg"
"$BIN" run "$TMP/key.cfg" --paths 3000 --seed 5 --json "$TMP/k.json" --csv "$TMP/kcsv" --export-paths "$TMP/k.csv" >"$TMP/k.txt"
python3 - "$TMP/nk.json" "$TMP/k.json" "$TMP/k.csv" <<'PY'
import csv, json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["start"] == "2026-07" and b["discount_rate"] == 0
assert [q["label"] for q in b["quarters"]["revenue"]] == ["2026Q3", "2026Q4", "2027Q1"]
for k in a["metrics"]:
    assert a["metrics"][k] == b["metrics"][k], k  # the keys change no number
assert b["metrics"]["capex_burden_pv"] == b["metrics"]["capex_burden"]  # r = 0
assert b["metrics"]["revenue_total_pv"] == b["metrics"]["revenue_total"]
for row in csv.DictReader(open(sys.argv[3])):
    assert row["capex_burden_pv"] == row["capex_burden"] and row["revenue_total_pv"] == row["revenue_total"]
PY
[ $? -eq 0 ] && [ "$(head -2 "$TMP/kcsv/quarters.csv" | tail -1 | cut -d, -f7)" = "2026Q3" ] \
  && grep -q "^capex_burden_pv" "$TMP/k.txt" && grep -q "2027Q1" "$TMP/k.txt"
check "with start = 2026-07 and discount_rate 0: calendar quarters, *_pv equal to the plain metrics, the same numbers" $?

[ $fails -eq 0 ]
