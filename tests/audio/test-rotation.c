/* Head rotation: geometry of yaw/pitch/roll and the click-free crossfade. */
#include "audio/jg-foa.h"

#include <math.h>
#include <string.h>

static void
rotate_dir (double az, double el, double yaw, double pitch, double roll, double *oaz, double *oel)
{
  float r[9], g[4];
  double v[3];

  jg_foa_head_rotation (yaw, pitch, roll, r);
  jg_foa_encode_ambix (az * M_PI / 180, el * M_PI / 180, g);
  for (int i = 0; i < 3; i++)
    v[i] = r[i * 3] * g[3] + r[i * 3 + 1] * g[1] + r[i * 3 + 2] * g[2];
  *oaz = atan2 (v[1], v[0]) * 180 / M_PI;
  *oel = atan2 (v[2], hypot (v[0], v[1])) * 180 / M_PI;
}

static void
test_geometry (void)
{
  double az, el;

  /* Turning the head towards a source brings it ahead; a - yaw in general. */
  rotate_dir (30, 10, 30, 0, 0, &az, &el);
  g_assert_cmpfloat (fabs (az), <, 1e-4);
  g_assert_cmpfloat (fabs (el - 10), <, 1e-4);
  rotate_dir (-50, 0, 40, 0, 0, &az, &el);
  g_assert_cmpfloat (fabs (az - -90), <, 1e-4);
  /* Nose up by the source's elevation: it is ahead. */
  rotate_dir (0, 20, 0, 20, 0, &az, &el);
  g_assert_cmpfloat (fabs (az), <, 1e-4);
  g_assert_cmpfloat (fabs (el), <, 1e-4);
  /* Right ear down (left ear up) by 30: a source on the left horizon is 30 below the left ear. */
  rotate_dir (90, 0, 0, 0, 30, &az, &el);
  g_assert_cmpfloat (fabs (az - 90), <, 1e-4);
  g_assert_cmpfloat (fabs (el - -30), <, 1e-4);
  /* 180 degrees of yaw swaps left and right. */
  rotate_dir (90, 0, 180, 0, 0, &az, &el);
  g_assert_cmpfloat (fabs (az - -90), <, 1e-4);
}

static void
test_orthonormal (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);

  for (int n = 0; n < 50; n++)
    {
      float r[9];
      double det;

      jg_foa_head_rotation (g_rand_double_range (rng, -180, 180), g_rand_double_range (rng, -90, 90),
                            g_rand_double_range (rng, -180, 180), r);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          {
            double d = r[i * 3] * r[j * 3] + r[i * 3 + 1] * r[j * 3 + 1] + r[i * 3 + 2] * r[j * 3 + 2];
            g_assert_cmpfloat (fabs (d - (i == j)), <, 1e-6);
          }
      det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6])
            + r[2] * (r[3] * r[7] - r[4] * r[6]);
      g_assert_cmpfloat (fabs (det - 1), <, 1e-6);
    }
}

static double
max_step (const float *x, gsize n)
{
  double m = 0.0;

  for (gsize i = 1; i < n; i++)
    for (int c = 0; c < 4; c++)
      m = fmax (m, fabs (x[4 * i + c] - x[4 * (i - 1) + c]));
  return m;
}

/* A 500 Hz plane wave in 256-frame blocks while the yaw jumps by 45
 * degrees every block. With the crossfade the output's largest
 * sample-to-sample step stays within 10% of the input's own (the fade adds
 * at most |R_new - R_old| / 256 = 0.003 per sample); switching matrices at
 * block edges instead jumps by about 0.77 of the amplitude. */
static void
test_crossfade_no_click (void)
{
  const guint rate = 48000, block = 256, n_blocks = 40;
  gsize n = block * n_blocks;
  g_autofree float *in = g_new (float, 4 * n), *faded = g_new (float, 4 * n), *hard = g_new (float, 4 * n);
  g_autoptr(JgFoaRotator) rot = jg_foa_rotator_new ();
  g_autoptr(JgFoaRotator) sw = jg_foa_rotator_new ();
  float g[4];
  double in_step, faded_step, hard_step;

  jg_foa_encode_ambix (20 * M_PI / 180, 15 * M_PI / 180, g);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      in[4 * i + c] = g[c] * (float) sin (2 * M_PI * 500 * i / rate);
  memcpy (faded, in, 4 * n * sizeof (float));
  memcpy (hard, in, 4 * n * sizeof (float));
  for (guint b = 0; b < n_blocks; b++)
    {
      float r[9];
      jg_foa_head_rotation (45.0 * b, 0, 0, r);
      jg_foa_rotator_set_matrix (rot, r);
      jg_foa_rotator_process (rot, faded + 4 * b * block, block);
      jg_foa_rotator_set_matrix (sw, r);
      jg_foa_rotator_reset (sw);
      jg_foa_rotator_process (sw, hard + 4 * b * block, block);
    }
  in_step = max_step (in, n);
  faded_step = max_step (faded, n);
  hard_step = max_step (hard, n);
  g_test_message ("max step: input %.4f, crossfaded %.4f, hard switch %.4f", in_step, faded_step, hard_step);
  g_assert_cmpfloat (faded_step, <=, 1.10 * in_step);
  g_assert_cmpfloat (hard_step, >, 5.0 * in_step);

  /* The last frame of every block is the exact new rotation. */
  for (guint b = 0; b < n_blocks; b++)
    {
      gsize i = (gsize) (b + 1) * block - 1;
      float r[9], s = (float) sin (2 * M_PI * 500 * i / rate);
      jg_foa_head_rotation (45.0 * b, 0, 0, r);
      for (int k = 0; k < 3; k++)
        {
          float want = (r[k * 3] * g[3] + r[k * 3 + 1] * g[1] + r[k * 3 + 2] * g[2]) * s;
          const int ch[3] = { 3, 1, 2 };
          g_assert_cmpfloat (fabs (faded[4 * i + ch[k]] - want), <, 1e-5);
        }
      g_assert_cmpfloat (faded[4 * i], ==, in[4 * i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rotation/geometry", test_geometry);
  g_test_add_func ("/rotation/orthonormal", test_orthonormal);
  g_test_add_func ("/rotation/crossfade-no-click", test_crossfade_no_click);
  return g_test_run ();
}
