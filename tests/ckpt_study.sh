#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checkpoints of the studies (issue 23, item 6), TAP: a study started with --checkpoint,
# stopped by Ctrl-C once its first checkpoint is written and resumed (`capexsim resume`, at
# another thread count) gives the same bytes (JSON and CSV, timing and thread fields aside) as
# the same study never stopped; the same at 1 and 2 threads; checkpoints that are damaged (a
# bit flipped) or edited with their SHA-256 recomputed (issue 25: the study's fields checked
# against the study and each other, the command against the state) are refused with one line
# naming the file and the field, exit 2.
# Usage: ckpt_study.sh PATH_TO_CAPEXSIM SOURCE_ROOT
set -u
BIN=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi; }
# the JSON without its timing and thread fields, at any depth (a stress holds its runs'
# reports): they may differ, nothing else may
strip() {
    python3 - "$1" <<'PY'
import json, sys
def strip(d):
    if isinstance(d, dict):
        return {k: strip(v) for k, v in d.items()
                if k not in ('elapsed_s', 'paths_per_s', 'threads', 'ranks')}
    return [strip(v) for v in d] if isinstance(d, list) else d
print(json.dumps(strip(json.load(open(sys.argv[1])))))
PY
}
same() { # same REF.json OUT.json [REF.csv OUT.csv]
    [ -f "$2" ] && cmp -s <(strip "$1") <(strip "$2") || return 1
    [ $# -lt 4 ] || cmp -s "$3" "$4"
}
# waits (at most 60 s) for FILE to be written by PID, then sends it Ctrl-C and waits for it;
# its exit code in $rc
interrupt_after() {
    local file=$1 pid=$2
    for _ in $(seq 1 1200); do [ -f "$file" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -INT "$pid" 2>/dev/null
    wait "$pid"; rc=$?
}
refused() { # refused NAME EXPECTED-TEXT command...
    local name=$1 text=$2; shift 2
    "$@" >/dev/null 2>err; local rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -qF -- "$text" err
    check "$name" $? "rc=$rc $(cat err)"
}
# ecraft IN OUT RUN EDIT: an engine-state checkpoint (stress) with the state of run RUN (1:
# the first ended) edited, its SHA-256 recomputed. EDIT: paths_done=N, or n_all=+1 (the first
# count of the run's observer state, the sections': its merged state ends the run's state)
ecraft() {
    python3 - "$@" <<'PY'
import hashlib, struct, sys
src, dst, run, edit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b = bytearray(open(src, 'rb').read())
body = b[:-32]
off = 8
fmt = struct.unpack_from('<I', body, off)[0]; off += 8
def s(o):
    return o + 4 + struct.unpack_from('<I', body, o)[0]
def opt(o):
    return s(o + 1) if body[o] else o + 1
off = s(off); off = s(off)
off = opt(off) + 32 + 8 + 8 + 4 + 1
off = opt(off) + 4
off = opt(opt(off)) + 1 + 8
off = opt(off)
n_ended = struct.unpack_from('<I', body, off)[0]; off += 4
assert run <= n_ended
for _ in range(run - 1):
    off += 8 + struct.unpack_from('<Q', body, off)[0]
n = struct.unpack_from('<Q', body, off)[0]; st = off + 8; end = st + n
k, v = edit.split('=')
if k == 'paths_done':
    struct.pack_into('<Q', body, st + 1 + 8, int(v))
else:  # the observer part: u64 block bytes, u64 length, the merged state (to the end)
    # the sections' block state: int n, int pad, 1024 burden and 1024 revenue values
    at = next(p for p in range(end - 16, st, -1)
              if p + 16 + struct.unpack_from('<Q', body, p + 8)[0] == end
              and struct.unpack_from('<Q', body, p)[0] == 8 + 2 * 1024 * 8)
    o = at + 16
    struct.pack_into('<Q', body, o, struct.unpack_from('<Q', body, o)[0] + int(v))
open(dst, 'wb').write(body + hashlib.sha256(body).digest())
PY
}

# the runs that ended in the checkpoint FILE (0 while the first is in progress)
ended() {
    python3 - "$1" <<'PY'
import struct, sys
body = open(sys.argv[1], 'rb').read()[:-32]
off = 16
def s(o):
    return o + 4 + struct.unpack_from('<I', body, o)[0]
def opt(o):
    return s(o + 1) if body[o] else o + 1
off = s(off); off = s(off)
off = opt(off) + 32 + 8 + 8 + 4 + 1
off = opt(off) + 4
off = opt(opt(off)) + 1 + 8
print(struct.unpack_from('<I', body, opt(off))[0])
PY
}

# craft IN OUT EDIT...: a study's checkpoint with fields edited and its SHA-256 recomputed.
# EDIT: command=NAME (the identity's), kind=N (the state's command byte), or a tornado state
# field: block_paths, inputs, metric, round_blocks (u32), next_block (u64), or a Sobol state
# field: sobol.stages, sobol.next_block, or shapley.next_block; a value with a
# sign (+1, -1) is added to the field's
craft() {
    python3 - "$@" <<'PY'
import hashlib, struct, sys
src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
b = bytearray(open(src, 'rb').read())
body = b[:-32]
off = 8
fmt = struct.unpack_from('<I', body, off)[0]; off += 8
assert fmt >= 4
def s(o):  # a string: u32 length and the bytes
    return o + 4 + struct.unpack_from('<I', body, o)[0]
def opt(o):  # u8 present?, then a string
    return s(o + 1) if body[o] else o + 1
off = s(off)                    # version
cmd_at = off; off = s(off)      # command
off = opt(off) + 32 + 8 + 8 + 4 + 1  # scenario, digest, seed, paths, sampling, antithetic
off = opt(off) + 4              # target, round_blocks
off = opt(opt(off)) + 1 + 8     # json, csv, quiet, every_s
off = opt(off)                  # the study's options
# a study's file: no run ended, one in progress (its length, then the state)
study = struct.unpack_from('<I', body, off)[0] == 0 and body[off + 4] == 1
state = off + 4 + 1 + 8
fields = {'kind': (state, '<B'), 'block_paths': (state + 1, '<I'), 'inputs': (state + 5, '<I'),
          'metric': (state + 9, '<I'), 'round_blocks': (state + 13, '<I'),
          'next_block': (state + 17, '<Q'),
          # sobol: u32 block_paths, indices, d; u64 base; f64 target; u64 cap; u32 stages; ...
          'sobol.stages': (state + 37, '<I'), 'sobol.next_block': (state + 57, '<Q'),
          # shapley: u32 block_perms, players, batches; u64 perms; u8 crn; u32 round; u64 next
          'shapley.next_block': (state + 26, '<Q')}
for e in edits:
    k, v = e.split('=')
    if k == 'command':
        n = struct.unpack_from('<I', body, cmd_at)[0]
        body[cmd_at:cmd_at + 4 + n] = struct.pack('<I', len(v)) + v.encode()
        delta = len(v) - n
        fields = {f: (at + delta, t) for f, (at, t) in fields.items()}
    else:
        assert study
        at, t = fields[k]
        old = struct.unpack_from(t, body, at)[0]
        struct.pack_into(t, body, at, old + int(v) if v[0] in '+-' else int(v))
open(dst, 'wb').write(body + hashlib.sha256(body).digest())
PY
}

echo "1..52"

# ---- tornado ----
TARGS=(--paths 400000 -q)
"$BIN" tornado "${TARGS[@]}" -t 1 --json tref.json --csv tref.csv
"$BIN" tornado "${TARGS[@]}" -t 2 --json tref2.json --csv tref2.csv
same tref.json tref2.json tref.csv tref2.csv
check "tornado: the same bytes at 1 and 2 threads (the reference)" $?

# 1. Ctrl-C once the first checkpoint is saved: exit 130, partial result; resume: same bytes
"$BIN" tornado "${TARGS[@]}" -t 2 --json t.json --csv t.csv --checkpoint tck --round-blocks 128 \
    --checkpoint-every 0 & pid=$!
interrupt_after tck $pid
partial=$(python3 -c "import json; d=json.load(open('t.json')); print(d['complete'], d['paths'] < 400000)" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False True" ] && [ -f tck ]
check "tornado: Ctrl-C after the first save: exit 130, partial result, a checkpoint" $? "rc=$rc partial=$partial"
cp tck tck.saved
"$BIN" resume tck -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same tref.json t.json tref.csv t.csv
check "tornado: resumed at 1 thread: the same bytes as the study never stopped" $? "rc=$rc $(cat err)"

# 2. interrupted twice, resumed at 2 threads
"$BIN" tornado "${TARGS[@]}" -t 1 --json u.json --csv u.csv --checkpoint uck --round-blocks 64 \
    --checkpoint-every 0 & pid=$!
interrupt_after uck $pid
"$BIN" resume uck -t 2 --checkpoint-every 0 2>/dev/null & pid=$!
sleep 0.3; kill -INT $pid 2>/dev/null; wait $pid
"$BIN" resume uck -t 2 2>err; rc=$?
[ $rc -eq 0 ] && same tref.json u.json tref.csv u.csv
check "tornado: interrupted twice, resumed at 2 threads: the same bytes" $? "rc=$rc $(cat err)"

# 3. the same command on a finished checkpoint reports the same bytes
"$BIN" tornado "${TARGS[@]}" -t 2 --json again.json --checkpoint tck --round-blocks 128 2>err; rc=$?
[ $rc -eq 0 ] && same tref.json again.json
check "tornado: the same command on a finished checkpoint reports the same bytes" $? "rc=$rc $(cat err)"

# 4. refusals: another study's options, another command, a damaged file, edited fields
refused "tornado: another metric is refused" "tck: checkpoint of another run (the study's options differs)" \
    "$BIN" tornado "${TARGS[@]}" --metric revenue_total --round-blocks 128 --checkpoint tck
"$BIN" run --paths 2048 -q --checkpoint run.ck 2>/dev/null
refused "tornado: a run's checkpoint is refused" "run.ck: checkpoint of another run (the command differs)" \
    "$BIN" tornado --paths 2048 -q --checkpoint run.ck
cp tck.saved dmg
python3 - <<'PY'
import os
size = os.path.getsize('dmg')
with open('dmg', 'r+b') as f:
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0x10]))
PY
refused "tornado: a checkpoint with one bit flipped is refused" "dmg: damaged or truncated checkpoint" \
    "$BIN" resume dmg
