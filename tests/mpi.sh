#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# MPI runs (issue 12), TAP: under `mpirun --oversubscribe -np R` (R = 1, 2, 3, 5) and T
# threads, run, sweep and --target-ci give the same bytes as one process at one thread
# (timing, thread and rank fields aside); only rank 0 writes; Ctrl-C gives the partial
# report; a rank that dies fails the job and leaves existing outputs as they were. optimize
# (issue 21): each evaluation's blocks over the ranks, the same JSON as one process.
# Usage: mpi.sh PATH_TO_CAPEXSIM(-Dmpi=enabled) SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe)
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }
strip() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ('elapsed_s', 'paths_per_s', 'threads', 'ranks'):
    d.pop(k, None)
print(json.dumps(d))
PY
}
same() { [ -f "$2" ] && cmp -s <(strip "$1") <(strip "$2") || return 1; [ $# -lt 4 ] || cmp -s "$3" "$4"; }

echo "1..20"

# 20 blocks and a short one: rounds of 3 blocks split unevenly over 2, 3 and 5 ranks
ARGS=(--paths 20900 --round-blocks 3 -q)
"$BIN" run "${ARGS[@]}" -t 1 --json ref.json --csv refcsv
for rt in "1 1" "2 2" "3 1" "5 1" "3 2"; do
    set -- $rt
    rm -rf out.json outcsv
    "${MPIRUN[@]}" -np "$1" "$BIN" run "${ARGS[@]}" -t "$2" --json out.json --csv outcsv 2>err; rc=$?
    ranks=$(python3 -c "import json; print(json.load(open('out.json'))['ranks'])" 2>/dev/null)
    [ $rc -eq 0 ] && [ "$ranks" = "$1" ] && same ref.json out.json refcsv/quarters.csv outcsv/quarters.csv
    check "run at $1 ranks x $2 threads: same bytes as 1 process x 1 thread" $? "rc=$rc ranks=$ranks $(head -3 err)"
done

# the default round (256 blocks) over 3 ranks, fewer blocks than a round
"$BIN" run --paths 5000 -q -t 1 --json r2.json
"${MPIRUN[@]}" -np 3 "$BIN" run --paths 5000 -q -t 1 --json o2.json 2>err; rc=$?
[ $rc -eq 0 ] && same r2.json o2.json
check "run of 5 blocks over 3 ranks (one round): same bytes" $? "rc=$rc $(head -3 err)"

# --target-ci: the stop decision is rank 0's, taken on every rank's counts
TARGS=(--paths 300000 --target-ci capex_burden:0.5:0.05 -q)
"$BIN" run "${TARGS[@]}" -t 1 --json tref.json 2>/dev/null
"${MPIRUN[@]}" -np 3 "$BIN" run "${TARGS[@]}" -t 2 --json tout.json 2>err; rc=$?
p1=$(python3 -c "import json; print(json.load(open('tref.json'))['paths'])")
p3=$(python3 -c "import json; print(json.load(open('tout.json'))['paths'])" 2>/dev/null)
[ $rc -eq 0 ] && [ "$p1" -lt 300000 ] && same tref.json tout.json
check "--target-ci at 3 ranks x 2 threads stops at the same paths ($p1 / $p3), same bytes" $? "rc=$rc $(head -3 err)"

# Latin hypercube: replicate statistics need every block's values at rank 0
"$BIN" run "${ARGS[@]}" --sampling lhs -t 1 --json lhref.json
"${MPIRUN[@]}" -np 3 "$BIN" run "${ARGS[@]}" --sampling lhs -t 2 --json lhout.json 2>err; rc=$?
[ $rc -eq 0 ] && same lhref.json lhout.json
check "--sampling lhs at 3 ranks x 2 threads: same bytes" $? "rc=$rc $(head -3 err)"

# sweep: every point spread over the ranks
SW=(--paths 2100 -q)
"$BIN" sweep "${SW[@]}" -t 1 --json sref.json --csv sref.csv
"${MPIRUN[@]}" -np 3 "$BIN" sweep "${SW[@]}" -t 1 --json sout.json --csv sout.csv 2>err; rc=$?
[ $rc -eq 0 ] && same sref.json sout.json sref.csv sout.csv
check "sweep at 3 ranks: same bytes (JSON and CSV)" $? "rc=$rc $(head -3 err)"

# tornado (integer state: any order) and Sobol (block records folded in block order by rank 0)
"$BIN" tornado --paths 20000 -t 1 -q --json tref.json --csv tref.csv
"${MPIRUN[@]}" -np 3 "$BIN" tornado --paths 20000 -t 2 -q --json tout.json --csv tout.csv 2>err; rc=$?
[ $rc -eq 0 ] && same tref.json tout.json tref.csv tout.csv
check "tornado (79 blocks) at 3 ranks x 2 threads: same bytes (JSON and CSV)" $? "rc=$rc $(head -3 err)"
"$BIN" sobol --paths 2100 -t 1 -q --json sbref.json --csv sbref.csv
for np in 2 5; do
    "${MPIRUN[@]}" -np $np "$BIN" sobol --paths 2100 -t 1 -q --json sb$np.json --csv sb$np.csv 2>err; rc=$?
    [ $rc -eq 0 ] && same sbref.json sb$np.json sbref.csv sb$np.csv
    check "sobol (6 blocks) at $np ranks: same bytes (JSON and CSV)" $? "rc=$rc $(head -3 err)"
done

# only rank 0 writes the table
out=$("${MPIRUN[@]}" -np 3 "$BIN" run --paths 3000 -t 1 2>/dev/null | grep -c "^capex_burden ")  # (not capex_burden_pv)
[ "$out" = 1 ]
check "one table on stdout from 3 ranks" $? "tables: $out"

# commands that run in one process refuse a job of several (each rank would write the outputs)
"${MPIRUN[@]}" -np 2 "$BIN" batch "$ROOT/configs/meta-2026h1.cfg" "$ROOT/configs/spacex-2026.cfg" \
    --paths 2000 -q --json b.json 2>err; rc=$?
[ $rc -ne 0 ] && [ ! -e b.json ] && grep -q "capexsim batch: runs in one process, not under MPI" err
check "batch under mpirun -np 2: refused, no output" $? "rc=$rc $(head -3 err)"

# optimize (issue 21): every evaluation's blocks over the ranks, every rank taking rank 0's
# steps; the JSON of 1 process and of 3 ranks (and 2 ranks x 2 threads) the same but timing
cat >opt.cfg <<'CFG'
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
                  { metric = "capex_burden"; stat = "p_exceed"; threshold = 35.0; max = 0.2; } ); };
