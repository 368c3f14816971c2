/* SPDX-License-Identifier: MIT */
/* stub: to be written */
typedef int cx_stub_sketch;
