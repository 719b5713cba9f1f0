/* Every compute op against its plain-C reference (inference/jg-ops-ref.c) on
 * fresh random inputs, by normalised error ||vk - ref|| / ||ref||. f32
 * arithmetic lands under 1e-5; the cooperative-matrix path rounds the
 * activations to f16, so it gets 3e-3. Run with JAEGER_VK_DISABLE set to
 * cover each fallback (tests/inference/meson.build). */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-vk-ops.h"
#include "inference/jg-ops-ref.h"
#include "core/jg-error.h"
#include "vk-test-util.h"

#include <math.h>
#include <string.h>

#define TOL_F32 1e-5
#define TOL_COOPMAT 3e-3

static void
round_to_f16 (float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = jg_f16_to_f32 (jg_f32_to_f16 (v[i]));
}

/* ---- linear ---- */

static void check_linear_ex (JgLinearPath path, JgDType wtype, gint64 n, gint64 m, gint64 k,
                             gboolean bias, gboolean accumulate, guint tile, gboolean x16);

static void
check_linear (JgLinearPath path, JgDType wtype, gint64 n, gint64 m, gint64 k, gboolean bias,
              gboolean accumulate)
{
  check_linear_ex (path, wtype, n, m, k, bias, accumulate, 0, FALSE);
}

/* tile: a cooperative-matrix tile (1 + index), 0 for the default; x16: the
 * activations are an f16 tensor. */
static void
check_linear_ex (JgLinearPath path, JgDType wtype, gint64 n, gint64 m, gint64 k, gboolean bias,
                 gboolean accumulate, guint tile, gboolean x16)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rand_vec (n * k, -1, 1);
  g_autofree float *w = rand_vec (m * k, -1, 1);
  g_autofree float *b = rand_vec (m, -1, 1);
  g_autofree float *y0 = rand_vec (n * m, -1, 1);
  g_autofree float *want = g_memdup2 (y0, n * m * sizeof (float));
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (x16 ? JG_DTYPE_F16 : JG_DTYPE_F32, n, k, x);
  g_autoptr(JgTensor) tw = tensor_from (wtype, m, k, w);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, m, b);
  g_autoptr(JgTensor) ty = accumulate ? tensor_from (JG_DTYPE_F32, n, m, y0) : poisoned (n, m);
  JgLinearOptions opts = { .path = path, .coopmat_tile = tile };
  g_autofree char *what = g_strdup_printf ("linear path %d tile %u %s n=%" G_GINT64_FORMAT " m=%" G_GINT64_FORMAT
                                           " k=%" G_GINT64_FORMAT "%s%s%s", path, tile,
                                           wtype == JG_DTYPE_F16 ? "f16" : "f32", n, m, k,
                                           bias ? " +bias" : "", accumulate ? " +acc" : "",
                                           x16 ? " f16 x" : "");
  double tol = TOL_F32;

  if (wtype == JG_DTYPE_F16)
    round_to_f16 (w, m * k);
  if (path == JG_LINEAR_COOPMAT || (path == JG_LINEAR_AUTO && n > 8
                                    && (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT)))
    {
      round_to_f16 (x, n * k);
      tol = TOL_COOPMAT;
    }
  g_assert_true (jg_op_linear_ex (ctx, ty, tx, tw, bias ? tb : NULL, accumulate, &opts, &error));
  g_assert_no_error (error);
  jg_ref_linear (want, x, w, bias ? b : NULL, n, m, k, accumulate);
  got = download (ty);
  assert_close (what, got, want, n * m, tol);
}