CFG
ostrip() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timing"); print(json.dumps(d, sort_keys=True))' "$1" 2>/dev/null; }
OARGS=(-n 5000 --check-paths 7000 --frontier 3)
"$BIN" optimize opt.cfg "${OARGS[@]}" -t 1 -q --json oref.json
"${MPIRUN[@]}" -np 3 "$BIN" optimize opt.cfg "${OARGS[@]}" -t 1 --json o3.json >o3.out 2>err; rc=$?
"${MPIRUN[@]}" -np 2 "$BIN" optimize opt.cfg "${OARGS[@]}" -t 2 -q --json o22.json 2>>err; rc2=$?
tables=$(grep -c "^Fresh-seed check" o3.out)
[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "$tables" = 1 ] && [ -n "$(ostrip oref.json)" ] &&
    [ "$(ostrip oref.json)" = "$(ostrip o3.json)" ] && [ "$(ostrip oref.json)" = "$(ostrip o22.json)" ] &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (len(d["frontier"]) == 3 and d["evaluations"] > 10))' oref.json
check "optimize with a frontier at 3 ranks and 2 ranks x 2 threads: the JSON of 1 process (timing aside), one table" $? \
    "rc=$rc rc2=$rc2 tables=$tables $(head -3 err)"

# the worked example (a deal's switch: two compiled variants) over 3 ranks
WARGS=(-n 2048 --check-paths 3000)
"$BIN" optimize "$ROOT/configs/meta-2026h1-optimize.cfg" "${WARGS[@]}" -t 1 -q --json wref.json
"${MPIRUN[@]}" -np 3 "$BIN" optimize "$ROOT/configs/meta-2026h1-optimize.cfg" "${WARGS[@]}" -t 1 -q \
    --json w3.json 2>err; rc=$?
