#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Function length (issue 24): no function in a .c file of sim/ or models/ runs past MAX_LINES
lines, from the first line of its declaration to its closing brace, unless ALLOWED names it
with a reason. TAP output.

    python3 tests/funclen.py SOURCE_ROOT [--list]

A function is found the way a reader finds one: at brace depth zero (comments, strings, character
literals and preprocessor lines blanked first), a '{' that follows a parenthesised parameter list
opens a function body; its name is the identifier before that list. --list prints every function
over MAX_LINES, allowed or not, longest first.
"""
import os
import re
import sys

MAX_LINES = 120
REASON_OTHER_BRANCH = 'being split on another branch (issue 24)'

# (file, function, reason): functions allowed past MAX_LINES, each with why.
ALLOWED = [
]

IDENT = re.compile(r'[A-Za-z_]\w*')


def blank(text):
    """text with comments, string and character literals and preprocessor lines replaced by
    spaces, newlines kept, so line numbers and brace depth survive."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in ' \t':
            out.append(c)
            i += 1
            continue
        if at_line_start and c == '#':
            # a directive, with its backslash continuations
            while i < n and text[i] != '\n':
                if text[i] == '\\' and i + 1 < n and text[i + 1] == '\n':
                    out.append(' \n')
                    i += 2
                    continue
                out.append(' ')
                i += 1
            continue
        at_line_start = False
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
            continue
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
            continue
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
            continue
        if c == '\n':
            at_line_start = True
        out.append(c)
        i += 1
    return ''.join(out)


def functions(text):
    """(name, first line, last line) of each function definition in C source text."""
    src = blank(text)
    found = []
    depth = 0
    decl_start = None       # offset of the first character of the current top-level item
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if depth == 0 and decl_start is None and not c.isspace():
            decl_start = i
        if c == '{':
            if depth == 0:
                head = src[decl_start:i] if decl_start is not None else ''
                name = function_name(head)
                if name:
                    depth_f, j = 1, i + 1
                    while j < n and depth_f:
                        depth_f += {'{': 1, '}': -1}.get(src[j], 0)
                        j += 1
                    first = src.count('\n', 0, decl_start) + 1
                    last = src.count('\n', 0, j - 1) + 1
                    found.append((name, first, last))
                    i = j
                    decl_start = None
                    continue
            depth += 1
        elif c == '}':
            depth -= 1
        elif c == ';' and depth == 0:
            decl_start = None
            i += 1
            continue
        i += 1
        if depth == 0 and c == '}':
            decl_start = None
    return found


def function_name(head):
    """The name of the function whose definition head (everything before its '{') is head,
    or None when head is not one (a struct, an initialiser, an enum)."""
    h = head.rstrip()
    if not h.endswith(')') or '=' in h.split('(')[0]:
        return None
    # the parameter list: the last balanced (...) group
    depth, k = 0, len(h) - 1
    while k >= 0:
        depth += {')': 1, '(': -1}.get(h[k], 0)
        if depth == 0:
            break
        k -= 1
    before = h[:k].rstrip()
    m = re.search(r'([A-Za-z_]\w*\([\w\s,]*\))$', before)   # a name a macro makes: KFN(price)
    if m:
        return re.sub(r'\s+', '', m.group(1))
    m = re.search(r'([A-Za-z_]\w*)$', before)
    if not m or m.group(1) in ('if', 'while', 'for', 'switch', 'return', 'sizeof'):
        return None
    return m.group(1)


def main(argv):
    root = argv[1] if len(argv) > 1 else '.'
    listing = '--list' in argv
    allowed = {(f, fn): why for f, fn, why in ALLOWED}
    files = []
    for top in ('sim', 'models'):
        for d, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(d, x), root) for x in names if x.endswith('.c')]
    files.sort()
    long_ones = []
    seen = set()
    for f in files:
        with open(os.path.join(root, f), encoding='utf-8') as fh:
            for name, first, last in functions(fh.read()):
                lines = last - first + 1
                if lines > MAX_LINES:
                    long_ones.append((f, name, first, lines))
                    seen.add((f, name))
    if listing:
        for f, name, first, lines in sorted(long_ones, key=lambda t: -t[3]):
            tag = ' (allowed)' if (f, name) in allowed else ''
            print(f'{lines:5d} {f}:{first} {name}{tag}')
        return 0
    bad = [t for t in long_ones if (t[0], t[1]) not in allowed]
    # an entry whose function is short now must go, except one another branch is splitting:
    # that branch removes it when it lands
    stale = [k for k in allowed if k not in seen and allowed[k] != REASON_OTHER_BRANCH]
    gone = [k for k in allowed if k not in seen and allowed[k] == REASON_OTHER_BRANCH]
    print('1..2')
    if bad:
        print(f'not ok 1 - every function in sim/ and models/ is at most {MAX_LINES} lines')
        for f, name, first, lines in bad:
            print(f'# {f}:{first}: {name} is {lines} lines (at most {MAX_LINES}): split it where '
                  'the domain has a seam, or add it to ALLOWED in tests/funclen.py with a reason')
    else:
        print(f'ok 1 - every function in sim/ and models/ is at most {MAX_LINES} lines '
              f'({len(files)} files, {len(allowed)} allowed)')
    if stale:
        print('not ok 2 - every ALLOWED entry names a function still over the limit')
        for f, fn in stale:
            print(f'# {f}: {fn} is in ALLOWED but no longer over {MAX_LINES} lines (or gone): '
                  'remove the entry')
    else:
        print('ok 2 - every ALLOWED entry names a function still over the limit')
    for f, fn in gone:
        print(f'# note: {f}: {fn} is no longer over {MAX_LINES} lines: remove its ALLOWED entry')
    return 1 if bad or stale else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