static void
test_matvec (void)
{
  for (JgDType wt = JG_DTYPE_F32; wt <= JG_DTYPE_F16; wt++)
    {
      check_linear (JG_LINEAR_MATVEC, wt, 1, 300, 512, TRUE, FALSE);
      check_linear (JG_LINEAR_MATVEC, wt, 3, 77, 136, FALSE, TRUE);
      check_linear (JG_LINEAR_MATVEC, wt, 8, 64, 1032, TRUE, TRUE);
    }
  /* Several rows per workgroup, and other widths. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree float *x = rand_vec (2 * 264, -1, 1);
    g_autofree float *w = rand_vec (37 * 264, -1, 1);
    g_autofree float *want = g_new (float, 2 * 37);
    g_autofree float *got = NULL;
    g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, 2, 264, x);
    g_autoptr(JgTensor) tw = tensor_from (JG_DTYPE_F16, 37, 264, w);
    g_autoptr(JgTensor) ty = poisoned (2, 37);
    JgLinearOptions opts = { .path = JG_LINEAR_MATVEC, .matvec_rows = 4, .matvec_wg = 64 };

    round_to_f16 (w, 37 * 264);
    g_assert_true (jg_op_linear_ex (ctx, ty, tx, tw, NULL, FALSE, &opts, &error));
    g_assert_no_error (error);
    jg_ref_linear (want, x, w, NULL, 2, 37, 264, FALSE);
    got = download (ty);
    assert_close ("matvec 4 rows/workgroup", got, want, 2 * 37, TOL_F32);
  }
}

static void
test_matmul_tiled (void)
{
  for (JgDType wt = JG_DTYPE_F32; wt <= JG_DTYPE_F16; wt++)
    {
      check_linear (JG_LINEAR_TILED, wt, 70, 72, 40, TRUE, FALSE);
      check_linear (JG_LINEAR_TILED, wt, 9, 130, 256, FALSE, TRUE);
      check_linear (JG_LINEAR_TILED, wt, 1, 64, 16, TRUE, FALSE);
    }
}

static void
test_matmul_coopmat (void)
{
  g_autoptr(GError) error = NULL;

  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT))
    {
      /* The path must refuse cleanly where it is off. */
      g_autoptr(JgTensor) x = tensor_from (JG_DTYPE_F32, 16, 16, NULL);
      g_autoptr(JgTensor) w = tensor_from (JG_DTYPE_F16, 16, 16, NULL);
      g_autoptr(JgTensor) y = tensor_from (JG_DTYPE_F32, 16, 16, NULL);
      JgLinearOptions opts = { .path = JG_LINEAR_COOPMAT };
      g_assert_false (jg_op_linear_ex (ctx, y, x, w, NULL, FALSE, &opts, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
      g_test_skip ("VK_NV_cooperative_matrix is not available on this device (or disabled)");
      return;
    }
  check_linear (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 70, 72, 40, TRUE, FALSE);
  check_linear (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 130, 200, 264, FALSE, TRUE);
  check_linear (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 64, 64, 512, TRUE, FALSE);
  /* Every tile, f32 and f16 activations: edges in n and m (m not a
   * multiple of 4 takes the checked store everywhere), bias, accumulation,
   * k not a multiple of the 32-deep step. */
  {
    guint n_tiles;
    jg_linear_coopmat_tiles (&n_tiles);
    for (guint t = 1; t <= n_tiles; t++)
      for (int x16 = 0; x16 < 2; x16++)
        {
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 200, 272, 264, TRUE, FALSE, t, x16);
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 129, 90, 72, FALSE, TRUE, t, x16);
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 17, 258, 136, TRUE, TRUE, t, x16);
          /* k a multiple of 16, exactly 16 rows and columns, fewer than
           * 16 rows. */
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 47, 40, 96, TRUE, TRUE, t, x16);
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 16, 16, 32, TRUE, FALSE, t, x16);
          check_linear_ex (JG_LINEAR_COOPMAT, JG_DTYPE_F16, 12, 40, 64, FALSE, FALSE, t, x16);
        }
  }
}

/* ---- the fused prefill matmuls (cooperative matrices only) ---- */

/* Split over k: the slices and their sum against the C reference (on a
 * device without cooperative matrices the options are ignored and the
 * fallback must still be right). */
static void check_split_tile (gint64 n, gint64 m, gint64 k, guint split, gboolean bias, gboolean accumulate,
                              guint tile);

static void
check_split (gint64 n, gint64 m, gint64 k, guint split, gboolean bias, gboolean accumulate)
{
  check_split_tile (n, m, k, split, bias, accumulate, 0);
}

/* tile: 1 + an index of jg_linear_coopmat_tiles, 0 for the default. */
static void
check_split_tile (gint64 n, gint64 m, gint64 k, guint split, gboolean bias, gboolean accumulate, guint tile)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rand_vec (n * k, -1, 1);
  g_autofree float *w = rand_vec (m * k, -1, 1);
  g_autofree float *b = rand_vec (m, -1, 1);
  g_autofree float *y0 = rand_vec (n * m, -1, 1);
  g_autofree float *want = g_memdup2 (y0, n * m * sizeof (float));
  g_autofree float *got = NULL;
  gboolean cm = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT) != 0;
  g_autoptr(JgTensor) tx = tensor_from (cm ? JG_DTYPE_F16 : JG_DTYPE_F32, n, k, x);
  g_autoptr(JgTensor) tw = tensor_from (JG_DTYPE_F16, m, k, w);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, m, b);
  g_autoptr(JgTensor) ty = accumulate ? tensor_from (JG_DTYPE_F32, n, m, y0) : poisoned (n, m);
  g_autoptr(JgTensor) scratch = poisoned (split * n, m);
  JgLinearOptions opts = { .split_k = split, .scratch = scratch, .coopmat_tile = cm ? tile : 0 };
  g_autofree char *what = g_strdup_printf ("linear split %u tile %u n=%" G_GINT64_FORMAT " m=%" G_GINT64_FORMAT
                                           " k=%" G_GINT64_FORMAT "%s%s", split, tile, n, m, k,
                                           bias ? " +bias" : "", accumulate ? " +acc" : "");

  round_to_f16 (w, m * k);
  if (cm)
    round_to_f16 (x, n * k);
  g_assert_true (jg_op_linear_ex (ctx, ty, tx, tw, bias ? tb : NULL, accumulate, &opts, &error));
  g_assert_no_error (error);
  jg_ref_linear (want, x, w, bias ? b : NULL, n, m, k, accumulate);
  got = download (ty);
  assert_close (what, got, want, n * m, cm ? TOL_COOPMAT : TOL_F32);
}

