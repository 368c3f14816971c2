/* SPDX-License-Identifier: MIT */
/* What `capexsim rerun` needs in a result (issue 22), in one place for every command that
 * writes one: the command's resolved options and the scenario itself (its text with the
 * includes expanded, path, description, horizon and SHA-256); and the other way, loading the
 * scenarios a result embeds in place of their files. */
#ifndef CX_SIM_APP_PROVENANCE_H
#define CX_SIM_APP_PROVENANCE_H

#include <jansson.h>

#include "sim/input/scenario.h"

/*
 * Adds "options" (stolen; NULL: out of memory) and, when sc is given, the scenario
 * (cli_provenance_scenario's keys) to doc, keeping any key doc already has. "options" holds
 * "command" and then one key per flag of that command, named after the flag ("max_paths" is
 * --max-paths): true for a flag without a value, a number or string for its value, an array
 * for a repeated flag; false or null for a flag not given. A NULL doc is left alone.
 * @return 0, or -1 after a message on stderr (out of memory).
 */
int cli_provenance_add(json_t *doc, json_t *options, const cx_scenario *sc);
/* The scenario as a result embeds it: "scenario_sha256", "scenario_path" ("<built-in>" for
 * the default), "scenario_description", "horizon_months", "scenario_text" (the text the
 * SHA-256 is of). @return a new object, or NULL when out of memory. */
json_t *cli_provenance_scenario(const cx_scenario *sc);
/* Writes doc (NULL: out of memory) to path after cli_provenance_add(doc, options, sc), and
 * drops both references. @return 0 or EXIT_FAILURE after a message. */
int cli_write_result(const char *path, json_t *doc, json_t *options, const cx_scenario *sc);

/*
 * From now on (the process is a rerun), cli_load and friends read a scenario from the n texts
 * given, text[i] standing for the file path[i] ("<built-in>" for the default), never from a
 * file; a path not among them is refused. The strings must outlive the loads.
 */
void cli_provenance_embedded(const char *const *path, const char *const *text, int n);
/* The embedded text standing for path (NULL: the built-in) in *text and the name it loads
 * under in *name; without embedded texts, *text NULL and *name path (read the file).
 * @return 0, or -1 when texts are embedded and path is not among them. */
int cli_provenance_text(const char *path, const char **text, const char **name);

#endif
