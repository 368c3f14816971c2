#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes tests/sobol_scipy_points.h: reference Sobol points from SciPy, not from capexsim.

    /usr/bin/python3 tests/sobol_scipy_points.py SCIPY_DIR tests/sobol_scipy_points.h

SCIPY_DIR is the scipy package folder of Debian 12's python3-scipy 1.10.1, which need not be
installed: `apt-get download python3-scipy && dpkg-deb -x python3-scipy_*.deb D` and pass
D/usr/lib/python3/dist-packages/scipy (python3-numpy must be installed). The points come from
SciPy's compiled Sobol engine (scipy/stats/_sobol.pyx: _initialize_v builds the direction
numbers from its copy of new-joe-kuo-6.21201, _draw walks the Gray code), the same calls
scipy.stats.qmc.Sobol(d, scramble=False, bits=52) makes; the module is loaded on its own
because the rest of scipy.stats needs shared libraries the .deb alone does not bring.
"""
import importlib.util
import sys
import types

import numpy as np

# Joe and Kuo's dimensions (1-based): the first ones capexsim takes past GSL's 40 (40, 41),
# around the one it skips (45, 47), and spread up to the table's end (1111).
DIMS = [40, 41, 45, 47, 100, 500, 1000, 1111]
N = 256
BITS = 52


def load_sobol(scipy_dir):
    for name, path in (('scipy', scipy_dir), ('scipy.stats', scipy_dir + '/stats')):
        m = types.ModuleType(name)
        m.__path__ = [path]
        sys.modules[name] = m
    so = [f for f in __import__('os').listdir(scipy_dir + '/stats')
          if f.startswith('_sobol.') and f.endswith('.so')][0]
    spec = importlib.util.spec_from_file_location('scipy.stats._sobol', scipy_dir + '/stats/' + so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    scipy_dir, dst = sys.argv[1], sys.argv[2]
    sob = load_sobol(scipy_dir)
    d = max(DIMS)
    sv = np.zeros((d, BITS), dtype=np.uint64)
    sob._initialize_v(sv, dim=d, bits=BITS)
    quasi = np.zeros(d, dtype=np.uint64)
    sample = np.empty((N - 1, d), dtype=np.float64)
    # scale 1: the sample holds the BITS-bit integers themselves (exact in a double)
    sob._draw(n=N - 1, num_gen=0, dim=d, scale=1.0, sv=sv, quasi=quasi, sample=sample)
    pts = np.vstack([np.zeros((1, d)), sample])
    w = ['/* SPDX-License-Identifier: MIT */',
         '/* Reference Sobol points from SciPy 1.10.1 (Debian 12), made by tests/sobol_scipy_points.py. */',
         '#ifndef CX_TESTS_SOBOL_SCIPY_POINTS_H',
         '#define CX_TESTS_SOBOL_SCIPY_POINTS_H',
         '',
         '#include <stdint.h>',
         '',
         f'/* Joe and Kuo dimensions; points 0..{N - 1} (point 0 the origin) of each, in Gray-code',
         f' * order, as {BITS}-bit binary fractions (scipy.stats.qmc.Sobol(d, scramble=False,',
         f' * bits={BITS}) times 2^{BITS}). */',
         f'#define SCIPY_N_DIMS {len(DIMS)}',
         f'#define SCIPY_N_POINTS {N}',
         f'static const int scipy_dims[SCIPY_N_DIMS] = {{{", ".join(map(str, DIMS))}}};',
         'static const uint64_t scipy_points[SCIPY_N_DIMS][SCIPY_N_POINTS] = {']
    for k in DIMS:
        col = [int(x) for x in pts[:, k - 1]]
        assert all(float(c) == x for c, x in zip(col, pts[:, k - 1]))
        w.append(f'    {{ /* dimension {k} */')
        for i in range(0, N, 4):
            w.append('        ' + ' '.join(f'UINT64_C(0x{c:013x}),' for c in col[i:i + 4]))
        w.append('    },')
    w += ['};', '',
          f'/* The direction numbers v_1..v_{BITS} of the same dimensions as {BITS}-bit fractions (SciPy\'s',
          ' * _initialize_v): the points above use only v_1..v_8. */',
          f'static const uint64_t scipy_directions[SCIPY_N_DIMS][{BITS}] = {{']
    for k in DIMS:
        col = [int(x) for x in sv[k - 1, :]]
        w.append(f'    {{ /* dimension {k} */')
        for i in range(0, BITS, 4):
            w.append('        ' + ' '.join(f'UINT64_C(0x{c:013x}),' for c in col[i:i + 4]))
        w.append('    },')
    w += ['};', '', '#endif']
    with open(dst, 'w', encoding='ascii') as f:
        f.write('\n'.join(w) + '\n')


if __name__ == '__main__':
    main()
