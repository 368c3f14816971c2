/* SPDX-License-Identifier: MIT */
/* `capexsim resume FILE`: finishes the run, sweep or study saved in a checkpoint (issues 12,
 * 23): dispatches on the checkpoint's command. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/app/batch_exec.h"
#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/progress.h"
#include "sim/app/paired.h"
#include "sim/app/run_exec.h"
#include "sim/app/shapley_exec.h"
#include "sim/app/sobol_exec.h"
#include "sim/app/stress_exec.h"
#include "sim/app/sweep_exec.h"
#include "sim/app/tornado_exec.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/checkpoint.h"
#include "sim/study/target.h"

static void resume_help(void)
{
    printf("Usage: capexsim resume FILE [options]\n"
           "Finishes the run, sweep, batch or study (tornado, sobol, shapley, stress) saved\n"
           "in FILE (written by --checkpoint FILE) and writes its report: the same bytes as\n"
           "one never stopped, at any thread count. The command, scenario, seed, paths,\n"
           "sampling, the study's own options (tornado, sobol, shapley: --metric; sobol:\n"
           "--target-ci, --max-paths, --order; shapley: --crn; stress: its case; batch: its\n"
           "scenarios) and outputs are the checkpoint's; the scenario files (and the files\n"
           "they include) must be as they were.\n\n"
           "  -j, --json FILE   write the JSON report to FILE (default: the run's)\n"
           "  -c, --csv PATH    write the CSV to PATH (default: the run's)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -q, --quiet       no table on stdout (default: the run's)\n"
           "      --checkpoint-every S  seconds between saves (default: the run's)\n"
           "%s"
           "  -h, --help        this help\n\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a checkpoint that is damaged,\n"
           "of another version, or whose scenario changed; 130 interrupted (saved again).\n",
           cli_default_threads(), cli_progress_help);
}

/* A Sobol study's own options from the identity ("metric=NAME", "target_ci=W",
 * "max_paths=N", "order=st|input", one a line, as sobol_exec writes them) into a.
 * @return 0, or -1 after a message (a damaged checkpoint). */
static int resume_sobol(const cx_ckpt_id *id, cli_study_args *a)
{
    static char metric[64];
    char order[16] = "";
    double target = -1;
    unsigned long long max = 0;
    int used = 0;
    if (!id->study ||
        sscanf(id->study, "metric=%63[a-z_0-9]\ntarget_ci=%lg\nmax_paths=%llu\norder=%15[a-z]%n",
               metric, &target, &max, order, &used) != 4 ||
        id->study[used] || cx_metric_find(metric) < 0 ||
        !(target == 0 || (target >= 0.001 && target < 1)) || max > UINT64_MAX / 128 ||
        (strcmp(order, "st") && strcmp(order, "input"))) {
        fprintf(stderr, "capexsim: %s: damaged checkpoint (study options: '%.64s')\n",
                a->ck.file, id->study ? id->study : "");
        return -1;
    }
    a->metric = metric;
    a->sobol_target = target;
    a->sobol_max = max;
    a->sobol_order = strcmp(order, "input") == 0;
    return 0;
}

/* A Shapley study's own options from the identity ("metric=NAME", "crn=0|1", a line each). */
static int resume_shapley(const cx_ckpt_id *id, const cli_common *co, const cli_ckpt_args *ck)
{
    static char metric[64];
    int crn = -1, used = 0;
    if (!id->study ||
        sscanf(id->study, "metric=%63[a-z_0-9]\ncrn=%d%n", metric, &crn, &used) != 2 ||
        id->study[used] || cx_metric_find(metric) < 0 || (crn != 0 && crn != 1)) {
        fprintf(stderr, "capexsim: %s: damaged checkpoint (study options: '%.64s')\n", ck->file,
                id->study ? id->study : "");
        return CLI_EXIT_USAGE;
    }
    cli_shapley_args a = {.path = id->scenario, .co = *co, .metric = metric, .crn = crn == 1,
                          .ck = *ck};
    return cli_shapley_exec(&a);
}

/* A stress's checkpoint: its case from the identity's options ("case=NAME", or one
 * "input=TEXT" line for each --input and --outcome), checked again by the stress itself. */
static int resume_stress(const cx_ckpt_id *id, const cli_common *co, const cli_ckpt_args *ck)
{
    char *text = strdup(id->study ? id->study : "");
    const char **inputs = calloc(strlen(text) + 1, sizeof *inputs);
    const char *scenario[1] = {id->scenario};
    cli_pair_flags a = {.paths_in = scenario, .n_in = id->scenario != NULL, .co = *co,
                        .sf = {.sampling = 0}, .inputs = inputs, .ck = *ck};
    int rc = 0;
    if (!text || !inputs) {
        fprintf(stderr, "capexsim: out of memory\n");
        rc = EXIT_FAILURE;
    }
    for (char *line = text, *next; rc == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (!strncmp(line, "input=", 6) && line[6] && !a.case_name)
            a.inputs[a.n_inputs++] = line + 6;
        else if (!strncmp(line, "case=", 5) && line[5] && !a.case_name && !a.n_inputs)
            a.case_name = line + 5;
        else
            rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && !a.case_name && !a.n_inputs) rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_USAGE)
        fprintf(stderr, "capexsim: %s: damaged checkpoint (study options: '%.64s')\n", ck->file,
                id->study ? id->study : "");
    if (rc == 0) rc = cli_stress_exec(&a);
    free(inputs);
    free(text);
    return rc;
}

