/* SPDX-License-Identifier: MIT */
/* The lane kernels (models/lanes_tmpl.c) built for plain C: the reference that defines the results. */
#define CX_ISA scalar
#define CX_STR2(x) #x
#define CX_STR(x) CX_STR2(x)
#include "models/lanes_tmpl.c"