static void
check_qkv (gint64 n, gint64 mq, gint64 mk, gint64 mv, gint64 k, guint tile)
{
  g_autoptr(GError) error = NULL;
  gint64 m = mq + mk + mv;
  g_autofree float *x = rand_vec (n * k, -1, 1);
  g_autofree float *w = rand_vec (m * k, -1, 1);
  g_autofree float *b = rand_vec (m, -1, 1);
  g_autofree float *want = g_new (float, n * m);
  g_autofree float *got = g_new (float, n * m);
  g_autofree float *gq = NULL, *gk = NULL, *gv = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F16, n, k, x);
  g_autoptr(JgTensor) tw = tensor_from (JG_DTYPE_F16, m, k, w);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, m, b);
  g_autoptr(JgTensor) q = poisoned (n, mq);
  g_autoptr(JgTensor) kk = poisoned (n, mk);
  g_autoptr(JgTensor) v = poisoned (n, mv);
  JgLinearOptions opts = { .coopmat_tile = tile };
  g_autofree char *what = g_strdup_printf ("q|k|v tile %u n=%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "+%"
                                           G_GINT64_FORMAT "+%" G_GINT64_FORMAT " k=%" G_GINT64_FORMAT,
                                           tile, n, mq, mk, mv, k);

  round_to_f16 (w, m * k);
  round_to_f16 (x, n * k);
  g_assert_true (jg_op_linear_qkv (ctx, q, kk, v, tx, tw, tb, &opts, &error));
  g_assert_no_error (error);
  jg_ref_linear (want, x, w, b, n, m, k, FALSE);
  gq = download (q);
  gk = download (kk);
  gv = download (v);
  for (gint64 r = 0; r < n; r++)
    {
      memcpy (got + r * m, gq + r * mq, mq * sizeof (float));
      memcpy (got + r * m + mq, gk + r * mk, mk * sizeof (float));
      memcpy (got + r * m + mq + mk, gv + r * mv, mv * sizeof (float));
    }
  assert_close (what, got, want, n * m, TOL_COOPMAT);
}

static void
check_swiglu_mm (gint64 n, gint64 I, gint64 k, guint tile)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rand_vec (n * k, -1, 1);
  g_autofree float *w = rand_vec (2 * I * k, -0.2, 0.2);
  g_autofree float *gu = g_new (float, n * 2 * I);
  g_autofree float *want = g_new (float, n * I);
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F16, n, k, x);
  g_autoptr(JgTensor) tw = tensor_from (JG_DTYPE_F16, 2 * I, k, w);
  g_autoptr(JgTensor) out = tensor_from (JG_DTYPE_F16, n, I, NULL);
  JgLinearOptions opts = { .coopmat_tile = tile };
  g_autofree char *what = g_strdup_printf ("gate|up+swiglu tile %u n=%" G_GINT64_FORMAT " I=%" G_GINT64_FORMAT
                                           " k=%" G_GINT64_FORMAT, tile, n, I, k);

  round_to_f16 (w, 2 * I * k);
  round_to_f16 (x, n * k);
  {
    /* NaN (f16 0x7e00) first, so unwritten values fail. */
    g_autofree guint16 *nan = g_new (guint16, n * I);
    for (gint64 i = 0; i < n * I; i++)
      nan[i] = 0x7e00;
    g_assert_true (jg_tensor_upload_f16 (out, nan, &error));
  }
  g_assert_true (jg_op_linear_swiglu (ctx, out, tx, tw, &opts, &error));
  g_assert_no_error (error);
  jg_ref_linear (gu, x, w, NULL, n, 2 * I, k, FALSE);
  for (gint64 r = 0; r < n; r++)
    jg_ref_swiglu (want + r * I, gu + r * 2 * I, gu + r * 2 * I + I, I);
  got = download (out);
  assert_close (what, got, want, n * I, TOL_COOPMAT);
}

