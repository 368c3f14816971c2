/* SPDX-License-Identifier: MIT */
/* The CLI's checkpoint parts (issue 12): --checkpoint, --checkpoint-every, --round-blocks,
 * and `capexsim resume FILE`. The file format and the engine hooks are sim/engine/checkpoint.c. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/checkpoint.h"
#include "sim/cli/cli.h"
#include "sim/base/error.h"

const char cli_ckpt_help[] =
    "      --checkpoint FILE  save the run's state to FILE between rounds, at Ctrl-C and at\n"
    "                    the end (atomically: a kill leaves the old or the new one); an\n"
    "                    existing FILE of the same run is resumed, of another run refused\n"
    "                    (default: none)\n"
    "      --checkpoint-every S  seconds between saves, 0: every round (default: 60)\n"
    "      --round-blocks N  blocks of 1024 paths per round (checkpoints and progress fall\n"
    "                    between rounds; results do not depend on it, except where\n"
    "                    --target-ci stops) (default: 256, or the --target-ci schedule)\n";

int cli_ckpt_flag(const char *cmd, int c, const char *arg, cli_ckpt_args *a, int *rc)
{
    *rc = 0;
    switch (c) {
    case CLI_OPT_CHECKPOINT:
        if (!arg[0]) *rc = cli_usage_error(cmd, "--checkpoint: expected a file name");
        a->file = arg;
        return 1;
    case CLI_OPT_CHECKPOINT_EVERY: {
        char *end;
        errno = 0;
        double v = strtod(arg, &end);
        if (end == arg || *end || errno || !(v >= 0) || v > 1e9)
            *rc = cli_usage_error(cmd, "--checkpoint-every: expected seconds >= 0, got '%s'", arg);
        a->every_s = v;
        a->has_every = true;
        return 1;
    }
    case CLI_OPT_ROUND_BLOCKS:
        if (cli_parse_u64(cmd, "--round-blocks", arg, 1, CX_MAX_ROUND_BLOCKS,
                          "an integer from 1 to 65536", &a->round_blocks) < 0)
            *rc = CLI_EXIT_USAGE;
        return 1;
    default:
        return 0;
    }
}

void cli_ckpt_free(cli_ckpt *c)
{
    cx_ckpt_free(c->ck);
    c->ck = NULL;
}

void cli_ckpt_run_failed(const cli_ckpt *c, int rc)
{
    const char *why = c->ck ? cx_ckpt_error(c->ck) : "";
    if (why[0])
        fprintf(stderr, "capexsim: %s\n", why);
    else
        fprintf(stderr, "capexsim: run failed: %s\n", cx_strerror(rc));
}

/* The engine runs of cmd: one for run, a sweep's points (issue 25: bounds a checkpoint). */
static uint64_t cli_ckpt_runs(const char *cmd, const cx_scenario *sc)
{
    if (strcmp(cmd, "sweep") != 0) return 1;
    if (sc->n_sweep < 1) return 0;
    return (uint64_t)sc->sweep[0].n * (uint64_t)(sc->n_sweep > 1 ? sc->sweep[1].n : 1);
}

/* SIGTERM (a batch system's time limit, mpirun passing on Ctrl-C) stops like Ctrl-C. */
static void catch_sigterm(void)
{
    struct sigaction sa;
    if (sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
        sa.sa_handler != SIG_IGN)
        sigaction(SIGTERM, &sa, NULL);
}

