/* SPDX-License-Identifier: MIT */
/* `capexsim sweep`: its flags and help; cli_sweep_exec (sim/app/sweep_exec.c) runs it. */
#include "config.h"

#include "sim/app/study.h"
#include "sim/app/sweep_exec.h"
#include "sim/cli/commands.h"

int cli_cmd_sweep(int argc, char **argv)
{
    cli_study_args a;
    int rc = cli_study_parse("sweep", argc, argv, &a, false,
                         "Runs the scenario at every point of its sweep group (one or two inputs\n"
                         "fixed at listed values) with common random numbers: the same seed and\n"
                         "block streams at every point. Reports mean, P5, P50, P95 of every metric.",
                         "paths per point (default: run.paths, else 1000000)");
    if (rc) return rc < 0 ? 0 : rc;
    return cli_sweep_exec(&a);
}
