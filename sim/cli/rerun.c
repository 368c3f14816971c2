/* SPDX-License-Identifier: MIT */
/* `capexsim rerun RESULT.json`: runs a result's command again from the scenario text and the
 * options it embeds (issue 22): the command's flags rebuilt from "options", its scenarios
 * read from the embedded texts (sim/app/provenance.h); refuses a result whose text does not
 * match its SHA-256. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "sim/app/common.h"
#include "sim/app/provenance.h"
#include "sim/cli/commands.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"

#define MAX_RESULT_BYTES ((off_t)64 << 20)

/* The commands whose results re-run, by the "command" of their options, and the flags rerun
 * passes them from there: no other (a result is untrusted input: its options never name an
 * output file or anything but what the command itself wrote). */
static const struct {
    const char *cmd, *keys;
} rerunnable[] = {
    {"run", " paths seed sampling antithetic target_ci "},
    {"sweep", " paths seed sampling antithetic "},
    {"tornado", " paths seed sampling antithetic metric "},
    {"sobol", " paths seed sampling metric target_ci max_paths order "},
    {"shapley", " paths seed metric crn "},
    {"stress", " paths seed input case "},
    {"batch", " paths seed sampling antithetic "},
    {"optimize", " paths seed check_paths check_seed starts max_evals frontier "},
};
#define N_RERUNNABLE (int)(sizeof rerunnable / sizeof *rerunnable)

/* Why options (of command cmd) cannot be re-run, or NULL: a command that does not re-run, a
 * key that is not one of its flags, a value that is not a scalar or an array of them. */
static const char *bad_options(const json_t *opt, const char *cmd)
{
    static char why[160];
    int k = 0;
    while (k < N_RERUNNABLE && strcmp(rerunnable[k].cmd, cmd) != 0)
        k++;
    if (k == N_RERUNNABLE)
        return "its command does not re-run";
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)opt, key, v)
    {
        char word[72];
        snprintf(word, sizeof word, " %.64s ", key);
        size_t i;
        const json_t *x;
        bool ok = json_is_array(v) || !json_is_object(v);
        json_array_foreach(v, i, x) ok = ok && !json_is_array(x) && !json_is_object(x);
        if (strcmp(key, "command") && (!strstr(rerunnable[k].keys, word) || !ok)) {
            snprintf(why, sizeof why, "options: \"%.40s\" %s", key,
                     ok ? "is not a flag the command re-runs with" : "has an object for a value");
            return why;
        }
    }
    return NULL;
}

static void rerun_help(void)
{
    printf("Usage: capexsim rerun RESULT.json [options]\n"
           "Runs the command that wrote RESULT.json again (run, sweep, tornado, sobol,\n"
           "shapley, stress, batch or optimize with --json) from the scenario text and the\n"
           "options the result embeds: the same paths and seed give the same bytes, all but\n"
           "the timing fields (threads, elapsed_s, paths_per_s and the like). The table goes\n"
           "to stdout as the command prints it. A result whose scenario text does not match\n"
           "its scenario_sha256 is refused.\n\n"
           "  -n, --paths N     paths to run, or the study's own count that --paths sets\n"
           "                    (sobol: base samples; shapley: permutations) (default: the\n"
           "                    result's)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write the new result to FILE (default: none)\n"
           "  -c, --csv PATH    write the command's CSV to PATH (run: a folder; the studies:\n"
           "                    a file; not optimize) (default: none)\n"
           "  -q, --quiet       no table on stdout (default: off)\n"
           "  -h, --help        this help\n\n"
           "Only the options the command writes are passed on (its outputs are the ones given\n"
           "here). Exit codes: the command's; 2 also for a result that cannot be re-run (no\n"
           "embedded scenario and options, options the command does not write, or a scenario\n"
           "that does not match its hash).\n",
           cli_default_threads());
}

/* Why the embedded scenario s (an object with scenario_text, _path, _sha256) cannot be
 * used, or NULL. */
static const char *bad_scenario(const json_t *s)
{
    const json_t *text = json_object_get(s, "scenario_text");
    const char *want = json_string_value(json_object_get(s, "scenario_sha256"));
    if (!json_is_string(text) || !json_string_value(json_object_get(s, "scenario_path")))
        return "embeds no scenario text and options (written before capexsim could re-run)";
    char hex[65];
    cx_scenario_sha256(json_string_value(text), json_string_length(text), hex);
    if (!want || strcmp(hex, want))
        return "the embedded scenario text does not match its scenario_sha256 (edited?)";
    return NULL;
}

/* Reads the result and checks what it embeds; one line on stderr and NULL when it cannot be
 * re-run. *scen: the array of embedded scenarios (batch's "scenarios", else the result
 * itself), a new reference. */
