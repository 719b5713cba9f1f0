/* The 8-bit weight format: exact values on a hand-made row, the
 * per-element error bound, its cost in matrix-vector accuracy against a
 * double-precision f32 reference (next to f16 and bf16 weights), and the
 * safetensors round trip. */
#include "core/jg-error.h"
#include "inference/jg-q8.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static void
test_exact_row (void)
{
  g_autoptr(GError) error = NULL;
  /* amax 7.9375 = 127 · 0.0625, a scale f16 holds exactly. */
  float w[8] = { 7.9375f, -3.0f, 0.65f, 0.0f, 1.0f, -1.0f, 0.5f, 0.25f };
  g_autoptr(JgQ8Matrix) row = jg_q8_quantize (w, 1, 8, 0, &error);
  g_autoptr(JgQ8Matrix) blk = jg_q8_quantize (w, 1, 8, 4, &error);
  float back[8];

  g_assert_no_error (error);
  g_assert_cmpint (row->block, ==, 8);
  g_assert_cmpfloat (jg_f16_to_f32 (row->scales[0]), ==, 0.0625f);
  g_assert_cmpint (row->q[0], ==, 127);
  g_assert_cmpint (row->q[1], ==, -48);
  g_assert_cmpint (row->q[2], ==, 10);     /* 10.4 */
  g_assert_cmpint (row->q[3], ==, 0);
  g_assert_cmpint (row->q[4], ==, 16);
  /* Second block: amax 1.0 -> scale 1/127 (f16-rounded), 1.0 -> 127. */
  g_assert_cmpint (blk->q[4], ==, 127);
  g_assert_cmpint (blk->q[5], ==, -127);
  g_assert_cmpint (blk->q[6], ==, 64);     /* 63.5 rounds away from zero */
  jg_q8_dequantize (row, back);
  g_assert_cmpfloat (back[1], ==, -3.0f);
  g_assert_cmpfloat (back[2], ==, 0.625f);

  g_assert_null (jg_q8_quantize (w, 1, 8, 3, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "block 3"));
}

static double
gauss (GRand *r)
{
  double u = g_rand_double_range (r, 1e-12, 1), v = g_rand_double (r);
  return sqrt (-2 * log (u)) * cos (2 * G_PI * v);
}

static double
rel_error (const double *ref, const float *y, gint64 n)
{
  double num = 0, den = 0;
  for (gint64 i = 0; i < n; i++)
    {
      num += (y[i] - ref[i]) * (y[i] - ref[i]);
      den += ref[i] * ref[i];
    }
  return sqrt (num / den);
}

/* y = W x in f32 from weights rounded through @round (f16 or bf16). */
static void
matvec_rounded (const float *w, const float *x, gint64 rows, gint64 cols,
                guint16 (*to) (float), float (*from) (guint16), float *y)
{
  for (gint64 r = 0; r < rows; r++)
    {
      float acc = 0;
      for (gint64 c = 0; c < cols; c++)
        acc += from (to (w[r * cols + c])) * x[c];
      y[r] = acc;
    }
}

typedef struct {
  double f16, bf16, q8_row, q8_b128, q8_b32;
} Errors;

static Errors
measure (gboolean outliers)
{
  enum { ROWS = 384, COLS = 1536 };
  GRand *rand = g_rand_new_with_seed (outliers ? 5 : 3);
  g_autofree float *w = g_new (float, ROWS * COLS);
  g_autofree float *back = g_new (float, ROWS * COLS);
  float x[COLS], y[ROWS], y2[ROWS];
  double ref[ROWS];
  gint64 blocks[3] = { 0, 128, 32 };
  double *slots[3];
  Errors e;

  slots[0] = &e.q8_row;
  slots[1] = &e.q8_b128;
  slots[2] = &e.q8_b32;
  /* LLM-like weights (σ 0.02); the outlier variant scales 0.5 % of them
   * by 20, as trained projections have. */
  for (int i = 0; i < ROWS * COLS; i++)
    {
      w[i] = (float) (0.02 * gauss (rand));
      if (outliers && g_rand_int_range (rand, 0, 200) == 0)
        w[i] *= 20;
    }
  for (int i = 0; i < COLS; i++)
    x[i] = (float) gauss (rand);
  g_rand_free (rand);
  for (int r = 0; r < ROWS; r++)
    {
      double acc = 0;
      for (int c = 0; c < COLS; c++)
        acc += (double) w[r * COLS + c] * x[c];
      ref[r] = acc;
    }
  matvec_rounded (w, x, ROWS, COLS, jg_f32_to_f16, jg_f16_to_f32, y);
  e.f16 = rel_error (ref, y, ROWS);
  matvec_rounded (w, x, ROWS, COLS, jg_f32_to_bf16, jg_bf16_to_f32, y);
  e.bf16 = rel_error (ref, y, ROWS);
  for (int k = 0; k < 3; k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JgQ8Matrix) m = jg_q8_quantize (w, ROWS, COLS, blocks[k], &error);
      gint64 nb;
      g_assert_no_error (error);
      nb = COLS / m->block;
      /* Every weight is within half a step of its scale. */
      jg_q8_dequantize (m, back);
      for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
          {
            float s = jg_f16_to_f32 (m->scales[r * nb + c / m->block]);
            g_assert_cmpfloat (fabsf (back[r * COLS + c] - w[r * COLS + c]), <=, 0.5f * s * 1.001f + 1e-12f);
          }
      jg_q8_matvec (m, x, y);
      *slots[k] = rel_error (ref, y, ROWS);
      /* The blocked integer matvec equals dequantize-then-multiply. */
      for (int r = 0; r < ROWS; r++)
        {
          double acc = 0;
          for (int c = 0; c < COLS; c++)
            acc += (double) back[r * COLS + c] * x[c];
          y2[r] = (float) acc;
        }
      {
        double ref2[ROWS];
        for (int r = 0; r < ROWS; r++)
          ref2[r] = y2[r];
        g_assert_cmpfloat (rel_error (ref2, y, ROWS), <, 1e-5);
      }
    }
  g_test_message ("%s weights, %dx%d matvec, relative L2 error vs f32: f16 %.2e, bf16 %.2e, "
                  "q8 per-row %.2e, q8 block-128 %.2e, q8 block-32 %.2e",
                  outliers ? "outlier" : "gaussian", ROWS, COLS, e.f16, e.bf16, e.q8_row, e.q8_b128, e.q8_b32);
  return e;
}

