#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instruction counts of the engine (valgrind --tool=callgrind): a figure that does not move
# with machine load, so the benchmark gate (bench/gate.py) can hold it to a tight threshold.
#   bash bench/icount.sh CAPEXSIM [--paths N] [--scenario FILE]
# Prints one JSON record per line, like the other benchmarks:
#   {"bench":"icount","program":"capexsim run","scenario":...,"paths":N,"threads":1,
#    "instructions":I,"instructions_per_path":I/N}
# I counts the instructions executed inside cx_engine_run (the paths, their accumulation
# and the final merge; callees included) at 1 thread, --toggle-collect=cx_engine_run; the
# scenario's parsing and the report are outside it. With the same binary, scenario, seed and
# paths the count is the same on every run (measured: identical over repeats).
# Environment: CX_ICOUNT_PRELOAD, a shared object to LD_PRELOAD into capexsim (the gate's
# test uses it to inject a known extra cost); VALGRIND (default valgrind).
set -euo pipefail
bin=${1:?usage: bench/icount.sh CAPEXSIM [--paths N] [--scenario FILE]}
shift
paths=4096
scenario=""
while [ $# -gt 0 ]; do
    case "$1" in
    --paths) paths=${2:?--paths needs N}; shift 2 ;;
    --scenario) scenario=${2:?--scenario needs FILE}; shift 2 ;;
    *) echo "bench/icount.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
case "$paths" in ''|*[!0-9]*) echo "bench/icount.sh: --paths: expected a positive integer, got '$paths'" >&2; exit 2 ;; esac
valgrind=${VALGRIND:-valgrind}
command -v "$valgrind" >/dev/null || { echo "bench/icount.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
if "$bin" --version | grep -q -- '-fsanitize'; then
    echo "bench/icount.sh: $bin is a sanitizer build; valgrind cannot run it" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(run -n "$paths" -t 1 -q -j "$tmp/run.json")
[ -n "$scenario" ] && args=(run "$scenario" -n "$paths" -t 1 -q -j "$tmp/run.json")
env ${CX_ICOUNT_PRELOAD:+LD_PRELOAD=$CX_ICOUNT_PRELOAD} \
    "$valgrind" --tool=callgrind --toggle-collect=cx_engine_run \
    --callgrind-out-file="$tmp/cg.out" "$bin" "${args[@]}" 2>"$tmp/log" \
    || { cat "$tmp/log" >&2; exit 1; }
ir=$(awk '/^summary:/ {print $2}' "$tmp/cg.out")
[ -n "$ir" ] && [ "$ir" -gt 0 ] || { echo "bench/icount.sh: no instruction count in the callgrind output" >&2; exit 1; }
name=$(sed -n 's/^ *"scenario": "\(.*\)",$/\1/p' "$tmp/run.json" | head -1)
printf '{"bench":"icount","program":"capexsim run","scenario":"%s","paths":%s,"threads":1,"instructions":%s,"instructions_per_path":%s}\n' \
    "$name" "$paths" "$ir" "$(awk -v i="$ir" -v n="$paths" 'BEGIN {printf "%.6f", i / n}')"
