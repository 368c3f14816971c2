/* SPDX-License-Identifier: MIT */
/* Progress on stderr for every long command (issue 23 item 5): one module, fed by callbacks. */
#ifndef CX_SIM_APP_PROGRESS_H
#define CX_SIM_APP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/app/common.h"
#include "sim/engine/engine.h"

/*
 * The engine and the studies below only call a callback with done and total counts between
 * blocks, from the thread that folds (never from the per-path loop, and never changing a
 * result); this module decides what, if anything, reaches stderr:
 *   - stderr a terminal (and not --quiet, not --no-progress): one line redrawn in place, at
 *     most 10 times a second: the phase, done / total, the percentage, the rate and the ETA;
 *     cleared when the command ends;
 *   - otherwise with --progress[=SECONDS], or when the command runs longer than the interval:
 *     a plain line ("capexsim: progress: ...") at most every interval (default 10 s, or
 *     CX_PROGRESS_INTERVAL seconds, or --progress=SECONDS), and a last one at 100% when the
 *     command completes after lines were written. Plain lines hold no control characters.
 * A command has phases (stress: baseline and stressed; batch: its scenarios; sweep: its
 * points): the percentage and the ETA are of the whole command, done / total of the phase.
 */

/* The help lines of --progress and --no-progress (common.h parses them). */
extern const char cli_progress_help[];
/* Default seconds between plain lines. */
#define CLI_PROGRESS_INTERVAL_S 10.0

typedef struct cli_progress {
    bool tty;              /* redrawn line (else plain lines) */
    int width;             /* a redrawn line's most characters (the terminal's width - 1) */
    bool on;               /* anything may be written */
    bool asked;            /* --progress: plain lines from the start, and the last at 100% */
    double interval_s;     /* between plain lines (a terminal: 0.1 s between redraws) */
    double t0, last;       /* monotonic seconds: start, last line */
    double t_first, f_first; /* where the ETA counts from: the start at 0, or with rebase
                            * the first update and its overall fraction */
    uint64_t last_done;    /* the latest count of the phase */
    uint64_t units_before; /* the units of the phases before it (the rate) */
    uint64_t units_base;   /* with rebase: the units before this process (not in the rate) */
    bool rebase;           /* set by a resumed run: its first update is where it starts */
    bool drawn;            /* a terminal line is on screen */
    bool printed;          /* a plain line was written */
    bool finished;         /* the 100% line was written */
    const char *unit;      /* "paths", "base samples", "permutations", "evaluations" */
    int phase, n_phases;   /* the phase running (0-based) of n_phases */
    char label[160];       /* the phase's words, "" for none */
    char extra[200];       /* appended to the line (optimize: the best point so far) */
} cli_progress;

/*
 * Sets p up for a command: from co's --progress/--no-progress/--quiet and whether stderr is
 * a terminal; root false (an MPI rank other than 0) writes nothing. unit names what is
 * counted. One phase until cli_progress_phase says otherwise.
 */
void cli_progress_init(cli_progress *p, const cli_common *co, bool root, const char *unit);
/* Phase k (0-based) of n, with label (printf format; "" for none); its counts start at 0. */
__attribute__((format(printf, 4, 5))) void cli_progress_phase(cli_progress *p, int k, int n,
                                                              const char *fmt, ...);
/* done of total units of the current phase (rate-limited: writes only when due). */
void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total);
/* Ends the progress: clears a terminal line; complete: the plain log's last line at 100%
 * when lines were written and that line was not yet. */
void cli_progress_end(cli_progress *p, bool complete);
/* Whether the engine or a study should be given a callback at all. */
static inline bool cli_progress_on(const cli_progress *p) { return p->on; }

/* Callbacks for the layers below, ctx a cli_progress: the engine's (paths) and the studies'
 * (done, total of the study's unit). */
void cli_progress_engine(void *ctx, const cx_engine_progress *e);
void cli_progress_count(void *ctx, uint64_t done, uint64_t total);

#endif
