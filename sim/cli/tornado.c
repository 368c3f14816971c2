/* SPDX-License-Identifier: MIT */
/* `capexsim tornado`: mean and P50 of a metric by lowest and highest decile of each input. */
#include "config.h"

#include "sim/app/study.h"
#include "sim/app/tornado_exec.h"
#include "sim/cli/commands.h"

int cli_cmd_tornado(int argc, char **argv)
{
    cli_study_args a;
    int rc = cli_study_parse("tornado", argc, argv, &a, true,
                         "For every uncertain scalar input: the mean and P50 of a metric over the\n"
                         "paths where the input is in its lowest decile and in its highest, ranked\n"
                         "by swing |mean high - mean low|; all in one run.",
                         "paths (default: run.paths, else 1000000)");
    if (rc) return rc < 0 ? 0 : rc;
    return cli_tornado_exec(&a);
}
