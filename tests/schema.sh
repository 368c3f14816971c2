#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every JSON file capexsim writes, made for real, validated against its schema in
# docs/schema/ (draft 2020-12) with Debian's python3-jsonschema. TAP output.
#   bash tests/schema.sh BUILD/capexsim SOURCE_ROOT
set -u
bin=$1
root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# Debian's python3 has python3-jsonschema; another python3 first on PATH may not.
py=python3
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null && py=/usr/bin/python3
cfg=$root/configs/meta-2026h1.cfg
bdir=$(dirname "$bin")/bench
echo "1..15"
n=0
valid() { # valid NAME SCHEMA FILE [expect-invalid]
    n=$((n + 1))
    if out=$("$py" - "$root/docs/schema/$2" "$3" 2>&1 <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
errs = sorted(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))),
              key=lambda e: list(e.path))
for e in errs[:5]:
    print("/".join(map(str, e.path)) + ": " + e.message)
sys.exit(1 if errs else 0)
PY
    ); then
        [ "${4:-}" = invalid ] && echo "not ok $n - $1 (accepted)" || echo "ok $n - $1"
    else
        if [ "${4:-}" = invalid ]; then echo "ok $n - $1"; else
            echo "not ok $n - $1"; echo "$out" | sed 's/^/# /'; fi
    fi
}
"$bin" run "$cfg" -n 4096 -s 1 -q -j "$t/run.json"
valid "run result" run.schema.json "$t/run.json"
"$bin" run "$cfg" -n 2048 -s 2 -q --sampling lhs --antithetic -j "$t/run2.json"
valid "run result (lhs, antithetic)" run.schema.json "$t/run2.json"
"$bin" run "$cfg" -n 10000000 -s 3 -q --target-ci capex_burden:0.95:0.05 -j "$t/run3.json" 2>/dev/null
valid "run result (stopped by --target-ci)" run.schema.json "$t/run3.json"
"$bin" sweep "$cfg" -n 1024 -s 1 -q -j "$t/sweep.json"
valid "sweep result" sweep.schema.json "$t/sweep.json"
"$bin" tornado "$cfg" -n 2048 -s 1 -q -j "$t/tornado.json"
valid "tornado result" tornado.schema.json "$t/tornado.json"
"$bin" sobol "$cfg" -n 2048 -s 1 -q -j "$t/sobol.json"
valid "sobol result" sobol.schema.json "$t/sobol.json"
"$bin" batch "$cfg" "$root/configs/meta-2026h1-noncancel.cfg" -n 2048 -s 1 -q -j "$t/batch.json"
valid "batch result" batch.schema.json "$t/batch.json"
"$bin" stress "$cfg" --input msl.p_success:0.9:1 --outcome taas.launch=1 -n 2048 -s 1 -q \
    -j "$t/stress.json" 2>/dev/null
valid "stress result" stress.schema.json "$t/stress.json"
"$bin" compare "$t/run2.json" "$t/run.json" --allow-seed -q --json "$t/cmp.json"
valid "compare result (statistical)" compare.schema.json "$t/cmp.json"
"$bin" compare "$t/run2.json" "$t/run.json" --allow-seed --exact -q --json "$t/cmpx.json"
valid "compare result (--exact)" compare.schema.json "$t/cmpx.json"

# Benchmark records: the benchmark programs' real records (when built), wrapped as
# bench/run.sh --json wraps them, and a gate result over them.
: >"$t/lines"
for b in bench_accum bench_rng; do
    [ -x "$bdir/$b" ] && "$bdir/$b" --quick >>"$t/lines" 2>/dev/null
done
[ -x "$bdir/bench_rss" ] && "$bdir/bench_rss" "$bin" 16384 >>"$t/lines" 2>/dev/null
"$py" - "$t/lines" "$t/bench.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({"kind": "capexsim-bench", "format_version": 1, "records": recs}, open(sys.argv[2], "w"))
PY
if [ -s "$t/lines" ]; then
    valid "bench records" bench.schema.json "$t/bench.json"
    "$py" "$root/bench/gate.py" "$t/bench.json" "$t/bench.json" --json "$t/gate.json" >/dev/null
    valid "bench gate result" bench-gate.schema.json "$t/gate.json"
else
    n=$((n + 2)); echo "ok $((n - 1)) # SKIP benchmarks not built (-Dbench=false)"
    echo "ok $n # SKIP benchmarks not built (-Dbench=false)"
fi

# The schemas hold: a broken file is refused.
"$py" -c "
import json, sys
d = json.load(open(sys.argv[1])); del d['metrics']['capex_burden']['ci95']['p95']
json.dump(d, open(sys.argv[2], 'w'))
d = json.load(open(sys.argv[1])); d['scenario_sha256'] = 'abc'; json.dump(d, open(sys.argv[3], 'w'))
d = json.load(open(sys.argv[1])); d['future_key'] = {'x': 1}; d['interval_method'] = 'replicates'
json.dump(d, open(sys.argv[4], 'w'))
" "$t/run.json" "$t/bad1.json" "$t/bad2.json" "$t/more.json"
valid "run schema refuses a missing CI" run.schema.json "$t/bad1.json" invalid
valid "run schema refuses a bad SHA-256" run.schema.json "$t/bad2.json" invalid
valid "run schema allows keys it does not know" run.schema.json "$t/more.json"
exit 0