[ $rc -eq 0 ] && [ -n "$(ostrip wref.json)" ] && [ "$(ostrip wref.json)" = "$(ostrip w3.json)" ]
check "optimize of configs/meta-2026h1-optimize.cfg at 3 ranks: the JSON of 1 process (timing aside)" $? \
    "rc=$rc $(head -3 err)"

# Ctrl-C on mpirun during the search: every rank stops at the same evaluation, rank 0 writes
# the best point so far with complete false
"${MPIRUN[@]}" -np 3 "$BIN" optimize opt.cfg -n 20000 --starts 64 --max-evals 1000 -t 1 \
    --json oint.json >oint.out 2>err & pid=$!
sleep 6
kill -INT $pid; wait $pid; rc=$?
partial=$(python3 -c "import json; d=json.load(open('oint.json')); print(d['complete'], d['evaluations'] > 0)" 2>&1)
[ $rc -ne 0 ] && [ "$partial" = "False True" ] && grep -q "capexsim: interrupted: reported the best point" err &&
    [ "$(grep -c "interrupted" err)" = 1 ]
check "Ctrl-C on mpirun during optimize: the best point so far from rank 0, complete false (mpirun exit $rc)" $? \
    "rc=$rc partial=$partial $(head -3 err)"

# Ctrl-C on mpirun: the ranks get SIGTERM, rank 0 writes the partial report. Signals are
# sent once blocks are done: once a checkpoint (saved after every round of 3 blocks) exists.
LONG=(--paths 2000000 -t 1 -q --round-blocks 3 --checkpoint-every 0)
started() { # started PID CHECKPOINT: wait (up to 60 s) for the first save
    for _ in $(seq 1 600); do [ -f "$2" ] && return 0; kill -0 "$1" 2>/dev/null || return 1; sleep 0.1; done
    return 1
}
"${MPIRUN[@]}" -np 3 "$BIN" run "${LONG[@]}" --json int.json --checkpoint int.ck 2>err & pid=$!
started $pid int.ck
kill -INT $pid; wait $pid; rc=$?
partial=$(python3 -c "import json; d=json.load(open('int.json')); print(d['complete'], 0 < d['paths'] < 2000000)" 2>&1)
[ $rc -ne 0 ] && [ "$partial" = "False True" ] && grep -q "capexsim: interrupted: reported" err
check "Ctrl-C on mpirun: partial report with complete false (mpirun exit $rc)" $? "rc=$rc partial=$partial $(head -3 err)"

# SIGTERM to every rank (a batch system's time limit, scancel): exit 130 and the report
"${MPIRUN[@]}" -np 3 "$BIN" run "${LONG[@]}" --json term.json --checkpoint term.ck 2>err & pid=$!
started $pid term.ck
kill -TERM $(pgrep -P $pid); wait $pid; rc=$?
partial=$(python3 -c "import json; d=json.load(open('term.json')); print(d['complete'])" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False" ]
check "SIGTERM to the ranks: exit 130, partial report" $? "rc=$rc partial=$partial $(head -3 err)"

# a rank that dies: the job fails, naming it; the existing output file is untouched
printf '{"old": true}\n' >dead.json
cp dead.json dead.before
"${MPIRUN[@]}" -np 3 "$BIN" run "${LONG[@]}" --json dead.json --checkpoint dead.ck 2>err & pid=$!
started $pid dead.ck
victim=$(pgrep -P $pid | tail -1)
kill -KILL "$victim"; wait $pid; rc=$?
[ $rc -ne 0 ] && grep -q "exited on signal 9" err && cmp -s dead.json dead.before &&
    [ -z "$(ls dead.json.tmp.* 2>/dev/null)" ]
check "a rank killed: the job fails (exit $rc) naming it, dead.json as it was" $? "rc=$rc $(cat err)"
exit 0
