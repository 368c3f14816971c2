#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checkpoint and resume (issue 12), TAP: runs and sweeps killed with SIGKILL at random
# moments (a loop; the delays are printed) and resumed at other thread counts give the same
# bytes as an uninterrupted run; Ctrl-C saves; foreign, edited, truncated or damaged
# checkpoints are refused with one line and exit 2; so are (issue 25) hash-valid edits that
# make the fields disagree, files that are not regular or too large, and a second process on
# a checkpoint in use.
# Usage: ckpt.sh PATH_TO_CAPEXSIM SOURCE_ROOT [RUNNER...]
#   RUNNER (e.g. "mpirun --oversubscribe -np 3") prefixes the interrupted and resumed runs,
#   whose results must equal the plain reference run's (tests/meson.build, MPI builds).
set -u
BIN=$1
ROOT=$2
shift 2
RUN=("$@")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }
# the JSON without its timing, thread and rank fields (they may differ; nothing else may)
strip() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ('elapsed_s', 'paths_per_s', 'threads', 'ranks'):
    d.pop(k, None)
print(json.dumps(d))
PY
}
same() { # same REF.json OUT.json [REF.csv OUT.csv]
    [ -f "$2" ] && cmp -s <(strip "$1") <(strip "$2") || return 1
    [ $# -lt 4 ] || cmp -s "$3" "$4"
}
now() { date +%s.%N; }
# SIGKILL a run: under a RUNNER its ranks first (a machine that dies), then the runner
killall_of() { [ ${#RUN[@]} -gt 0 ] && kill -KILL $(pgrep -P "$1") 2>/dev/null; kill -KILL "$1" 2>/dev/null; }
# Ctrl-C: alone SIGINT; under mpirun the ranks get SIGTERM (what mpirun or a batch system sends)
interrupt() { if [ ${#RUN[@]} -gt 0 ]; then kill -TERM $(pgrep -P "$1"); else kill -INT "$1"; fi; }
# a random delay in (0.05, max] seconds, as text
delay() { python3 -c "import random; print(round(random.uniform(0.05, $1), 2))"; }

KILLS=${CX_CKPT_KILLS:-5}
echo "1..$((KILLS + 35))"

RUNARGS=(--paths 60000 --round-blocks 4 -q)
t0=$(now)
"$BIN" run "${RUNARGS[@]}" -t 1 --json ref.json --csv refcsv
t_run=$(python3 -c "print(max(0.3, $(now) - $t0))")
# a runner's start-up (mpirun's), added to the moments to kill at
t0=$(now)
"${RUN[@]}" "$BIN" --version >/dev/null
t_start=$(python3 -c "print(round($(now) - $t0, 2) if ${#RUN[@]} else 0)")
t_run=$(python3 -c "print($t_run + $t_start)")

# 1. run: SIGKILL at a random moment (once or twice), then resume; same bytes
for i in $(seq 1 "$KILLS"); do
    rm -rf ck out.json outcsv
    d1=$(delay "$t_run")
    "${RUN[@]}" "$BIN" run "${RUNARGS[@]}" -t 2 --json out.json --csv outcsv --checkpoint ck \
        --checkpoint-every 0 & pid=$!
    sleep "$d1"; killall_of $pid; wait $pid 2>/dev/null
    d2=-
    if [ $((i % 2)) -eq 0 ] && [ -f ck ]; then # kill the resumed run too
        d2=$(delay "$t_run")
        "${RUN[@]}" "$BIN" resume ck -t 1 & pid=$!
        sleep "$d2"; killall_of $pid; wait $pid 2>/dev/null
    fi
    if [ -f ck ]; then
        "${RUN[@]}" "$BIN" resume ck -t $((1 + i % 3)) 2>err; rc=$?
    else # killed before the first save: the same command starts afresh
        "${RUN[@]}" "$BIN" run "${RUNARGS[@]}" -t 2 --json out.json --csv outcsv --checkpoint ck 2>err; rc=$?
    fi
    [ $rc -eq 0 ] && same ref.json out.json refcsv/quarters.csv outcsv/quarters.csv
    check "run killed after ${d1}s (resume killed after ${d2}s), resumed at $((1 + i % 3)) threads: same bytes" $? "rc=$rc $(cat err)"
done

# 2. Ctrl-C saves the checkpoint and writes the partial report; resume finishes it. The
# signal goes once the first round is saved (a run long enough not to end first, however
# fast the engine is).
CARGS=(--paths 1000000 --round-blocks 2 -q)
"$BIN" run "${CARGS[@]}" -t 2 --json cref.json --csv crefcsv
rm -rf ck out.json outcsv
"${RUN[@]}" "$BIN" run "${CARGS[@]}" -t 2 --json out.json --csv outcsv --checkpoint ck \
    --checkpoint-every 0 & pid=$!
for _ in $(seq 1 600); do [ -f ck ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
interrupt $pid; wait $pid; rc=$?
partial=$(python3 -c "import json; d=json.load(open('out.json')); print(d['complete'], d['paths'] < 1000000)" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False True" ] && [ -f ck ]
check "Ctrl-C: exit 130, partial report (complete false) and a checkpoint" $? "rc=$rc partial=$partial"
"${RUN[@]}" "$BIN" resume ck -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same cref.json out.json crefcsv/quarters.csv outcsv/quarters.csv
check "resume after Ctrl-C: same bytes as the uninterrupted run" $? "rc=$rc $(cat err)"

# 3. the same command again resumes (a batch job resubmitted); a finished checkpoint reports
"${RUN[@]}" "$BIN" run "${CARGS[@]}" -t 2 --json again.json --checkpoint ck 2>err; rc=$?
[ $rc -eq 0 ] && same cref.json again.json
check "the same command on a finished checkpoint reports the same bytes" $? "rc=$rc $(cat err)"

# 4. sweep: SIGKILL at random moments, resume, same bytes
SWARGS=(--paths 1500 --round-blocks 1 -q)
t0=$(now)
"$BIN" sweep "${SWARGS[@]}" -t 1 --json sref.json --csv sref.csv
t_sw=$(python3 -c "print(max(0.3, $(now) - $t0) + $t_start)")
all=0; ds=""
for i in $(seq 1 "${CX_CKPT_SWEEPS:-3}"); do
    rm -f sck sout.json sout.csv
    d=$(delay "$t_sw"); ds="$ds $d"
    "${RUN[@]}" "$BIN" sweep "${SWARGS[@]}" -t 2 --json sout.json --csv sout.csv --checkpoint sck \
        --checkpoint-every 0 & pid=$!
    sleep "$d"; killall_of $pid; wait $pid 2>/dev/null
    if [ -f sck ]; then
        "${RUN[@]}" "$BIN" resume sck -t $i 2>err || { all=1; cat err; }
    else
        "${RUN[@]}" "$BIN" sweep "${SWARGS[@]}" -t 2 --json sout.json --csv sout.csv --checkpoint sck 2>err || all=1
    fi
    same sref.json sout.json sref.csv sout.csv || { all=1; echo "# differs after a kill at ${d}s"; }
done
check "sweep killed at${ds} s and resumed: same bytes (JSON and CSV)" $all

# 5. --target-ci (the stop decision is part of the state): kill, resume, same bytes
TARGS=(--paths 200000 --target-ci capex_burden:0.5:0.05 -q)
"$BIN" run "${TARGS[@]}" -t 1 --json tref.json 2>/dev/null
rm -f tck tout.json
"${RUN[@]}" "$BIN" run "${TARGS[@]}" -t 2 --json tout.json --checkpoint tck --checkpoint-every 0 2>/dev/null & pid=$!
sleep "$(delay "$t_run")"; killall_of $pid; wait $pid 2>/dev/null
if [ -f tck ]; then "${RUN[@]}" "$BIN" resume tck -t 2 2>err; else
    "${RUN[@]}" "$BIN" run "${TARGS[@]}" -t 2 --json tout.json --checkpoint tck 2>err; fi
rc=$?
[ $rc -eq 0 ] && same tref.json tout.json
check "--target-ci run killed and resumed: stops at the same paths, same bytes" $? "rc=$rc $(cat err)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["complete"] is True and d.get("stopped") == "target met" and d["paths"] < d["paths_requested"]))' tout.json
check "a resumed run that --target-ci stopped is complete, \"stopped\": \"target met\"" $?

# 5b. Latin hypercube (replicate statistics: the blocks' values are part of the state)
LARGS=(--paths 40000 --round-blocks 3 --sampling lhs -q)
"$BIN" run "${LARGS[@]}" -t 1 --json lref.json
rm -f lck lout.json
"${RUN[@]}" "$BIN" run "${LARGS[@]}" -t 2 --json lout.json --checkpoint lck --checkpoint-every 0 & pid=$!
sleep "$(python3 -c "print(round($t_run / 2 + $t_start, 2))")"; interrupt $pid; wait $pid 2>/dev/null
if [ -f lck ]; then "${RUN[@]}" "$BIN" resume lck -t 1 2>err; else
    "${RUN[@]}" "$BIN" run "${LARGS[@]}" -t 2 --json lout.json --checkpoint lck 2>err; fi
rc=$?
[ $rc -eq 0 ] && same lref.json lout.json
check "--sampling lhs interrupted mid-round and resumed: same bytes" $? "rc=$rc $(cat err)"

# 6. refusals: one line naming the file, exit 2, nothing written
refused() { # refused NAME EXPECTED-TEXT command...
    local name=$1 text=$2; shift 2
    "$@" >/dev/null 2>err; local rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -qF -- "$text" err
    check "$name" $? "rc=$rc $(cat err)"
}
refused "another seed is refused" "checkpoint of another run (the seed differs)" \
    "$BIN" run "${CARGS[@]}" --seed 7 --checkpoint ck
refused "another number of paths is refused" "(the number of paths differs)" \
    "$BIN" run --paths 1000001 --round-blocks 2 -q --checkpoint ck
head -c 20000 ck >trunc
refused "a truncated checkpoint is refused" "trunc: damaged or truncated checkpoint" "$BIN" resume trunc
cp ck dmg
python3 - <<'PY'
import os
size = os.path.getsize('dmg')
with open('dmg', 'r+b') as f:
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0x10]))
PY
refused "a checkpoint with one bit flipped is refused" "dmg: damaged or truncated checkpoint" "$BIN" resume dmg
printf 'capexsim? no\n' >foreign
refused "a file that is not a checkpoint is refused" "foreign: not a capexsim checkpoint" "$BIN" resume foreign
# a scenario that includes a file: an edit to the included file is seen
mkdir -p sc
grep -v '^tornado = ' "$ROOT/configs/meta-2026h1.cfg" >sc/main.cfg
printf '@include "inc.cfg"\n' >>sc/main.cfg
printf 'tornado = { metric = "capex_burden"; };\n' >sc/inc.cfg
"$BIN" run sc/main.cfg --paths 3000 -q --checkpoint inc.ck 2>err
printf 'tornado = { metric = "revenue_total"; };\n' >sc/inc.cfg
refused "an edited included file is refused on resume" "has changed since the checkpoint was written" \
    "$BIN" resume inc.ck

# 7. untrusted checkpoints (issue 25): edits with the SHA-256 recomputed, so only the checks
# of the fields can refuse them. craft IN OUT EDIT...: EDIT is paths=N (the identity),
# command=NAME, target=TEXT (a --target-ci the run had), paths_done=N or blocks_done=N or
# next_block=N (the first state), level=J:Q (the first state's J-th replicate level, from 0).
craft() {
    python3 - "$@" <<'PY'
import hashlib, struct, sys
src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
b = bytearray(open(src, 'rb').read())
body = b[:-32]
off = 8
fmt = struct.unpack_from('<I', body, off)[0]; off += 8
def s(o):  # a string: u32 length and the bytes
    return o + 4 + struct.unpack_from('<I', body, o)[0]
def opt(o):  # u8 present?, then a string
    return s(o + 1) if body[o] else o + 1
off = s(off)                    # version
cmd_at = off; off = s(off)      # command
off = opt(off) + 32 + 8         # scenario, digest, seed
paths_at = off; off += 8 + 4 + 1
target_at = off
off = opt(off) + 4              # target, round_blocks
off = opt(opt(off)) + 1 + 8     # json, csv, quiet, every_s
off = opt(off) if fmt >= 4 else off  # the study's options
n_ended = struct.unpack_from('<I', body, off)[0]; off += 4
off += 0 if n_ended else 1      # none ended: the state in progress, after its u8
state = off + 8 + (1 if fmt >= 2 else 0)  # the first state's next_block
for e in edits:
    k, v = e.split('=')
    if k == 'format':
        struct.pack_into('<I', body, 8, int(v))
    elif k == 'command':
        n = struct.unpack_from('<I', body, cmd_at)[0]
        body[cmd_at:cmd_at + 4 + n] = struct.pack('<I', len(v)) + v.encode()
        state += len(v) - n
    elif k == 'target':
        assert body[target_at] == 1, 'the run had no --target-ci'
        n = struct.unpack_from('<I', body, target_at + 1)[0]
        body[target_at + 1:target_at + 5 + n] = struct.pack('<I', len(v)) + v.encode()
        state += len(v) - n
    elif k == 'level':  # after the state's counters: the accumulator's shape, its levels
        j, q = v.split(':')
        acc = state + 24 + 1 + 8
        nt = struct.unpack_from('<I', body, acc + 4)[0]
        struct.pack_into('<d', body, acc + 16 + 8 * nt + 4 + 8 * int(j), float(q))
    else:
        at = {'paths': paths_at, 'next_block': state, 'paths_done': state + 8,
              'blocks_done': state + 16}[k]
        struct.pack_into('<Q', body, at, int(v))
open(dst, 'wb').write(body + hashlib.sha256(body).digest())
PY
}
# a small run, whole
"$BIN" run --paths 6144 --round-blocks 2 -q --checkpoint small.ck -t 1 2>err
"$BIN" resume small.ck -q -t 1 >/dev/null 2>>err; check "a real small checkpoint resumes" $? "$(cat err)"
craft small.ck p64.ck paths=18446744073709551615
refused "paths = 2^64-1 is refused naming the field" "p64.ck: damaged checkpoint (paths: 18446744073709551615" \
    "$BIN" resume p64.ck
craft small.ck cnt.ck paths_done=4096
refused "paths_done edited against the accumulators is refused" "cnt.ck: damaged checkpoint (ended run 1, paths_done: 4096" \
    "$BIN" resume cnt.ck
craft small.ck blk.ck blocks_done=4
refused "blocks_done edited against next_block is refused" "blk.ck: damaged checkpoint (ended run 1, blocks_done: 4" \
    "$BIN" resume blk.ck
craft small.ck more.ck paths=8192
refused "paths requested edited above the paths done (a run that did not end) is refused" \
    "more.ck: damaged checkpoint (ended run 1, runs ended" "$BIN" resume more.ck
craft small.ck over.ck paths_done=8192
refused "paths_done above the paths requested is refused" "over.ck: damaged checkpoint (ended run 1, paths_done: 8192" \
    "$BIN" resume over.ck
craft small.ck sw.ck command=sweep
refused "command changed from run to sweep is refused" "sw.ck: damaged checkpoint (ended run 1, command: sweep" \
    "$BIN" resume sw.ck
# a checkpoint of format 2 (before the outcome breakdown joined the accumulator, issue 20)
craft small.ck old.ck format=2
refused "a format 2 checkpoint (no outcome breakdown) is refused by its format" \
    "old.ck: checkpoint format 2, this capexsim reads format 4" "$BIN" resume old.ck
# replicate levels (LHS keeps batch quantiles at the report's percentiles) edited to other
# levels in (0, 1): the engine refused them only as the run resumed ("run failed: argument out
# of range", exit 1); now the reader, naming the field. In an ended run and in a run in progress.
"$BIN" run --paths 6144 --round-blocks 2 --sampling lhs -q --checkpoint lhs.ck -t 1 2>err
"$BIN" resume lhs.ck -q -t 1 >/dev/null 2>>err; check "a real LHS checkpoint resumes" $? "$(cat err)"
craft lhs.ck lvl.ck level=3:0.35
refused "a replicate level edited (0.25 -> 0.35) is refused naming the field" \
    "lvl.ck: damaged checkpoint (ended run 1, replicate levels: level 4 is 0.34999999999999998, this run keeps 0.25)" \
    "$BIN" resume lvl.ck -q -t 1
craft lhs.ck lvl0.ck level=0:0.02
refused "the first replicate level edited (0.01 -> 0.02) is refused naming the field" \
    "lvl0.ck: damaged checkpoint (ended run 1, replicate levels: level 1 is 0.02" "$BIN" resume lvl0.ck -q -t 1
"$BIN" run --paths 4000000 --round-blocks 4 --sampling lhs -q --checkpoint lhsp.ck --checkpoint-every 0 -t 1 2>/dev/null & pid=$!
for _ in $(seq 1 600); do [ -f lhsp.ck ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -INT $pid; wait $pid
craft lhsp.ck lvlp.ck level=5:0.6
refused "a replicate level edited in a run in progress is refused naming the field" \
    "lvlp.ck: damaged checkpoint (run in progress 1, replicate levels: level 6 is 0.59999999999999998, this run keeps 0.75)" \
    "$BIN" resume lvlp.ck -q -t 1
# the --target-ci of the run edited: a quantile that is not in (0, 1) was refused as a flag
# the user never gave (two lines); another quantile changes the levels kept (exit 1 before)
"$BIN" run --paths 6144 --round-blocks 2 --sampling lhs --target-ci capex_burden:0.97:0.000001 \
    -q --checkpoint lhst.ck -t 1 2>err
craft lhst.ck tq.ck target=capex_burden:1.97:0.000001
refused "a --target-ci edited to a quantile of 1.97 is refused as the checkpoint's field" \
    "tq.ck: damaged checkpoint (target: --target-ci: the quantile must be a number in (0, 1), got '1.97')" \
    "$BIN" resume tq.ck -q -t 1
craft lhst.ck tq2.ck target=capex_burden:0.95:0.000001
refused "a --target-ci edited to another quantile is refused by its replicate levels" \
    "tq2.ck: damaged checkpoint (ended run 1, replicate levels: 10 levels, this run keeps 9)" \
    "$BIN" resume tq2.ck -q -t 1
# not regular files, and a file larger than any checkpoint of its run: refused at once
mkfifo fifo
refused "a FIFO is refused at once (resume)" "fifo: not a checkpoint (not a regular file but a FIFO)" \
    timeout 10 "$BIN" resume fifo
refused "a FIFO is refused at once (run --checkpoint)" "fifo: not a checkpoint (not a regular file but a FIFO)" \
    timeout 10 "$BIN" run --paths 2000 -q --checkpoint fifo
# a memory limit where it does not hinder a sanitizer's shadow memory, so that a reader
# without a bound fails fast instead of filling the machine
lim() { if ldd "$BIN" 2>/dev/null | grep -q 'lib[al]san'; then "$@"; else (ulimit -v 4000000; "$@"); fi; }
refused "/dev/zero is refused at once" "/dev/zero: not a checkpoint (not a regular file but a device)" \
    lim timeout 10 "$BIN" resume /dev/zero
refused "run --checkpoint /dev/full is refused at once" "/dev/full: not a checkpoint (not a regular file but a device)" \
    lim timeout 10 "$BIN" run --paths 2000 -q --checkpoint /dev/full
cp small.ck sparse.ck && truncate -s 3G sparse.ck
t0=$(now)
refused "a 3 GB sparse checkpoint is refused by its size, unread" "sparse.ck: damaged checkpoint (file size: more than the" \
    lim timeout 10 "$BIN" resume sparse.ck
python3 -c "import sys; sys.exit(0 if $(now) - $t0 < 5 else 1)"
check "... within 5 s" $?
rm -f sparse.ck
# two resumes of one checkpoint: the second is refused at once, naming the first one's pid
"$BIN" run "${CARGS[@]}" -t 1 --checkpoint lk --checkpoint-every 0 2>/dev/null & pid=$!
for _ in $(seq 1 600); do [ -f lk ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -INT $pid; wait $pid
"$BIN" resume lk -t 1 -q 2>/dev/null & p1=$!
for _ in $(seq 1 100); do [ -s lk.lock ] && break; sleep 0.1; done
refused "a second resume of a checkpoint in use is refused naming the first one's pid" \
    "lk: in use by another capexsim (pid $p1," timeout 20 "$BIN" resume lk -t 1 -q
kill -INT $p1 2>/dev/null; wait $p1
"$BIN" resume lk -t 1 -q 2>err; rc=$?
[ $rc -eq 0 ] && [ ! -e lk.lock ]
check "once the first has ended the checkpoint resumes, and its lock is gone" $? "rc=$rc $(cat err)"
exit 0