craft tck.saved k.ck kind=0
refused "tornado: a state whose command byte says run is refused" \
    "k.ck: damaged checkpoint (command: tornado, but its state is a run's)" "$BIN" resume k.ck
craft tck.saved c.ck command=run
refused "tornado: command changed to run is refused" "c.ck: damaged checkpoint (study options: set, for a run)" \
    "$BIN" resume c.ck
craft tck.saved nb.ck next_block=1000000
refused "tornado: next_block past the study's blocks is refused" \
    "nb.ck: damaged checkpoint (tornado state, next_block: 1000000, the study has 1563 blocks)" "$BIN" resume nb.ck
craft tck.saved nb2.ck next_block=-1
refused "tornado: next_block edited against the paths counted is refused" \
    "nb2.ck: damaged checkpoint (tornado state, paths counted:" "$BIN" resume nb2.ck
craft tck.saved m.ck metric=1
refused "tornado: the state's metric edited against the identity's is refused" \
    "m.ck: damaged checkpoint (tornado state, metric: 1, this study has 0)" "$BIN" resume m.ck

# issue 25: the checkpoint is an output that no other output and no input may be
refused "tornado: --json onto the checkpoint is refused" "--json same.x: is also the output --checkpoint (same.x)" \
    "$BIN" tornado --paths 1000 -q --checkpoint same.x --json same.x
