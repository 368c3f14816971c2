/* SPDX-License-Identifier: MIT */
/* PCG generators: seeding, jump-ahead, per-block streams, and gsl_rng_type wrappers. */
/*
 * Both generators are LCGs (state = state * mult + inc mod 2^N) with a permuted output
 * (O'Neill 2014). Seeding follows the reference pcg*_srandom_r exactly so that the published
 * test vectors reproduce. Jump-ahead uses Brown's (1994) algorithm: the affine map
 * x -> a x + c composed with itself k times is again affine, and square-and-multiply builds
 * it in O(log k) steps.
 */
#include <stddef.h>

#include "sim/rng/pcg.h"

void cx_pcg32_seed(cx_pcg32 *g, uint64_t initstate, uint64_t initseq)
{
    g->state = 0u;
    g->inc = (initseq << 1u) | 1u;
    (void)cx_pcg32_next(g);
    g->state += initstate;
    (void)cx_pcg32_next(g);
}

/* One LCG step without output (the 128-bit output permutation is not needed here). */
static void pcg64_step(cx_pcg64 *g)
{
    g->state = g->state * CX_PCG64_MULT + g->inc;
}

void cx_pcg64_seed(cx_pcg64 *g, cx_u128 initstate, cx_u128 initseq)
{
    g->state = 0u;
    g->inc = (initseq << 1u) | 1u;
    pcg64_step(g);
    g->state += initstate;
    pcg64_step(g);
}

void cx_pcg32_advance(cx_pcg32 *g, uint64_t delta)
{
    uint64_t cur_mult = CX_PCG32_MULT, cur_plus = g->inc;
    uint64_t acc_mult = 1u, acc_plus = 0u;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1u;
    }
    g->state = acc_mult * g->state + acc_plus;
}

void cx_pcg64_advance(cx_pcg64 *g, cx_u128 delta)
{
    cx_u128 cur_mult = CX_PCG64_MULT, cur_plus = g->inc;
    cx_u128 acc_mult = 1u, acc_plus = 0u;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1u;
    }
    g->state = acc_mult * g->state + acc_plus;
}

#define mix64 cx_mix64

#define GOLDEN64 0x9e3779b97f4a7c15ULL

/*
 * Why a mixer: two LCGs with the same multiplier whose increments differ (and whose states
 * are simply related) produce sequences that are affine images of each other, so their
 * outputs are visibly correlated (O'Neill's "streams" caveat; Vigna's critique of PCG
 * streams). Naive choices such as inc = 2 * block + 1 with a shared state are the worst
 * case. Here both the 128-bit state and the increment come out of a SplitMix64 sequence
 * keyed by a mixed (seed, block), so neighbouring blocks get unrelated states AND
 * increments. The key is mix64(mix64(seed) + block * golden): for a fixed seed it is
 * injective in block (golden is odd and mix64 is a bijection), so distinct blocks of one
 * run always get distinct streams. The result depends on (seed, block) only: any thread
 * or process computing block b gets the same stream.
 */
void cx_pcg64_stream(cx_pcg64 *g, uint64_t seed, uint64_t block)
{
    uint64_t key = mix64(mix64(seed ^ 0x6a09e667f3bcc909ULL) + block * GOLDEN64);
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        key += GOLDEN64;
        w[i] = mix64(key);
    }
    cx_u128 state = ((cx_u128)w[0] << 64) | w[1];
    cx_u128 seq = ((cx_u128)w[2] << 64) | w[3];
    /* Seed as the reference does (seq << 1 | 1 drops seq's top bit; the state bits carry
     * the rest of the entropy). */
    cx_pcg64_seed(g, state, seq);
}

/* The same keyed SplitMix64 as cx_pcg64_stream, one more level down: the path's key is
 * mix64(block key + (path + 1) x golden'), injective in path for a fixed block key. A
 * different constant from the block streams' keeps path streams apart from them. */
