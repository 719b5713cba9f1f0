/* FOA conventions: round trips and physical directions. */
#include "audio/jg-foa.h"

#include <math.h>
#include <string.h>

static void
test_round_trip (void)
{
  for (int from = 0; from < JG_FOA_N_CONVENTIONS; from++)
    for (int to = 0; to < JG_FOA_N_CONVENTIONS; to++)
      {
        float f[8] = { 0.3f, -0.7f, 0.2f, 0.9f, 1.0f, 0.5f, -0.25f, -0.1f }, g[8];
        memcpy (g, f, sizeof f);
        jg_foa_convert (from, to, g, 2);
        jg_foa_convert (to, from, g, 2);
        for (int i = 0; i < 8; i++)
          g_assert_cmpfloat_with_epsilon (g[i], f[i], 1e-6);
      }
}

/* A source at a known camera-frame point encodes, in the JAEGER preset,
 * as W plus the Habitat axis components: ch1 = up, ch2 = back, ch3 = right. */
static void
test_jaeger_axes (void)
{
  const double p[3] = { 1.0, 0.5, -2.0 };   /* right, up, in front */
  double az, el, n = sqrt (1.0 + 0.25 + 4.0);
  float g[4];

  jg_camera_to_doa (p, &az, &el);
  g_assert_cmpfloat (az, <, 0.0);          /* right of centre is negative */
  g_assert_cmpfloat (el, >, 0.0);
  jg_foa_encode_ambix (az * M_PI / 180.0, el * M_PI / 180.0, g);
  jg_foa_convert (JG_FOA_AMBIX, JG_FOA_JAEGER, g, 1);
  g_assert_cmpfloat_with_epsilon (g[0], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[1], p[1] / n, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[2], p[2] / n, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[3], p[0] / n, 1e-6);
}

static void
test_doa_vector_round_trip (void)
{
  for (int az = -180; az < 180; az += 15)
    for (int el = -75; el <= 75; el += 15)
      {
        double v[3], a, e;
        jg_doa_to_camera (az, el, v);
        g_assert_cmpfloat_with_epsilon (v[0] * v[0] + v[1] * v[1] + v[2] * v[2], 1.0, 1e-12);
        jg_camera_to_doa (v, &a, &e);
        g_assert_cmpfloat_with_epsilon (a, az, 1e-9);
        g_assert_cmpfloat_with_epsilon (e, el, 1e-9);
      }
}

/* FuMa W carries -3 dB; N3D first-order components are sqrt(3) louder. */
static void
test_normalisations (void)
{
  float g[4];

  jg_foa_encode_ambix (0.0, 0.0, g);
  jg_foa_convert (JG_FOA_AMBIX, JG_FOA_FUMA, g, 1);
  g_assert_cmpfloat_with_epsilon (g[0], M_SQRT1_2, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[1], 1.0, 1e-6);   /* FuMa X = front */
  jg_foa_encode_ambix (M_PI / 2, 0.0, g);
  jg_foa_convert (JG_FOA_AMBIX, JG_FOA_N3D, g, 1);
  g_assert_cmpfloat_with_epsilon (g[1], sqrt (3.0), 1e-6);
}

static void
test_names (void)
{
  JgFoaConvention c;
  g_autoptr(GError) error = NULL;

  g_assert_true (jg_foa_convention_from_string ("FuMa", &c, NULL));
  g_assert_cmpint (c, ==, JG_FOA_FUMA);
  g_assert_false (jg_foa_convention_from_string ("b-format", &c, &error));
  g_assert_nonnull (strstr (error->message, "b-format"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/foa/round-trip", test_round_trip);
  g_test_add_func ("/foa/jaeger-axes", test_jaeger_axes);
  g_test_add_func ("/foa/doa-vector", test_doa_vector_round_trip);
  g_test_add_func ("/foa/normalisations", test_normalisations);
  g_test_add_func ("/foa/names", test_names);
  return g_test_run ();
}
