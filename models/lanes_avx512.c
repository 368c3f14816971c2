/* SPDX-License-Identifier: MIT */
/* The lane kernels (models/lanes_tmpl.c) built for avx512 (its -m flags in models/meson.build). */
#define CX_ISA avx512
#define CX_STR2(x) #x
#define CX_STR(x) CX_STR2(x)
#include "models/lanes_tmpl.c"
