/* SPDX-License-Identifier: MIT */
/* Scenario files: every class of bad input gives its exact message; good files fill defaults. */

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_errno.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(scenario, .init = setup);

/* Two lines that make a valid scenario: the bad cases add lines from line 3 on. */
#define SUPPLY "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n"
#define MARKET "market = { price0 = 12.0; };\n"
#define BASE SUPPLY MARKET
/* A market whose drift is the distribution under test (line 2). */
#define DRIFT(d) SUPPLY "market = { price0 = 12.0; drift = " d "; };\n"
/* Uncertain inputs to correlate (lines 3 and 4). */
#define UNC                                                                          \
    "msl = { schedule = ((0, 1.0)); p_success = { dist = \"beta\"; alpha = 2.0; beta = 3.0; }; };\n" \
    "recsys = { base_gw = 1.0; scale_multiple = { dist = \"lognormal\"; median = 10.0; p90 = 16.0; }; " \
    "ramp_months = { dist = \"uniform\"; low = 12; high = 30; }; };\n"

typedef struct bad_case {
    const char *text;
    const char *msg;
} bad_case;

static bad_case cases[] = {
        /* syntax, from libconfig: file and line */
        {BASE "x = = 1;\n", "t.cfg:3:5: syntax error: expected a value (a number, a \"string\", true or false, { group }, ( list ) or [ array ]), got '='"},
        /* issue 23 item 7: line, column, what was expected, and where a bracket or quote opened */
        {BASE "correlations = ( (\"a\", \"b\", 0.3) ;\n",
         "t.cfg:3:34: syntax error: expected ',' or the ')' that closes the list opened at line "
         "3, column 16, got ';'"},
        {BASE "name = \"x;\ndescription = \"d\";\n",
         "t.cfg:3:8: syntax error: the string opened here is not closed on its line (a missing "
         "'\"'?); reading on, line 4, column 17: a string opened here that is never closed "
         "(expected '\"')"},
        {BASE "msl = { p_success = 0.5;\n",
         "t.cfg:4:1: syntax error: end of the file, expected '}' (the '{' opened at line 3, "
         "column 7 is not closed)"},
        {BASE "report = { thresholds = [1.0, 2.0 };\n",
         "t.cfg:3:35: syntax error: expected ',' or the ']' that closes the array opened at line "
         "3, column 25, got '}'"},
        {BASE "market = { price0 = 1.0; };\n",
         "t.cfg:3: market: duplicate setting name (a key may appear once in a group)"},
        {BASE "msl = { schedule = ((0, 1.0));\n  p_success = 0.5; decision_month = 3;\n"
              "  p_success = 0.6; };\n",
         "t.cfg:5: msl.p_success: duplicate setting name (a key may appear once in a group)"},
        /* libconfig has no nan literal */
        {DRIFT("nan"), "t.cfg:2:35: syntax error: expected a value (a number, a \"string\", true or false, { group }, ( list ) or [ array ]), got 'nan'"},
        /* libconfig 1.5 wraps integers beyond 32 bits silently; the loader refuses them */
        {BASE "# seed = 99999999999 in a comment is fine\nrun = { seed = 9999999999; };\n",
         "t.cfg:4: run.seed: integer 9999999999 does not fit in 32 bits, and libconfig would "
         "silently change it: write 9999999999L (64-bit) or 9999999999.0"},
        {BASE "run = { paths = 0x100000000; };\n",
         "t.cfg:3: run.paths: integer 0x100000000 does not fit in 32 bits, and libconfig would "
         "silently change it: write 0x100000000L (64-bit)"},
        /* issue 11: 64-bit literals that saturate or wrap, signs, keys in lists */
        {BASE "run = { seed = 99999999999999999999999L; };\n",
         "t.cfg:3: run.seed: integer 99999999999999999999999L does not fit in 64 bits, and "
         "libconfig would silently change it: write 99999999999999999999999.0 (a number)"},
        {DRIFT("0xfffffffffffffffeL"),
         "t.cfg:2: market.drift: integer 0xfffffffffffffffeL does not fit in 64 bits (at most "
         "0x7fffffffffffffffL), and libconfig would silently change it"},
        {BASE "run = { seed = -9223372036854775809L; };\n",
         "t.cfg:3: run.seed: integer -9223372036854775809L does not fit in 64 bits, and "
         "libconfig would silently change it: write -9223372036854775809.0 (a number)"},
        {DRIFT("-2147483649"),
         "t.cfg:2: market.drift: integer -2147483649 does not fit in 32 bits, and libconfig would "
         "silently change it: write -2147483649L (64-bit) or -2147483649.0"},
        {BASE "sweep = { inputs = ( { name = \"market.price0\";\n values = [1, 2, 3000000000]; } ); };\n",
         "t.cfg:4: sweep.inputs[0].values[2]: integer 3000000000 does not fit in 32 bits, and "
         "libconfig would silently change it: write 3000000000L (64-bit) or 3000000000.0"},
        /* -2^31 fits in 32 bits: refused for being negative, not for its size */
        {SUPPLY "market = { price0 = -2147483648; };\n",
         "t.cfg:2: market.price0: must be > 0, got -2.14748e+09"},
        /* names with a newline or an escape: the message stays on one line */
        {"name = \"x\\ny\";\n" BASE,
         "t.cfg:1: name: must be printable, without control characters, got \"x\\ny\""},
        {"name = \"\\x1b[31mred\";\n" BASE,
         "t.cfg:1: name: must be printable, without control characters, got \"\\x1b[31mred\""},
        {"description = \"a\\x07\";\n" BASE,
         "t.cfg:1: description: must be printable, without control characters other than "
         "newlines and tabs, got \"a\\x07\""},
        {"supply = { tranches = ( { name = \"a\\nb\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches[0].name: a name may use letters, digits, '-' and '_' only, "
         "got \"a\\nb\""},
        /* a sweep's points (one run each) are bounded, whatever the axes */
        {BASE "sweep = { inputs = ( { name = \"market.price0\"; from = 1.0; to = 2.0; steps = 1000; },\n"
              "  { name = \"supply.tranches.a.gw\"; from = 1.0; to = 2.0; steps = 1000; } ); };\n",
         "t.cfg:3: sweep.inputs: at most 100000 points (the axes' values multiplied), got 1000000"},
        /* spot offers are bounded: an absurd rate would make one path run for hours */
        {BASE "deals = { spot = { gw = 0.1; offers_per_month = 1e300; }; };\n",
         "t.cfg:3: deals.spot.offers_per_month: must be in [0, 1000] (offers a month), got 1e+300"},
        {BASE "deals = { spot = { gw = 0.1; offers_per_month = { dist = \"lognormal\"; median = 1.0; "
              "p90 = 2.0; }; }; };\n",
         "t.cfg:3: deals.spot.offers_per_month: must be in [0, 1000] (offers a month), but this "
         "lognormal distribution ranges over [0, inf] (clamp it with min = 0 and max <= 1000)"},
        /* unknown keys, with and without a close suggestion */
        {BASE "horizon_month = 24;\n",
         "t.cfg:3: horizon_month: unknown key (did you mean 'horizon_months'?)"},
        {BASE "msl = { schedule = ((0, 1.0)); p_sucess = 0.5; };\n",
         "t.cfg:3: msl.p_sucess: unknown key (did you mean 'msl.p_success'?)"},
        {BASE "zzz = 1;\n", "t.cfg:3: zzz: unknown key (expected one of name, description, "
                            "horizon_months, start, run, supply, msl, recsys, taas, market, deals, iaas, "
                            "allocation, correlations, report, sweep, tornado, sobol, stress, "
                            "optimize)"},
        {"supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_yr = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches.a.cost_per_gw_yr: unknown key (did you mean "
         "'supply.tranches.a.cost_per_gw_year'?)"},
        {DRIFT("{ dist = \"normal\"; mean = 0.0; sd = 0.1; mni = -1.0; }"),
         "t.cfg:2: market.drift.mni: unknown key (did you mean 'market.drift.min'?)"},
        {BASE "deals = { spot = { gw = 0.1; offers_per_month = 1.0; premum = 2.0; }; };\n",
         "t.cfg:3: deals.spot.premum: unknown key (did you mean 'deals.spot.premium'?)"},
        /* wrong types */
        {BASE "horizon_months = \"36\";\n",
         "t.cfg:3: horizon_months: expected an integer, got a string"},
        {BASE "iaas = { enabled = 1; };\n",
         "t.cfg:3: iaas.enabled: expected a boolean (true or false), got an integer"},
        {BASE "msl = { schedule = ((0, 1.0)); p_success = \"high\"; };\n",
         "t.cfg:3: msl.p_success: expected a number or a distribution group { dist = ...; }, got a "
         "string"},
        {BASE "msl = 3;\n", "t.cfg:3: msl: expected a group { ... }, got an integer"},
        {"supply = { tranches = { name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; }; };\n" MARKET,
         "t.cfg:1: supply.tranches: expected a list of tranche groups ( { ... }, ... ), got a group"},
        {BASE "name = 7;\n", "t.cfg:3: name: expected a string, got an integer"},
        /* missing required keys */
        {MARKET, "t.cfg: supply: missing required group supply = { ... }"},
        {SUPPLY "market = { drift = 0.1; };\n", "t.cfg:2: market.price0: missing required key"},
        {"supply = { tranches = ( { name = \"a\"; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches.a.gw: missing required key"},
        {"supply = { tranches = ( { gw = 1.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches[0].name: missing required key (every tranche needs a name)"},
        {"supply = { tranches = (); };\n" MARKET,
         "t.cfg:1: supply.tranches: at least one tranche is required"},
        {BASE "recsys = { scale_multiple = 2.0; };\n",
         "t.cfg:3: recsys.base_gw: missing required key"},
        {BASE "deals = { spot = { offers_per_month = 1.0; }; };\n",
         "t.cfg:3: deals.spot.gw: missing required key"},
        {BASE "msl = { p_success = 0.5; };\n",
         "t.cfg:3: msl.schedule: missing required key (a list of (month, gw) points)"},
        /* probabilities */
        {BASE "msl = { schedule = ((0, 1.0)); p_success = 1.5; };\n",
         "t.cfg:3: msl.p_success: a probability must be in [0, 1], got 1.5"},
        {BASE "msl = { schedule = ((0, 1.0)); p_success = { dist = \"normal\"; mean = 0.5; sd = 0.1; "
              "}; };\n",
         "t.cfg:3: msl.p_success: a probability must be in [0, 1], but this normal distribution "
         "ranges over [-inf, inf] (clamp it with min = 0 and max = 1)"},
        {BASE "deals = { signed = ( { name = \"d\"; gw = 0.1; price_per_gw_year = 50.0; p_signed = "
              "-0.1; } ); };\n",
         "t.cfg:3: deals.signed.d.p_signed: a probability must be in [0, 1], got -0.1"},
        {DRIFT("{ dist = \"bernoulli\"; p = 1.2; }"),
         "t.cfg:2: market.drift.p: a probability must be in [0, 1], got 1.2"},
        /* negative GW and other signs */
        {"supply = { tranches = ( { name = \"a\"; gw = -1.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches.a.gw: must be >= 0, got -1"},
        {"supply = { tranches = ( { name = \"a\"; gw = { dist = \"uniform\"; low = -1.0; high = 2.0; "
         "}; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches.a.gw: must be >= 0, but this uniform distribution reaches down "
         "to -1 (clamp it with min = 0)"},
        {BASE "deals = { spot = { offers_per_month = 1.0; gw = { dist = \"normal\"; mean = 0.2; sd = "
              "0.1; }; }; };\n",
         "t.cfg:3: deals.spot.gw: must be >= 0, but this normal distribution reaches down to -inf "
         "(clamp it with min = 0)"},
        /* MODEL.md allows negative start months for tranches and signed deals, not spot */
        {BASE "deals = { spot = { start_month = -2; offers_per_month = 1.0; gw = 0.2; }; };\n",
         "t.cfg:3: deals.spot.start_month: must be >= 0, got -2"},
        {SUPPLY "market = { price0 = 0; };\n", "t.cfg:2: market.price0: must be > 0, got 0"},
        {BASE "recsys = { base_gw = 0.0; };\n", "t.cfg:3: recsys.base_gw: must be > 0, got 0"},
        /* distribution parameters */
        {DRIFT("{ dist = \"normal\"; mean = 0.0; sd = 0.0; }"),
         "t.cfg:2: market.drift.sd: must be > 0, got 0"},
        {DRIFT("{ dist = \"uniform\"; low = 1.0; high = 0.0; }"),
         "t.cfg:2: market.drift: low must be < high, got low = 1, high = 0"},
        {DRIFT("{ dist = \"pert\"; low = 0.0; mode = 2.0; high = 1.0; }"),
         "t.cfg:2: market.drift.mode: mode must lie in [low, high] = [0, 1], got 2"},
        {DRIFT("{ dist = \"pert\"; low = 0.0; mode = 0.5; high = 1.0; lambda = 0; }"),
         "t.cfg:2: market.drift.lambda: must be > 0, got 0"},
        {DRIFT("{ dist = \"discrete\"; values = [1.0, 2.0]; weights = [0.0, 0.0]; }"),
         "t.cfg:2: market.drift.weights: the weights sum to 0; at least one must be > 0"},
        {DRIFT("{ dist = \"discrete\"; values = [1.0, 2.0]; weights = [1.0, -1.0]; }"),
         "t.cfg:2: market.drift.weights: weights must be >= 0, got -1"},
        {DRIFT("{ dist = \"discrete\"; values = [1.0, 2.0, 3.0]; weights = [1.0, 1.0]; }"),
         "t.cfg:2: market.drift: values and weights must have the same length, got 3 values and 2 "
         "weights"},
        {DRIFT("1e999"), "t.cfg:2: market.drift: a number must be finite, got inf"},
        {DRIFT("{ dist = \"uniform\"; low = -1e999; high = 0.0; }"),
         "t.cfg:2: market.drift.low: a number must be finite, got -inf"},
        {DRIFT("{ dist = \"lognorm\"; median = 1.0; p90 = 2.0; }"),
         "t.cfg:2: market.drift.dist: unknown distribution \"lognorm\" (did you mean 'lognormal'?)"},
        {DRIFT("{ dist = \"weibull\"; shape = 1.0; }"),
         "t.cfg:2: market.drift.dist: unknown distribution \"weibull\" (expected one of fixed, "
         "uniform, triangular, pert, normal, lognormal, beta, gamma, bernoulli, discrete)"},
        {DRIFT("{ mean = 0.0; sd = 0.1; }"),
         "t.cfg:2: market.drift: a distribution group needs dist = \"<family>\" (one of fixed, "
         "uniform, triangular, pert, normal, lognormal, beta, gamma, bernoulli, discrete)"},
        {DRIFT("{ dist = \"normal\"; mean = 0.0; }"),
         "t.cfg:2: market.drift: the normal distribution needs 'sd'"},
        {DRIFT("{ dist = \"normal\"; mean = 0.0; sd = 0.1; low = 0.0; }"),
         "t.cfg:2: market.drift.low: 'low' is not a parameter of the normal distribution (it takes "
         "mean, sd, min, max)"},
        {DRIFT("{ dist = \"lognormal\"; median = 1.0; p90 = 2.0; sigma = 0.5; }"),
         "t.cfg:2: market.drift: give either median and p90 or mu and sigma, not both"},
        {DRIFT("{ dist = \"lognormal\"; mu = 0.0; }"),
         "t.cfg:2: market.drift: the lognormal distribution needs 'sigma'"},
        {SUPPLY "market = { price0 = { dist = \"lognormal\"; median = 12.0; p90 = 10.0; }; };\n",
         "t.cfg:2: market.price0.p90: must be > median = 12, got 10"},
        {DRIFT("{ dist = \"gamma\"; shape = -1.0; scale = 1.0; }"),
         "t.cfg:2: market.drift.shape: must be > 0, got -1"},
        {DRIFT("{ dist = \"normal\"; mean = 0.0; sd = 0.1; min = 1.0; max = 0.0; }"),
         "t.cfg:2: market.drift: min must be <= max, got min = 1, max = 0"},
        /* schedules */
        {BASE "msl = { schedule = ((0, 1.0), (12, 2.0), (12, 3.0)); };\n",
         "t.cfg:3: msl.schedule[2]: schedule months must be strictly increasing, got 12 after 12"},
        {BASE "msl = { schedule = ((0, 1.0), (2.5, 2.0)); };\n",
         "t.cfg:3: msl.schedule[1]: a schedule month must be a whole number, got 2.5"},
        {BASE "msl = { schedule = ((0, 1.0, 3.0)); };\n",
         "t.cfg:3: msl.schedule[0]: expected a (month, gw) point, got a list"},
        /* names */
        {"supply = { tranches = (\n{ name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; },\n"
         "{ name = \"a\"; gw = 2.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:3: supply.tranches[1].name: duplicate tranche name \"a\" (first at line 2)"},
        {BASE "deals = { signed = (\n{ name = \"d\"; gw = 0.1; price_per_gw_year = 50.0; },\n"
              "{ name = \"d\"; gw = 0.1; price_per_gw_year = 40.0; } ); };\n",
         "t.cfg:5: deals.signed[1].name: duplicate deal name \"d\" (first at line 4)"},
        {"supply = { tranches = ( { name = \"a.b\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
         "t.cfg:1: supply.tranches[0].name: a name may use letters, digits, '-' and '_' only, got "
         "\"a.b\""},
        {"supply = { tranches = ( { name = \"a\"; kind = \"owend\"; gw = 1.0; cost_per_gw_year = 10.0; "
         "} ); };\n" MARKET,
         "t.cfg:1: supply.tranches.a.kind: unknown kind \"owend\" (did you mean 'owned'?)"},
        /* correlations */
        {BASE UNC "correlations = ( (\"msl.p_sucess\", \"recsys.scale_multiple\", 0.3) );\n",
         "t.cfg:5: correlations[0]: unknown input \"msl.p_sucess\" (did you mean 'msl.p_success'?)"},
        {BASE UNC "correlations = ( (\"msl.p_success\", \"deals.spot.premium\", 0.3) );\n",
         "t.cfg:5: correlations[0]: \"deals.spot.premium\" is drawn per spot offer, not once per "
         "path, so it cannot be correlated"},
        {BASE UNC "correlations = ( (\"msl.p_success\", \"market.drift\", 0.3) );\n",
         "t.cfg:5: correlations[0]: \"market.drift\" is fixed, so it cannot be correlated (give it "
         "a distribution)"},
        {BASE UNC "correlations = ( (\"msl.p_success\", \"recsys.scale_multiple\", 1.5) );\n",
         "t.cfg:5: correlations[0]: rho must be in [-1, 1], got 1.5"},
        {BASE UNC "correlations = ( (\"msl.p_success\", \"msl.p_success\", 0.5) );\n",
         "t.cfg:5: correlations[0]: an input cannot be correlated with itself (\"msl.p_success\")"},
        {BASE UNC "correlations = (\n(\"msl.p_success\", \"recsys.scale_multiple\", 0.3),\n"
                  "(\"recsys.scale_multiple\", \"msl.p_success\", 0.2) );\n",
         "t.cfg:7: correlations[1]: the pair (\"recsys.scale_multiple\", \"msl.p_success\") is "
         "already given at line 6"},
        {BASE UNC "correlations = ( (\"msl.p_success\", 0.3) );\n",
         "t.cfg:5: correlations[0]: expected (\"input\", \"input\", rho), got a list"},
        /* r = 2 sin(pi rho / 6): rho 0.6 -> r = 2 sin(0.1 pi) = 0.618. After two pairs the
         * matrix [[1, r, r], [r, 1, 0], [r, 0, 1]] has determinant 1 - 2 r^2 = 0.236 > 0; the
         * third pair (r = -0.618) makes it 1 - 3 r^2 + 2 r r (-r) = 1 - 1.146 - 0.472 < 0. */
        {BASE UNC "correlations = (\n(\"msl.p_success\", \"recsys.scale_multiple\", 0.6),\n"
                  "(\"msl.p_success\", \"recsys.ramp_months\", 0.6),\n"
                  "(\"recsys.scale_multiple\", \"recsys.ramp_months\", -0.6) );\n",
         "t.cfg:8: correlations: the correlation matrix is not positive definite once the pair "
         "(\"recsys.scale_multiple\", \"recsys.ramp_months\", -0.6) is added"},
        /* allocation */
        {BASE "allocation = { priority = [ \"msl\", \"recsis\", \"taas\" ]; };\n",
         "t.cfg:3: allocation.priority[1]: unknown use \"recsis\" (did you mean 'recsys'?)"},
        {BASE "allocation = { priority = [ \"msl\", \"msl\", \"taas\" ]; };\n",
         "t.cfg:3: allocation.priority[1]: \"msl\" is listed twice"},
        {BASE "allocation = { priority = [ \"msl\", \"taas\" ]; };\n",
         "t.cfg:3: allocation.priority: must name msl, recsys and taas once each; \"recsys\" is "
         "missing"},
        /* horizon, run, report */
        {BASE "horizon_months = 0;\n", "t.cfg:3: horizon_months: must be in [1, 240], got 0"},
        {BASE "horizon_months = 241;\n", "t.cfg:3: horizon_months: must be in [1, 240], got 241"},
        {BASE "run = { sampling = \"random\"; };\n",
         "t.cfg:3: run.sampling: unknown sampling method \"random\" (expected one of mc, lhs, "
         "sobol)"},
        {BASE "run = { paths = 0; };\n",
         "t.cfg:3: run.paths: must be in [1, 9223372036854775807], got 0"},
        {BASE "report = { relative_error = 0.5; };\n",
         "t.cfg:3: report.relative_error: must be in [0.0001, 0.1], got 0.5"},
        /* 1e-12 overflowed the sketch's bucket count (a segfault) */
        {BASE "report = { relative_error = 1e-12; };\n",
         "t.cfg:3: report.relative_error: must be in [0.0001, 0.1], got 1e-12"},
        /* MODEL.md, Present value and Calendar */
        {BASE "report = { discount_rate = -0.01; };\n",
         "t.cfg:3: report.discount_rate: an annual rate must be a finite number >= 0, got -0.01"},
        {BASE "report = { discount_rate = { dist = \"uniform\"; low = 0.0; high = 0.1; }; };\n",
         "t.cfg:3: report.discount_rate: expected a number, got a group"},
        {BASE "start = \"2026-13\";\n",
         "t.cfg:3: start: expected a calendar month \"YYYY-MM\" (month 01 to 12), got \"2026-13\""},
        {BASE "start = \"26-07\";\n",
         "t.cfg:3: start: expected a calendar month \"YYYY-MM\" (month 01 to 12), got \"26-07\""},
        {BASE "start = \"2026-7\";\n",
         "t.cfg:3: start: expected a calendar month \"YYYY-MM\" (month 01 to 12), got \"2026-7\""},
        {BASE "start = \"2026-00\";\n",
         "t.cfg:3: start: expected a calendar month \"YYYY-MM\" (month 01 to 12), got \"2026-00\""},
        {BASE "start = 202607;\n", "t.cfg:3: start: expected a string, got an integer"},
        {BASE "tornado = { metric = \"capex_burden_pv\"; };\n",
         "t.cfg:3: tornado.metric: capex_burden_pv needs report.discount_rate (MODEL.md, Present "
         "value)"},
        /* sweeps */
        {BASE "sweep = { inputs = ( { name = \"market.drfit\"; values = [0.0, 0.1]; } ); };\n",
         "t.cfg:3: sweep.inputs[0].name: unknown input \"market.drfit\" (did you mean "
         "'market.drift'?)"},
        {BASE "sweep = { inputs = ( { name = \"market.drift\"; from = 0.0; to = 0.1; steps = 1; } ); "
              "};\n",
         "t.cfg:3: sweep.inputs[0].steps: must be in [2, 100000], got 1"},
        {BASE "sweep = { inputs = ( { name = \"market.drift\"; values = [0.0, 0.1]; from = 0.0; } ); "
              "};\n",
         "t.cfg:3: sweep.inputs[0]: give either values or from, to and steps, not both"},
        {BASE "sweep = { inputs = ( { name = \"msl.p_success\"; values = [0.5, 1.2]; } ); };\n",
         "t.cfg:3: sweep.inputs[0].values: msl.p_success: every value must be a probability in [0, "
         "1], got 1.2"},
        {BASE "sweep = { inputs = ( { name = \"deals.spot.gw\"; values = [0.1, 0.2]; } ); };\n",
         "t.cfg:3: sweep.inputs[0].name: \"deals.spot.gw\" is drawn per spot offer, not once per "
         "path, so it cannot be swept"},
        /* metrics */
        {BASE "tornado = { metric = \"capex_burdn\"; };\n",
         "t.cfg:3: tornado.metric: unknown metric \"capex_burdn\" (did you mean 'capex_burden'?)"},
        {BASE "sobol = { metric = \"revenue_total\"; paths = 0; };\n",
         "t.cfg:3: sobol.paths: must be in [1, 9223372036854775807], got 0"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* The parameter is an index into cases: Criterion runs each test in a fresh worker process,
 * where pointers held in a parameter (to the strings of a case) need not be valid. */
ParameterizedTestParameters(scenario, bad)
{
    static int idx[N_CASES];
    for (size_t i = 0; i < N_CASES; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, N_CASES);
}

ParameterizedTest(int *i, scenario, bad)
{
    const bad_case *c = &cases[*i];
    char err[1024] = "";
    cx_scenario *sc = (cx_scenario *)1;
    int rc = cx_scenario_load_string(&sc, c->text, "t.cfg", err, sizeof err);
    cr_expect(eq(int, rc, CX_ERR_CONFIG), "for:\n%s", c->text);
    cr_expect(eq(ptr, sc, NULL));
    cr_expect(eq(str, err, (char *)c->msg), "for:\n%s", c->text);
}

/* The table must keep covering every class of error the issue names (at least 30 cases). */
Test(scenario, bad_table_size)
{
    cr_assert(ge(sz, N_CASES, 30));
}

static cx_scenario *load_ok(const char *text)
{
    char err[1024] = "";
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "unexpected error: %s", err);
    cr_assert(ne(ptr, sc, NULL));
    return sc;
}

/* Value of a fixed input by name (fails the test when absent or uncertain). */
static double fixed_value(const cx_scenario *sc, const char *name)
{
    int i = cx_scenario_find_input(sc, name);
    cr_assert(ge(int, i, 0), "no input %s", name);
    cr_assert(not(sc->inputs[i].uncertain), "%s is uncertain", name);
    return cx_dist_lower(&sc->inputs[i].dist);
}

Test(scenario, defaults_follow_model_md)
{
    cx_scenario *sc = load_ok(BASE);
    /* MODEL.md, "Details that settle edge cases": defaults */
    cr_expect(eq(int, sc->horizon_months, 36));
    cr_expect(eq(str, sc->name, "t"));
    cr_expect(eq(str, sc->path, "t.cfg"));
    cr_expect(eq(ptr, sc->description, NULL));
    cr_expect(eq(int, sc->n_tranches, 1));
    cr_expect(eq(int, sc->tranches[0].kind, CX_KIND_OWNED));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.start_month"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.delay_months"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.term_months"), 36.0));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.gw"), 1.0));
    cr_expect(not(sc->msl.present));
    cr_expect(not(sc->recsys.present));
    cr_expect(not(sc->taas.present));
    cr_expect(eq(dbl, fixed_value(sc, "msl.p_success"), 1.0));
    cr_expect(eq(dbl, fixed_value(sc, "msl.decision_month"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "msl.success_multiplier"), 1.0));
    cr_expect(eq(dbl, fixed_value(sc, "msl.failure_multiplier"), 1.0));
    cr_expect(sc->msl.clawback);
    cr_expect(not(sc->recsys.clawback));
    cr_expect(not(sc->taas.clawback));
    cr_expect(eq(dbl, fixed_value(sc, "recsys.scale_multiple"), 1.0));
    cr_expect(eq(dbl, fixed_value(sc, "recsys.ramp_months"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "taas.ramp_months"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "taas.p_launch"), 1.0));
    cr_expect(eq(dbl, fixed_value(sc, "market.drift"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "market.vol"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.hazard_base"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.hazard_price"), 0.0));
    cr_expect(not(sc->iaas.enabled));
    cr_expect(eq(dbl, fixed_value(sc, "iaas.max_gw"), INFINITY));
    cr_expect(eq(dbl, fixed_value(sc, "iaas.discount"), 0.0));
    cr_expect(not(sc->deals.spot.present));
    cr_expect(eq(dbl, fixed_value(sc, "deals.spot.offers_per_month"), 0.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.spot.max_external_gw"), INFINITY));
    cr_expect(eq(dbl, cx_dist_lower(&sc->deals.spot.premium), 1.0));
    cr_expect(cx_dist_is_fixed(&sc->deals.spot.premium));
    cr_expect(eq(int, sc->n_thresholds, 0));
    cr_expect(eq(dbl, sc->relative_error, 0.001));
    cr_expect(not(sc->has_discount)); /* no present values without report.discount_rate */
    cr_expect(eq(int, sc->start_year, 0)); /* no calendar without start */
    cr_expect(eq(int, sc->priority[0], CX_USE_MSL));
    cr_expect(eq(int, sc->priority[1], CX_USE_RECSYS));
    cr_expect(eq(int, sc->priority[2], CX_USE_TAAS));
    cr_expect(eq(str, sc->tornado_metric, "capex_burden"));
    cr_expect(eq(str, sc->sobol_metric, "capex_burden"));
    cr_expect(eq(u64, sc->sobol_paths, 0));
    cr_expect(not(sc->has_paths));
    cr_expect(not(sc->has_seed));
    cr_expect(eq(int, sc->run_threads, 0));
    cr_expect(eq(int, sc->sampling, CX_SAMPLING_MC));
    cr_expect(not(sc->antithetic));
    cr_expect(eq(int, sc->n_corr, 0));
    cr_expect(eq(int, sc->n_sweep, 0));
    cr_expect(ne(ptr, sc->sampler, NULL));
    /* every default is fixed, comes from no line, and is not shown as uncertain */
    for (int i = 0; i < sc->n_inputs; i++) {
        const cx_input *in = &sc->inputs[i];
        bool given = strcmp(in->name, "supply.tranches.a.gw") == 0 ||
                     strcmp(in->name, "supply.tranches.a.cost_per_gw_year") == 0 ||
                     strcmp(in->name, "market.price0") == 0;
        cr_expect(eq(int, in->from_config, given), "%s", in->name);
        cr_expect(eq(int, in->line, given ? (strncmp(in->name, "market", 6) ? 1 : 2) : 0), "%s",
                  in->name);
        cr_expect(not(in->uncertain), "%s", in->name);
    }
    /* printf 'supply = ...\nmarket = ...\n' | sha256sum */
    cr_expect(eq(str, sc->sha256,
                 "9b21d0184474a41807b32e4c3abfabae7bbeeffc00f7f5d54a9932bf3300bd83"));
    cx_scenario_free(sc);
}

Test(scenario, term_defaults_to_horizon)
{
    cx_scenario *sc = load_ok(BASE "horizon_months = 24;\n"
                              "deals = { signed = ( { name = \"d\"; gw = 0.1; price_per_gw_year = "
                              "50.0; } ); spot = { gw = 0.1; offers_per_month = 0.5; }; };\n");
    cr_expect(eq(int, sc->horizon_months, 24));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.term_months"), 24.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.signed.d.term_months"), 24.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.spot.term_months"), 24.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.signed.d.notice_days"), 90.0));
    cr_expect(eq(dbl, fixed_value(sc, "deals.signed.d.p_signed"), 1.0));
    cr_expect(not(sc->deals.signed_deals[0].cancellable));
    cr_expect(sc->deals.spot.present);
    cx_scenario_free(sc);
}

