/* SPDX-License-Identifier: MIT */
/* Progress on stderr for every long command: a redrawn line on a terminal, plain lines in a
 * log (sim/app/progress.h says when). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include "sim/app/progress.h"

const char cli_progress_help[] =
    "      --progress[=SECONDS]  progress on stderr: a line redrawn on a terminal, else a\n"
    "                    plain line every SECONDS (default 10, or CX_PROGRESS_INTERVAL)\n"
    "                    and one at 100%; without it a log gets lines only once the\n"
    "                    command runs longer than that (default: on a terminal, unless -q)\n"
    "      --no-progress  none at all (default: off)\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CX_PROGRESS_INTERVAL (seconds > 0), else the default; a bad value says so once. */
static double env_interval(void)
{
    const char *s = getenv("CX_PROGRESS_INTERVAL");
    if (!s || !s[0]) return CLI_PROGRESS_INTERVAL_S;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= 0.01 && v <= 86400)) {
        fprintf(stderr, "capexsim: warning: CX_PROGRESS_INTERVAL: expected seconds from 0.01 "
                        "to 86400, got '%.40s'; using %g\n", s, CLI_PROGRESS_INTERVAL_S);
        return CLI_PROGRESS_INTERVAL_S;
    }
    return v;
}

void cli_progress_init(cli_progress *p, const cli_common *co, bool root, const char *unit)
{
    memset(p, 0, sizeof *p);
    p->unit = unit;
    p->n_phases = 1;
    p->tty = isatty(STDERR_FILENO) != 0;
    /* a redrawn line must not wrap: at most the terminal's width less one */
    struct winsize ws;
    p->width = p->tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20
                   ? ws.ws_col - 1 : 79;
    p->asked = co->progress > 0;
    /* --quiet silences the terminal line as it always did; --progress asks for it anyway */
    p->on = root && co->progress >= 0 && (p->asked || !co->quiet);
    p->interval_s = co->progress_s > 0 ? co->progress_s : env_interval();
    p->t0 = p->last = p->t_first = now_s();
}

void cli_progress_phase(cli_progress *p, int k, int n, const char *fmt, ...)
{
    p->n_phases = n > 0 ? n : 1;
    if (k != p->phase) {
        p->units_before += p->last_done; /* the phase before ended */
        p->last_done = 0;
    }
    p->phase = k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->label, sizeof p->label, fmt, ap);
    va_end(ap);
}

/* "1h02m", "3m05s", "12s" */
static void fmt_secs(char *b, size_t n, double s)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(b, n, "?");
        return;
    }
    long t = lround(s);
    if (t >= 3600) snprintf(b, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60) snprintf(b, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(b, n, "%lds", t);
}

/* The line without prefix: [label: ]done/total unit, pct%, rate unit/s, elapsed E, ETA T
 * [ - label on a terminal][, extra]. */
static void format_line(const cli_progress *p, char *b, size_t n, uint64_t done,
                        uint64_t total, double f, double now)
{
    char el[32], eta[32];
    fmt_secs(el, sizeof el, now - p->t0);
    /* the rate of the whole command: every phase's units since the start (or the rebase) */
    const double rate_t = now - p->t_first;
    const double units = (double)(p->units_before + done) - (double)p->units_base;
    const double rate = rate_t > 0 && units > 0 ? units / rate_t : 0;
    if (f >= 1) snprintf(eta, sizeof eta, "0s");
    else if (f > p->f_first && now > p->t_first)
        fmt_secs(eta, sizeof eta, (now - p->t_first) * (1 - f) / (f - p->f_first));
    else snprintf(eta, sizeof eta, "?");
    /* floor to 0.1%: 100% only when all is done */
    const double pct = f >= 1 ? 100.0 : floor(f * 1000.0) / 10.0;
    /* a log: "LABEL: counts"; a terminal, whose line is cut at its width: the counts first */
    const bool head = p->label[0] && !p->tty;
    int k = snprintf(b, n, "%s%s%" PRIu64 "/%" PRIu64 " %s, %.1f%%, %.0f %s/s, elapsed %s, ETA %s",
                     head ? p->label : "", head ? ": " : "", done, total, p->unit, pct,
                     rate > 0 ? rate : 0, p->unit, el, eta);
    if (p->label[0] && p->tty && k > 0 && (size_t)k < n)
        k += snprintf(b + k, n - (size_t)k, " - %s", p->label);
    if (p->extra[0] && k > 0 && (size_t)k < n) snprintf(b + k, n - (size_t)k, ", %s", p->extra);
    /* names come from scenario files: no control bytes reach a terminal or a log */
    for (char *c = b; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total)
{
    if (!p->on) return;
    const double now = now_s();
    if (done > total) done = total;
    p->last_done = done;
    const double f = ((double)p->phase + (total ? (double)done / (double)total : 1.0)) /
                     (double)p->n_phases;
    if (p->rebase) {
        /* a resumed run: what ran before this process is no part of its rate or ETA */
        p->rebase = false;
        p->t_first = now;
        p->f_first = f;
        p->units_base = p->units_before + done;
    }
    const bool all = f >= 1.0 && done == total;
    if (!all) p->finished = false; /* a total that grew (optimize's budget) */
    char line[512];
    if (p->tty) {
        if (now - p->last < 0.1 && !all && p->drawn) return;
        format_line(p, line, sizeof line, done, total, f, now);
        if (p->width > 0 && (size_t)p->width < sizeof line) line[p->width] = 0;
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
        p->drawn = true;
        p->last = now;
        return;
    }
    /* a log: every interval (without --progress only once the command has run that long),
     * and the line at 100% when asked or when earlier lines were written */
    const bool due = now - p->last >= p->interval_s;
    if (p->finished || !(due || (all && (p->asked || p->printed)))) return;
    format_line(p, line, sizeof line, done, total, f, now);
    fprintf(stderr, "capexsim: progress: %s\n", line);
    fflush(stderr);
    p->printed = true;
    p->finished = all;
    p->last = now;
}

void cli_progress_end(cli_progress *p, bool complete)
{
    /* a command that completes short of its bound (sobol's target met, optimize's search
     * converged): the log's last line is at 100% all the same */
    if (complete && p->on && !p->tty && !p->finished && (p->asked || p->printed)) {
        p->phase = p->n_phases - 1;
        p->last = 0;
        snprintf(p->label, sizeof p->label, "done");
        cli_progress_update(p, p->last_done, p->last_done);
    }
    if (p->on && p->tty && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = false;
}

void cli_progress_engine(void *ctx, const cx_engine_progress *e)
{
    cli_progress_update(ctx, e->paths_done, e->paths_total);
}

void cli_progress_count(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress_update(ctx, done, total);
}
