/* SPDX-License-Identifier: MIT */
/* `capexsim rerun RESULT.json`: runs a result's study again from the scenario text and the
 * options it embeds (issue 22); refuses a result whose text does not match its SHA-256. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "sim/app/common.h"
#include "sim/app/run_exec.h"
#include "sim/cli/commands.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"

#define MAX_RESULT_BYTES ((off_t)64 << 20)

static void rerun_help(void)
{
    printf("Usage: capexsim rerun RESULT.json [options]\n"
           "Runs the study of RESULT.json again from the scenario text and the options it\n"
           "embeds (run --json writes both): the same paths and seed give the same bytes,\n"
           "all but the timing fields (threads, elapsed_s, paths_per_s). A result whose\n"
           "scenario text does not match its scenario_sha256 is refused.\n\n"
           "  -n, --paths N     paths to run (default: the result's requested paths)\n"
           "  -t, --threads T   OpenMP threads (default: all %d cores)\n"
           "  -j, --json FILE   write the JSON report to FILE (default: none)\n"
           "  -c, --csv DIR     write the CSV tables to DIR (default: none)\n"
           "  -q, --quiet       no table on stdout (default: off)\n"
           "  -h, --help        this help\n\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a result that cannot be\n"
           "re-run (not a run, no embedded scenario, or one that does not match its hash),\n"
           "130 interrupted.\n",
           cli_default_threads());
}

/* Reads the result; one line on stderr and NULL when it cannot be re-run. */
static json_t *load_rerunnable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_RESULT_BYTES) {
        fprintf(stderr, "capexsim: rerun: %s: %s\n", path,
                errno ? strerror(errno) : "not a regular file of at most 64 MiB");
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    const char *why = NULL, *study = json_string_value(json_object_get(doc, "study"));
    const json_t *text = json_object_get(doc, "scenario_text");
    char hex[65];
    if (!doc)
        why = "not JSON";
    else if (study)
        why = "a study's result: only run results re-run yet";
    else if (!json_is_object(json_object_get(doc, "options")) || !json_is_string(text))
        why = "embeds no scenario text and options (written before capexsim could re-run)";
    else {
        const char *want = json_string_value(json_object_get(doc, "scenario_sha256"));
        cx_scenario_sha256(json_string_value(text), json_string_length(text), hex);
        if (!want || strcmp(hex, want))
            why = "the embedded scenario text does not match its scenario_sha256 (edited?)";
    }
    if (why) {
        fprintf(stderr, "capexsim: rerun: %s: %s\n", path, why);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The run's arguments from the result's "options" (flags given to rerun override). */
static int args_from(cli_run_args *a, const json_t *doc)
{
    const json_t *o = json_object_get(doc, "options");
    const char *sampling = json_string_value(json_object_get(o, "sampling"));
    a->text = json_string_value(json_object_get(doc, "scenario_text"));
    a->path = json_string_value(json_object_get(doc, "scenario_path"));
    if (!a->path)
        a->path = "<built-in>";
    if (!a->co.has_paths)
        a->co.paths = (uint64_t)json_integer_value(json_object_get(o, "paths"));
    a->co.has_paths = true;
    a->co.seed = (uint64_t)json_integer_value(json_object_get(o, "seed"));
    a->co.has_seed = true;
    a->sf.sampling = sampling ? cx_sampling_find(sampling) : 0;
    a->sf.antithetic = json_is_true(json_object_get(o, "antithetic"));
    a->sf.target = json_string_value(json_object_get(o, "target_ci"));
    if (a->sf.sampling < 0 || a->co.paths == 0) {
        fprintf(stderr, "capexsim: rerun: bad \"options\" in the result\n");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_cmd_rerun(int argc, char **argv)
{
    static const struct option longopts[] = {{"paths", required_argument, NULL, 'n'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"json", required_argument, NULL, 'j'},
                                             {"csv", required_argument, NULL, 'c'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    cli_run_args a = {.sf = {.sampling = -1}, .ck = CLI_CKPT_ARGS_INIT};
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:t:j:c:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            rerun_help();
            return 0;
        }
        if (c == ':')
            return cli_usage_error("rerun", "%s: missing argument", argv[optind - 1]);
        if (c == '?')
            return cli_usage_error("rerun", "unknown option '%s'", argv[optind - 1]);
        if (cli_common_flag("rerun", c, optarg, &a.co, &rc) && rc)
            return rc;
    }
    if (argc - optind != 1)
        return cli_usage_error("rerun", "expected one RESULT.json");
    errno = 0;
    json_t *doc = load_rerunnable(argv[optind]);
    if (!doc)
        return CLI_EXIT_USAGE;
    if ((rc = args_from(&a, doc)) == 0)
        rc = cli_run_exec(&a);
    json_decref(doc);
    return rc;
}