/* A scenario with every group, to check names, values and the parsed settings. */
static const char full[] =
    "name = \"full\";\n"                                                                     /* 1 */
    "description = \"every group\";\n"                                                        /* 2 */
    "horizon_months = 36;\n"                                                                 /* 3 */
    "run = { paths = 5000; seed = 7; threads = 2; sampling = \"lhs\"; antithetic = true; };\n" /* 4 */
    "supply = { tranches = (\n"                                                              /* 5 */
    "  { name = \"campuses\"; kind = \"owned\"; gw = 2.5; start_month = 6;\n"                   /* 6 */
    "    delay_months = { dist = \"triangular\"; low = 0; mode = 2; high = 9; };\n"            /* 7 */
    "    cost_per_gw_year = { dist = \"pert\"; low = 7.0; mode = 9.0; high = 12.0; }; },\n"    /* 8 */
    "  { name = \"neo-1\"; kind = \"neocloud\"; gw = 1; cost_per_gw_year = 12; term_months = 60; "
    "} ); };\n"                                                                              /* 9 */
    "msl = { schedule = ( (0, 1.5), (18, { dist = \"uniform\"; low = 2.5; high = 3.5; }), (35, "
    "4.5) );\n"                                                                              /* 10 */
    "  p_success = { dist = \"beta\"; alpha = 3.0; beta = 4.0; };\n"                          /* 11 */
    "  decision_month = { dist = \"uniform\"; low = 6; high = 12; };\n"                       /* 12 */
    "  success_multiplier = 1.3; failure_multiplier = 0.3; clawback = true; };\n"            /* 13 */
    "recsys = { base_gw = 1.0; scale_multiple = { dist = \"lognormal\"; median = 10.0; p90 = "
    "16.0; };\n"                                                                             /* 14 */
    "  ramp_months = 30; ad_revenue_base = 200.0;\n"                                         /* 15 */
    "  uplift_per_doubling = { dist = \"uniform\"; low = 0.03; high = 0.05; }; };\n"          /* 16 */
    "taas = { p_launch = 0.6; launch_month = 9; target_gw = 0.8; ramp_months = 18;\n"        /* 17 */
    "  revenue_per_gw_year = 20.0; clawback = true; };\n"                                    /* 18 */
    "market = { price0 = 12.0; drift = { dist = \"normal\"; mean = -0.15; sd = 0.05; }; vol = "
    "0.25; };\n"                                                                             /* 19 */
    "deals = { signed = ( { name = \"premium-1\"; p_signed = 0.7; start_month = 3; gw = 0.2;\n" /* 20 */
    "    price_per_gw_year = 50.0; term_months = 36; cancellable = true; notice_days = 90; } );\n" /* 21 */
    "  spot = { start_month = 6; offers_per_month = 0.3; gw = { dist = \"uniform\"; low = 0.1; "
    "high = 0.4; };\n"                                                                       /* 22 */
    "    premium = { dist = \"uniform\"; low = 2.6; high = 4.0; }; term_months = 36; notice_days = "
    "90; max_external_gw = 1.0; };\n"                                                        /* 23 */
    "  hazard_base = 0.02; hazard_price = 0.10; };\n"                                        /* 24 */
    "iaas = { enabled = true; max_gw = 0.5; discount = 0.3; };\n"                            /* 25 */
    "allocation = { priority = [ \"recsys\", \"msl\", \"taas\" ]; };\n"                      /* 26 */
    "correlations = ( (\"msl.p_success\", \"recsys.scale_multiple\", -0.3),\n"               /* 27 */
    "  (\"market.drift\", \"supply.tranches.campuses.cost_per_gw_year\", 0.4) );\n"          /* 28 */
    "report = { thresholds = [ 10.0, 25.0, 50.0 ]; relative_error = 0.002; };\n"               /* 29 */
    "sweep = { inputs = ( { name = \"msl.p_success\"; from = 0.0; to = 1.0; steps = 5; },\n"  /* 30 */
    "  { name = \"market.vol\"; values = [ 0.1, 0.3 ]; } ); };\n"                            /* 31 */
    "tornado = { metric = \"revenue_total\"; };\n"                                           /* 32 */
    "sobol = { metric = \"idle_gw_peak\"; paths = 4096; };\n";                               /* 33 */

