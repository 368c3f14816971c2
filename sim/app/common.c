/* SPDX-License-Identifier: MIT */
/* What every command shares: usage errors, number parsing, the common flags, threads, loading
 * a scenario and checking output targets before any work. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "sim/app/common.h"
#include "sim/app/provenance.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/mpi.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_err_one_line(msg, sizeof msg); /* an argument with a newline or an escape stays one line */
    fprintf(stderr, "capexsim: %s", msg);
    fprintf(stderr, "\nTry 'capexsim %s%s--help' for more information.\n", cmd ? cmd : "",
            cmd ? " " : "");
    return CLI_EXIT_USAGE;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                     const char *what, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v < min || v > max) {
        cli_usage_error(cmd, "%s: expected %s, got '%s'", opt, what, s);
        return -1;
    }
    *out = v;
    return 0;
}

bool cli_common_flag(const char *cmd, int c, const char *arg, cli_common *o, int *rc)
{
    *rc = 0;
    switch (c) {
    case 'n':
        if (cli_parse_u64(cmd, "--paths", arg, 1, UINT64_MAX / 128, "a positive integer",
                          &o->paths) < 0)
            *rc = CLI_EXIT_USAGE;
        o->has_paths = true;
        return true;
    case 's':
        if (cli_parse_u64(cmd, "--seed", arg, 0, UINT64_MAX, "a non-negative integer",
                          &o->seed) < 0)
            *rc = CLI_EXIT_USAGE;
        o->has_seed = true;
        return true;
    case 't':
        if (cli_parse_u64(cmd, "--threads", arg, 1, 4096, "an integer from 1 to 4096",
                          &o->threads) < 0)
            *rc = CLI_EXIT_USAGE;
        return true;
    case 'j': o->json = arg; return true;
    case 'c': o->csv = arg; return true;
    case 'q': o->quiet = true; return true;
    default: return false;
    }
}

int cli_default_threads(void)
{
#if CX_HAVE_OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int cli_threads(uint64_t flag, const cx_scenario *sc, uint64_t paths, uint64_t block_paths)
{
    uint64_t t = flag ? flag : sc->run_threads > 0 ? (uint64_t)sc->run_threads
                                                   : (uint64_t)cli_default_threads();
    /* More threads than blocks idle; more than CLI_THREADS_PER_CORE per core only cost
     * memory (each holds its own buffers). Results do not depend on the count. */
    uint64_t blocks = block_paths ? paths / block_paths + (paths % block_paths != 0) : t;
    uint64_t cores = (uint64_t)(cli_default_threads() > 0 ? cli_default_threads() : 1);
    if (t > blocks) t = blocks;
    if (t > CLI_THREADS_PER_CORE * cores) t = CLI_THREADS_PER_CORE * cores;
    return t < 1 ? 1 : (int)t;
}

/* Loads (text: from memory, path naming it) and compiles, without the plausibility warnings. */
static int load_and_compile(const char *path, const char *text, cx_scenario **sc, cx_model **m)
{
    char err[1024] = "";
    int rc = text ? cx_scenario_load_string(sc, text, path, err, sizeof err)
         : path   ? cx_scenario_load(sc, path, err, sizeof err)
                  : cx_scenario_load_default(sc, err, sizeof err);
    if (rc < 0) {
        if (err[0])
            fprintf(stderr, "capexsim: %s\n", err);
        else
            fprintf(stderr, "capexsim: %s: %s\n", path ? path : "<built-in>", cx_strerror(rc));
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    err[0] = 0;
    if ((rc = cx_model_new(m, *sc, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        cx_scenario_free(*sc);
        *sc = NULL;
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_load_checked(const char *path, bool strict, bool print, cx_scenario **sc,
                     cx_model **m)
{
    /* a rerun loads the texts its result embeds, never a file (sim/app/provenance.h) */
    const char *name, *text;
    if (cli_provenance_text(path, &text, &name) < 0) {
        fprintf(stderr, "capexsim: rerun: %s: not a scenario the result embeds\n",
                path ? path : "<built-in>");
        return CLI_EXIT_USAGE;
    }
    int rc = load_and_compile(name, text, sc, m);
    if (rc) return rc;
    for (int i = 0; print && i < (*sc)->n_warnings; i++)
        fprintf(stderr, "capexsim: %s: %s\n", strict ? "error" : "warning", (*sc)->warnings[i]);
    if (strict && (*sc)->n_warnings > 0) {
        if (print)
            fprintf(stderr, "capexsim: --strict: %d value%s outside the plausible ranges "
                "(docs/model.md)\n", (*sc)->n_warnings, (*sc)->n_warnings == 1 ? "" : "s");
        cx_model_free(*m);
        cx_scenario_free(*sc);
        *m = NULL;
        *sc = NULL;
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_load(const char *path, cx_scenario **sc, cx_model **m)
{
    return cli_load_checked(path, false, cx_mpi_rank() == 0, sc, m); /* rank 0 speaks */
}

char *cli_command_line(int argc, char **argv)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-_./=:,+@%";
    size_t len = sizeof "capexsim";
    for (int i = 0; i < argc; i++) len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "capexsim");
    for (int i = 0; i < argc; i++) {
        bool q = !argv[i][0] || argv[i][strspn(argv[i], plain)] != '\0';
        *p++ = ' ';
        if (q) *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (q && *c == '\'') p += sprintf(p, "'\\''");
            else *p++ = *c;
        }
        if (q) *p++ = '\'';
    }
    *p = '\0';
    return s;
}

int cli_check_output(const char *opt, const char *path, const char *dir_file)
{
    char err[1024] = "";
    if (!path)
        return 0;
    int rc = dir_file ? cx_file_check_dir(path, dir_file, err, sizeof err)
                      : cx_file_check(path, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "capexsim: %s: %s\n", opt, err[0] ? err : cx_strerror(rc));
    return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
}
