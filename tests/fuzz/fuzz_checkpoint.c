/* SPDX-License-Identifier: MIT */
/* libFuzzer harness of the checkpoint reader: any file is resumed from or refused in one line. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <nettle/sha2.h>

#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/result/report.h"
#include "sim/study/batch.h"
#include "tests/fuzz/fuzz.h"

/*
 * The input is a checkpoint without its last 32 bytes: the harness appends their SHA-256,
 * as anyone editing a checkpoint can, so the fuzzer reaches the checks of the fields instead
 * of stopping at the checksum. The file is read as `resume` reads it: its identity
 * (cx_ckpt_read_id), then the whole file for the run that identity names (cx_ckpt_open, with
 * the seeds' shape, one run for `run`, 12 for `sweep`, 2 for `stress`), then every state it
 * holds as the engine's begin hook hands it over (stress: with its sections observer's state,
 * whose contents the engine checks as a run begins; batch: 2 runs, each of its own shape,
 * cx_ckpt_open_runs); for tornado, sobol and shapley (issue
 * 23), the
 * file around the study's own state (cx_ckpt_open_study; the state is the study's to check).
 * What must hold: a refusal is a non-empty message
 * of one line naming the file, and a checkpoint that opens hands the engine a state for every
 * run it holds, and lets go of its lock. Anything else aborts: a finding. The seeds
 * (tests/fuzz/corpus/checkpoint) are real checkpoints less their checksum, small because of
 * their scenario: configs/meta-2026h1.cfg with horizon_months = 3 (one quarter) and
 * report.relative_error = 0.1 (its shape is below), from run (2,048 paths, rounds of one
 * block), run --target-ci, sweep (12 points) and a run stopped by Ctrl-C; they hold the
 * capexsim version that wrote them, so after a version change they are refused early. To
 * make them again (and edit-*.ck: run.ck with paths 2^64-1, with command sweep; part.ck
 * with paths_done 4096, by tests/ckpt.sh's craft):
 *   sed -e 's/^horizon_months = 36;/horizon_months = 3;/' \
 *       -e 's/relative_error = 0.001;/relative_error = 0.1;/' configs/meta-2026h1.cfg >tiny.cfg
 *   capexsim run tiny.cfg --paths 2048 --round-blocks 1 -q --checkpoint run.ck -t 1
 *   capexsim run tiny.cfg --paths 5000 --target-ci capex_burden:0.5:0.05 -q --checkpoint tgt.ck
 *   capexsim sweep tiny.cfg --paths 1024 --round-blocks 1 -q --checkpoint sweep.ck -t 1
 *   capexsim run tiny.cfg --paths 4000000 --round-blocks 64 -q --checkpoint part.ck \
 *       --checkpoint-every 0 -t 2   # Ctrl-C once part.ck is there
 *   capexsim tornado tiny.cfg --paths 4096 --round-blocks 4 -q --checkpoint tornado.ck -t 1
 *   capexsim stress tiny.cfg --input msl.p_success:0.9:1 --paths 2048 --round-blocks 1 -q \
 *       --checkpoint stress.ck -t 1
 *   capexsim sobol tiny.cfg --paths 2048 --round-blocks 2 -q --checkpoint sobol.ck -t 1
 *   capexsim shapley tiny.cfg --paths 256 --round-blocks 4 -q --checkpoint shapley.ck -t 1
 *   capexsim batch tiny.cfg tiny.cfg --paths 2048 --round-blocks 1 -q --checkpoint batch.ck -t 1
 *   for f in run tgt sweep part tornado stress sobol shapley batch; do
 *       head -c -32 $f.ck >corpus/checkpoint/$f.ck; done
 */
#define N_QUARTERS 1
#define ALPHA 0.1
static const double thresholds[] = {10.0, 25.0, 50.0, 100.0};

/* The outcome breakdown a run of the seeds' scenario keeps: the default scenario's outcome
 * inputs (horizon and relative error change no input), made once. */
static cx_bd_shape run_bd;

static void cleanup(void)
{
    unlink("fuzz.ck");
    unlink("fuzz.ck.lock");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    int rc = fuzz_private_cwd();
    atexit(cleanup); /* before fuzz_cleanup removes the folder */
    cx_scenario *sc = NULL;
    char err[256];
    if (rc == 0 && (rc = cx_scenario_load_default(&sc, err, sizeof err)) == 0)
        cx_bd_shape_of(&run_bd, sc);
    cx_scenario_free(sc);
    return rc;
}

static void check_message(const char *err)
{
    FUZZ_CHECK(err[0] != '\0', "a refusal gave no message");
    for (const char *p = err; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
                   "the message holds a control character: %s", err);
    FUZZ_CHECK(strncmp(err, "fuzz.ck: ", 9) == 0, "the message does not name the file: %s", err);
}