Test(scenario, full_scenario_names_and_values)
{
    cx_scenario *sc = load_ok(full);
    cr_expect(eq(str, sc->name, "full"));
    cr_expect(eq(str, sc->description, "every group"));
    cr_expect(sc->has_paths);
    cr_expect(eq(u64, sc->run_paths, 5000));
    cr_expect(eq(u64, sc->run_seed, 7));
    cr_expect(eq(int, sc->run_threads, 2));
    cr_expect(eq(int, sc->sampling, CX_SAMPLING_LHS));
    cr_expect(sc->antithetic);
    cr_expect(eq(int, sc->n_tranches, 2));
    cr_expect(eq(str, sc->tranches[1].name, "neo-1"));
    cr_expect(eq(int, sc->tranches[1].kind, CX_KIND_NEOCLOUD));
    /* an integer setting is a number too */
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.neo-1.gw"), 1.0));
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.neo-1.term_months"), 60.0));
    int i = cx_scenario_find_input(sc, "supply.tranches.campuses.delay_months");
    cr_assert(ge(int, i, 0));
    cr_expect(eq(int, sc->inputs[i].dist.family, CX_DIST_TRIANGULAR));
    cr_expect(eq(int, sc->inputs[i].line, 7));
    cr_expect(sc->inputs[i].from_config);
    cr_expect(sc->inputs[i].uncertain);
    cr_expect(eq(int, sc->tranches[0].delay_months, i));
    /* schedule points: fixed months, gw may be uncertain, named msl.schedule[i] */
    cr_expect(eq(int, sc->msl.n_sched, 3));
    cr_expect(eq(int, sc->msl.sched[1].month, 18));
    cr_expect(eq(int, sc->msl.sched[2].month, 35));
    cr_expect(eq(int, sc->msl.sched[1].gw, cx_scenario_find_input(sc, "msl.schedule[1]")));
    cr_expect(sc->inputs[sc->msl.sched[1].gw].uncertain);
    cr_expect(eq(dbl, fixed_value(sc, "msl.schedule[2]"), 4.5));
    cr_expect(eq(int, cx_scenario_find_input(sc, "deals.signed.premium-1.p_signed"),
                 sc->deals.signed_deals[0].p_signed));
    cr_expect(sc->deals.signed_deals[0].cancellable);
    cr_expect(ge(int, cx_scenario_find_input(sc, "deals.spot.start_month"), 0));
    /* per-offer spot distributions are not scalar inputs */
    cr_expect(eq(int, cx_scenario_find_input(sc, "deals.spot.gw"), -1));
    cr_expect(eq(int, cx_scenario_find_input(sc, "deals.spot.premium"), -1));
    cr_expect(eq(int, sc->deals.spot.premium.family, CX_DIST_UNIFORM));
    cr_expect(eq(int, cx_scenario_find_input(sc, "no.such.input"), -1));
    cr_expect(sc->taas.clawback);
    cr_expect(sc->iaas.enabled);
    cr_expect(eq(int, sc->priority[0], CX_USE_RECSYS));
    cr_expect(eq(int, sc->priority[1], CX_USE_MSL));
    cr_expect(eq(int, sc->n_corr, 2));
    cr_expect(eq(int, sc->corr[1].line, 28));
    cr_expect(eq(dbl, sc->corr[0].rho, -0.3));
    cr_expect(eq(int, sc->corr[0].a, cx_scenario_find_input(sc, "msl.p_success")));
    cr_expect(eq(int, sc->n_thresholds, 3));
    cr_expect(eq(dbl, sc->thresholds[1], 25.0));
    cr_expect(eq(dbl, sc->relative_error, 0.002));
    /* sweep from 0 to 1 in 5 steps: 0, 0.25, 0.5, 0.75, 1 (all exact in binary) */
    cr_expect(eq(int, sc->n_sweep, 2));
    cr_expect(eq(int, sc->sweep[0].n, 5));
    double want[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
    for (int k = 0; k < 5; k++)
        cr_expect(eq(dbl, sc->sweep[0].values[k], want[k]));
    cr_expect(eq(str, sc->sweep[1].name, "market.vol"));
    cr_expect(eq(int, sc->sweep[1].input, sc->market.vol));
    cr_expect(eq(int, sc->sweep[1].n, 2));
    cr_expect(eq(str, sc->tornado_metric, "revenue_total"));
    cr_expect(eq(str, sc->sobol_metric, "idle_gw_peak"));
    cr_expect(eq(u64, sc->sobol_paths, 4096));
    cx_scenario_free(sc);
}

Test(scenario, lognormal_median_p90)
{
    cx_scenario *sc = load_ok(full);
    int i = cx_scenario_find_input(sc, "recsys.scale_multiple");
    cr_assert(ge(int, i, 0));
    const cx_dist *d = &sc->inputs[i].dist;
    /* median 10, p90 16: mu = ln 10 = 2.302585, sigma = ln(16 / 10) / z_0.9 with
     * z_0.9 = 1.2815515655446004, so sigma = 0.4700036 / 1.2815516 = 0.3667459 */
    double z90 = 1.2815515655446004;
    cr_expect(eq(int, d->family, CX_DIST_LOGNORMAL));
    cr_expect(epsilon_eq(dbl, d->p[0], log(10.0), 1e-12));
    cr_expect(epsilon_eq(dbl, d->p[1], log(1.6) / z90, 1e-9));
    cr_expect(epsilon_eq(dbl, cx_dist_median(d), 10.0, 1e-9));
    cr_expect(epsilon_eq(dbl, cx_dist_quantile(d, 0.9), 16.0, 1e-6));
    cx_scenario_free(sc);
}

Test(scenario, with_fixed)
{
    cx_scenario *sc = load_ok(full);
    int ps = cx_scenario_find_input(sc, "msl.p_success");
    cx_scenario *c = NULL;
    cr_assert(eq(int, cx_scenario_with_fixed(&c, sc, ps, 0.25), 0));
    cr_assert(ne(ptr, c, NULL));
    /* same layout and indices */
    cr_expect(eq(int, c->n_inputs, sc->n_inputs));
    for (int i = 0; i < sc->n_inputs; i++) {
        cr_expect(eq(str, c->inputs[i].name, sc->inputs[i].name));
        cr_expect(ne(ptr, c->inputs[i].name, sc->inputs[i].name));
        if (i != ps)
            cr_expect(eq(int, c->inputs[i].uncertain, sc->inputs[i].uncertain));
    }
    cr_expect(not(c->inputs[ps].uncertain));
    cr_expect(eq(dbl, cx_dist_lower(&c->inputs[ps].dist), 0.25));
    cr_expect(eq(dbl, cx_dist_upper(&c->inputs[ps].dist), 0.25));
    /* the pair with the now-fixed input is dropped, the other kept */
    cr_expect(eq(int, c->n_corr, 1));
    cr_expect(eq(int, c->corr[0].a, cx_scenario_find_input(sc, "market.drift")));
    cr_expect(ne(ptr, c->sampler, NULL));
    cr_expect(eq(int, cx_sampler_n(c->sampler), sc->n_inputs));
    cr_expect(eq(str, c->tranches[0].name, "campuses"));
    cr_expect(ne(ptr, c->tranches[0].name, sc->tranches[0].name));
    cr_expect(eq(str, c->deals.signed_deals[0].name, "premium-1"));
    cr_expect(eq(int, c->msl.sched[1].gw, sc->msl.sched[1].gw));
    cr_expect(eq(str, c->sweep[1].name, "market.vol"));
    cr_expect(eq(str, c->sha256, sc->sha256));
    /* the original is untouched */
    cr_expect(sc->inputs[ps].uncertain);
    cr_expect(eq(int, sc->n_corr, 2));
    cx_scenario_free(c);
    cx_scenario_free(sc);

    cr_expect(eq(int, cx_scenario_with_fixed(&c, sc = load_ok(BASE), -1, 1.0), CX_ERR_RANGE));
    cr_expect(eq(ptr, c, NULL));
    cr_expect(eq(int, cx_scenario_with_fixed(&c, sc, 0, NAN), CX_ERR_RANGE));
    cx_scenario_free(sc);
    cx_scenario_free(NULL);
}

Test(scenario, missing_file_is_io_error)
{
    char err[512] = "";
    cx_scenario *sc = (cx_scenario *)1;
    int rc = cx_scenario_load(&sc, "/nonexistent/dir/x.cfg", err, sizeof err);
    cr_expect(eq(int, rc, CX_ERR_IO));
    cr_expect(eq(ptr, sc, NULL));
    cr_expect(eq(str, err, "/nonexistent/dir/x.cfg: cannot read: No such file or directory"));
    rc = cx_scenario_load(&sc, "/", err, sizeof err);
    cr_expect(eq(int, rc, CX_ERR_IO));
    cr_expect(eq(str, err, "/: cannot read: Is a directory"));
}

Test(scenario, file_matches_string)
{
    char path[] = "/tmp/cx_scenario_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    FILE *f = fdopen(fd, "w");
    cr_assert(ne(ptr, f, NULL));
    fputs(BASE, f);
    fclose(f);
    char err[512] = "";
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load(&sc, path, err, sizeof err);
    remove(path);
    cr_assert(eq(int, rc, 0), "%s", err);
    cr_expect(eq(str, sc->path, path));
    cr_expect(eq(str, sc->name, path + 5)); /* base name, no .cfg to strip */
    cr_expect(eq(str, sc->sha256,
                 "9b21d0184474a41807b32e4c3abfabae7bbeeffc00f7f5d54a9932bf3300bd83"));
    cx_scenario_free(sc);
}

Test(scenario, error_in_file_names_the_path)
{
    char path[] = "/tmp/cx_scenario_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    FILE *f = fdopen(fd, "w");
    fputs(BASE "msl = { schedule = ((0, 1.0)); p_success = 2.0; };\n", f);
    fclose(f);
    char err[512] = "", want[512];
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load(&sc, path, err, sizeof err);
    remove(path);
    snprintf(want, sizeof want, "%s:3: msl.p_success: a probability must be in [0, 1], got 2", path);
    cr_expect(eq(int, rc, CX_ERR_CONFIG));
    cr_expect(eq(str, err, want));
}

Test(scenario, default_scenario_loads)
{
    char err[1024] = "";
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load_default(&sc, err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    cr_expect(eq(str, sc->path, "<built-in>"));
    cr_expect(eq(sz, strlen(sc->sha256), 64));
    cr_expect(ge(int, sc->n_tranches, 1));
    cx_scenario_free(sc);
}

Test(scenario, every_config_loads)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs", CX_SOURCE_ROOT);
    DIR *d = opendir(dir);
    cr_assert(ne(ptr, d, NULL), "cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") != 0)
            continue;
        char path[2048], err[1024] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cx_scenario *sc = NULL;
        int rc = cx_scenario_load(&sc, path, err, sizeof err);
        cr_expect(eq(int, rc, 0), "%s", err);
        cx_scenario_free(sc);
        n++;
    }
    closedir(d);
    cr_expect(ge(int, n, 1));
}

