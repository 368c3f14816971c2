/* SPDX-License-Identifier: MIT */
/* `capexsim report RESULT.json... [-o report.html]`: one self-contained HTML page of results
 * (sim/result/html.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "sim/app/common.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/cli/commands.h"
#include "sim/result/html.h"

#define MAX_RESULT_BYTES ((off_t)64 << 20) /* as `plot` (docs/limits.md) */

typedef struct report_job {
    const cx_html_input *in;
    int n;
    const cx_html_meta *meta;
} report_job;

static int report_writer(FILE *f, const void *ctx)
{
    const report_job *j = ctx;
    return cx_html_write(f, j->in, j->n, j->meta);
}

static void report_help(void)
{
    printf("Usage: capexsim report RESULT.json... [-o FILE]\n"
           "Writes one self-contained HTML page (no scripts, fonts or images fetched; inline\n"
           "SVG charts; prints to PDF) of results of run, tornado, sobol, batch, stress and\n"
           "sweep (their --json files); a study it does not know gets generic tables.\n"
           "A run gets a summary in sentences, its metrics, distributions, the exceedance\n"
           "curve and quarterly fan charts; every result its provenance (docs/report.md).\n\n"
           "  -o, --out FILE    the page to write (default: report.html)\n"
           "  -h, --help        this help\n\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a file that is not a\n"
           "capexsim result.\n");
}

/* Reads one result: a regular file of at most 64 MiB holding a JSON object. */
static json_t *load_result(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "capexsim: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_RESULT_BYTES) {
        fprintf(stderr, "capexsim: %s: not a regular file of at most 64 MiB\n", path);
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        fprintf(stderr, "capexsim: %s:%d: not JSON: %s\n", path, e.line, e.text);
        return NULL;
    }
    if (!json_is_object(doc) ||
        (!json_object_get(doc, "metrics") && !json_is_string(json_object_get(doc, "study")))) {
        fprintf(stderr, "capexsim: %s: not a capexsim result (no \"metrics\" or \"study\")\n",
                path);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int cli_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = "report.html";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            report_help();
            return 0;
        case ':':
            return cli_usage_error("report", "%s: missing argument", argv[optind - 1]);
        default:
            return cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return cli_usage_error("report", "expected at least one RESULT.json");
    int rc = cli_check_output("--out", out, NULL);
    if (rc)
        return rc;
    cx_html_input *in = calloc((size_t)n, sizeof *in);
    char *cmd = cli_command_line(argc, argv);
    if (!in || !cmd) {
        fprintf(stderr, "capexsim: out of memory\n");
        rc = EXIT_FAILURE;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        in[i].file = argv[optind + i];
        if (!(in[i].doc = load_result(in[i].file))) {
            rc = CLI_EXIT_USAGE;
            goto done;
        }
    }
    char date[32];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    cx_html_meta meta = {.command_line = cmd, .date = date};
    report_job job = {.in = in, .n = n, .meta = &meta};
    if (cx_file_write_atomic(out, report_writer, &job) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", out, strerror(errno));
        rc = EXIT_FAILURE;
        goto done;
    }
    printf("wrote %s\n", out);
done:
    for (int i = 0; in && i < n; i++)
        json_decref((json_t *)in[i].doc);
    free(in);
    free(cmd);
    return rc;
}
