/* SPDX-License-Identifier: MIT */
/* What build this is: the git commit it was built from (issue 22), beside CX_VERSION. */
#ifndef CX_SIM_BASE_VERSION_H
#define CX_SIM_BASE_VERSION_H

/* `git describe --always --dirty --abbrev=12` of the source tree at build time ("+dirty"
 * marks uncommitted changes), or "unknown" when it was not built from a git checkout. */
extern const char cx_git_commit[];

#endif