Test(scenario, summary_prints_one_screen)
{
    cx_scenario *sc = load_ok(full);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(ne(ptr, f, NULL));
    cx_scenario_print_summary(sc, f);
    fclose(f);
    cr_expect(ne(ptr, strstr(buf, "campuses"), NULL));
    cr_expect(ne(ptr, strstr(buf, "premium-1"), NULL));
    cr_expect(ne(ptr, strstr(buf, "recsys.scale_multiple"), NULL));
    cr_expect(ne(ptr, strstr(buf, "lognormal"), NULL));
    char prefix[17];
    snprintf(prefix, sizeof prefix, "%.16s", sc->sha256);
    cr_expect(ne(ptr, strstr(buf, prefix), NULL));
    int lines = 0;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    cr_expect(le(int, lines, 60), "%s", buf);
    free(buf);
    cx_scenario_free(sc);
}

/* MODEL.md, Details: tranches and signed deals may start before month 0. */
Test(scenario, negative_start_months_load)
{
    char err[512] = "";
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load_string(&sc,
        "supply = { tranches = ( { name = \"a\"; gw = 1.0; start_month = -3; "
        "cost_per_gw_year = 10.0; } ); };\n"
        "market = { price0 = 12.0; };\n"
        "deals = { signed = ( { name = \"d\"; gw = 0.1; price_per_gw_year = 50.0; "
        "start_month = { dist = \"uniform\"; low = -6.0; high = 2.0; }; } ); };\n",
        "t.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    cr_expect(eq(dbl, fixed_value(sc, "supply.tranches.a.start_month"), -3.0));
    cx_scenario_free(sc);
}

/* ---- issue 11: @include, hashes over every file, limits ---- */

/* Writes text to dir/name. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(ne(ptr, f, NULL), "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Loads dir/main.cfg; returns the rc, the message in err (paths relative to dir shown as
 * "DIR/..." for comparison). */
static int load_in(const char *dir, cx_scenario **sc, char *err, size_t n)
{
    char path[512], raw[1024] = "";
    snprintf(path, sizeof path, "%s/main.cfg", dir);
    int rc = cx_scenario_load(sc, path, raw, sizeof raw);
    /* replace every occurrence of dir with DIR */
    size_t dl = strlen(dir), j = 0;
    for (const char *p = raw; *p && j + 4 < n;) {
        if (strncmp(p, dir, dl) == 0) {
            memcpy(err + j, "DIR", 3);
            j += 3;
            p += dl;
        } else {
            err[j++] = *p++;
        }
    }
    err[j] = '\0';
    return rc;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (remove(path) != 0)
            rm_dir(path), remove(path);
    }
    closedir(d);
    remove(dir);
}

