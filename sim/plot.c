/* SPDX-License-Identifier: MIT */
/* Plots of result JSON files with gnuplot (being written by H6). */
typedef int cx_plot_stub;