static void
test_matmul_fused (void)
{
  g_autoptr(GError) error = NULL;

  check_split (33, 40, 256, 3, TRUE, TRUE);
  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT))
    {
      /* The fused forms and the f16 attention output refuse cleanly. */
      g_autoptr(JgTensor) x = tensor_from (JG_DTYPE_F16, 16, 16, NULL);
      g_autoptr(JgTensor) w = tensor_from (JG_DTYPE_F16, 48, 16, NULL);
      g_autoptr(JgTensor) out = tensor_from (JG_DTYPE_F16, 16, 24, NULL);
      g_autoptr(JgTensor) q = tensor_from (JG_DTYPE_F32, 16, 16, NULL);
      g_autoptr(JgTensor) o16 = tensor_from (JG_DTYPE_F16, 16, 16, NULL);
      JgAttentionShape as = { .n_q = 16, .n_kv = 16, .n_heads = 1, .n_kv_heads = 1, .head_dim = 16,
                              .causal = TRUE, .scale = 0.25f };
      g_assert_false (jg_op_linear_swiglu (ctx, out, x, w, NULL, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
      g_clear_error (&error);
      g_assert_false (jg_op_linear_qkv (ctx, q, q, q, x, w, NULL, NULL, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
      g_clear_error (&error);
      g_assert_false (jg_op_attention (ctx, o16, q, q, q, &as, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_test_skip ("the fused prefill matmuls need VK_NV_cooperative_matrix (not available or disabled)");
      return;
    }
  /* Slices not multiples of the 64-deep split grain, k not a multiple of
   * the step, m not a multiple of 4 (no split then), edge rows. */
  check_split (77, 96, 264, 2, TRUE, TRUE);
  check_split (77, 96, 264, 3, FALSE, FALSE);
  check_split (130, 200, 520, 4, TRUE, TRUE);
  check_split (40, 90, 264, 3, TRUE, TRUE);
  {
    guint n_tiles;
    jg_linear_coopmat_tiles (&n_tiles);
    for (guint t = 1; t <= n_tiles; t++)
      {
        check_qkv (77, 96, 32, 48, 264, t);
        check_qkv (130, 256, 64, 72, 136, t);
        /* v narrower than a fragment. */
        check_qkv (40, 32, 16, 8, 64, t);
        check_swiglu_mm (77, 200, 264, t);
        check_swiglu_mm (33, 36, 72, t);
        check_swiglu_mm (20, 16, 48, t);
        /* Slices over k with this tile (the last one shorter). */
        check_split_tile (77, 96, 264, 3, TRUE, TRUE, t);
        check_split_tile (21, 64, 512, 2, FALSE, FALSE, t);
      }
  }
  /* The attention kernel writing f16. */
  {
    guint nq = 77, heads = 4, kvh = 2, d = 128;
    g_autofree float *qh = rand_vec ((gsize) nq * heads * d, -3, 3);
    g_autofree float *kh = rand_vec ((gsize) nq * kvh * d, -1, 1);
    g_autofree float *vh = rand_vec ((gsize) nq * kvh * d, -1, 1);
    g_autofree float *want = g_new (float, (gsize) nq * heads * d);
    g_autofree float *got = NULL;
    g_autoptr(JgTensor) q = tensor_from (JG_DTYPE_F32, nq, heads * d, qh);
    g_autoptr(JgTensor) k = tensor_from (JG_DTYPE_F32, nq, kvh * d, kh);
    g_autoptr(JgTensor) v = tensor_from (JG_DTYPE_F32, nq, kvh * d, vh);
    g_autoptr(JgTensor) o = tensor_from (JG_DTYPE_F16, nq, heads * d, NULL);
    JgAttentionShape as = { .n_q = nq, .n_kv = nq, .n_heads = heads, .n_kv_heads = kvh, .head_dim = d,
                            .causal = TRUE, .scale = 1.0f / sqrtf ((float) d) };
    g_assert_true (jg_op_attention (ctx, o, q, k, v, &as, &error));
    g_assert_no_error (error);
    jg_ref_attention (want, qh, kh, vh, nq, nq, 0, heads, kvh, d, TRUE, as.scale);
    got = download (o);
    assert_close ("attention f16 out", got, want, (gsize) nq * heads * d, TOL_COOPMAT);
  }
}

static void
test_linear_auto (void)
{
  check_linear (JG_LINEAR_AUTO, JG_DTYPE_F16, 2, 100, 128, TRUE, FALSE);
  check_linear (JG_LINEAR_AUTO, JG_DTYPE_F16, 33, 100, 128, TRUE, FALSE);
}

static void
test_linear_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgTensor) x = tensor_from (JG_DTYPE_F32, 2, 12, NULL);
  g_autoptr(JgTensor) w = tensor_from (JG_DTYPE_F16, 5, 12, NULL);
  g_autoptr(JgTensor) y = tensor_from (JG_DTYPE_F32, 2, 5, NULL);
  g_autoptr(JgTensor) x2 = tensor_from (JG_DTYPE_F32, 2, 16, NULL);
  g_autoptr(JgTensor) w2 = tensor_from (JG_DTYPE_F16, 5, 24, NULL);

  g_assert_false (jg_op_linear (ctx, y, x, w, NULL, FALSE, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "multiple of 8"));
  g_clear_error (&error);
  g_assert_false (jg_op_linear (ctx, y, x2, w2, NULL, FALSE, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* f16 activations only on the cooperative-matrix path. */
  {
    g_autoptr(JgTensor) x16 = tensor_from (JG_DTYPE_F16, 2, 16, NULL);
    g_autoptr(JgTensor) w16 = tensor_from (JG_DTYPE_F16, 5, 16, NULL);
    JgLinearOptions opts = { .path = JG_LINEAR_TILED };
    g_assert_false (jg_op_linear_ex (ctx, y, x16, w16, NULL, FALSE, &opts, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "f16 activations"));
    g_clear_error (&error);
    opts.path = JG_LINEAR_COOPMAT;
    opts.coopmat_tile = 99;
    g_assert_false (jg_op_linear_ex (ctx, y, x16, w16, NULL, FALSE, &opts, &error));
    g_assert_nonnull (error);
  }
}

/* ---- norms ---- */

static void
test_norms (void)
{
  g_autoptr(GError) error = NULL;
  const gint64 rows = 5, n = 300;
  g_autofree float *x = rand_vec (rows * n, -3, 3);
  g_autofree float *w = rand_vec (n, 0.5, 1.5);
  g_autofree float *b = rand_vec (n, -1, 1);
  g_autofree float *want = g_new (float, rows * n);
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, rows, n, x);
  g_autoptr(JgTensor) tw = tensor_from (JG_DTYPE_F32, 1, n, w);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, n, b);
  g_autoptr(JgTensor) ty = poisoned (rows, n);
  float *got;

  /* Rows with a large common offset make a one-pass variance fail. */
  for (gint64 i = 0; i < n; i++)
    x[2 * n + i] += 100.0f;
  g_assert_true (jg_tensor_upload_f32 (tx, x, &error));

  g_assert_true (jg_op_rmsnorm (ctx, ty, tx, tw, 1e-6f, &error));
  g_assert_no_error (error);
  jg_ref_rmsnorm (want, x, w, rows, n, 1e-6f);
  got = download (ty);
  assert_close ("rmsnorm", got, want, rows * n, TOL_F32);
  g_free (got);

  g_assert_true (jg_op_layernorm (ctx, ty, tx, tw, tb, 1e-5f, &error));
  g_assert_no_error (error);
  jg_ref_layernorm (want, x, w, b, rows, n, 1e-5f);
  got = download (ty);
  assert_close ("layernorm", got, want, rows * n, TOL_F32);
  g_free (got);

  /* f16 output (the prefill's matmul input) where there is 16-bit
   * storage: the reference rounded to f16; refused cleanly elsewhere. */
  {
    g_autoptr(JgTensor) ty16 = tensor_from (JG_DTYPE_F16, rows, n, NULL);
    g_autofree float *nan = g_new (float, rows * n);
    for (gint64 i = 0; i < rows * n; i++)
      nan[i] = NAN;
    g_assert_true (jg_tensor_upload_f32 (ty16, nan, &error));
    if (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_FP16)
      {
        g_assert_true (jg_op_rmsnorm (ctx, ty16, tx, tw, 1e-6f, &error));
        g_assert_no_error (error);
        jg_ref_rmsnorm (want, x, w, rows, n, 1e-6f);
        round_to_f16 (want, rows * n);
        got = download (ty16);
        /* Within one f16 rounding of the rounded reference. */
        assert_close ("rmsnorm, f16 output", got, want, rows * n, 1e-3);
        g_free (got);
        g_assert_false (jg_op_layernorm (ctx, ty16, tx, tw, tb, 1e-5f, &error));
        g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      }
    else
      {
        g_assert_false (jg_op_rmsnorm (ctx, ty16, tx, tw, 1e-6f, &error));
        g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      }
    g_clear_error (&error);
  }

  /* In place, no weight. */
  g_assert_true (jg_op_rmsnorm (ctx, tx, tx, NULL, 1e-6f, &error));
  jg_ref_rmsnorm (want, x, NULL, rows, n, 1e-6f);
  got = download (tx);
  assert_close ("rmsnorm in place", got, want, rows * n, TOL_F32);
  g_free (got);
}

/* ---- rope ---- */

static void
check_rope (const guint sections[3], guint head_dim, guint n_heads, gsize n_tok, double theta)
{
  g_autoptr(GError) error = NULL;
  gsize n = n_tok * n_heads * head_dim;
  g_autofree float *x = rand_vec (n, -1, 1);
  g_autofree float *want = g_memdup2 (x, n * sizeof (float));
  g_autofree float *inv = g_new (float, head_dim / 2);
  g_autofree guint32 *pos = g_new (guint32, 3 * n_tok);
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, n_tok, n_heads * head_dim, x);
  g_autoptr(JgTensor) tinv = NULL;
  g_autoptr(JgTensor) tpos = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 3, n_tok, 0, &error);
  g_autofree char *what = g_strdup_printf ("rope sections %u/%u/%u d=%u", sections[0], sections[1],
                                           sections[2], head_dim);

  for (gsize i = 0; i < 3 * n_tok; i++)
    pos[i] = (guint32) g_test_rand_int_range (0, 6000);
  jg_rope_inv_freq (theta, head_dim, inv);
  tinv = tensor_from (JG_DTYPE_F32, 1, head_dim / 2, inv);
  g_assert_true (jg_tensor_upload_u32 (tpos, pos, &error));
  g_assert_true (jg_op_rope (ctx, tx, n_heads, head_dim, tpos, tinv, sections, &error));
  g_assert_no_error (error);
  jg_ref_rope (want, n_tok, n_heads, head_dim, pos, inv, sections);
  got = download (tx);
  assert_close (what, got, want, n, TOL_F32);
}

static void
test_rope (void)
{
  const guint plain[3] = { 64, 0, 0 }, mrope[3] = { 16, 24, 24 }, small[3] = { 16, 0, 0 };

  check_rope (plain, 128, 3, 5, 1e6);
  check_rope (mrope, 128, 3, 5, 1e6);
  check_rope (small, 32, 2, 7, 1e4);
}

/* ---- attention ---- */

static void check_attention_ex (guint n_q, guint n_kv, guint q_pos0, guint n_heads, guint n_kv_heads,
                                guint head_dim, gboolean causal, guint split_room, float rise);

static void
check_attention (guint n_q, guint n_kv, guint q_pos0, guint n_heads, guint n_kv_heads, guint head_dim,
                 gboolean causal, guint split_room)
{
  check_attention_ex (n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim, causal, split_room, 0);
}

/* rise: key j is scaled by 1 + rise j, so that later blocks' scores pass
 * the earlier maxima (the tensor-core kernel's lazy maximum must rescale
 * its output then). */
static void
check_attention_ex (guint n_q, guint n_kv, guint q_pos0, guint n_heads, guint n_kv_heads, guint head_dim,
                    gboolean causal, guint split_room, float rise)
{
  g_autoptr(GError) error = NULL;
  gsize qn = (gsize) n_q * n_heads * head_dim, kvn = (gsize) n_kv * n_kv_heads * head_dim;
  g_autofree float *q = rand_vec (qn, -1, 1);
  g_autofree float *k = rand_vec (kvn, -1, 1);
  g_autofree float *v = rand_vec (kvn, -1, 1);
  g_autofree float *want = g_new (float, qn);
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tq = tensor_from (JG_DTYPE_F32, n_q, n_heads * head_dim, q);
  g_autoptr(JgTensor) tk = tensor_from (JG_DTYPE_F32, n_kv, n_kv_heads * head_dim, k);
  g_autoptr(JgTensor) tv = tensor_from (JG_DTYPE_F32, n_kv, n_kv_heads * head_dim, v);
  g_autoptr(JgTensor) to = poisoned (n_q, n_heads * head_dim);
  JgAttentionShape s = {
    .n_q = n_q, .n_kv = n_kv, .q_pos0 = q_pos0, .n_heads = n_heads, .n_kv_heads = n_kv_heads,
    .head_dim = head_dim, .causal = causal, .scale = 1.0f / sqrtf ((float) head_dim),
  };
  g_autoptr(JgTensor) scratch = split_room ? poisoned (1, (gint64) n_q * n_heads * split_room * (head_dim + 2))
                                            : NULL;
  g_autofree char *what = g_strdup_printf ("attention q=%u kv=%u pos0=%u heads %u/%u d=%u%s split room %u rise %g",
                                           n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim,
                                           causal ? " causal" : "", split_room, rise);

  s.split_scratch = scratch;
  for (gsize j = 0; j < n_kv; j++)
    for (gsize c = 0; c < (gsize) n_kv_heads * head_dim; c++)
      k[j * n_kv_heads * head_dim + c] *= 1.0f + rise * j;
  g_assert_true (jg_tensor_upload_f32 (tk, k, &error));
  /* Sharper scores than uniform noise, so the softmax is not flat. */
  for (gsize i = 0; i < qn; i++)
    q[i] *= 3.0f;
  g_assert_true (jg_tensor_upload_f32 (tq, q, &error));
  jg_ref_attention (want, q, k, v, n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim, causal, s.scale);
  /* The default path (the tensor-core kernel for many queries where there
   * are cooperative matrices: f16 operands), then the scalar one. */
  for (int scalar = 0; scalar < 2; scalar++)
    {
      gboolean cm = !scalar && n_q > 8 && (head_dim == 64 || head_dim == 128)
                    && (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT);
      g_autofree char *what2 = g_strdup_printf ("%s%s", what, scalar ? " (scalar)" : cm ? " (coopmat)" : "");
      s.scalar = scalar;
      if (scalar)
        {
          g_autoptr(JgTensor) fresh = poisoned (n_q, n_heads * head_dim);
          g_assert_true (jg_op_attention (ctx, fresh, tq, tk, tv, &s, &error));
          g_assert_no_error (error);
          got = download (fresh);
        }
      else
        {
          g_assert_true (jg_op_attention (ctx, to, tq, tk, tv, &s, &error));
          g_assert_no_error (error);
          got = download (to);
        }
      assert_close (what2, got, want, qn, cm ? TOL_COOPMAT : TOL_F32);
      g_clear_pointer (&got, g_free);
    }
}

static void
test_attention (void)
{
  check_attention (7, 7, 0, 4, 2, 64, TRUE, 0);       /* prefill */
  check_attention (1, 150, 149, 4, 1, 128, TRUE, 0);  /* decode across three key blocks */
  check_attention (5, 75, 70, 6, 2, 32, TRUE, 0);     /* a chunk after a cache */
  check_attention (9, 70, 0, 2, 2, 80, FALSE, 0);     /* full (encoder) attention, d = 80 */
  /* Split over the keys (flash-decoding): decode with 4 chunks; a chunk of
   * queries whose early rows see only some chunks; a scratch with room
   * for 2 splits only, so chunks grow. */
  check_attention (1, 500, 499, 4, 2, 128, TRUE, 64);
  check_attention (5, 305, 300, 6, 2, 32, TRUE, 64);
  check_attention (2, 700, 698, 2, 1, 64, TRUE, 2);
  /* Prefill blocks (tensor cores where there are cooperative matrices):
   * query and key counts off the 64/32 blocks, a chunk after a cache,
   * full attention, both head sizes the kernel has. */
  check_attention (77, 77, 0, 4, 2, 128, TRUE, 0);
  check_attention (40, 140, 100, 4, 1, 128, TRUE, 0);
  check_attention (65, 65, 0, 2, 2, 64, FALSE, 0);
  /* Scores that rise block by block (up to ~12x the first keys'): the
   * tensor-core kernel rescales its output rows on the way. */
  check_attention_ex (100, 100, 0, 4, 2, 128, TRUE, 0, 0.125f);
  check_attention_ex (70, 90, 0, 2, 1, 64, FALSE, 0, 0.125f);
}

/* ---- elementwise, embedding ---- */

static void
test_eltwise (void)
{
  g_autoptr(GError) error = NULL;
  const gsize n = 1200, nb = 300;
  g_autofree float *a = rand_vec (n, -4, 4);
  g_autofree float *b = rand_vec (n, -2, 2);
  g_autofree float *want = g_new (float, n);
  g_autoptr(JgTensor) ta = tensor_from (JG_DTYPE_F32, 1, n, a);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, n, b);
  g_autoptr(JgTensor) tbr = tensor_from (JG_DTYPE_F32, 1, nb, b);
  g_autoptr(JgTensor) to = poisoned (1, n);
  float *got;

#define CHECK(call, ref, name) \
  g_assert_true (call); g_assert_no_error (error); ref; got = download (to); \
  assert_close (name, got, want, n, TOL_F32); g_free (got)

  CHECK (jg_op_add (ctx, to, ta, tb, &error), jg_ref_add (want, a, b, n, n), "add");
  CHECK (jg_op_add (ctx, to, ta, tbr, &error), jg_ref_add (want, a, b, n, nb), "add broadcast");
  CHECK (jg_op_mul (ctx, to, ta, tb, &error), jg_ref_mul (want, a, b, n, n), "mul");
  CHECK (jg_op_mul (ctx, to, ta, tbr, &error), jg_ref_mul (want, a, b, n, nb), "mul broadcast");
  CHECK (jg_op_swiglu (ctx, to, ta, tb, &error), jg_ref_swiglu (want, a, b, n), "swiglu");
  CHECK (jg_op_gelu (ctx, to, ta, &error), jg_ref_gelu (want, a, n), "gelu");
  CHECK (jg_op_silu (ctx, to, ta, &error), jg_ref_silu (want, a, n), "silu");
#undef CHECK
  /* SwiGLU into f16 (the prefill's down_proj input) against the reference
   * rounded to f16; other ops refuse an f16 output. */
  if (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_FP16)
    {
      g_autoptr(JgTensor) to16 = tensor_from (JG_DTYPE_F16, 1, n, NULL);
      g_autofree float *nan = g_new (float, n);
      for (gsize i = 0; i < n; i++)
        nan[i] = NAN;
      g_assert_true (jg_tensor_upload_f32 (to16, nan, &error));
      g_assert_true (jg_op_swiglu (ctx, to16, ta, tb, &error));
      g_assert_no_error (error);
      jg_ref_swiglu (want, a, b, n);
      round_to_f16 (want, n);
      got = download (to16);
      assert_close ("swiglu, f16 output", got, want, n, 1e-3);
      g_free (got);
      g_assert_false (jg_op_add (ctx, to16, ta, tb, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    }
}

static void
test_embed (void)
{
  g_autoptr(GError) error = NULL;
  const gsize vocab = 50, dim = 24, n_ids = 9;
  g_autofree float *table = rand_vec (vocab * dim, -1, 1);
  guint32 ids[9] = { 0, 49, 7, 7, 23, 1, 50, 1000000, 12 };  /* two outside the table */
  g_autofree float *want = g_new (float, n_ids * dim);
  g_autoptr(JgTensor) tid = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, n_ids, 0, &error);

  g_assert_true (jg_tensor_upload_u32 (tid, ids, &error));
  for (JgDType dt = JG_DTYPE_F32; dt <= JG_DTYPE_F16; dt++)
    {
      g_autoptr(JgTensor) tt = tensor_from (dt, vocab, dim, table);
      g_autoptr(JgTensor) to = poisoned (n_ids, dim);
      g_autofree float *ref_table = g_memdup2 (table, vocab * dim * sizeof (float));
      g_autofree float *got = NULL;

      if (dt == JG_DTYPE_F16)
        round_to_f16 (ref_table, vocab * dim);
      g_assert_true (jg_op_embed (ctx, to, tt, tid, &error));
      g_assert_no_error (error);
      jg_ref_embed (want, ref_table, vocab, dim, ids, n_ids);
      got = download (to);
      /* A gather is exact. */
      g_assert_cmpmem (got, n_ids * dim * sizeof (float), want, n_ids * dim * sizeof (float));
    }
}

/* ---- softmax, argmax, sampling ---- */

static void
test_softmax (void)
{
  g_autoptr(GError) error = NULL;
  const gsize rows = 3, n = 1000;
  g_autofree float *x = rand_vec (rows * n, -10, 10);
  g_autofree float *want = g_new (float, rows * n);
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, rows, n, x);
  g_autoptr(JgTensor) ty = poisoned (rows, n);

  g_assert_true (jg_op_softmax (ctx, ty, tx, 0.7f, &error));
  g_assert_no_error (error);
  jg_ref_softmax (want, x, rows, n, 0.7f);
  got = download (ty);
  assert_close ("softmax", got, want, rows * n, TOL_F32);
}

