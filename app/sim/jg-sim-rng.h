/* jg-sim-rng.h: the simulator's random numbers.
 *
 * A fixed, documented generator (PCG32, O'Neill 2014) rather than GRand or
 * rand(): the simulator promises byte-identical output for a seed, so the
 * stream must not depend on the C library. Independent streams are derived
 * from (seed, scene, sample, purpose) so that changing one knob (say,
 * --no-audio) never shifts the geometry of another sample. */
#pragma once

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

typedef struct {
  guint64 state, inc;
} JgSimRng;

static inline guint64
jg_sim_mix64 (guint64 z)
{
  /* splitmix64 finaliser: spreads nearby seeds over the whole state space. */
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline guint32
jg_sim_rng_u32 (JgSimRng *r)
{
  guint64 old = r->state;
  guint32 xorshifted, rot;

  r->state = old * 6364136223846793005ull + r->inc;
  xorshifted = (guint32) (((old >> 18) ^ old) >> 27);
  rot = (guint32) (old >> 59);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

/* A stream for (seed, a, b, c): every triple gets its own sequence. */
static inline void
jg_sim_rng_init (JgSimRng *r, guint64 seed, guint64 a, guint64 b, guint64 c)
{
  guint64 h = jg_sim_mix64 (seed);
  h = jg_sim_mix64 (h ^ a);
  h = jg_sim_mix64 (h ^ (b * 0x100000001b3ull));
  h = jg_sim_mix64 (h ^ (c * 0xc2b2ae3d27d4eb4full));
  r->state = 0;
  r->inc = (jg_sim_mix64 (h ^ 0x5851f42d4c957f2dull) << 1) | 1u;
  jg_sim_rng_u32 (r);
  r->state += h;
  jg_sim_rng_u32 (r);
}

/* Uniform in [0, 1) with 32 bits of resolution. */
static inline double
jg_sim_rng_uniform (JgSimRng *r)
{
  return jg_sim_rng_u32 (r) * (1.0 / 4294967296.0);
}

static inline double
jg_sim_rng_range (JgSimRng *r, double lo, double hi)
{
  return lo + (hi - lo) * jg_sim_rng_uniform (r);
}

/* Uniform integer in [0, n). Lemire's multiply-shift; the tiny bias for
 * huge n does not matter here, determinism does. */
static inline guint
jg_sim_rng_index (JgSimRng *r, guint n)
{
  return (guint) (((guint64) jg_sim_rng_u32 (r) * n) >> 32);
}

/* Standard normal by Box-Muller (one value per call keeps the stream simple). */
static inline double
jg_sim_rng_normal (JgSimRng *r)
{
  double u1 = (jg_sim_rng_u32 (r) + 1.0) * (1.0 / 4294967297.0);
  double u2 = jg_sim_rng_uniform (r);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

G_END_DECLS