Test(scenario, include_is_checked_like_the_main_file)
{
    char dir[] = "/tmp/cx_inc_XXXXXX";
    cr_assert(ne(ptr, mkdtemp(dir), NULL));
    char err[1024];
    cx_scenario *sc = NULL;
    /* a wrapping literal in an included file, at its own line */
    put_file(dir, "main.cfg", SUPPLY "@include \"inc.cfg\"\n" MARKET);
    put_file(dir, "inc.cfg", "# runs\nrun = { paths = 9999999999; };\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/inc.cfg:2: run.paths: integer 9999999999 does not fit in 32 bits, "
                           "and libconfig would silently change it: write 9999999999L (64-bit) "
                           "or 9999999999.0"));
    /* a bad value in an included file names that file and line; lines after the include
     * in the main file keep their numbers */
    put_file(dir, "inc.cfg", "# runs\nrun = { paths = 10; };\nmsl = { schedule = ((0, 1.0)); p_success = 2.0; };");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/inc.cfg:3: msl.p_success: a probability must be in [0, 1], got 2"));
    put_file(dir, "inc.cfg", "run = { paths = 10; };\n");
    put_file(dir, "main.cfg", SUPPLY "@include \"inc.cfg\"\n" MARKET "horizon_months = 999;\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/main.cfg:4: horizon_months: must be in [1, 240], got 999"));
    /* a duplicate key across files */
    put_file(dir, "inc.cfg", "market = { price0 = 3.0; };\n");
    put_file(dir, "main.cfg", SUPPLY MARKET "@include \"inc.cfg\"\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/inc.cfg:1: market: duplicate setting name (a key may appear "
                           "once in a group)"));
    /* an @include in a comment or a string is text */
    put_file(dir, "main.cfg", SUPPLY "/*\n@include \"nope.cfg\"\n*/\n" MARKET
                              "description = \"x\n@include \\\"nope.cfg\\\"\n\";\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), 0), "%s", err);
    cx_scenario_free(sc);
    rm_dir(dir);
}

Test(scenario, include_of_folder_missing_file_or_cycle_is_one_line)
{
    char dir[] = "/tmp/cx_inc_XXXXXX";
    cr_assert(ne(ptr, mkdtemp(dir), NULL));
    char err[1024], sub[600];
    cx_scenario *sc = NULL;
    snprintf(sub, sizeof sub, "%s/folder", dir);
    cr_assert(eq(int, mkdir(sub, 0700), 0));
    put_file(dir, "main.cfg", BASE "@include \"folder\"\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/main.cfg:3: @include \"folder\": cannot read: Is a directory"));
    put_file(dir, "main.cfg", BASE "  @include \"nope.cfg\"\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/main.cfg:3: @include \"nope.cfg\": cannot read: No such file or "
                           "directory"));
    snprintf(sub, sizeof sub, "%s/fifo", dir);
    cr_assert(eq(int, mkfifo(sub, 0600), 0));
    put_file(dir, "main.cfg", BASE "@include \"fifo\"\n"); /* no writer: must not block */
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/main.cfg:3: @include \"fifo\": is not a regular file"));
    put_file(dir, "main.cfg", BASE "@include \"loop.cfg\"\n");
    put_file(dir, "loop.cfg", "@include \"loop.cfg\"\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/loop.cfg:1: @include \"loop.cfg\": included files nest more "
                           "than 10 deep (does a file include itself?)"));
    put_file(dir, "main.cfg", BASE "@include \"open.cfg\"\n");
    put_file(dir, "open.cfg", "/* never closed\n");
    cr_expect(eq(int, load_in(dir, &sc, err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "DIR/open.cfg:2: the file ends inside a comment"));
    cr_expect(eq(ptr, sc, NULL));
    rm_dir(dir);
}

Test(scenario, sha256_covers_every_included_file)
{
    char dir[] = "/tmp/cx_inc_XXXXXX";
    cr_assert(ne(ptr, mkdtemp(dir), NULL));
    char err[1024], h1[65], h2[65], h3[65];
    cx_scenario *sc = NULL;
    put_file(dir, "main.cfg", SUPPLY "@include \"m.cfg\"\n");
    put_file(dir, "m.cfg", MARKET);
    cr_assert(eq(int, load_in(dir, &sc, err, sizeof err), 0), "%s", err);
    memcpy(h1, sc->sha256, 65);
    cx_scenario_free(sc);
    /* the hash is that of the text libconfig reads: the @include "..." replaced by the
     * file's text, the rest of its line (here the newline) kept */
    cx_scenario *flat = NULL;
    cr_assert(eq(int, cx_scenario_load_string(&flat, SUPPLY MARKET "\n", "flat.cfg", err, sizeof err), 0));
    cr_expect(eq(str, h1, flat->sha256));
    cx_scenario_free(flat);
    /* editing the included file changes it */
    put_file(dir, "m.cfg", "market = { price0 = 12.5; };\n");
    cr_assert(eq(int, load_in(dir, &sc, err, sizeof err), 0), "%s", err);
    memcpy(h2, sc->sha256, 65);
    cr_expect(ne(str, h1, h2));
    cx_scenario_free(sc);
    /* and so does the order of two included files */
    put_file(dir, "a.cfg", "# a\n");
    put_file(dir, "b.cfg", "# b\n");
    put_file(dir, "main.cfg", SUPPLY "@include \"m.cfg\"\n@include \"a.cfg\"\n@include \"b.cfg\"\n");
    cr_assert(eq(int, load_in(dir, &sc, err, sizeof err), 0), "%s", err);
    memcpy(h3, sc->sha256, 65);
    cx_scenario_free(sc);
    put_file(dir, "main.cfg", SUPPLY "@include \"m.cfg\"\n@include \"b.cfg\"\n@include \"a.cfg\"\n");
    cr_assert(eq(int, load_in(dir, &sc, err, sizeof err), 0), "%s", err);
    cr_expect(ne(str, h3, sc->sha256));
    cx_scenario_free(sc);
    rm_dir(dir);
}