/* A batch's checkpoint (issue 23): as the seed's, BATCH_RUNS runs of the seeds' scenario,
 * each with its own shape (here all alike) and the sections observer of the pairing. */
#define BATCH_RUNS 2
static int open_batch(cx_ckpt **ck, const cx_ckpt_id *id, char *err, size_t err_len)
{
    const int n_thr = (int)(sizeof thresholds / sizeof *thresholds);
    cx_ckpt_shape sh[BATCH_RUNS];
    for (int k = 0; k < BATCH_RUNS; k++)
        sh[k] = (cx_ckpt_shape){.n_quarters = N_QUARTERS, .thresholds = thresholds,
                                .n_thresholds = n_thr, .alpha = ALPHA, .bd = run_bd,
                                .obs_block = cx_sections_block_bytes(),
                                .obs_max = cx_sections_state_max(id->paths, n_thr, ALPHA)};
    return cx_ckpt_open_runs(ck, "fuzz.ck", id, BATCH_RUNS, sh, err, err_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t sum[32];
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, size, data);
    sha256_digest(&h, sizeof sum, sum);
    FILE *f = fopen("fuzz.ck", "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, size, f) == size && fwrite(sum, 1, sizeof sum, f) == sizeof sum;
    if (fclose(f) != 0 || !ok)
        return 0;

    char err[1024] = "";
    cx_ckpt_id id;
    int rc = cx_ckpt_read_id("fuzz.ck", &id, err, sizeof err);
    if (rc != 0) {
        check_message(err);
        return 0;
    }
    const bool sweep = strcmp(id.command, "sweep") == 0;
    const uint64_t runs = sweep ? 12 : 1;
    const cx_bd_shape none = {0};
    cx_ckpt *ck = NULL;
    err[0] = '\0';
    if (cx_ckpt_is_study(id.command)) {
        /* a study's state is its own bytes (checked by the study): the file around it */
        rc = cx_ckpt_open_study(&ck, "fuzz.ck", &id, 1u << 20, err, sizeof err);
        if (rc != 0) {
            FUZZ_CHECK(ck == NULL, "a refused checkpoint was opened");
            check_message(err);
        } else {
            size_t n = 0;
            const unsigned char *st = cx_ckpt_study_state(ck, &n);
            FUZZ_CHECK(st == NULL || n < size, "a study state of %zu bytes from %zu", n, size);
        }
        cx_ckpt_free(ck);
        cx_ckpt_id_clear(&id);
        return 0;
    }
    /* stress (issue 23): two runs (each keeping the breakdown, as a run does) whose states
     * hold their sections observer's */
    const bool stress = strcmp(id.command, "stress") == 0;
    const int n_thr = (int)(sizeof thresholds / sizeof *thresholds);
    /* the levels a run or sweep of this sampling keeps (sim/app/ckpt.c) */
    double rq[CX_REP_MAX_Q];
    const int n_rq = id.sampling != 0 || id.antithetic ? cx_report_replicate_levels(rq, NAN) : 0;
    const bool batch = strcmp(id.command, "batch") == 0;
    if (batch)
        rc = open_batch(&ck, &id, err, sizeof err);
    else
        rc = cx_ckpt_open_obs(&ck, "fuzz.ck", &id, stress ? 2 : runs, N_QUARTERS, thresholds,
                              n_thr, ALPHA, sweep ? &none : &run_bd, rq, n_rq,
                              stress ? cx_sections_block_bytes() : 0,
                              stress ? cx_sections_state_max(id.paths, n_thr, ALPHA) : 0, err,
                              sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(ck == NULL, "a refused checkpoint was opened");
        check_message(err);
        cx_ckpt_id_clear(&id);
        return 0;
    }
    /* every state held reads back for the engine, once per run, in order */
    cx_engine_ckpt hooks;
    cx_ckpt_hooks(ck, &hooks);
    const int held = cx_ckpt_runs_held(ck);
    FUZZ_CHECK(held >= 0 && (uint64_t)held <= (stress ? 2 : batch ? BATCH_RUNS : runs),
               "%d runs held of %llu", held,
               (unsigned long long)runs);
    for (int k = 0; k < held; k++) {
        const cx_engine_state *st = NULL;
        rc = hooks.begin(hooks.ctx, &st);
        FUZZ_CHECK(rc == 0 && st != NULL, "run %d of %d held did not read back: %s", k + 1,
                   held, cx_ckpt_error(ck));
        FUZZ_CHECK(st->paths_done <= id.paths && st->blocks_done == st->next_block,
                   "run %d: a state that disagrees with its run was handed over", k + 1);
    }
    cx_ckpt_free(ck);
    FUZZ_CHECK(access("fuzz.ck.lock", F_OK) != 0, "the lock file outlived the checkpoint");
    cx_ckpt_id_clear(&id);
    return 0;
}