static void
test_accuracy (void)
{
  Errors g = measure (FALSE);
  Errors o = measure (TRUE);

  /* Gaussian weights: int8 steps of amax/127 give ~0.6-0.8 % (per row)
   * and ~0.5 % (blocks of 32); f16 ~0.03 %, bf16 ~0.2 %. */
  g_assert_cmpfloat (g.f16, <, 1e-3);
  g_assert_cmpfloat (g.bf16, <, 5e-3);
  g_assert_cmpfloat (g.q8_row, <, 1.2e-2);
  g_assert_cmpfloat (g.q8_b32, <, 8e-3);
  g_assert_cmpfloat (g.q8_b32, <, g.q8_row);
  /* Outliers stretch a row's scale (~5 % per row); blocks of 32 keep
   * it near 1 %. */
  g_assert_cmpfloat (o.q8_b32, <, 1.5e-2);
  g_assert_cmpfloat (o.q8_b32, <, 0.4 * o.q8_row);
  g_assert_cmpfloat (o.q8_b128, <, o.q8_row);
}

static void
test_safetensors_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-q8-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "q8.safetensors", NULL);
  g_autofree char *scale_name = NULL;
  float w[6 * 64];
  GRand *rand = g_rand_new_with_seed (9);
  g_autoptr(JgQ8Matrix) m = NULL;
  g_autoptr(JgQ8Matrix) back = NULL;
  g_autoptr(JgSafetensors) st = NULL;
  JgStWriteTensor ts[4];
  guint16 bad_scale[5 * 2] = { 0 };

  for (int i = 0; i < 6 * 64; i++)
    w[i] = (float) gauss (rand);
  g_rand_free (rand);
  m = jg_q8_quantize (w, 6, 64, 32, &error);
  jg_q8_to_write_tensors (m, "model.layers.0.mlp.up_proj.weight", &scale_name, ts);
  ts[2] = (JgStWriteTensor) { "bad.weight", JG_ST_I8, 2, { 6, 64 }, m->q };
  ts[3] = (JgStWriteTensor) { "bad.weight_scale", JG_ST_F16, 2, { 5, 2 }, bad_scale };
  g_assert_true (jg_safetensors_write (path, ts, 4, &error));
  g_assert_no_error (error);
  st = jg_safetensors_open (path, &error);
  g_assert_no_error (error);
  back = jg_q8_from_safetensors (st, "model.layers.0.mlp.up_proj.weight", &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->block, ==, 32);
  g_assert_cmpmem (back->q, 6 * 64, m->q, 6 * 64);
  g_assert_cmpmem (back->scales, 6 * 2 * 2, m->scales, 6 * 2 * 2);

  /* A float tensor is not 8-bit; a missing or mis-shaped scale is named. */
  g_assert_null (jg_q8_from_safetensors (st, "bad.weight_scale", &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "bad.weight_scale is F16 [5, 2], expected I8"));
  g_clear_error (&error);
  g_assert_null (jg_q8_from_safetensors (st, "bad.weight", &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "bad.weight_scale is F16 [5, 2], expected F16 [6, *]"));
  g_clear_error (&error);
  g_assert_null (jg_q8_from_safetensors (st, "nope.weight", &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/q8/exact-row", test_exact_row);
  g_test_add_func ("/q8/accuracy", test_accuracy);
  g_test_add_func ("/q8/safetensors", test_safetensors_roundtrip);
  return g_test_run ();
}
