/* The camera model against JAEGER.md's numbers: 672x378 with hfov 90 and
 * vfov 58.72 gives fx = fy = 336 (to 0.1 px), cx = 336, cy = 189. */
#include "data/jg-intrinsics.h"

static void
test_jaeger_defaults (void)
{
  JgIntrinsics k;

  jg_intrinsics_from_fov (&k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  g_assert_cmpfloat_with_epsilon (k.fx, 336.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (k.fy, 336.0, 0.1);
  g_assert_cmpfloat_with_epsilon (k.cx, 336.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (k.cy, 189.0, 1e-12);
}

static void
test_round_trip (void)
{
  JgIntrinsics k;

  jg_intrinsics_from_fov (&k, 672, 378, 90.0, 58.72);
  for (int v = 0; v < 378; v += 37)
    for (int u = 0; u < 672; u += 41)
      {
        double p[3], uu = -1, vv = -1, d = 0.5 + (u + v) * 0.01;
        jg_intrinsics_unproject (&k, u, v, d, p);
        g_assert_cmpfloat_with_epsilon (p[2], -d, 1e-12);
        g_assert_true (jg_intrinsics_project (&k, p, &uu, &vv));
        g_assert_cmpfloat_with_epsilon (uu, u, 1e-9);
        g_assert_cmpfloat_with_epsilon (vv, v, 1e-9);
      }
}

/* JAEGER.md: x = (u-cx) d/fx, y = -(v-cy) d/fy, z = -d. Top-left pixel is up-left. */
static void
test_axes (void)
{
  JgIntrinsics k, half;
  double p[3];

  jg_intrinsics_from_fov (&k, 672, 378, 90.0, 58.72);
  jg_intrinsics_unproject (&k, 0, 0, 2.0, p);
  g_assert_cmpfloat_with_epsilon (p[0], -2.0, 1e-12);    /* hfov 90: edge at 45 degrees */
  g_assert_cmpfloat (p[1], >, 0.0);
  jg_intrinsics_scale (&k, 336, 189, &half);
  g_assert_cmpfloat_with_epsilon (half.fx, 168.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (half.cy, 94.5, 1e-9);
  p[2] = 0.5;
  g_assert_false (jg_intrinsics_project (&k, p, &p[0], &p[1]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/intrinsics/jaeger-defaults", test_jaeger_defaults);
  g_test_add_func ("/intrinsics/round-trip", test_round_trip);
  g_test_add_func ("/intrinsics/axes", test_axes);
  return g_test_run ();
}