/* Tranche and deal names are at most 128 characters, so dotted input names never reach the
 * 511-character key limit and two long names cannot collide after truncation. */
Test(scenario, long_names_are_refused_not_truncated)
{
    char name[600], text[2048], err[1024] = "";
    memset(name, 'n', 129);
    name[129] = '\0';
    snprintf(text, sizeof text,
             "supply = { tranches = ( { name = \"%s\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n"
             MARKET, name);
    cx_scenario *sc = NULL;
    cr_expect(eq(int, cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "t.cfg:1: supply.tranches[0].name: a name may be at most 128 characters "
                           "long, got 129"));
    name[128] = '\0';
    snprintf(text, sizeof text,
             "supply = { tranches = ( { name = \"%sA\"; gw = 1.0; cost_per_gw_year = 10.0; },\n"
             "  { name = \"%sB\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n" MARKET,
             name + 1, name + 1);
    cr_expect(eq(int, cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err), 0), "%s", err);
    char a[700];
    snprintf(a, sizeof a, "supply.tranches.%sA.gw", name + 1);
    int ia = cx_scenario_find_input(sc, a);
    a[strlen(a) - 4] = 'B';
    int ib = cx_scenario_find_input(sc, a);
    cr_expect(ge(int, ia, 0));
    cr_expect(ge(int, ib, 0));
    cr_expect(ne(int, ia, ib));
    cx_scenario_free(sc);
}

/* A file of more than 10,000 tranches is refused at once, naming the limit. */
Test(scenario, lists_are_bounded)
{
    size_t cap = 10001 * 80 + 256, n = 0;
    char *text = malloc(cap);
    cr_assert(ne(ptr, text, NULL));
    n += (size_t)snprintf(text + n, cap - n, "supply = { tranches = (\n");
    for (int i = 0; i < 10001; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{ name = \"t%d\"; gw = 1.0; cost_per_gw_year = 1.0; }\n",
                              i ? "," : "", i);
    snprintf(text + n, cap - n, "); };\n" MARKET);
    char err[1024] = "";
    cx_scenario *sc = NULL;
    cr_expect(eq(int, cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err), CX_ERR_CONFIG));
    cr_expect(eq(str, err, "t.cfg:1: supply.tranches: at most 10000 tranche groups, got 10001"));
    free(text);
}

/* ---- issue 11: the first pair that breaks positive definiteness, quickly ---- */

/* A scenario of n tranches with uncertain gw (inputs supply.tranches.tI.gw) and the given
 * correlation pairs, one a line. */
static char *corr_scenario(int n, const int *a, const int *b, const double *rho, int n_pairs)
{
    size_t cap = (size_t)n * 128 + (size_t)n_pairs * 96 + 256, k = 0;
    char *t = malloc(cap);
    cr_assert(ne(ptr, t, NULL));
    k += (size_t)snprintf(t + k, cap - k, "market = { price0 = 12.0; };\nsupply = { tranches = (\n");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k,
                              "%s{ name = \"t%d\"; gw = { dist = \"uniform\"; low = 1.0; high = 2.0; }; "
                              "cost_per_gw_year = 1.0; }\n", i ? "," : "", i);
    k += (size_t)snprintf(t + k, cap - k, "); };\ncorrelations = (\n");
    for (int p = 0; p < n_pairs; p++)
        k += (size_t)snprintf(t + k, cap - k, "%s(\"supply.tranches.t%d.gw\", \"supply.tranches.t%d.gw\", %.17g)\n",
                              p ? "," : "", a[p], b[p], rho[p]);
    snprintf(t + k, cap - k, ");\n");
    return t;
}

/* The pair named is the one the definition gives (the shortest failing prefix, found here by
 * loading every prefix), on random pair lists. */
Test(scenario, non_positive_definite_pair_matches_the_definition)
{
    enum { N = 7, MAXP = 16 };
    unsigned long long st = 12345;
    int checked = 0;
    for (int trial = 0; trial < 300; trial++) {
        int a[MAXP], b[MAXP], np = 0;
        double rho[MAXP];
        int want = 4 + (int)(trial % (MAXP - 4));
        while (np < want) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            int x = (int)((st >> 33) % N), y = (int)((st >> 45) % N);
            double r = ((double)((st >> 11) & 0xfffff) / 1048576.0) * 1.9 - 0.95;
            bool dup = x == y;
            for (int q = 0; q < np && !dup; q++)
                dup = (a[q] == x && b[q] == y) || (a[q] == y && b[q] == x);
            if (dup)
                continue;
            a[np] = x;
            b[np] = y;
            rho[np++] = r;
        }
        char *txt = corr_scenario(N, a, b, rho, np), err[1024] = "", want_err[1024] = "";
        cx_scenario *sc = NULL;
        int rc = cx_scenario_load_string(&sc, txt, "t.cfg", err, sizeof err);
        free(txt);
        cx_scenario_free(sc);
        if (rc == 0)
            continue;
        cr_assert(eq(int, rc, CX_ERR_CONFIG), "%s", err);
        /* shortest failing prefix */
        for (int p = 1; p <= np; p++) {
            char *t = corr_scenario(N, a, b, rho, p);
            int prc = cx_scenario_load_string(&sc, t, "t.cfg", want_err, sizeof want_err);
            free(t);
            cx_scenario_free(sc);
            if (prc != 0)
                break;
        }
        cr_expect(eq(str, err, want_err), "trial %d", trial);
        checked++;
    }
    cr_expect(ge(int, checked, 50), "only %d trials broke the matrix", checked);
}

/* 1,200 correlated inputs, the breaking pair last: a star (t0, tI) with r^2 (1199) just
 * above 1. The old way (a factorisation per pair) took minutes; one pass takes well under
 * a second here, so 30 s leaves room for sanitisers and a loaded machine. */
Test(scenario, non_positive_definite_pair_is_found_quickly, .timeout = 120)
{
    enum { N = 1200 };
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    double *rho = malloc(N * sizeof *rho);
    cr_assert(a && b && rho);
    for (int i = 1; i < N; i++) {
        a[i - 1] = 0;
        b[i - 1] = i;
        rho[i - 1] = 0.02758; /* r = 0.0288807: 1198 r^2 = 0.99925, 1199 r^2 = 1.00008 */
    }
    char *t = corr_scenario(N, a, b, rho, N - 1), err[1024] = "";
    cx_scenario *sc = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = cx_scenario_load_string(&sc, t, "t.cfg", err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    free(t);
    /* line: 2 + N tranche lines + "); };" + "correlations = (" + pair index 1198 */
    char want[512];
    snprintf(want, sizeof want, "t.cfg:%d: correlations: the correlation matrix is not positive "
             "definite once the pair (\"supply.tranches.t0.gw\", \"supply.tranches.t1199.gw\", "
             "0.02758) is added", 2 + N + 2 + (N - 1));
    cr_expect(eq(int, rc, CX_ERR_CONFIG));
    cr_expect(eq(str, err, want));
    cr_expect(lt(dbl, s, 30.0), "took %.1f s", s);
    /* without the last pair the matrix is positive definite */
    t = corr_scenario(N, a, b, rho, N - 2);
    rc = cx_scenario_load_string(&sc, t, "t.cfg", err, sizeof err);
    cr_expect(eq(int, rc, 0), "%s", err);
    cx_scenario_free(sc);
    free(t);
    free(a);
    free(b);
    free(rho);
}

/* Issue 20: the once-per-path outcomes are scalar inputs named after their groups, right
 * after their probabilities, uniform(0, 1) (fixed at 1/2, so certain and undrawn, when the
 * probability is fixed at 0 or 1); a sweep that fixes the probability re-derives the law;
 * no outcome without its group. */
Test(scenario, outcomes_are_named_inputs)
{
    cx_scenario *sc = load_ok(
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n"
        "msl = { schedule = ( (0, 1.0) ); p_success = { dist = \"beta\"; alpha = 3.0; beta = 4.0; }; };\n"
        "taas = { p_launch = 1.0; target_gw = 0.5; };\n"
        "market = { price0 = 12.0; };\n"
        "deals = { signed = ( { name = \"d1\"; p_signed = 0.4; gw = 0.1; price_per_gw_year = 20.0; },\n"
        "                     { name = \"d2\"; gw = 0.1; price_per_gw_year = 20.0; } ); };\n");
    const char *names[] = {"msl.success", "taas.launch", "deals.signed.d1.happens",
                           "deals.signed.d2.happens"};
    const char *probs[] = {"msl.p_success", "taas.p_launch", "deals.signed.d1.p_signed",
                           "deals.signed.d2.p_signed"};
    const bool uncertain[] = {true, false, true, false};
    for (int k = 0; k < 4; k++) {
        int i = cx_scenario_find_input(sc, names[k]), p = cx_scenario_find_input(sc, probs[k]);
        cr_assert(i >= 0 && p >= 0, "%s", names[k]);
        cr_assert(eq(int, i, p + 1), "%s follows %s", names[k], probs[k]);
        const cx_input *x = &sc->inputs[i];
        cr_assert(x->outcome && x->outcome_p == p && x->from_config == false);
        cr_assert(eq(int, x->uncertain, uncertain[k]), "%s", names[k]);
        if (uncertain[k]) {
            cr_assert(eq(int, x->dist.family, CX_DIST_UNIFORM));
            cr_assert(eq(dbl, cx_dist_lower(&x->dist), 0.0));
            cr_assert(eq(dbl, cx_dist_upper(&x->dist), 1.0));
        } else {
            cr_assert(eq(int, x->dist.family, CX_DIST_FIXED));
            cr_assert(eq(dbl, x->dist.p[0], 0.5));
        }
        cr_assert(not(sc->inputs[p].outcome));
    }
    /* a sweep point that fixes a probability: certain at 0 or 1, uncertain inside */
    int p = cx_scenario_find_input(sc, "msl.p_success"), u = p + 1;
    cx_scenario *c;
    cr_assert(eq(int, cx_scenario_with_fixed(&c, sc, p, 1.0), 0));
    cr_assert(not(c->inputs[u].uncertain));
    cr_assert(eq(dbl, c->inputs[u].dist.p[0], 0.5));
    cx_scenario_free(c);
    int t = cx_scenario_find_input(sc, "taas.p_launch");
    cr_assert(eq(int, cx_scenario_with_fixed(&c, sc, t, 0.3), 0));
    cr_assert(c->inputs[t + 1].uncertain && c->inputs[t + 1].dist.family == CX_DIST_UNIFORM);
    cx_scenario_free(c);
    cx_scenario_free(sc);
    /* no group, no outcome */
    sc = load_ok("horizon_months = 12;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n"
                 "market = { price0 = 12.0; };\n");
    cr_assert(eq(int, cx_scenario_find_input(sc, "msl.success"), -1));
    cr_assert(eq(int, cx_scenario_find_input(sc, "taas.launch"), -1));
    cx_scenario_free(sc);
}

/* ---- plausible ranges (issue 23 item 2) */

typedef struct implausible_case {
    const char *text;
    const char *warning; /* the one warning line */
} implausible_case;

static implausible_case implausible[] = {
    /* MW typed as GW */
    {"supply = { tranches = ( { name = \"a\"; gw = 1000; cost_per_gw_year = 10.0; } ); };\n" MARKET,
     "t.cfg:1: supply.tranches.a.gw: 1000 is outside the plausible range [0, 50] GW (a tranche "
     "of more than 50 GW: MW typed as GW?)"},
    /* a percent typed as a fraction */
    {DRIFT("-35"), "t.cfg:2: market.drift: -35 is outside the plausible range [-1, 1] per year "
                   "(a percent typed as a fraction (-35 for -0.35)?)"},
    /* a distribution is checked by its P1..P99 */
    {DRIFT("{ dist = \"uniform\"; low = -35.0; high = 10.0; }"),
     "t.cfg:2: market.drift: P1..P99 [-34.55, 9.55] is outside the plausible range [-1, 1] per "
     "year (a percent typed as a fraction (-35 for -0.35)?)"},
    {SUPPLY "market = { price0 = 12.0; vol = 45; };\n",
     "t.cfg:2: market.vol: 45 is outside the plausible range [0, 3] per sqrt(year) (a percent "
     "typed as a fraction (45 for 0.45)?)"},
    {"supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 400.0; } ); };\n" MARKET,
     "t.cfg:1: supply.tranches.a.cost_per_gw_year: 400 is outside the plausible range [1, 100] "
     "$B/GW-yr ($M typed as $B, or a total typed as a yearly cost?)"},
    /* a start month at or past the 36-month horizon */
    {"supply = { tranches = ( { name = \"a\"; gw = 1.0; start_month = 90; cost_per_gw_year = 10.0; "
     "} ); };\n" MARKET,
     "t.cfg:1: supply.tranches.a.start_month: 90 is outside the plausible range [-120, 35] months "
     "(at or past the horizon the tranche never comes online)"},
    {BASE "deals = { spot = { start_month = 36; offers_per_month = 1.0; gw = 0.1; }; };\n",
     "t.cfg:3: deals.spot.start_month: 36 is outside the plausible range [0, 35] months (at or "
     "past the horizon no offer arrives)"},
    /* a deal longer than the horizon */
    {BASE "deals = { signed = ( { name = \"d\"; gw = 0.1; price_per_gw_year = 20.0; "
          "term_months = 120; } ); };\n",
     "t.cfg:3: deals.signed.d.term_months: 120 is outside the plausible range [1, 36] months (a "
     "deal longer than the horizon: days typed as months?)"},
    {BASE "deals = { spot = { offers_per_month = 1.0; gw = 500.0; }; };\n",
     "t.cfg:3: deals.spot.gw: 500 is outside the plausible range [0, 10] GW (an offer of more "
     "than 10 GW: MW typed as GW?)"},
};

#define N_IMPLAUSIBLE (sizeof implausible / sizeof implausible[0])

/* An index, as for the bad cases: pointers in a parameter need not survive the worker. */
ParameterizedTestParameters(scenario, implausible_values_warn)
{
    static int idx[N_IMPLAUSIBLE];
    for (size_t i = 0; i < N_IMPLAUSIBLE; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, N_IMPLAUSIBLE);
}

ParameterizedTest(int *i, scenario, implausible_values_warn)
{
    const implausible_case *c = &implausible[*i];
    char err[1024] = "";
    cx_scenario *sc = NULL;
    int rc = cx_scenario_load_string(&sc, c->text, "t.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    cr_assert(eq(int, sc->n_warnings, 1));
    cr_expect(eq(str, sc->warnings[0], (char *)c->warning));
    cx_scenario_free(sc);
}

Test(scenario, shipped_configs_are_plausible)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs", CX_SOURCE_ROOT);
    DIR *d = opendir(dir);
    cr_assert(ne(ptr, d, NULL), "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") != 0)
            continue;
        char path[2048], err[1024] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cx_scenario *sc = NULL;
        cr_assert(eq(int, cx_scenario_load(&sc, path, err, sizeof err), 0), "%s", err);
        cr_expect(eq(int, sc->n_warnings, 0), "%s: %s", path,
                  sc->n_warnings ? sc->warnings[0] : "");
        cx_scenario_free(sc);
    }
    closedir(d);
}