void cx_pcg32_path_stream(cx_pcg32 *g, uint64_t seed, uint64_t block, uint64_t path)
{
    cx_pcg32_group_stream(g, seed, block, path, 0);
}

/* Group 0 is the path stream above, bit for bit; group k > 0 mixes k into the path's key
 * once more (a bijection of the key for each k), so a path's groups are unrelated streams. */
void cx_pcg32_group_stream(cx_pcg32 *g, uint64_t seed, uint64_t block, uint64_t path,
                           unsigned group)
{
    uint64_t key = mix64(mix64(seed ^ 0xbb67ae8584caa73bULL) + block * GOLDEN64);
    key = mix64(key + (path + 1u) * 0xd1b54a32d192ed03ULL);
    if (group != 0)
        key = mix64(key ^ ((uint64_t)group * 0x3c6ef372fe94f82bULL));
    uint64_t state = mix64(key + GOLDEN64);
    uint64_t seq = mix64(key + 2u * GOLDEN64);
    cx_pcg32_seed(g, state, seq);
}

/* PCG's default 128-bit increment (pcg_variants.h, PCG_DEFAULT_INCREMENT_128). */
#define KEYED_INC                                                                       \
    (((cx_u128)6364136223846793005ULL << 64) | (cx_u128)1442695040888963407ULL)

/* The state's two halves are two mixes of `first` under different constants (bijections
 * of it), so distinct first outputs give distinct states; the step before the first
 * output (cx_pcg64_next) scrambles the halves together. */
void cx_pcg64_keyed(cx_pcg64 *g, uint64_t first)
{
    uint64_t hi = mix64(first ^ 0x243f6a8885a308d3ULL);
    uint64_t lo = mix64(first ^ 0x13198a2e03707344ULL);
    g->state = ((cx_u128)hi << 64) | lo;
    g->inc = KEYED_INC;
}

/* ---- gsl_rng_type wrappers ---- */

static void gsl_pcg32_set(void *vstate, unsigned long int s)
{
    /* gsl_rng_set(r, s) = pcg32_srandom_r(s, 54): the reference demo's stream, so seed 42
     * reproduces the published vector. */
    cx_pcg32_seed((cx_pcg32 *)vstate, (uint64_t)s, 54u);
}

static unsigned long int gsl_pcg32_get(void *vstate)
{
    return cx_pcg32_next((cx_pcg32 *)vstate);
}

static double gsl_pcg32_get_double(void *vstate)
{
    return (double)cx_pcg32_next((cx_pcg32 *)vstate) * 0x1.0p-32;
}

static void gsl_pcg64_set(void *vstate, unsigned long int s)
{
    /* gsl_rng_set(r, s) = block 0 of a run with seed s. */
    cx_pcg64_stream((cx_pcg64 *)vstate, (uint64_t)s, 0u);
}

static unsigned long int gsl_pcg64_get(void *vstate)
{
    return (unsigned long int)cx_pcg64_next((cx_pcg64 *)vstate);
}

static double gsl_pcg64_get_double(void *vstate)
{
    return cx_pcg64_uniform((cx_pcg64 *)vstate);
}

/* gsl_rng's get returns unsigned long: pcg64's 64-bit outputs need a 64-bit long (LP64). */
_Static_assert(sizeof(unsigned long int) >= sizeof(uint64_t), "pcg64 needs a 64-bit long");

static const gsl_rng_type pcg32_type = {
    "pcg32", 0xffffffffUL, 0UL, sizeof(cx_pcg32), gsl_pcg32_set, gsl_pcg32_get,
    gsl_pcg32_get_double,
};

static const gsl_rng_type pcg64_type = {
    "pcg64", 0xffffffffffffffffUL, 0UL, sizeof(cx_pcg64), gsl_pcg64_set, gsl_pcg64_get,
    gsl_pcg64_get_double,
};

const gsl_rng_type *cx_gsl_rng_pcg32 = &pcg32_type;
const gsl_rng_type *cx_gsl_rng_pcg64 = &pcg64_type;
