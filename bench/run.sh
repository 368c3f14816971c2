#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds capexsim and its benchmarks, runs them all, prints one JSON record per line.
#   bash bench/run.sh            full figures (paths/s best of 3, RSS at 10^6 and 10^8 paths)
#   bash bench/run.sh --quick    a few seconds in all (what CI runs)
#   bash bench/run.sh --no-1e8   full figures without the 10^8-path RSS run (slow on 2 cores)
#   bash bench/run.sh --json F   also write the records to F as one document (for bench/gate.py)
#   bash bench/run.sh --no-icount  without the callgrind instruction counts (bench/icount.sh)
# Environment: CX_BUILDDIR (default build-bench), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
big=1
icount=1
json=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --no-1e8) big=0 ;;
    --no-icount) icount=0 ;;
    --json)
        [ $# -ge 2 ] || { echo "bench/run.sh: --json: missing FILE" >&2; exit 2; }
        json=$2
        shift
        ;;
    -h|--help) sed -n '3,9p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
builddir=${CX_BUILDDIR:-build-bench}
if [ ! -f "$builddir/build.ninja" ]; then
    # the benchmarks need no Criterion: a machine set up with `.ci/setup build` can run them
    meson setup "$builddir" --buildtype=release -Dbench=true -Dtests=false >&2
fi
ninja -C "$builddir" capexsim bench/bench_paths bench/bench_rng bench/bench_accum bench/bench_optimize bench/bench_rss >&2

records=$(mktemp)
trap 'rm -f "$records"' EXIT
b=$builddir/bench
# the default scenario and a simpler one (spacex-2026: 21 uncertain inputs against 52)
simple=configs/spacex-2026.cfg
{
    if [ $quick -eq 1 ]; then
        "$b/bench_paths" --quick
        "$b/bench_paths" --quick --scenario "$simple"
        "$b/bench_rng" --quick
        "$b/bench_accum" --quick
        "$b/bench_optimize" --quick
        "$b/bench_rss" "$builddir/capexsim" 131072
    else
        "$b/bench_paths"
        "$b/bench_paths" --scenario "$simple"
        "$b/bench_rng"
        "$b/bench_accum"
        "$b/bench_optimize"
        if [ $big -eq 1 ]; then
            "$b/bench_rss" "$builddir/capexsim" 1e6 1e8
        else
            "$b/bench_rss" "$builddir/capexsim" 1e6
        fi
    fi
    if [ $icount -eq 1 ]; then
        if command -v valgrind >/dev/null; then
            bash bench/icount.sh "$builddir/capexsim" --paths 4096
        else
            echo "bench/run.sh: valgrind not found: no icount record (apt-get install valgrind)" >&2
        fi
    fi
} | tee "$records"
if [ -n "$json" ]; then
    python3 - "$records" "$json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc = {"kind": "capexsim-bench", "format_version": 1, "records": recs}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
PY
fi
