#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The benchmark gate: compares two record files of bench/run.sh --json and fails when a
# figure regressed beyond its threshold.
"""Usage: python3 bench/gate.py BASE.json NEW.json [options]

Gated by default (they do not move with machine load):
  icount       instructions_per_path from callgrind (bench/icount.sh); --count-threshold,
               default 0.02: fails when NEW > BASE x 1.02
  max_rss      peak resident memory (bench_rss); --memory-threshold, default 0.10
Reported, not gated unless --time-threshold is given (wall-clock figures flake on shared
machines): paths/s, ns per path or insert, merge times, parallel efficiency, and the
within-run ratio full path / RNG reference.

Options:
  --count-threshold X   relative regression allowed for instruction counts (default 0.02)
  --memory-threshold X  relative regression allowed for memory (default 0.10)
  --time-threshold X    gate timing figures too, at X (default: not gated)
  --json FILE           write the verdict and every figure as JSON (docs/schema/bench-gate.schema.json)
Exit codes: 0 pass, 1 a gated figure regressed (or is missing in NEW), 2 bad input (also
when BASE holds no gated figure: a gate that holds nothing must not pass).
Files: the document {"kind": "capexsim-bench", "format_version": 1, "records": [...]}
that bench/run.sh --json writes, or the JSON lines bench/run.sh prints.
"""
import json
import math
import sys

# bench kind -> [(figure, better, class)]; class: count, memory, time
FIGURES = {
    'icount': [('instructions_per_path', 'lower', 'count')],
    'max_rss': [('max_rss_kib', 'lower', 'memory')],
    'paths_per_s': [('paths_per_s', 'higher', 'time')],
    'parallel_efficiency': [('efficiency', 'higher', 'time')],
    'rng_reference': [('reference_ns_per_path', 'lower', 'time')],
    'full_over_reference': [('ratio', 'lower', 'time')],
    'sketch_add': [('ns_per_insert', 'lower', 'time')],
    'accum_per_path': [('ns_per_path', 'lower', 'time')],
    'accum_per_path_unbatched': [('ns_per_path', 'lower', 'time')],
    'sketch_merge': [('ns_per_merge', 'lower', 'time')],
    'accum_merge': [('us_per_merge', 'lower', 'time')],
}
# Fields that say which measurement a record is (the rest are measured values).
IDENTITY = ('scenario', 'threads', 'paths', 'program', 'inserts', 'values_each', 'sketches',
            'paths_each', 'batch_paths', 'values_per_path', 'relative_error')


def die(msg):
    print(f'bench/gate.py: {msg}', file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        die(f'{path}: {e.strerror}')
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and doc.get('kind') == 'capexsim-bench':
            recs = doc.get('records')
        elif isinstance(doc, dict) and 'bench' in doc:
            recs = [doc]
        else:
            die(f'{path}: not a capexsim bench record file (no "kind": "capexsim-bench")')
    except json.JSONDecodeError:
        recs = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError as e:
                die(f'{path}:{i}: not JSON: {e.msg}')
    if not isinstance(recs, list) or not all(isinstance(r, dict) and isinstance(r.get('bench'), str)
                                             for r in recs):
        die(f'{path}: records: expected objects with a "bench" name')
    return recs


def key(rec):
    ident = ','.join(f'{k}={rec[k]}' for k in IDENTITY if k in rec)
    return f"{rec['bench']}[{ident}]" if ident else rec['bench']


def figures(recs, path):
    out = {}
    for r in recs:
        for fig, better, cls in FIGURES.get(r['bench'], []):
            v = r.get(fig)
            if v is None:
                continue
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                die(f'{path}: {r["bench"]}.{fig}: expected a positive number, got {v!r}')
            out[f'{key(r)}.{fig}'] = (float(v), better, cls)
    return out


def main(argv):
    args, opts = [], {'count': 0.02, 'memory': 0.10, 'time': None}
    json_out = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('-h', '--help'):
            print(__doc__)
            return 0
        if a in ('--count-threshold', '--memory-threshold', '--time-threshold', '--json'):
            if i + 1 >= len(argv):
                die(f'{a}: missing argument')
            v = argv[i + 1]
            i += 2
            if a == '--json':
                json_out = v
                continue
            try:
                x = float(v)
            except ValueError:
                x = -1
            if not (0 <= x < 10):
                die(f'{a}: expected a number from 0 to 10, got {v!r}')
            opts[a[2:].split('-')[0]] = x
            continue
        if a.startswith('-'):
            die(f"unknown option '{a}' (try --help)")
        args.append(a)
        i += 1
    if len(args) != 2:
        die('expected two record files, BASE and NEW (try --help)')
    base = figures(load(args[0]), args[0])
    new = figures(load(args[1]), args[1])
    rows = []
    for name, (b, better, cls) in base.items():
        thr = opts[cls]
        gated = thr is not None
        if name not in new:
            rows.append({'figure': name, 'class': cls, 'base': b, 'new': None, 'regression': None,
                         'threshold': thr, 'gated': gated,
                         'verdict': 'missing' if gated else 'not-gated'})
            continue
        n = new[name][0]
        # regression > 0 means worse: cost up, or rate down (as a cost, base/new - 1)
        reg = n / b - 1 if better == 'lower' else b / n - 1
        verdict = ('fail' if reg > thr else 'pass') if gated else 'not-gated'
        rows.append({'figure': name, 'class': cls, 'base': b, 'new': n, 'regression': reg,
                     'threshold': thr, 'gated': gated, 'verdict': verdict})
    for name in new:
        if name not in base:
            rows.append({'figure': name, 'class': new[name][2], 'base': None, 'new': new[name][0],
                         'regression': None, 'threshold': None, 'gated': False,
                         'verdict': 'new-only'})
    order = {'fail': 0, 'missing': 0, 'pass': 1, 'not-gated': 2, 'new-only': 3}
    rows.sort(key=lambda r: (order[r['verdict']], -(r['regression'] if r['regression'] is not None
                                                     else -math.inf), r['figure']))
    bad = sum(r['verdict'] in ('fail', 'missing') for r in rows)
    gated = sum(r['gated'] for r in rows)
    print(f'benchmark gate: BASE {args[0]}  NEW {args[1]}')
    print(f"  {'figure':60s} {'base':>12s} {'new':>12s} {'worse by':>9s} {'limit':>7s}  verdict")
    for r in rows:
        fmt = lambda x: '-' if x is None else f'{x:.6g}'
        reg = '-' if r['regression'] is None else f"{100 * r['regression']:+.2f}%"
        lim = '-' if r['threshold'] is None else f"{100 * r['threshold']:.0f}%"
        mark = '*' if r['verdict'] in ('fail', 'missing') else ' '
        print(f"{mark} {r['figure'][:60]:60s} {fmt(r['base']):>12s} {fmt(r['new']):>12s} "
              f"{reg:>9s} {lim:>7s}  {r['verdict']}")
    verdict = 'fail' if bad else 'pass'
    print(f'{gated} gated figures: {bad} regressed or missing -> {verdict.upper()}')
    if gated == 0:
        die(f'{args[0]}: no gated figure (no icount or max_rss record): nothing to hold NEW to')
    if json_out:
        doc = {'kind': 'capexsim-bench-gate', 'format_version': 1, 'base': args[0],
               'new': args[1], 'thresholds': opts, 'gated': gated, 'regressed': bad,
               'verdict': verdict, 'rows': rows}
        try:
            with open(json_out, 'w') as f:
                json.dump(doc, f, indent=2)
                f.write('\n')
        except OSError as e:
            die(f'{json_out}: {e.strerror}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
