/* SPDX-License-Identifier: MIT */
/* Sensitivity studies, one header each (tornado.h, sobol.h, sweep.h, target.h): this header
 * includes them all, for the command line. */
#ifndef CX_SIM_SENS_H
#define CX_SIM_SENS_H

#include "sim/study/study.h"
#include "sim/study/sobol.h"
#include "sim/study/tornado.h"
#include "sim/study/sweep.h"
#include "sim/study/target.h"

#endif
