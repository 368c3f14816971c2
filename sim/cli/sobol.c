/* SPDX-License-Identifier: MIT */
/* `capexsim sobol`: first-order and total-effect Sobol indices of every uncertain input. */
#include "config.h"

#include "sim/app/sobol_exec.h"
#include "sim/app/study.h"
#include "sim/cli/commands.h"

int cli_cmd_sobol(int argc, char **argv)
{
    cli_study_args a;
    int rc = cli_study_parse("sobol", argc, argv, &a, true,
                         "First-order (S1) and total-effect (ST) Sobol indices of every uncertain\n"
                         "scalar input for a metric, ranked by ST: Saltelli sampling, Saltelli 2010\n"
                         "first-order and Jansen total-effect estimators, 95% CIs from batch means\n"
                         "over blocks (at least 2048 base samples). Each base sample costs d + 4 paths.",
                         "base samples (default: sobol.paths, else 16384)");
    if (rc) return rc < 0 ? 0 : rc;
    return cli_sobol_exec(&a);
}
