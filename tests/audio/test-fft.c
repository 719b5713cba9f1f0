/* jg-fft against a direct O(n^2) DFT computed in double. */
#include "audio/jg-fft.h"

#include <math.h>
#include <string.h>

/* Direct DFT of n complex points, sign -1 forward, +1 inverse (unscaled). */
static void
direct_dft (const double *x, double *y, guint n, int sign)
{
  for (guint k = 0; k < n; k++)
    {
      double sr = 0.0, si = 0.0;
      for (guint j = 0; j < n; j++)
        {
          double a = sign * 2.0 * M_PI * (double) ((guint64) j * k % n) / n;
          sr += x[2 * j] * cos (a) - x[2 * j + 1] * sin (a);
          si += x[2 * j] * sin (a) + x[2 * j + 1] * cos (a);
        }
      y[2 * k] = sr;
      y[2 * k + 1] = si;
    }
}

/* Largest error relative to the reference's RMS magnitude. */
static double
rel_error (const float *got, const double *ref, guint len)
{
  double e = 0.0, rms = 0.0;

  for (guint i = 0; i < len; i++)
    {
      e = fmax (e, fabs (got[i] - ref[i]));
      rms += ref[i] * ref[i];
    }
  rms = sqrt (rms / len);
  return e / rms;
}

static void
test_complex (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (11);

  for (guint n = 2; n <= 1024; n <<= 1)
    {
      g_autoptr(JgFft) fft = jg_fft_new (n, NULL);
      g_autofree float *d = g_new (float, 2 * n);
      g_autofree double *x = g_new (double, 2 * n), *y = g_new (double, 2 * n);

      for (guint i = 0; i < 2 * n; i++)
        x[i] = d[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
      direct_dft (x, y, n, -1);
      jg_fft_forward (fft, d);
      g_assert_cmpfloat (rel_error (d, y, 2 * n), <, 2e-6 * log2 (n) + 1e-6);

      /* The inverse of the forward is n times the input. */
      jg_fft_inverse (fft, d);
      for (guint i = 0; i < 2 * n; i++)
        g_assert_cmpfloat (fabs (d[i] / n - x[i]), <, 1e-5);

      for (guint i = 0; i < 2 * n; i++)
        x[i] = d[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
      direct_dft (x, y, n, +1);
      jg_fft_inverse (fft, d);
      g_assert_cmpfloat (rel_error (d, y, 2 * n), <, 2e-6 * log2 (n) + 1e-6);
    }
}

static void
test_real (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (12);

  for (guint n = 2; n <= 2048; n <<= 1)
    {
      g_autoptr(JgFft) fft = jg_fft_new (n, NULL);
      g_autofree float *in = g_new (float, n), *out = g_new (float, n + 2), *back = g_new (float, n);
      g_autofree float *inplace = g_new (float, n + 2);
      g_autofree double *x = g_new0 (double, 2 * n), *y = g_new (double, 2 * n);

      for (guint i = 0; i < n; i++)
        {
          in[i] = inplace[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
          x[2 * i] = in[i];
        }
      direct_dft (x, y, n, -1);
      jg_fft_real_forward (fft, in, out);
      g_assert_cmpfloat (rel_error (out, y, n + 2), <, 2e-6 * log2 (n) + 1e-6);
      g_assert_cmpfloat (out[1], ==, 0.0f);
      g_assert_cmpfloat (out[n + 1], ==, 0.0f);

      jg_fft_real_forward (fft, inplace, inplace);
      for (guint i = 0; i < n + 2; i++)
        g_assert_cmpfloat (inplace[i], ==, out[i]);

      jg_fft_real_inverse (fft, out, back);
      for (guint i = 0; i < n; i++)
        g_assert_cmpfloat (fabs (back[i] / n - in[i]), <, 1e-5);
      jg_fft_real_inverse (fft, inplace, inplace);
      for (guint i = 0; i < n; i++)
        g_assert_cmpfloat (inplace[i], ==, back[i]);
    }
}

/* A real inverse of an arbitrary half spectrum matches the direct DFT of
 * its Hermitian extension. */
static void
test_real_inverse_direct (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (13);
  const guint n = 64;
  g_autoptr(JgFft) fft = jg_fft_new (n, NULL);
  float spec[66], out[64];
  double X[128], x[128];

  for (guint k = 0; k <= n / 2; k++)
    {
      spec[2 * k] = (float) g_rand_double_range (rng, -1.0, 1.0);
      spec[2 * k + 1] = (k == 0 || k == n / 2) ? 0.0f : (float) g_rand_double_range (rng, -1.0, 1.0);
    }
  for (guint k = 0; k < n; k++)
    {
      guint s = k <= n / 2 ? k : n - k;
      X[2 * k] = spec[2 * s];
      X[2 * k + 1] = k <= n / 2 ? spec[2 * s + 1] : -spec[2 * s + 1];
    }
  direct_dft (X, x, n, +1);
  jg_fft_real_inverse (fft, spec, out);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (fabs (out[i] - x[2 * i]), <, 1e-4);
      g_assert_cmpfloat (fabs (x[2 * i + 1]), <, 1e-9);
    }
}

static void
test_any_size (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (14);
  const guint sizes[] = { 1, 3, 5, 12, 100, 256, 400, 800 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint n = sizes[s];
      g_autoptr(JgDft) dft = jg_dft_new (n, NULL);
      g_autofree float *d = g_new (float, 2 * n);
      g_autofree double *x = g_new (double, 2 * n), *y = g_new (double, 2 * n);

      g_assert_cmpuint (jg_dft_get_size (dft), ==, n);
      for (guint i = 0; i < 2 * n; i++)
        x[i] = d[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
      direct_dft (x, y, n, -1);
      jg_dft_forward (dft, d);
      g_assert_cmpfloat (rel_error (d, y, 2 * n), <, 1e-5);
      jg_dft_inverse (dft, d);
      for (guint i = 0; i < 2 * n; i++)
        g_assert_cmpfloat (fabs (d[i] / n - x[i]), <, 1e-5);
    }
}

static void
test_bad_sizes (void)
{
  const guint bad[] = { 0, 1, 3, 6, 1000 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_null (jg_fft_new (bad[i], &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "power of two"));
    }
  g_assert_cmpuint (jg_fft_next_size (1), ==, 2);
  g_assert_cmpuint (jg_fft_next_size (800), ==, 1024);
  g_assert_cmpuint (jg_fft_next_size (1024), ==, 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fft/complex", test_complex);
  g_test_add_func ("/fft/real", test_real);
  g_test_add_func ("/fft/real-inverse-direct", test_real_inverse_direct);
  g_test_add_func ("/fft/any-size", test_any_size);
  g_test_add_func ("/fft/bad-sizes", test_bad_sizes);
  return g_test_run ();
}