/* The whole text of a file under the source root (NULL-terminated; caller frees). */
static char *slurp(const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", CX_SOURCE_ROOT, rel);
    FILE *f = fopen(path, "rb");
    cr_assert(ne(ptr, f, NULL), "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert(ne(ptr, buf, NULL));
    cr_assert(eq(sz, fread(buf, 1, (size_t)n, f), (size_t)n));
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* docs/model.md's table of plausible ranges is the code's, row for row. */
Test(scenario, plausible_ranges_match_model_md)
{
    char *doc = slurp("docs/model.md");
    const char *sec = strstr(doc, "\n## Plausible ranges");
    cr_assert(ne(ptr, (void *)sec, NULL), "docs/model.md has no \"## Plausible ranges\"");
    const char *end = strstr(sec + 1, "\n## ");
    int rows = 0;
    for (const char *p = sec; p && (!end || p < end); p = strchr(p + 1, '\n'))
        rows += strncmp(p, "\n| `", 4) == 0;
    cr_expect(eq(int, rows, cx_n_plausible_ranges));
    for (int i = 0; i < cx_n_plausible_ranges; i++) {
        const cx_plausible_range *r = &cx_plausible_ranges[i];
        char hi[32], row[512];
        if (r->horizon == CX_H_BEFORE)
            snprintf(hi, sizeof hi, "horizon - 1");
        else if (r->horizon == CX_H_AT)
            snprintf(hi, sizeof hi, "horizon");
        else
            snprintf(hi, sizeof hi, "%g", r->hi);
        snprintf(row, sizeof row, "\n| `%s` | %s | %g | %s | %s |\n", r->key, r->unit, r->lo, hi,
                 r->why);
        const char *at = strstr(sec, row);
        cr_expect(at != NULL && (!end || at < end), "docs/model.md lacks the row%s", row);
    }
    free(doc);
}

/* ---- every key and default in docs/model.md (issue 23 item 3) */

/* The section of docs/model.md from `title` to the next "## " (into *end). */
static const char *doc_section(const char *doc, const char *title, const char **end)
{
    const char *sec = strstr(doc, title);
    cr_assert(ne(ptr, (void *)sec, NULL), "docs/model.md has no \"%s\"", title);
    *end = strstr(sec + 1, "\n## ");
    return sec;
}

/* Column col (0: the key) of the row of `key` in [sec, end), trimmed into out. */
static bool doc_cell(const char *sec, const char *end, const char *key, int col, char *out,
                     size_t n)
{
    char pat[512];
    snprintf(pat, sizeof pat, "\n| `%s` |", key);
    const char *at = strstr(sec, pat);
    if (!at || (end && at > end))
        return false;
    const char *p = at + 1; /* the row's first '|' */
    for (int c = 0; c <= col; c++) {
        p = strchr(p, '|');
        if (!p)
            return false;
        p++;
    }
    const char *q = strchr(p, '|');
    if (!q)
        return false;
    while (*p == ' ')
        p++;
    while (q > p && q[-1] == ' ')
        q--;
    snprintf(out, n, "%.*s", (int)(q - p), p);
    return true;
}

/* The keys the loader lists for an unknown key in `text` ("expected one of a, b, c"). */
static int probe_keys(const char *text, char names[][64], int max)
{
    char err[1024] = "";
    cx_scenario *sc = NULL;
    cr_assert(eq(int, cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err),
                 CX_ERR_CONFIG), "%s", text);
    const char *p = strstr(err, "zzzzzzzz: unknown key (expected one of ");
    cr_assert(ne(ptr, (void *)p, NULL), "%s", err);
    p = strchr(p, '(') + strlen("(expected one of ");
    int n = 0;
    while (*p && *p != ')' && n < max) {
        size_t k = strcspn(p, ",)");
        snprintf(names[n++], 64, "%.*s", (int)k, p);
        p += k;
        if (*p == ',')
            p += 2;
    }
    return n;
}

Test(scenario, every_key_is_in_model_md)
{
    static const struct {
        const char *prefix, *text;
    } probes[] = {
        {"", BASE "zzzzzzzz = 1;\n"},
        {"run", BASE "run = { zzzzzzzz = 1; };\n"},
        {"supply", "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 10.0; } ); "
                   "zzzzzzzz = 1; };\n" MARKET},
        {"supply.tranches.*", "supply = { tranches = ( { name = \"a\"; gw = 1.0; "
                              "cost_per_gw_year = 10.0; zzzzzzzz = 1; } ); };\n" MARKET},
        {"msl", BASE "msl = { zzzzzzzz = 1; };\n"},
        {"recsys", BASE "recsys = { zzzzzzzz = 1; };\n"},
        {"taas", BASE "taas = { zzzzzzzz = 1; };\n"},
        {"market", SUPPLY "market = { price0 = 12.0; zzzzzzzz = 1; };\n"},
        {"deals", BASE "deals = { zzzzzzzz = 1; };\n"},
        {"deals.signed.*", BASE "deals = { signed = ( { name = \"d\"; zzzzzzzz = 1; } ); };\n"},
        {"deals.spot", BASE "deals = { spot = { zzzzzzzz = 1; }; };\n"},
        {"iaas", BASE "iaas = { zzzzzzzz = 1; };\n"},
        {"allocation", BASE "allocation = { zzzzzzzz = 1; };\n"},
        {"report", BASE "report = { zzzzzzzz = 1; };\n"},
        {"tornado", BASE "tornado = { zzzzzzzz = 1; };\n"},
        {"sobol", BASE "sobol = { zzzzzzzz = 1; };\n"},
        {"sobol.groups.*", BASE "sobol = { groups = ( { name = \"g\"; zzzzzzzz = 1; } ); };\n"},
        {"sweep", BASE "sweep = { zzzzzzzz = 1; };\n"},
    };
    static const char *const families[] = {"fixed", "uniform", "triangular", "pert", "normal",
                                            "lognormal", "beta", "gamma", "bernoulli",
                                            "discrete"};
    char *doc = slurp("docs/model.md");
    const char *end, *sec = doc_section(doc, "\n## Every scenario key", &end);
    const char *dist = strstr(sec, "Distribution groups");
    cr_assert(ne(ptr, (void *)dist, NULL));
    char names[64][64], key[512], cell[128];
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int n = probe_keys(probes[i].text, names, 64);
        cr_expect(gt(int, n, 0));
        for (int k = 0; k < n; k++) {
            if (probes[i].prefix[0])
                snprintf(key, sizeof key, "%.200s.%.60s", probes[i].prefix, names[k]);
            else
                snprintf(key, sizeof key, "%.60s", names[k]);
            cr_expect(doc_cell(sec, dist, key, 0, cell, sizeof cell),
                      "docs/model.md, \"Every scenario key\", lacks `%s`", key);
        }
    }
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        char text[512];
        snprintf(text, sizeof text, SUPPLY "market = { price0 = 12.0; drift = { dist = \"%s\"; "
                 "zzzzzzzz = 1; }; };\n", families[f]);
        int n = probe_keys(text, names, 64);
        for (int k = 0; k < n; k++)
            cr_expect(doc_cell(dist, end, names[k], 0, cell, sizeof cell),
                      "docs/model.md's distribution keys lack `%s` (%s)", names[k], families[f]);
    }
    free(doc);
}

