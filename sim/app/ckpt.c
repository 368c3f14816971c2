/* SPDX-License-Identifier: MIT */
/* The checkpoint flags (issue 12) and opening a run's checkpoint: the run's identity, the
 * check that a resumed scenario has not changed, SIGTERM as Ctrl-C. Format and hooks are
 * sim/engine/checkpoint.c. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/mpi.h"
#include "sim/result/report.h"
#include "sim/study/batch.h"

const char cli_ckpt_help[] =
    "      --checkpoint FILE  save the run's state to FILE between rounds, at Ctrl-C and at\n"
    "                    the end (atomically: a kill leaves the old or the new one); an\n"
    "                    existing FILE of the same run is resumed, of another run refused\n"
    "                    (default: none)\n"
    "      --checkpoint-every S  seconds between saves, 0: every round (default: 60)\n"
    "      --round-blocks N  blocks of 1024 paths per round (checkpoints and progress fall\n"
    "                    between rounds; results do not depend on it, except where\n"
    "                    --target-ci stops) (default: 256, or the --target-ci schedule)\n";

const char cli_ckpt_study_help[] =
    "      --checkpoint FILE  save the study's state to FILE between rounds, at Ctrl-C and at\n"
    "                    the end (atomically: a kill leaves the old or the new one); an\n"
    "                    existing FILE of the same study is resumed (also by 'capexsim\n"
    "                    resume FILE'), of another refused; one process only (default: none)\n"
    "      --checkpoint-every S  seconds between saves, 0: every round (default: 60)\n"
    "      --round-blocks N  the study's blocks per round with --checkpoint (saves fall\n"
    "                    between rounds; results do not depend on it) (default: tornado\n"
    "                    1024 blocks of 256 paths; sobol 256 of 256 base samples, shapley\n"
    "                    256 of 16 permutations, their most)\n";

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
    if (strcmp(cmd, "stress") == 0) return 2; /* the baseline and the stressed run */
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

/*
 * The identity of cmd's checkpoint in *id (its scenario as an absolute path, owned by id)
 * and, when resuming, the check that the scenario has not changed since it was written.
 * @return 0 or an exit code after a message.
 */
