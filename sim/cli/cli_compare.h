/* SPDX-License-Identifier: MIT */
/* The `capexsim compare` subcommand (CLI layer over sim/result/compare.h). */
#ifndef CX_SIM_CLI_COMPARE_H
#define CX_SIM_CLI_COMPARE_H

/* argv[0] is "compare". @return 0 same, 1 different, 2 bad input or usage. */
int cli_cmd_compare(int argc, char **argv);

#endif
