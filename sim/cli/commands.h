/* SPDX-License-Identifier: MIT */
/* The commands of capexsim, one a file in sim/cli/, called only from main.c's dispatch table. */
#ifndef CX_SIM_CLI_COMMANDS_H
#define CX_SIM_CLI_COMMANDS_H

/*
 * Each parses its own flags (argv[0] is the command's name, getopt_long from optind 1), prints
 * its --help to stdout and its messages to stderr.
 * @return the process's exit code: 0 ok, 1 runtime failure, 2 usage or config error, 130
 * interrupted; compare: 0 same, 1 different, 2 bad input.
 */
int cli_cmd_run(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);
int cli_cmd_resume(int argc, char **argv);
int cli_cmd_sweep(int argc, char **argv);
int cli_cmd_tornado(int argc, char **argv);
int cli_cmd_sobol(int argc, char **argv);
int cli_cmd_shapley(int argc, char **argv);
int cli_cmd_plot(int argc, char **argv);
int cli_cmd_compare(int argc, char **argv);
int cli_cmd_batch(int argc, char **argv);
int cli_cmd_stress(int argc, char **argv);
int cli_cmd_optimize(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);
int cli_cmd_rerun(int argc, char **argv);

/* main.c's dispatch of `capexsim COMMAND ARGS...` (argv[0] the program's name), after MPI has
 * started: rerun runs the command line it rebuilds from a result through it.
 * @return the command's exit code. */
int cli_dispatch(int argc, char **argv);

#endif