static int ckpt_make_id(cx_ckpt_id *id, const char *cmd, const cli_ckpt_args *a,
                        const char *scenario, const cx_scenario *sc)
{
    char err[1024] = "";
    memset(id, 0, sizeof *id);
    id->command = (char *)cmd;
    if (scenario && !(id->scenario = realpath(scenario, NULL))) {
        fprintf(stderr, "capexsim: %s: %s\n", scenario, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (cx_ckpt_digest(sc, id->digest, err, sizeof err) < 0) {
        fprintf(stderr, "capexsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (!a->resuming) return 0;
    /* say plainly when the scenario changed under a checkpoint being resumed */
    cx_ckpt_id held;
    int rc = 0;
    if (cx_ckpt_read_id(a->file, &held, err, sizeof err) == 0 &&
        memcmp(held.digest, id->digest, sizeof id->digest) != 0) {
        fprintf(stderr,
                "capexsim: %s: the scenario %s (or a file it includes) has changed since "
                "the checkpoint was written\n",
                a->file, id->scenario ? id->scenario : "<built-in>");
        rc = CLI_EXIT_USAGE;
    }
    cx_ckpt_id_clear(&held);
    return rc;
}

/* cli_ckpt_setup, and for stress its own options (study_options) too. */
static int setup_engine(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a,
                        const char *scenario, const cx_scenario *sc, const cx_model *m,
                        cx_sampling sampling, bool antithetic, const char *target,
                        const char *study_options, const char *json, const char *csv,
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
    cx_ckpt_id id;
    int rc = ckpt_make_id(&id, cmd, a, scenario, sc);
    if (rc) {
        free(id.scenario);
        return rc;
    }
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
    /* stress (issue 23): its case in the identity, its runs' sections observer in the states */
    const bool stress = strcmp(cmd, "stress") == 0;
    id.study = (char *)(stress ? study_options : NULL);
    /* a run's accumulator keeps the outcome breakdown (issue 20 item 3), as do a stress's
     * two runs (cli_pair_run_one), a sweep's none */
    cx_bd_shape bd = {0};
    if (o->breakdown || stress) cx_bd_shape_of(&bd, sc);
    /* the replicate levels the engine will keep: run's from cli_sens_setup_run (with a
     * --target-ci level), sweep's as cx_sweep_run sets them */
    double rq[CX_REP_MAX_Q];
    int n_rq = 0;
    if (sampling != CX_SAMPLING_MC || antithetic) {
        n_rq = o->n_rep_q ? o->n_rep_q : cx_report_replicate_levels(rq, NAN);
        if (o->n_rep_q) memcpy(rq, o->rep_q, (size_t)n_rq * sizeof *rq);
    }
    rc = cx_ckpt_open_obs(&c->ck, a->file, &id, cli_ckpt_runs(cmd, sc), cx_model_quarters(m),
                          sc->thresholds, sc->n_thresholds, sc->relative_error, &bd, rq, n_rq,
                          stress ? cx_sections_block_bytes() : 0,
                          stress ? cx_sections_state_max(o->paths, sc->n_thresholds,
                                                         sc->relative_error)
                                 : 0,
                          err, sizeof err);
    free(id.scenario);
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

int cli_ckpt_setup(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a, const char *scenario,
                   const cx_scenario *sc, const cx_model *m, cx_sampling sampling,
                   bool antithetic, const char *target, const char *json, const char *csv,
                   bool quiet, cx_engine_opts *o)
{
    return setup_engine(c, cmd, a, scenario, sc, m, sampling, antithetic, target, NULL, json,
                        csv, quiet, o);
}

int cli_ckpt_setup_stress(cli_ckpt *c, const cli_ckpt_args *a, const char *scenario,
                          const cx_scenario *sc, const cx_model *m, const char *options,
                          const char *json, const char *csv, bool quiet, cx_engine_opts *o)
{
    if (a->file && cx_mpi_size() > 1)
        return cli_usage_error("stress", "--checkpoint: a stress checkpoints in one process only");
    return setup_engine(c, "stress", a, scenario, sc, m, CX_SAMPLING_MC, false, NULL, options,
                        json, csv, quiet, o);
}

int cli_ckpt_setup_batch(cli_ckpt *c, const cli_ckpt_args *a, const char *scenario,
                         const cx_scenario *sc, const char *options, int sampling,
                         bool antithetic, const cx_ckpt_shape *shapes, int n, const char *json,
                         const char *csv, bool quiet, cx_engine_opts *o)
{
    memset(c, 0, sizeof *c);
    if (a->round_blocks) o->round_blocks = (int)a->round_blocks;
    if (!a->file) {
        if (a->has_every)
            return cli_usage_error("batch", "--checkpoint-every needs --checkpoint FILE");
        return 0;
    }
    if (cx_mpi_size() > 1)
        return cli_usage_error("batch", "--checkpoint: a batch checkpoints in one process only");
    cx_ckpt_id id;
    int rc = ckpt_make_id(&id, "batch", a, scenario, sc);
    if (rc) {
        free(id.scenario);
        return rc;
    }
    char err[1024] = "";
    id.seed = o->seed;
    id.paths = o->paths;
    id.sampling = sampling >= 0 ? (uint32_t)sampling : 0;
    id.antithetic = antithetic;
    id.round_blocks = (uint32_t)o->round_blocks;
    id.json = (char *)json;
    id.csv = (char *)csv;
    id.quiet = quiet;
    id.every_s = a->every_s;
    id.study = (char *)options;
    rc = cx_ckpt_open_runs(&c->ck, a->file, &id, (uint64_t)n, shapes, err, sizeof err);
    free(id.scenario);
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

/* The study's save hook: its state into the file. */
static int study_save(void *ctx, const void *p, size_t n)
{
    return cx_ckpt_study_save(ctx, p, n);
}

int cli_ckpt_setup_study(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a,
                         const char *scenario, const cx_scenario *sc, const cli_study_id *sid,
                         cx_study_opts *o)
{
    memset(c, 0, sizeof *c);
    if (!a->file) {
        if (a->has_every || a->round_blocks)
            return cli_usage_error(cmd, "%s needs --checkpoint FILE",
                                   a->has_every ? "--checkpoint-every" : "--round-blocks");
        return 0;
    }
    if (cx_mpi_size() > 1)
        return cli_usage_error(cmd, "--checkpoint: a %s checkpoints in one process only", cmd);
    cx_ckpt_id id;
    int rc = ckpt_make_id(&id, cmd, a, scenario, sc);
    if (rc) {
        free(id.scenario);
        return rc;
    }
    char err[1024] = "";
    id.seed = o->seed;
    id.paths = o->paths;
    id.sampling = (uint32_t)o->sampling;
    id.antithetic = o->antithetic;
    id.round_blocks = (uint32_t)a->round_blocks;
    id.json = (char *)sid->json;
    id.csv = (char *)sid->csv;
    id.quiet = sid->quiet;
    id.every_s = a->every_s;
    id.study = (char *)sid->options;
    rc = cx_ckpt_open_study(&c->ck, a->file, &id, sid->state_max, err, sizeof err);
    free(id.scenario);
    if (rc < 0) {
        if (err[0]) fprintf(stderr, "capexsim: %s\n", err);
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    c->study = (cx_study_ckpt){.ctx = c->ck, .name = a->file, .every_s = a->every_s,
                               .round_blocks = (uint32_t)a->round_blocks, .save = study_save};
    c->study.state = cx_ckpt_study_state(c->ck, &c->study.state_n);
    o->ckpt = &c->study;
    if (c->study.state && !sid->quiet) fprintf(stderr, "capexsim: resuming from %s\n", a->file);
    cli_catch_sigint();
    catch_sigterm();
    return 0;
}
