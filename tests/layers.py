#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layers of sim/ and models/ (sim/README.md): every #include "..." of a project file goes
to the file's own layer or one below it, and the include graph has no cycle. And sim/cli/ is one
command a file: every sim/cli/*.c but main.c defines exactly one non-static function, named
cli_cmd_<command>, and only main.c calls a cli_cmd_ function. TAP output.

    python3 tests/layers.py SOURCE_ROOT
"""
import os
import re
import sys

# Lowest first, in the order data flows. A file may include from its own layer and below.
LAYERS = ['sim/base', 'sim/rng', 'sim/input', 'models', 'sim/engine', 'sim/result',
          'sim/study', 'sim/app', 'sim/cli']
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# comments, string and character literals, and preprocessor lines: blanked before parsing C
NOISE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|^\s*#[^\n]*',
                   re.S | re.M)
CMD = re.compile(r'\bcli_cmd_\w+')


def layer_of(path):
    """The rank of the layer that holds path (a path from the source root), or None."""
    best = None
    for rank, folder in enumerate(LAYERS):
        if path.startswith(folder + '/') and (best is None or len(folder) > len(LAYERS[best])):
            best = rank
    return best


def functions(text):
    """(name, is_static, body_start, body_end) of each function defined at file scope in C
    text (comments, literals and preprocessor lines already blanked): a '{' at brace depth 0
    whose declarator since the last ';' or '}' has a '(' and no '='."""
    out = []
    depth, start, body = 0, 0, None
    for i, ch in enumerate(text):
        if ch == '{':
            if depth == 0:
                head = text[start:i]
                if '(' in head and '=' not in head:
                    name = re.findall(r'(\w+)\s*\(', head)[0]
                    body = (name, re.search(r'\bstatic\b', head) is not None, i)
            depth += 1
        elif ch == '}':
            depth -= 1
            if depth == 0:
                if body:
                    out.append(body + (i,))
                body, start = None, i + 1
        elif ch == ';' and depth == 0:
            start = i + 1
    return out


def one_command_a_file(root):
    """Messages for each sim/cli/*.c (main.c aside) that does not define exactly one non-static
    function, a cli_cmd_ one, or that names another cli_cmd_ function."""
    bad = []
    cli = os.path.join(root, 'sim', 'cli')
    names = sorted(n for n in os.listdir(cli) if n.endswith('.c') and n != 'main.c')
    for n in names:
        f = f'sim/cli/{n}'
        with open(os.path.join(cli, n), encoding='utf-8') as fh:
            text = NOISE.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), fh.read())
        fns = functions(text)
        public = [name for name, static, _, _ in fns if not static]
        if len(public) != 1 or not CMD.fullmatch(public[0]):
            bad.append(f'{f}: defines {len(public)} non-static function(s) '
                       f'({", ".join(public) or "none"}), not exactly one cli_cmd_NAME '
                       '(make the others static, or move what commands share to sim/app/)')
        own = {name for name, _, _, _ in fns}  # a definition names itself
        for m in CMD.finditer(text):
            if m.group(0) not in own:
                line = text.count('\n', 0, m.start()) + 1
                bad.append(f'{f}:{line}: names {m.group(0)}; only main.c calls the commands '
                           '(share code through sim/app/ instead)')
    return bad, len(names)


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
    cmd_bad, n_cmd = one_command_a_file(root)
    print('1..3')
    print(('ok' if not bad else 'not ok') + f' 1 includes go downward only ({len(files)} files)')
    for b in bad:
        print('# ' + b)
    print(('ok' if not cycles else 'not ok') + ' 2 the include graph has no cycle')
    for c in cycles:
        print('# cycle: ' + c)
    print(('ok' if not cmd_bad else 'not ok') +
          f' 3 sim/cli/ is one command a file, called from main.c only ({n_cmd} files)')
    for b in cmd_bad:
        print('# ' + b)
    return 0 if not bad and not cycles and not cmd_bad else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
