#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds capexsim and its benchmarks, runs them all, prints one JSON record per line.
#   bash bench/run.sh            full figures (paths/s best of 3, RSS at 10^6 and 10^8 paths)
#   bash bench/run.sh --quick    a few seconds in all (what CI runs)
#   bash bench/run.sh --no-1e8   full figures without the 10^8-path RSS run (slow on 2 cores)
# Environment: CX_BUILDDIR (default build-bench), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
big=1
for a in "$@"; do
    case "$a" in
    --quick) quick=1 ;;
    --no-1e8) big=0 ;;
    -h|--help) sed -n '3,7p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
    esac
done
builddir=${CX_BUILDDIR:-build-bench}
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" --buildtype=release -Dbench=true >&2
fi
ninja -C "$builddir" capexsim bench/bench_paths bench/bench_rng bench/bench_accum bench/bench_rss >&2

b=$builddir/bench
if [ $quick -eq 1 ]; then
    "$b/bench_paths" --quick
    "$b/bench_rng" --quick
    "$b/bench_accum" --quick
    "$b/bench_rss" "$builddir/capexsim" 131072
else
    "$b/bench_paths"
    "$b/bench_rng"
    "$b/bench_accum"
    if [ $big -eq 1 ]; then
        "$b/bench_rss" "$builddir/capexsim" 1e6 1e8
    else
        "$b/bench_rss" "$builddir/capexsim" 1e6
    fi
fi