refused "shapley: --csv onto the checkpoint is refused" "--csv s.x: is also the output --checkpoint (s.x)" \
    "$BIN" shapley --paths 512 -q --checkpoint s.x --csv s.x
refused "stress: the checkpoint onto the scenario is refused" "is also the scenario" \
    "$BIN" stress "$ROOT/configs/meta-2026h1.cfg" --input msl.p_success:0.9:1 --paths 1000 -q \
    --checkpoint "$ROOT/configs/meta-2026h1.cfg"
# a second process on a study's checkpoint in use is refused at once, naming the first's pid
"$BIN" tornado "${TARGS[@]}" -t 1 --checkpoint lk --round-blocks 16 --checkpoint-every 0 & p1=$!
for _ in $(seq 1 600); do [ -s lk.lock ] && [ -f lk ] && break; sleep 0.05; done
refused "tornado: a second resume of a checkpoint in use is refused naming the first one's pid" \
    "lk: in use by another capexsim (pid $p1," timeout 20 "$BIN" resume lk -t 1 -q
kill -INT $p1 2>/dev/null; wait $p1

# ---- sobol: its own driver; the state is the folded accumulator and the stage schedule ----
OARGS=(--paths 16384 -q)
"$BIN" sobol "${OARGS[@]}" -t 1 --json oref.json --csv oref.csv 2>/dev/null
"$BIN" sobol "${OARGS[@]}" -t 2 --json oref2.json --csv oref2.csv 2>/dev/null
same oref.json oref2.json oref.csv oref2.csv
check "sobol: the same bytes at 1 and 2 threads (the reference)" $?

