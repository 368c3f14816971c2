#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layers of sim/ and models/ (sim/README.md): every #include "..." of a project file goes
to the file's own layer or one below it, and the include graph has no cycle. TAP output.

    python3 tests/layers.py SOURCE_ROOT
"""
import os
import re
import sys

# Lowest first, in the order data flows. A file may include from its own layer and below.
LAYERS = ['sim/base', 'sim/rng', 'sim/input', 'models', 'sim/engine', 'sim/result',
          'sim/study', 'sim/app', 'sim/cli']
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The rank of the layer that holds path (a path from the source root), or None."""
    best = None
    for rank, folder in enumerate(LAYERS):
        if path.startswith(folder + '/') and (best is None or len(folder) > len(LAYERS[best])):
            best = rank
    return best


def main(root):
    files = []
    for top in ('sim', 'models'):
        for d, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(d, n), root) for n in names
                      if n.endswith(('.c', '.h'))]
    files.sort()
    graph = {}
    bad = []
    for f in files:
        rank = layer_of(f)
        if rank is None:
            bad.append(f'{f}: in no layer of tests/layers.py (put it in one of {", ".join(LAYERS)})')
            continue
        with open(os.path.join(root, f), encoding='utf-8') as fh:
            text = fh.read()
        graph[f] = []
        for inc in INCLUDE.findall(text):
            if inc == 'config.h' or not os.path.exists(os.path.join(root, inc)):
                continue
            graph[f].append(inc)
            r = layer_of(inc)
            if r is None or r > rank:
                above = LAYERS[r] if r is not None else 'no layer'
                bad.append(f'{f} ({LAYERS[rank]}) includes {inc} ({above}), a layer above its own')
    # cycles: depth-first search over the file graph
    state = {}
    cycles = []

    def visit(f, stack):
        state[f] = 1
        stack.append(f)
        for g in graph.get(f, []):
            if state.get(g) == 1:
                cycles.append(' -> '.join(stack[stack.index(g):] + [g]))
            elif g in graph and not state.get(g):
                visit(g, stack)
        stack.pop()
        state[f] = 2

    for f in graph:
        if not state.get(f):
            visit(f, [])
    print('1..2')
    print(('ok' if not bad else 'not ok') + f' 1 includes go downward only ({len(files)} files)')
    for b in bad:
        print('# ' + b)
    print(('ok' if not cycles else 'not ok') + ' 2 the include graph has no cycle')
    for c in cycles:
        print('# cycle: ' + c)
    return 0 if not bad and not cycles else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