int cli_ckpt_setup(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a, const char *scenario,
                   const cx_scenario *sc, const cx_model *m, cx_sampling sampling,
                   bool antithetic, const char *target, const char *json, const char *csv,
                   bool quiet, cx_engine_opts *o)
{
    memset(c, 0, sizeof *c);
    if (a->round_blocks) o->round_blocks = (int)a->round_blocks;
    if (!a->file) {
        if (a->has_every)
            return cli_usage_error(cmd, "--checkpoint-every needs --checkpoint FILE");
        return 0;
    }
    char err[1024] = "";
    char *abs = NULL;
    cx_ckpt_id id = {0};
    int rc = 0;
    if (scenario && !(abs = realpath(scenario, NULL))) {
        fprintf(stderr, "capexsim: %s: %s\n", scenario, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    id.command = (char *)cmd;
    id.scenario = abs;
    id.seed = o->seed;
    id.paths = o->paths;
    id.sampling = (uint32_t)sampling;
    id.antithetic = antithetic;
    id.target = (char *)target;
    id.round_blocks = (uint32_t)o->round_blocks;
    id.json = (char *)json;
    id.csv = (char *)csv;
    id.quiet = quiet;
    id.every_s = a->every_s;
    if ((rc = cx_ckpt_digest(sc, id.digest, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err);
        free(abs);
        return CLI_EXIT_USAGE;
    }
    if (a->resuming) {
        /* say plainly when the scenario changed under a checkpoint being resumed */
        cx_ckpt_id held;
        if (cx_ckpt_read_id(a->file, &held, err, sizeof err) == 0 &&
            memcmp(held.digest, id.digest, sizeof id.digest) != 0) {
            fprintf(stderr,
                    "capexsim: %s: the scenario %s (or a file it includes) has changed since "
                    "the checkpoint was written\n",
                    a->file, abs ? abs : "<built-in>");
            rc = CX_ERR_CONFIG;
        }
        cx_ckpt_id_clear(&held);
        err[0] = 0;
    }
    if (rc == 0)
        rc = cx_ckpt_open(&c->ck, a->file, &id, cli_ckpt_runs(cmd, sc), cx_model_quarters(m),
                          sc->thresholds, sc->n_thresholds, sc->relative_error, err, sizeof err);
    free(abs);
    if (rc < 0) {
        if (err[0]) fprintf(stderr, "capexsim: %s\n", err);
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    cx_ckpt_hooks(c->ck, &c->hooks);
    o->ckpt = &c->hooks;
    if (cx_ckpt_runs_held(c->ck) > 0 && !quiet)
        fprintf(stderr, "capexsim: resuming from %s\n", a->file);
    cli_catch_sigint();
    catch_sigterm();
    return 0;
}

static void resume_help(void)
{
    printf("Usage: capexsim resume FILE [options]\n"
           "Finishes the run or sweep saved in FILE (written by --checkpoint FILE) and writes\n"
           "its report: the same bytes as a run that was never stopped, at any thread count.\n"
           "The scenario, seed, paths, sampling and outputs are the checkpoint's; the scenario\n"
           "file (and the files it includes) must be as they were.\n\n"
           "  -j, --json FILE   write the JSON report to FILE (default: the run's)\n"
           "  -c, --csv PATH    write the CSV to PATH (default: the run's)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -q, --quiet       no table on stdout (default: the run's)\n"
           "      --checkpoint-every S  seconds between saves (default: the run's)\n"
           "  -h, --help        this help\n\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a checkpoint that is damaged,\n"
           "of another version, or whose scenario changed; 130 interrupted (saved again).\n",
           cli_default_threads());
}

int cli_cmd_resume(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", required_argument, NULL, 'j'},    {"csv", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"checkpoint-every", required_argument, NULL, CLI_OPT_CHECKPOINT_EVERY},
        {NULL, 0, NULL, 0}};
    const char *json = NULL, *csv = NULL;
    uint64_t threads = 0;
    bool quiet = false;
    cli_ckpt_args ck = CLI_CKPT_ARGS_INIT;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":j:c:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = optarg; break;
        case 'c': csv = optarg; break;
        case 't':
            if (cli_parse_u64("resume", "--threads", optarg, 1, 4096,
                              "an integer from 1 to 4096", &threads) < 0)
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': resume_help(); return 0;
        case CLI_OPT_CHECKPOINT_EVERY:
            cli_ckpt_flag("resume", c, optarg, &ck, &rc);
            if (rc) return rc;
            break;
        case ':': return cli_usage_error("resume", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("resume", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) return cli_usage_error("resume", "expected one checkpoint FILE");
    ck.file = argv[optind];
    ck.resuming = true;
    cx_ckpt_id id;
    char err[1024] = "";
    if ((rc = cx_ckpt_read_id(ck.file, &id, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err);
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    if (!ck.has_every) ck.every_s = id.every_s;
    ck.has_every = true;
    ck.round_blocks = id.round_blocks;
    cli_sens_flags sf = {(int)id.sampling, id.antithetic, id.target};
    const cli_common co = {.json = json ? json : id.json, .csv = csv ? csv : id.csv,
                           .paths = id.paths, .seed = id.seed, .threads = threads,
                           .has_paths = true, .has_seed = true, .quiet = quiet || id.quiet};
    if (id.sampling > 2) {
        fprintf(stderr, "capexsim: %s: damaged checkpoint (sampling %u)\n", ck.file,
                (unsigned)id.sampling);
        rc = CLI_EXIT_USAGE;
    } else if (!strcmp(id.command, "run")) {
        cli_run_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck};
        rc = cli_run_exec(&a);
    } else if (!strcmp(id.command, "sweep")) {
        cli_study_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck};
        rc = cli_sweep_exec(&a);
    } else {
        fprintf(stderr, "capexsim: %s: a checkpoint of '%s', which resume does not know\n",
                ck.file, id.command);
        rc = CLI_EXIT_USAGE;
    }
    cx_ckpt_id_clear(&id);
    return rc;
}