# 8. Ctrl-C once the first checkpoint is saved; resume at 1 thread
"$BIN" sobol "${OARGS[@]}" -t 2 --json o.json --csv o.csv --checkpoint ock --round-blocks 4 \
    --checkpoint-every 0 2>/dev/null & pid=$!
interrupt_after ock $pid
partial=$(python3 -c "import json; d=json.load(open('o.json')); print(d['complete'], d['base_samples'] < 16384)" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False True" ] && [ -f ock ]
check "sobol: Ctrl-C after the first save: exit 130, partial result, a checkpoint" $? "rc=$rc partial=$partial"
cp ock ock.saved
"$BIN" resume ock -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same oref.json o.json oref.csv o.csv
check "sobol: resumed at 1 thread: the same bytes as the study never stopped" $? "rc=$rc $(grep -v warning err)"

# 9. --target-ci: stopped in a later stage (the schedule is part of the state), resumed at 2
TCARGS=(--paths 4096 --target-ci 0.015 --max-paths 30000 -q)
"$BIN" sobol "${TCARGS[@]}" -t 1 --json cref.json --csv cref.csv 2>/dev/null
"$BIN" sobol "${TCARGS[@]}" -t 1 --json c.json --csv c.csv --checkpoint cck --round-blocks 4 \
    --checkpoint-every 0 2>/dev/null & pid=$!
for _ in $(seq 1 1200); do
    [ -f cck ] && [ "$(python3 -c "
import struct
b = open('cck', 'rb').read()[:-32]
o = 16
s = lambda o: o + 4 + struct.unpack_from('<I', b, o)[0]
opt = lambda o: s(o + 1) if b[o] else o + 1
o = s(s(o)); o = opt(o) + 53; o = opt(o) + 4; o = opt(opt(o)) + 9; o = opt(o) + 13
print(struct.unpack_from('<I', b, o + 37)[0])" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break; sleep 0.05
done
kill -INT $pid 2>/dev/null; wait $pid; rc=$?
[ $rc -eq 130 ]
check "sobol --target-ci: Ctrl-C in the second stage: exit 130" $? "rc=$rc"
"$BIN" resume cck -t 2 2>err; rc=$?
[ $rc -eq 0 ] && same cref.json c.json cref.csv c.csv
check "sobol --target-ci: resumed at 2 threads: the same stages and bytes" $? "rc=$rc $(grep -v warning err)"

# 10. refusals
refused "sobol: another --target-ci is refused" "cck: checkpoint of another run (the study's options differs)" \
    "$BIN" sobol --paths 4096 --target-ci 0.02 --max-paths 30000 -q --round-blocks 4 --checkpoint cck
cp ock.saved odmg
python3 - <<'PY'
import os
size = os.path.getsize('odmg')
with open('odmg', 'r+b') as f:
    f.seek(size - 100)
    b = f.read(1)
    f.seek(size - 100)
    f.write(bytes([b[0] ^ 0x04]))
PY
refused "sobol: a checkpoint with one bit flipped is refused" "odmg: damaged or truncated checkpoint" \
    "$BIN" resume odmg
craft ock.saved ok.ck kind=2
refused "sobol: a state whose command byte says tornado is refused" \
    "ok.ck: damaged checkpoint (command: sobol, but its state is a tornado's)" "$BIN" resume ok.ck
craft ock.saved os.ck sobol.stages=3
refused "sobol: the stage count edited against the schedule is refused" \
    "os.ck: damaged checkpoint (sobol state, stage: stage 3" "$BIN" resume os.ck
craft ock.saved on.ck sobol.next_block=+4
refused "sobol: next_block edited against the accumulator is refused" \
    "on.ck: damaged checkpoint (sobol state, batches:" "$BIN" resume on.ck

# ---- shapley: its own driver; the state is the batches folded and the round's done blocks ----
HARGS=(--paths 1024 -q)
"$BIN" shapley "${HARGS[@]}" -t 1 --json href.json --csv href.csv 2>/dev/null
"$BIN" shapley "${HARGS[@]}" -t 2 --json href2.json --csv href2.csv 2>/dev/null
same href.json href2.json href.csv href2.csv
check "shapley: the same bytes at 1 and 2 threads (the reference)" $?

# 11. Ctrl-C once the first checkpoint is saved, resume at 1 thread; again at 2
"$BIN" shapley "${HARGS[@]}" -t 2 --json h.json --csv h.csv --checkpoint hck --round-blocks 4 \
    --checkpoint-every 0 2>/dev/null & pid=$!
interrupt_after hck $pid
partial=$(python3 -c "import json; d=json.load(open('h.json')); print(d['complete'])" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False" ] && [ -f hck ]
check "shapley: Ctrl-C after the first save: exit 130, partial result, a checkpoint" $? "rc=$rc partial=$partial"
cp hck hck.saved
"$BIN" resume hck -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same href.json h.json href.csv h.csv
check "shapley: resumed at 1 thread: the same bytes as the study never stopped" $? "rc=$rc $(cat err)"
cp hck.saved hck2
"$BIN" resume hck2 -t 2 --json h2.json --csv h2.csv 2>err; rc=$?
[ $rc -eq 0 ] && same href.json h2.json href.csv h2.csv
check "shapley: the same checkpoint resumed at 2 threads: the same bytes" $? "rc=$rc $(cat err)"

# 12. refusals
refused "shapley: another --crn is refused" "hck: checkpoint of another run (the study's options differs)" \
    "$BIN" shapley "${HARGS[@]}" --crn --round-blocks 4 --checkpoint hck
cp hck.saved hdmg
python3 - <<'PY'
import os
size = os.path.getsize('hdmg')
with open('hdmg', 'r+b') as f:
    f.seek(size - 200)
    b = f.read(1)
    f.seek(size - 200)
    f.write(bytes([b[0] ^ 0x80]))
PY
refused "shapley: a checkpoint with one bit flipped is refused" "hdmg: damaged or truncated checkpoint" \
    "$BIN" resume hdmg
craft hck.saved hn.ck shapley.next_block=+1
refused "shapley: next_block edited against the batches is refused" \
    "hn.ck: damaged checkpoint (shapley state, batches: batch" "$BIN" resume hn.ck
craft hck.saved hx.ck shapley.next_block=100000
refused "shapley: next_block past the study's blocks is refused" \
    "hx.ck: damaged checkpoint (shapley state, next_block: 100000, the study has 64 blocks)" "$BIN" resume hx.ck

# ---- stress: two engine runs (baseline, stressed) with their sections observers ----
SC="$ROOT/configs/meta-2026h1.cfg"
SARGS=("$SC" --input msl.p_success:0.9:1 --paths 200000 -q)
"$BIN" stress "${SARGS[@]}" -t 1 --json sref.json --csv sref.csv
"$BIN" stress "${SARGS[@]}" -t 2 --json sref2.json --csv sref2.csv
same sref.json sref2.json sref.csv sref2.csv
check "stress: the same bytes at 1 and 2 threads (the reference)" $?

# 5. Ctrl-C once the first checkpoint is saved (in the baseline), resume at 1 thread
"$BIN" stress "${SARGS[@]}" -t 2 --json s.json --csv s.csv --checkpoint sck --round-blocks 8 \
    --checkpoint-every 0 & pid=$!
interrupt_after sck $pid
partial=$(python3 -c "import json; d=json.load(open('s.json')); print(d['complete'])" 2>&1)
[ $rc -eq 130 ] && [ "$partial" = "False" ] && [ -f sck ]
check "stress: Ctrl-C after the first save: exit 130, partial result, a checkpoint" $? "rc=$rc partial=$partial"
"$BIN" resume sck -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same sref.json s.json sref.csv s.csv
check "stress: resumed at 1 thread: the same bytes as the study never stopped" $? "rc=$rc $(cat err)"

# 6. Ctrl-C in the stressed run (once the baseline's state is kept), twice, resume at 2 threads
"$BIN" stress "${SARGS[@]}" -t 1 --json v.json --csv v.csv --checkpoint vck --round-blocks 8 \
    --checkpoint-every 0 & pid=$!
for _ in $(seq 1 1200); do
    [ -f vck ] && [ "$(ended vck)" -ge 1 ] && break
    kill -0 $pid 2>/dev/null || break; sleep 0.05
done
kill -INT $pid 2>/dev/null; wait $pid; rc=$?
held=$(ended vck)
[ $rc -eq 130 ] && [ "$held" = 1 ]
check "stress: Ctrl-C in the stressed run: exit 130, the baseline's state kept" $? "rc=$rc ended=$held"
"$BIN" resume vck -t 2 --checkpoint-every 0 2>/dev/null & pid=$!
sleep 0.3; kill -INT $pid 2>/dev/null; wait $pid
"$BIN" resume vck -t 2 2>err; rc=$?
[ $rc -eq 0 ] && same sref.json v.json sref.csv v.csv
check "stress: interrupted in the stressed run, twice, resumed at 2 threads: the same bytes" $? "rc=$rc $(cat err)"

# 7. refusals
refused "stress: another case is refused" "sck: checkpoint of another run (the study's options differs)" \
    "$BIN" stress "$SC" --input msl.p_success:0.8:1 --paths 200000 -q --round-blocks 8 --checkpoint sck
cp sck sdmg
python3 - <<'PY'
import os
size = os.path.getsize('sdmg')
with open('sdmg', 'r+b') as f:
    f.seek(size // 3)
    b = f.read(1)
    f.seek(size // 3)
    f.write(bytes([b[0] ^ 0x01]))
PY
refused "stress: a checkpoint with one bit flipped is refused" "sdmg: damaged or truncated checkpoint" \
    "$BIN" resume sdmg
craft sck sc.ck command=run
refused "stress: command changed to run is refused" "sc.ck: damaged checkpoint (study options: set, for a run)" \
    "$BIN" resume sc.ck
ecraft sck sp.ck 1 paths_done=4096
refused "stress: a run's paths_done edited against its accumulators is refused" \
    "sp.ck: damaged checkpoint (ended run 1, paths_done: 4096" "$BIN" resume sp.ck
ecraft sck so.ck 1 n_all=+1
refused "stress: a run's observer state edited (its path count) is refused" \
    "so.ck: damaged checkpoint (baseline run, observer state: not as written)" "$BIN" resume so.ck

# ---- batch: one engine run per scenario, each of its own shape (horizon, thresholds,
# outcomes, sampling), with the sections observer behind the pairing ----
sed -e 's/^horizon_months = 36;/horizon_months = 48;/' -e 's/relative_error = 0.001;/relative_error = 0.01;/' \
    "$SC" >"$TMP/b2.cfg"
sed -e 's/^run = { paths = 1000000;/run = { sampling = "lhs"; paths = 1000000;/' "$SC" >"$TMP/b3.cfg"
BARGS=("$SC" "$TMP/b2.cfg" "$TMP/b3.cfg" --paths 100000 -q)
"$BIN" batch "${BARGS[@]}" -t 1 --json bref.json --csv bref.csv 2>/dev/null
"$BIN" batch "${BARGS[@]}" -t 2 --json bref2.json --csv bref2.csv 2>/dev/null
same bref.json bref2.json bref.csv bref2.csv
check "batch: the same bytes at 1 and 2 threads (the reference)" $?
# 8. Ctrl-C in the second scenario's run (the first one's state kept), twice, resume at 1 thread
"$BIN" batch "${BARGS[@]}" -t 2 --json b.json --csv b.csv --checkpoint bck --round-blocks 8 \
    --checkpoint-every 0 2>/dev/null & pid=$!
for _ in $(seq 1 1200); do
    [ -f bck ] && [ "$(ended bck)" -ge 1 ] && break
    kill -0 $pid 2>/dev/null || break; sleep 0.05
done
kill -INT $pid 2>/dev/null; wait $pid; rc=$?
held=$(ended bck)
partial=$(python3 -c "import json; d=json.load(open('b.json')); print(d['complete'])" 2>&1)
[ $rc -eq 130 ] && [ "$held" = 1 ] && [ "$partial" = "False" ]
check "batch: Ctrl-C in the second run: exit 130, partial result, the first run's state kept" $? \
    "rc=$rc ended=$held partial=$partial"
"$BIN" resume bck -t 1 --checkpoint-every 0 2>/dev/null & pid=$!
sleep 0.3; kill -INT $pid 2>/dev/null; wait $pid
"$BIN" resume bck -t 1 2>err; rc=$?
[ $rc -eq 0 ] && same bref.json b.json bref.csv b.csv
check "batch: interrupted twice, resumed at 1 thread: the same bytes as the batch never stopped" $? \
    "rc=$rc $(cat err)"
# 9. Ctrl-C once the first checkpoint is saved, resume at 2 threads
"$BIN" batch "${BARGS[@]}" -t 1 --json c.json --csv c.csv --checkpoint bk2 --round-blocks 8 \
    --checkpoint-every 0 2>cerr & pid=$!
interrupt_after bk2 $pid
"$BIN" resume bk2 -t 2 2>err; rc2=$?
[ $rc -eq 130 ] && [ $rc2 -eq 0 ] && same bref.json c.json bref.csv c.csv
check "batch: Ctrl-C after the first save, resumed at 2 threads: the same bytes" $? \
    "rc=$rc/$rc2 $(cat cerr err)"
# 10. refusals: another list of scenarios, an edited scenario, a bit flipped
"$BIN" batch "${BARGS[@]}" -t 1 --checkpoint dck --round-blocks 8 --checkpoint-every 0 2>/dev/null & pid=$!
interrupt_after dck $pid
refused "batch: the checkpoint with another list of scenarios is refused" \
    "dck: checkpoint of another run (the study's options differs)" \
    "$BIN" batch "$SC" "$TMP/b3.cfg" "$TMP/b2.cfg" --paths 100000 -q --round-blocks 8 --checkpoint dck
cp "$TMP/b3.cfg" "$TMP/b3.keep"
sed -i 's/relative_error = 0.001;/relative_error = 0.002;/' "$TMP/b3.cfg"
refused "batch: a scenario edited since the checkpoint is refused on resume" \
    "dck: checkpoint of another run (the study's options differs)" "$BIN" resume dck
cp "$TMP/b3.keep" "$TMP/b3.cfg"
cp dck ddmg
python3 - <<'PY'
import os
size = os.path.getsize('ddmg')
with open('ddmg', 'r+b') as f:
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0x01]))
PY
refused "batch: a checkpoint with one bit flipped is refused" "ddmg: damaged or truncated checkpoint" \
    "$BIN" resume ddmg
exit 0