/* An input's name with its tranche's or deal's name as '*'. */
static void generic_name(const char *name, char *out, size_t n)
{
    static const char *const lists[] = {"supply.tranches.", "deals.signed."};
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(lists[i]);
        const char *dot;
        if (strncmp(name, lists[i], k) == 0 && (dot = strchr(name + k, '.')) != NULL) {
            snprintf(out, n, "%s*%s", lists[i], dot);
            return;
        }
    }
    snprintf(out, n, "%s", name);
}

Test(scenario, every_default_is_model_md_s)
{
    char *doc = slurp("docs/model.md");
    const char *end, *sec = doc_section(doc, "\n## Every scenario key", &end);
    const char *dist = strstr(sec, "Distribution groups");
    cx_scenario *sc = load_ok(BASE "msl = { schedule = ((0, 1.0)); };\nrecsys = { base_gw = 1.0; };\n"
                                   "taas = { target_gw = 1.0; };\n"
                                   "deals = { signed = ( { name = \"d\"; gw = 0.1; "
                                   "price_per_gw_year = 20.0; } ); spot = { offers_per_month = "
                                   "1.0; gw = 0.1; }; };\n");
    char key[512], want[64], got[128];
    int n_defaults = 0;
    for (int i = 0; i < sc->n_inputs; i++) {
        const cx_input *in = &sc->inputs[i];
        if (in->from_config || in->outcome) /* outcome inputs (msl.success, ...) are no keys */
            continue;
        double v = cx_dist_median(&in->dist);
        generic_name(in->name, key, sizeof key);
        size_t kl = strlen(key);
        if (isinf(v))
            snprintf(want, sizeof want, "unlimited");
        else if (kl > 11 && strcmp(key + kl - 11, "term_months") == 0 && v == sc->horizon_months)
            snprintf(want, sizeof want, "horizon");
        else
            snprintf(want, sizeof want, "%g", v);
        cr_expect(doc_cell(sec, dist, key, 3, got, sizeof got), "docs/model.md lacks `%s`", key);
        cr_expect(eq(str, got, want), "`%s`: docs/model.md says %s, the loader %s", key, got,
                  want);
        n_defaults++;
    }
    cr_expect(ge(int, n_defaults, 25));
    /* the defaults that are not numbers of the model */
    static const char *const samplings[] = {"mc", "lhs", "sobol"};
    char num[5][32];
    snprintf(num[0], 32, "%d", sc->horizon_months);
    snprintf(num[1], 32, "%g", sc->relative_error);
    struct {
        const char *key, *want;
    } other[] = {
        {"horizon_months", num[0]},
        {"report.relative_error", num[1]},
        {"run.sampling", samplings[sc->sampling]},
        {"run.antithetic", sc->antithetic ? "true" : "false"},
        {"supply.tranches.*.kind", cx_tranche_kind_names[sc->tranches[0].kind]},
        {"msl.clawback", sc->msl.clawback ? "true" : "false"},
        {"recsys.clawback", sc->recsys.clawback ? "true" : "false"},
        {"taas.clawback", sc->taas.clawback ? "true" : "false"},
        {"deals.signed.*.cancellable", sc->deals.signed_deals[0].cancellable ? "true" : "false"},
        {"iaas.enabled", sc->iaas.enabled ? "true" : "false"},
        {"tornado.metric", sc->tornado_metric},
        {"sobol.metric", sc->sobol_metric},
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        cr_expect(doc_cell(sec, dist, other[i].key, 3, got, sizeof got), "lacks `%s`",
                  other[i].key);
        cr_expect(eq(str, got, (char *)other[i].want), "`%s`: docs/model.md says %s, the loader %s",
                  other[i].key, got, other[i].want);
    }
    cx_scenario_free(sc);
    /* PERT's lambda: the same distribution without it and with the documented default */
    cr_assert(doc_cell(dist, end, "lambda", 2, got, sizeof got));
    char text[512];
    snprintf(text, sizeof text, SUPPLY "market = { price0 = 12.0; drift = { dist = \"pert\"; "
             "low = -0.3; mode = -0.1; high = 0.2; lambda = %s; }; };\n", got);
    cx_scenario *a = load_ok(DRIFT("{ dist = \"pert\"; low = -0.3; mode = -0.1; high = 0.2; }"));
    cx_scenario *b = load_ok(text);
    int ia = cx_scenario_find_input(a, "market.drift"), ib = cx_scenario_find_input(b, "market.drift");
    for (double u = 0.05; u < 1; u += 0.1)
        cr_expect(eq(dbl, cx_dist_quantile(&a->inputs[ia].dist, u),
                     cx_dist_quantile(&b->inputs[ib].dist, u)), "lambda's default is not %s", got);
    cx_scenario_free(a);
    cx_scenario_free(b);
    free(doc);
}

/* MODEL.md, Present value and Calendar: the keys as read. */
Test(scenario, start_and_discount_rate)
{
    cx_scenario *sc = load_ok(BASE "start = \"2026-07\";\n"
                                   "report = { discount_rate = 0.1; };\n");
    cr_expect(eq(int, sc->start_year, 2026));
    cr_expect(eq(int, sc->start_month, 7));
    cr_expect(sc->has_discount);
    cr_expect(eq(dbl, sc->discount_rate, 0.1));
    cx_scenario_free(sc);
    sc = load_ok(BASE "start = \"1999-12\";\nreport = { discount_rate = 0; };\n");
    cr_expect(eq(int, sc->start_year, 1999));
    cr_expect(eq(int, sc->start_month, 12));
    cr_expect(sc->has_discount); /* 0 is a rate: the present values equal the plain sums */
    cr_expect(eq(dbl, sc->discount_rate, 0.0));
    cx_scenario_free(sc);
}

/* ---- sobol.groups (issue 20 item 4) */

/* Uncertain inputs in supply, market and MSL (lines 1 to 6), the groups on line 7 on. */
#define GROUPS_BASE                                                                          \
    "supply = { tranches = ( { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 2.0; };\n" \
    "  cost_per_gw_year = { dist = \"uniform\"; low = 9.0; high = 11.0; }; },\n"             \
    "  { name = \"b\"; gw = 1.0; cost_per_gw_year = 10.0; } ); };\n"                         \
    "market = { price0 = { dist = \"uniform\"; low = 10.0; high = 14.0; }; };\n"             \
    "msl = { schedule = ((0, 1.0)); p_success = 0.4; };\n"                                   \
    "deals = { signed = ( { name = \"d\"; gw = 0.1; price_per_gw_year = 20.0; p_signed = 0.5; } ); };\n"

Test(scenario, sobol_groups_read_and_matched)
{
    cx_scenario *sc = load_ok(GROUPS_BASE
                              "sobol = { groups = (\n"
                              "  { name = \"supply\"; inputs = [ \"supply.*\" ]; },\n"
                              "  { name = \"market\"; inputs = [ \"market\" ]; },\n"
                              "  { name = \"outcomes\"; inputs = [ \"msl.success\", "
                              "\"deals.signed.*.happens\" ]; } ); };\n");
    cr_assert(eq(int, sc->n_sobol_groups, 3));
    cr_assert(eq(str, sc->sobol_groups[0].name, "supply"));
    cr_assert(eq(int, sc->sobol_groups[2].n, 2));
    cr_assert(eq(str, sc->sobol_groups[2].members[1], "deals.signed.*.happens"));
    cr_assert(eq(int, sc->sobol_groups[1].line, 9));
    /* the matcher: a name, a dotted prefix, a pattern ('*' crosses dots), nothing else */
    cr_assert(cx_input_name_matches("supply.tranches.a.gw", "supply.*"));
    cr_assert(cx_input_name_matches("supply.tranches.a.gw", "supply"));
    cr_assert(cx_input_name_matches("supply.tranches.a.gw", "supply.tranches.a.gw"));
    cr_assert(cx_input_name_matches("deals.signed.d.happens", "deals.signed.*.happens"));
    cr_assert(not(cx_input_name_matches("deals.signed.d.gw", "deals.signed.*.happens")));
    cr_assert(not(cx_input_name_matches("supplyx.y", "supply")));
    cr_assert(not(cx_input_name_matches("msl.success_multiplier", "msl.success")));
    cx_scenario_free(sc);
}

/* Each bad sobol.groups: one error naming the file, the line and the key. */
Test(scenario, sobol_groups_refused)
{
    static const struct {
        const char *groups, *want;
    } bad[] = {
        {"  { name = \"g\"; inputs = [ \"nosuch.input\" ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].inputs[0]: \"nosuch.input\" matches no input"},
        {"  { name = \"g\"; inputs = [ \"supply.*.nosuch\" ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].inputs[0]: \"supply.*.nosuch\" matches no input"},
        {"  { name = \"s\"; inputs = [ \"supply.*\" ]; },\n"
         "  { name = \"t\"; inputs = [ \"market\", \"supply.tranches.a.gw\" ]; } ); };\n",
         "t.cfg:9: sobol.groups[1].inputs[1]: \"supply.tranches.a.gw\" takes "
         "supply.tranches.a.gw, already in group 's' (sobol.groups[0]): groups may not overlap"},
        {"  { name = \"s\"; inputs = [ \"market\" ]; },\n"
         "  { name = \"s\"; inputs = [ \"msl\" ]; } ); };\n",
         "t.cfg:9: sobol.groups[1].name: duplicate group name \"s\" (also sobol.groups[0])"},
        {"  { name = \"g\"; inputs = [ \"supply.tranches.b\" ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].inputs: group 'g' holds no uncertain input"},
        {"  { inputs = [ \"market\" ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].name: missing required key"},
        {"  { name = \"g\"; } ); };\n", "t.cfg:8: sobol.groups[0].inputs: missing required key"},
        {"  { name = \"g\"; inputs = [ ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].inputs: expected a non-empty array"},
        {"  { name = \"a b\"; inputs = [ \"market\" ]; } ); };\n",
         "t.cfg:8: sobol.groups[0].name: a name of letters"},
        {"  { name = \"g\"; inputs = [ \"market\" ]; nmae = 1; } ); };\n",
         "t.cfg:8: sobol.groups[0].nmae: unknown key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[2048], err[1024] = "";
        snprintf(text, sizeof text, GROUPS_BASE "sobol = { groups = (\n%s", bad[i].groups);
        cx_scenario *sc = NULL;
        cr_assert(eq(int, cx_scenario_load_string(&sc, text, "t.cfg", err, sizeof err),
                     CX_ERR_CONFIG), "case %zu loaded", i);
        cr_assert(ne(ptr, strstr(err, bad[i].want), NULL), "case %zu: got \"%s\", want \"%s\"",
                  i, err, bad[i].want);
        cr_assert(eq(ptr, strchr(err, '\n'), NULL), "case %zu: one line: %s", i, err);
    }
}
