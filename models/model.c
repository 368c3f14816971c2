/* SPDX-License-Identifier: MIT */
typedef int cx_stub_model;