/* A batch's checkpoint: its other scenarios from the identity's options ("sampling=own|given",
 * then "scenario=PATH" and "digest=HEX" for each), checked again by the batch itself (the
 * digests are part of the identity it makes). */
static int resume_batch(const cx_ckpt_id *id, const cli_common *co, const cli_ckpt_args *ck)
{
    char *text = strdup(id->study ? id->study : "");
    const char **paths = calloc(strlen(text ? text : "") / 2 + 2, sizeof *paths);
    const char *none[1] = {NULL};
    cli_pair_flags a = {.paths_in = paths, .co = *co, .inputs = none, .ck = *ck,
                        .sf = {.sampling = (int)id->sampling, .antithetic = id->antithetic}};
    int rc = 0, line_no = 0;
    if (!text || !paths) {
        fprintf(stderr, "capexsim: out of memory\n");
        rc = EXIT_FAILURE;
    }
    if (rc == 0) paths[a.n_in++] = id->scenario;
    for (char *line = text, *next; rc == 0 && line && *line; line = next, line_no++) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (line_no == 0 && (!strcmp(line, "sampling=own") || !strcmp(line, "sampling=given")))
            a.sf.sampling = line[9] == 'o' ? -1 : a.sf.sampling;
        else if (line_no > 0 && line_no % 2 == 1 && !strncmp(line, "scenario=", 9) && line[9])
            paths[a.n_in++] = line + 9;
        else if (line_no > 0 && line_no % 2 == 0 && !strncmp(line, "digest=", 7) &&
                 strlen(line + 7) == 64)
            continue;
        else
            rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && (line_no < 1 || line_no % 2 != 1 || !id->scenario)) rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_USAGE)
        fprintf(stderr, "capexsim: %s: damaged checkpoint (study options: '%.64s')\n", ck->file,
                id->study ? id->study : "");
    if (rc == 0) rc = cli_batch_exec(&a);
    free(paths);
    free(text);
    return rc;
}

int cli_cmd_resume(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", required_argument, NULL, 'j'},    {"csv", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"checkpoint-every", required_argument, NULL, CLI_OPT_CHECKPOINT_EVERY},
        CLI_PROGRESS_LONGOPTS, {NULL, 0, NULL, 0}};
    cli_common pf = {0}; /* --progress, --no-progress (issue 23) */
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
        case CLI_OPT_PROGRESS:
        case CLI_OPT_NO_PROGRESS:
            cli_common_flag("resume", c, optarg, &pf, &rc);
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
                           .has_paths = true, .has_seed = true, .quiet = quiet || id.quiet,
                           .progress = pf.progress, .progress_s = pf.progress_s};
    cx_target_ci tc;
    char why[512] = "";
    if (id.sampling > 2) {
        fprintf(stderr, "capexsim: %s: damaged checkpoint (sampling %u)\n", ck.file,
                (unsigned)id.sampling);
        rc = CLI_EXIT_USAGE;
    } else if (id.target && (strcmp(id.command, "run") ||
                             cx_target_ci_parse(&tc, id.target, why, sizeof why) < 0)) {
        /* the --target-ci text of the run that wrote it: refused here as the checkpoint's
         * field (issue 25), not as a flag the user never gave */
        fprintf(stderr, "capexsim: %s: damaged checkpoint (target: %s)\n", ck.file,
                why[0] ? why : "a sweep has no --target-ci");
        rc = CLI_EXIT_USAGE;
    } else if (!strcmp(id.command, "run")) {
        cli_run_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck};
        rc = cli_run_exec(&a);
    } else if (!strcmp(id.command, "sweep")) {
        cli_study_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck};
        rc = cli_sweep_exec(&a);
    } else if (!strcmp(id.command, "tornado")) {
        /* its own options: "metric=NAME" (the file's cross-check refuses any other text) */
        const char *metric = id.study && !strncmp(id.study, "metric=", 7) ? id.study + 7 : "";
        cli_study_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck,
                            .metric = metric};
        if (cx_metric_find(metric) < 0) {
            fprintf(stderr, "capexsim: %s: damaged checkpoint (study options: '%.64s')\n",
                    ck.file, id.study ? id.study : "");
            rc = CLI_EXIT_USAGE;
        } else {
            rc = cli_tornado_exec(&a);
        }
    } else if (!strcmp(id.command, "sobol")) {
        cli_study_args a = {.path = id.scenario, .co = co, .sf = sf, .ck = ck};
        rc = resume_sobol(&id, &a) ? CLI_EXIT_USAGE : cli_sobol_exec(&a);
    } else if (!strcmp(id.command, "shapley")) {
        rc = resume_shapley(&id, &co, &ck);
    } else if (!strcmp(id.command, "stress")) {
        rc = resume_stress(&id, &co, &ck);
    } else if (!strcmp(id.command, "batch")) {
        rc = resume_batch(&id, &co, &ck);
    } else {
        fprintf(stderr, "capexsim: %s: a checkpoint of '%s', which resume does not know\n",
                ck.file, id.command);
        rc = CLI_EXIT_USAGE;
    }
    cx_ckpt_id_clear(&id);
    return rc;
}