static json_t *load_rerunnable(const char *path, json_t **scen)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_RESULT_BYTES) {
        fprintf(stderr, "capexsim: rerun: %s: %s\n", path,
                errno ? strerror(errno) : "not a regular file of at most 64 MiB");
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    const json_t *opt = json_object_get(doc, "options");
    const char *study = json_string_value(json_object_get(doc, "study"));
    const char *cmd = json_string_value(json_object_get(opt, "command"));
    const char *why = NULL;
    *scen = NULL;
    if (!doc)
        why = "not JSON";
    else if (!json_is_object(opt) || !cmd)
        why = "embeds no scenario text and options (written before capexsim could re-run)";
    else if (strcmp(cmd, study ? study : "run") != 0)
        why = "its options are not its study's";
    else if (!(why = bad_options(opt, cmd)))
        *scen = json_is_array(json_object_get(doc, "scenarios"))
                    ? json_incref(json_object_get(doc, "scenarios"))
                    : json_pack("[O]", doc);
    size_t i;
    const json_t *s;
    json_array_foreach(*scen, i, s) if (!why) why = bad_scenario(s);
    if (doc && !why && json_array_size(*scen) == 0)
        why = "embeds no scenario";
    if (why) {
        fprintf(stderr, "capexsim: rerun: %s: %s\n", path, why);
        json_decref(*scen);
        json_decref(doc);
        *scen = NULL;
        return NULL;
    }
    return doc;
}

/* argv under construction; the strings it owns are freed with it. */
typedef struct args {
    char **v, **own;
    int n, n_own, cap;
} args;

static int push(args *a, const char *s, bool copy)
{
    if (!s || a->n + 1 >= a->cap)
        return -1;
    char *p = copy ? strdup(s) : (char *)s;
    if (!p)
        return -1;
    if (copy)
        a->own[a->n_own++] = p;
    a->v[a->n++] = p;
    a->v[a->n] = NULL;
    return 0;
}

/* push as cx_output_option_words' callback: a copy of the word. */
static int push_word(void *ctx, const char *w)
{
    return push(ctx, w, true);
}

/* The command line: capexsim, the command, its options (paths: `paths` when given), the rerun's
 * outputs (pass: -t, -j, -c, -q as given), then its scenario files. @return 0 or -1 (memory). */
static int build_argv(args *a, const json_t *doc, const json_t *scen, const char *paths,
                      char *const *pass, int n_pass)
{
    const json_t *opt = json_object_get(doc, "options"), *v;
    const char *key;
    a->cap = 9 + n_pass + 2 * (int)json_array_size(scen);
    json_object_foreach((json_t *)opt, key, v) a->cap += 2 + 2 * (int)json_array_size(v);
    a->v = calloc((size_t)a->cap, sizeof *a->v);
    a->own = calloc((size_t)a->cap, sizeof *a->own);
    if (!a->v || !a->own || push(a, "capexsim", false) ||
        push(a, json_string_value(json_object_get(opt, "command")), true))
        return -1;
    if (cx_output_option_words(opt, paths, push_word, a))
        return -1;
    for (int i = 0; i < n_pass; i++)
        if (push(a, pass[i], false))
            return -1;
    if (push(a, "--", false))
        return -1;
    size_t i;
    json_array_foreach(scen, i, v)
    {
        const char *p = json_string_value(json_object_get(v, "scenario_path"));
        if (strcmp(p, "<built-in>") != 0 && push(a, p, false))
            return -1;
    }
    return 0;
}

/* Runs doc's command with the embedded scenarios scen standing for their files. */
static int rerun(const json_t *doc, const json_t *scen, const char *paths, char *const *pass,
                 int n_pass)
{
    const int n = (int)json_array_size(scen);
    const char **path = calloc((size_t)n + 1, sizeof *path);
    const char **text = calloc((size_t)n + 1, sizeof *text);
    args a = {0};
    int rc = EXIT_FAILURE;
    if (path && text && build_argv(&a, doc, scen, paths, pass, n_pass) == 0) {
        for (int i = 0; i < n; i++) {
            const json_t *s = json_array_get(scen, (size_t)i);
            path[i] = json_string_value(json_object_get(s, "scenario_path"));
            text[i] = json_string_value(json_object_get(s, "scenario_text"));
        }
        cli_provenance_embedded(path, text, n);
        rc = cli_dispatch(a.n, a.v);
        cli_provenance_embedded(NULL, NULL, -1);
    } else {
        fprintf(stderr, "capexsim: out of memory\n");
    }
    for (int i = 0; i < a.n_own; i++)
        free(a.own[i]);
    free(a.own);
    free(a.v);
    free(path);
    free(text);
    return rc;
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
    static const char *const flag[] = {
        ['t'] = "--threads", ['j'] = "--json", ['c'] = "--csv", ['q'] = "--quiet"};
    char *pass[8];
    const char *paths = NULL;
    int c, n_pass = 0;
    uint64_t v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:t:j:c:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            rerun_help();
            return 0;
        case ':':
            return cli_usage_error("rerun", "%s: missing argument", argv[optind - 1]);
        case '?':
            return cli_usage_error("rerun", "unknown option '%s'", argv[optind - 1]);
        case 'n':
            if (cli_parse_u64("rerun", "--paths", optarg, 1, UINT64_MAX / 128, "a positive integer",
                              &v) < 0)
                return CLI_EXIT_USAGE;
            paths = optarg;
            break;
        default: /* -t, -j, -c, -q go to the command as they are (the last of each wins) */
            if (n_pass + 2 > (int)(sizeof pass / sizeof *pass))
                return cli_usage_error("rerun", "%s: given more than once", argv[optind - 1]);
            pass[n_pass++] = (char *)flag[c];
            if (c != 'q')
                pass[n_pass++] = optarg;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("rerun", "expected one RESULT.json");
    errno = 0;
    json_t *scen = NULL, *doc = load_rerunnable(argv[optind], &scen);
    if (!doc)
        return CLI_EXIT_USAGE;
    int rc = rerun(doc, scen, paths, pass, n_pass);
    json_decref(scen);
    json_decref(doc);
    return rc;
}
