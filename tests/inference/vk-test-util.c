#include "vk-test-util.h"
#include "inference/jg-ops-ref.h"

#include <math.h>

JgVkContext *ctx;

float *
rand_vec (gsize n, double lo, double hi)
{
  float *v = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_test_rand_double_range (lo, hi);
  return v;
}

JgTensor *
tensor_from (JgDType dtype, gint64 rows, gint64 cols, const float *data)
{
  g_autoptr(GError) error = NULL;
  JgTensor *t = jg_tensor_new_2d (ctx, dtype, rows, cols, JG_TENSOR_DEVICE, &error);
  g_assert_no_error (error);
  if (data != NULL)
    g_assert_true (jg_tensor_upload_f32 (t, data, &error));
  g_assert_no_error (error);
  return t;
}

/* An output tensor filled with NaN first, so unwritten values fail. */
JgTensor *
poisoned (gint64 rows, gint64 cols)
{
  g_autofree float *nan = g_new (float, rows * cols);
  for (gint64 i = 0; i < rows * cols; i++)
    nan[i] = NAN;
  return tensor_from (JG_DTYPE_F32, rows, cols, nan);
}

float *
download (JgTensor *t)
{
  g_autoptr(GError) error = NULL;
  float *v = g_new (float, jg_tensor_get_n_elements (t));
  g_assert_true (jg_tensor_download_f32 (t, v, &error));
  g_assert_no_error (error);
  return v;
}

void
assert_close (const char *what, const float *got, const float *want, gsize n, double tol)
{
  double err = jg_ref_rel_error (got, want, n);
  g_test_message ("%s: normalised error %.3g (limit %.1g)", what, err, tol);
  if (!(err < tol))
    g_error ("%s: normalised error %.3g exceeds %.1g", what, err, tol);
}