static void
test_argmax (void)
{
  g_autoptr(GError) error = NULL;
  const gsize rows = 4, n = 3000;
  g_autofree float *x = rand_vec (rows * n, -5, 5);
  g_autoptr(JgTensor) tx = NULL;
  g_autoptr(JgTensor) to = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, rows, 0, &error);
  guint32 got[4];

  /* Row 1: a tie between two maxima; the first wins. */
  x[1 * n + 2500] = 9.0f;
  x[1 * n + 1700] = 9.0f;
  tx = tensor_from (JG_DTYPE_F32, rows, n, x);
  g_assert_true (jg_op_argmax (ctx, to, tx, &error));
  g_assert_no_error (error);
  g_assert_true (jg_tensor_download_u32 (to, got, &error));
  for (gsize r = 0; r < rows; r++)
    g_assert_cmpuint (got[r], ==, jg_ref_argmax (x + r * n, n));
  g_assert_cmpuint (got[1], ==, 1700);
}

static void
test_sample (void)
{
  g_autoptr(GError) error = NULL;
  const gsize rows = 8, n = 2000;
  static const struct { guint k; float top_p, temperature; } cases[] = {
    { 1, 1.0f, 1.0f }, { 10, 1.0f, 0.8f }, { 64, 0.9f, 0.7f }, { 40, 0.5f, 1.3f }, { 64, 1.0f, 2.0f },
  };
  g_autofree float *x = rand_vec (rows * n, -4, 4);
  g_autofree float *u = rand_vec (rows, 0, 1);
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, rows, n, x);
  g_autoptr(JgTensor) tu = tensor_from (JG_DTYPE_F32, 1, rows, u);
  g_autoptr(JgTensor) to = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, rows, 0, &error);
  guint32 got[8];
  guint distinct_checked = 0;

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_assert_true (jg_op_sample (ctx, to, tx, tu, cases[c].k, cases[c].top_p, cases[c].temperature, &error));
      g_assert_no_error (error);
      g_assert_true (jg_tensor_download_u32 (to, got, &error));
      for (gsize r = 0; r < rows; r++)
        {
          double margin;
          guint32 want = jg_ref_sample (x + r * n, n, cases[c].k, cases[c].top_p, cases[c].temperature,
                                        u[r], &margin);
          if (cases[c].k == 1)
            g_assert_cmpuint (want, ==, jg_ref_argmax (x + r * n, n));
          /* A draw within rounding of a boundary may go either way. */
          if (margin < 1e-5)
            continue;
          if (got[r] != want)
            g_test_message ("case %u row %zu: got %u, want %u (margin %g)", c, r, got[r], want, margin);
          g_assert_cmpuint (got[r], ==, want);
          distinct_checked++;
        }
    }
  g_assert_cmpuint (distinct_checked, >=, 30);
  /* Bad parameters are refused. */
  g_assert_false (jg_op_sample (ctx, to, tx, tu, 65, 1.0f, 1.0f, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  ctx = jg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  g_test_message ("device %s, features 0x%x", jg_vk_context_get_info (ctx)->name,
                  jg_vk_context_get_features (ctx));

  g_test_add_func ("/ops/matvec", test_matvec);
  g_test_add_func ("/ops/matmul-tiled", test_matmul_tiled);
  g_test_add_func ("/ops/matmul-coopmat", test_matmul_coopmat);
  g_test_add_func ("/ops/matmul-fused", test_matmul_fused);
  g_test_add_func ("/ops/linear-auto", test_linear_auto);
  g_test_add_func ("/ops/linear-errors", test_linear_errors);
  g_test_add_func ("/ops/norms", test_norms);
  g_test_add_func ("/ops/rope", test_rope);
  g_test_add_func ("/ops/attention", test_attention);
  g_test_add_func ("/ops/eltwise", test_eltwise);
  g_test_add_func ("/ops/embed", test_embed);
  g_test_add_func ("/ops/softmax", test_softmax);
  g_test_add_func ("/ops/argmax", test_argmax);
  g_test_add_func ("/ops/sample", test_sample);
  rc = g_test_run ();
  jg_vk_context_free (ctx);
  return rc;
}
