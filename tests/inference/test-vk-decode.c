/* The decode kernels (RMSNorm folded into the matrix-vector products, the
 * fused q/k/v product with RoPE and cache writes, the fused gate/up product
 * with SwiGLU, attention whose key count comes from a buffer) against
 * compositions of the plain-C references (inference/jg-ops-ref.c), by
 * normalised error on fresh random inputs; and graphs: a recording replayed
 * with new buffer contents gives what a fresh recording gives. Run with
 * JAEGER_VK_DISABLE set to cover each fallback (tests/inference/meson.build). */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-vk-ops.h"
#include "inference/jg-ops-ref.h"
#include "core/jg-error.h"
#include "vk-test-util.h"

#include <math.h>
#include <string.h>

#define TOL 1e-5
#define EPS 1e-6f

/* Random values that f16 holds exactly (the weights as the device keeps them). */
static float *
rand_f16 (gsize n, double lo, double hi)
{
  float *v = rand_vec (n, lo, hi);
  for (gsize i = 0; i < n; i++)
    v[i] = jg_f16_to_f32 (jg_f32_to_f16 (v[i]));
  return v;
}

/* Zeros, as the decode attention's merge counts start (and end). */
static JgTensor *
zero_counts (guint n)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint32 *z = g_new0 (guint32, n);
  JgTensor *t = jg_tensor_new_2d (ctx, JG_DTYPE_U32, n, 1, JG_TENSOR_DEVICE, &error);
  g_assert_no_error (error);
  g_assert_true (jg_tensor_upload_u32 (t, z, &error));
  g_assert_no_error (error);
  return t;
}

static JgTensor *
step_tensor (const guint32 step[4])
{
  g_autoptr(GError) error = NULL;
  JgTensor *t = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, &error);
  g_assert_no_error (error);
  memcpy (jg_tensor_get_mapped (t), step, 4 * sizeof (guint32));
  return t;
}

/* Weights on the device as f16 (block 0) or 8-bit with one scale per
 * block of columns; ref is what the device computes with (the f16 values,
 * or the 8-bit ones dequantized). */
typedef struct {
  JgTensor *f16;
  JgQ8Weights q8;
  float *ref;
} DevWeights;

static void
dev_weights_init (DevWeights *d, const float *w, gint64 m, gint64 k, guint block)
{
  g_autoptr(GError) error = NULL;

  memset (d, 0, sizeof *d);
  d->ref = g_new (float, m * k);
  if (block == 0)
    {
      memcpy (d->ref, w, m * k * sizeof (float));
      d->f16 = tensor_from (JG_DTYPE_F16, m, k, w);
      return;
    }
  {
    g_autoptr(JgQ8Matrix) q = jg_q8_quantize (w, m, k, block, &error);
    g_assert_no_error (error);
    jg_q8_dequantize (q, d->ref);
    d->q8.block = block;
    d->q8.q = jg_tensor_new_2d (ctx, JG_DTYPE_U32, m, k / 4, JG_TENSOR_DEVICE, &error);
    d->q8.scales = jg_tensor_new_2d (ctx, JG_DTYPE_F16, m, k / block, JG_TENSOR_DEVICE, &error);
    g_assert_no_error (error);
    g_assert_true (jg_q8_weights_upload (&d->q8, q, &error));
    g_assert_no_error (error);
  }
}

static void
dev_weights_clear (DevWeights *d)
{
  g_clear_pointer (&d->f16, jg_tensor_free);
  g_clear_pointer (&d->q8.q, jg_tensor_free);
  g_clear_pointer (&d->q8.scales, jg_tensor_free);
  g_free (d->ref);
}

/* Workgroup shapes the tests go through: the default, and others that
 * leave partial workgroups and subgroup-sized or wide groups. */
static const JgDecodeTuning tunings[] = { { 0, 0 }, { 2, 64 }, { 3, 32 }, { 4, 256 } };

/* ---- norm + linear ---- */

static void
check_norm_linear (gint64 m, gint64 k, gboolean bias, gboolean accumulate, const JgDecodeTuning *tune,
                   guint block, gboolean norm)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rand_vec (k, -3, 3);
  g_autofree float *lnw = rand_vec (k, 0.5, 1.5);
  g_autofree float *w = rand_f16 (m * k, -1, 1);
  g_autofree float *b = rand_vec (m, -1, 1);
  g_autofree float *y0 = rand_vec (m, -1, 1);
  g_autofree float *xn = g_new (float, k);
  g_autofree float *want = g_memdup2 (y0, m * sizeof (float));
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, 1, k, x);
  g_autoptr(JgTensor) tn = tensor_from (JG_DTYPE_F32, 1, k, lnw);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, m, b);
  g_autoptr(JgTensor) ty = accumulate ? tensor_from (JG_DTYPE_F32, 1, m, y0) : poisoned (1, m);
  g_autofree char *what = g_strdup_printf ("norm_linear %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                                           "%s%s%s rows %u wg %u q8 block %u", m, k, bias ? " bias" : "",
                                           accumulate ? " accumulate" : "", norm ? "" : " no norm",
                                           tune->rows, tune->wg, block);
  DevWeights dw;

  dev_weights_init (&dw, w, m, k, block);
  if (block == 0)
    g_assert_true (jg_op_norm_linear (ctx, ty, tx, norm ? tn : NULL, EPS, dw.f16, bias ? tb : NULL, accumulate,
                                      tune, &error));
  else
    g_assert_true (jg_op_norm_linear_q8 (ctx, ty, tx, norm ? tn : NULL, EPS, &dw.q8, bias ? tb : NULL,
                                         accumulate, tune, &error));
  g_assert_no_error (error);
  if (norm)
    jg_ref_rmsnorm (xn, x, lnw, 1, k, EPS);
  else
    memcpy (xn, x, k * sizeof (float));
  jg_ref_linear (want, xn, dw.ref, bias ? b : NULL, 1, m, k, accumulate);
  got = download (ty);
  assert_close (what, got, want, m, TOL);
  dev_weights_clear (&dw);
}

static void
test_norm_linear (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tunings); i++)
    {
      check_norm_linear (37, 64, FALSE, FALSE, &tunings[i], 0, TRUE);
      check_norm_linear (130, 1000, TRUE, FALSE, &tunings[i], 0, TRUE);
      check_norm_linear (9, 2056, FALSE, TRUE, &tunings[i], 0, TRUE);
      check_norm_linear (20, 200, TRUE, TRUE, &tunings[i], 0, FALSE);
      /* 8-bit weights, blocks of 32 and 128 columns, with and without the norm. */
      check_norm_linear (37, 64, FALSE, FALSE, &tunings[i], 32, TRUE);
      check_norm_linear (130, 1024, TRUE, FALSE, &tunings[i], 128, TRUE);
      check_norm_linear (9, 2048, FALSE, TRUE, &tunings[i], 32, FALSE);
    }
}

/* ---- norm + gate/up + SwiGLU ---- */

static void
check_norm_swiglu (gint64 inter, gint64 k, const JgDecodeTuning *tune, guint block)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rand_vec (k, -3, 3);
  g_autofree float *lnw = rand_vec (k, 0.5, 1.5);
  g_autofree float *w = rand_f16 (2 * inter * k, -0.5, 0.5);
  g_autofree float *xn = g_new (float, k);
  g_autofree float *gu = g_new (float, 2 * inter);
  g_autofree float *want = g_new (float, inter);
  g_autofree float *got = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, 1, k, x);
  g_autoptr(JgTensor) tn = tensor_from (JG_DTYPE_F32, 1, k, lnw);
  g_autoptr(JgTensor) to = poisoned (1, inter);
  g_autofree char *what = g_strdup_printf ("norm_swiglu I=%" G_GINT64_FORMAT " k=%" G_GINT64_FORMAT
                                           " rows %u wg %u q8 block %u", inter, k, tune->rows, tune->wg, block);
  DevWeights dw;

  dev_weights_init (&dw, w, 2 * inter, k, block);
  if (block == 0)
    g_assert_true (jg_op_norm_swiglu (ctx, to, tx, tn, EPS, dw.f16, tune, &error));
  else
    g_assert_true (jg_op_norm_swiglu_q8 (ctx, to, tx, tn, EPS, &dw.q8, tune, &error));
  g_assert_no_error (error);
  jg_ref_rmsnorm (xn, x, lnw, 1, k, EPS);
  jg_ref_linear (gu, xn, dw.ref, NULL, 1, 2 * inter, k, FALSE);
  dev_weights_clear (&dw);
  jg_ref_swiglu (want, gu, gu + inter, inter);
  got = download (to);
  assert_close (what, got, want, inter, TOL);
}

static void
test_norm_swiglu (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tunings); i++)
    {
      check_norm_swiglu (48, 64, &tunings[i], 0);
      check_norm_swiglu (101, 520, &tunings[i], 0);
      check_norm_swiglu (101, 512, &tunings[i], 32);
      check_norm_swiglu (48, 256, &tunings[i], 128);
    }
}

/* ---- norm + q/k/v + RoPE + cache rows ---- */

static void
check_qkv (guint n_heads, guint n_kv_heads, guint head_dim, const guint sections[3], gint64 k,
           guint cache_rows, const guint32 step[4], const JgDecodeTuning *tune, guint block)
{
  g_autoptr(GError) error = NULL;
  guint qd = n_heads * head_dim, kvd = n_kv_heads * head_dim, m = qd + 2 * kvd;
  JgQkvShape s = {
    .n_heads = n_heads, .n_kv_heads = n_kv_heads, .head_dim = head_dim,
    .sections = { sections[0], sections[1], sections[2] }, .eps = EPS,
  };
  g_autofree float *x = rand_vec (k, -3, 3);
  g_autofree float *lnw = rand_vec (k, 0.5, 1.5);
  g_autofree float *w = rand_f16 (m * k, -0.5, 0.5);
  g_autofree float *b = rand_vec (m, -0.5, 0.5);
  g_autofree float *kc0 = rand_vec (cache_rows * kvd, -1, 1);
  g_autofree float *vc0 = rand_vec (cache_rows * kvd, -1, 1);
  g_autofree float *inv = g_new (float, head_dim / 2);
  g_autofree float *xn = g_new (float, k);
  g_autofree float *qkv = g_new (float, m);
  g_autofree float *want_k = g_memdup2 (kc0, cache_rows * kvd * sizeof (float));
  g_autofree float *want_v = g_memdup2 (vc0, cache_rows * kvd * sizeof (float));
  g_autofree float *got_q = NULL, *got_k = NULL, *got_v = NULL;
  g_autoptr(JgTensor) tx = tensor_from (JG_DTYPE_F32, 1, k, x);
  g_autoptr(JgTensor) tn = tensor_from (JG_DTYPE_F32, 1, k, lnw);
  g_autoptr(JgTensor) tb = tensor_from (JG_DTYPE_F32, 1, m, b);
  g_autoptr(JgTensor) tkc = tensor_from (JG_DTYPE_F32, cache_rows, kvd, kc0);
  g_autoptr(JgTensor) tvc = tensor_from (JG_DTYPE_F32, cache_rows, kvd, vc0);
  g_autoptr(JgTensor) tq = poisoned (1, qd);
  g_autoptr(JgTensor) tstep = step_tensor (step);
  g_autoptr(JgTensor) tinv = NULL;
  const guint32 pos[3] = { step[0], step[1], step[2] };
  g_autofree char *what = g_strdup_printf ("qkv heads %u/%u d=%u k=%" G_GINT64_FORMAT " pos %u/%u/%u row %u"
                                           " rows %u wg %u q8 block %u", n_heads, n_kv_heads, head_dim, k,
                                           step[0], step[1], step[2], step[3], tune->rows, tune->wg, block);
  DevWeights dw;

  dev_weights_init (&dw, w, m, k, block);
  jg_rope_inv_freq (1e6, head_dim, inv);
  tinv = tensor_from (JG_DTYPE_F32, 1, head_dim / 2, inv);
  if (block == 0)
    g_assert_true (jg_op_norm_qkv_rope (ctx, tq, tkc, tvc, tx, tn, dw.f16, tb, tstep, tinv, &s, tune, &error));
  else
    g_assert_true (jg_op_norm_qkv_rope_q8 (ctx, tq, tkc, tvc, tx, tn, &dw.q8, tb, tstep, tinv, &s, tune,
                                           &error));
  g_assert_no_error (error);

  jg_ref_rmsnorm (xn, x, lnw, 1, k, EPS);
  jg_ref_linear (qkv, xn, dw.ref, b, 1, m, k, FALSE);
  dev_weights_clear (&dw);
  jg_ref_rope (qkv, 1, n_heads, head_dim, pos, inv, sections);
  jg_ref_rope (qkv + qd, 1, n_kv_heads, head_dim, pos, inv, sections);
  memcpy (want_k + step[3] * kvd, qkv + qd, kvd * sizeof (float));
  memcpy (want_v + step[3] * kvd, qkv + qd + kvd, kvd * sizeof (float));
  got_q = download (tq);
  got_k = download (tkc);
  got_v = download (tvc);
  assert_close (what, got_q, qkv, qd, TOL);
  assert_close ("  new key row", got_k + step[3] * kvd, want_k + step[3] * kvd, kvd, TOL);
  assert_close ("  new value row", got_v + step[3] * kvd, want_v + step[3] * kvd, kvd, TOL);
  /* Every other cache row is untouched. */
  for (guint r = 0; r < cache_rows; r++)
    if (r != step[3])
      {
        g_assert_cmpmem (got_k + r * kvd, kvd * sizeof (float), kc0 + r * kvd, kvd * sizeof (float));
        g_assert_cmpmem (got_v + r * kvd, kvd * sizeof (float), vc0 + r * kvd, kvd * sizeof (float));
      }
}

static void
test_norm_qkv_rope (void)
{
  const guint small[3] = { 2, 3, 3 }, omni[3] = { 16, 24, 24 }, plain[3] = { 8, 0, 0 };
  const guint32 s1[4] = { 5, 7, 3, 6 }, s2[4] = { 4000, 4001, 3999, 0 }, s3[4] = { 17, 17, 17, 9 };

  for (guint i = 0; i < G_N_ELEMENTS (tunings); i++)
    {
      check_qkv (4, 2, 16, small, 64, 10, s1, &tunings[i], 0);
      check_qkv (7, 1, 128, omni, 256, 3, s2, &tunings[i], 0);   /* the 7B's head grouping */
      check_qkv (3, 3, 16, plain, 96, 10, s3, &tunings[i], 0);
      check_qkv (4, 2, 16, small, 64, 10, s1, &tunings[i], 32);
      check_qkv (7, 1, 128, omni, 256, 3, s2, &tunings[i], 128);
    }
}

/* ---- attention over a buffer-given number of keys, replayed ---- */

/* One recording replayed for each number of keys. */
static void
check_attention_shape (guint heads, guint kvh, guint d, guint rows, const guint *n_kvs, guint n_n)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *k = rand_vec (rows * kvh * d, -1, 1);
  g_autofree float *v = rand_vec (rows * kvh * d, -1, 1);
  g_autofree float *q = rand_vec (heads * d, -3, 3);
  g_autofree float *want = g_new (float, heads * d);
  const guint32 step0[4] = { 0 };
  g_autoptr(JgTensor) tk = tensor_from (JG_DTYPE_F32, rows, kvh * d, k);
  g_autoptr(JgTensor) tv = tensor_from (JG_DTYPE_F32, rows, kvh * d, v);
  g_autoptr(JgTensor) tq = tensor_from (JG_DTYPE_F32, 1, heads * d, q);
  g_autoptr(JgTensor) to = poisoned (1, heads * d);
  g_autoptr(JgTensor) scratch = poisoned (1, 128 * heads * (d + 2));
  g_autoptr(JgTensor) tstep = step_tensor (step0);
  g_autoptr(JgTensor) counts = zero_counts (heads);
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  guint32 *step = jg_tensor_get_mapped (tstep);
  JgAttentionShape s = {
    .n_heads = heads, .n_kv_heads = kvh, .head_dim = d, .scale = 1.0f / sqrtf (d), .split_scratch = scratch,
  };

  jg_vk_graph_begin (ctx, graph);
  g_assert_true (jg_op_attention_decode (ctx, to, tq, tk, tv, tstep, counts, &s, &error));
  g_assert_true (jg_vk_graph_end (ctx, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_n; i++)
    {
      g_autofree float *got = NULL;
      g_autofree char *what = g_strdup_printf ("attention_decode heads %u/%u d=%u, %u keys of %u", heads, kvh,
                                               d, n_kvs[i], rows);
      step[3] = n_kvs[i] - 1;
      g_assert_true (jg_vk_graph_run (ctx, graph, &error));
      g_assert_no_error (error);
      jg_ref_attention (want, q, k, v, 1, n_kvs[i], n_kvs[i] - 1, heads, kvh, d, TRUE, s.scale);
      got = download (to);
      assert_close (what, got, want, heads * d, TOL);
    }
}

static void
test_attention_decode_shapes (void)
{
  const guint a[] = { 1, 31, 33, 200 }, b[] = { 2, 64, 100 }, c[] = { 1, 4200 };

  check_attention_shape (7, 1, 128, 200, a, G_N_ELEMENTS (a));    /* the 7B's grouping */
  check_attention_shape (4, 2, 80, 100, b, G_N_ELEMENTS (b));     /* head_dim / 4 does not divide 128 */
  check_attention_shape (2, 1, 16, 4200, c, G_N_ELEMENTS (c));    /* more rows than 128 splits hold */
}

static void
test_attention_decode_replay (void)
{
  g_autoptr(GError) error = NULL;
  enum { ROWS = 700, HEADS = 6, KVH = 2, D = 64 };
  const guint n_kvs[] = { 1, 5, 128, 129, 300, 700 };
  g_autofree float *k = rand_vec (ROWS * KVH * D, -1, 1);
  g_autofree float *v = rand_vec (ROWS * KVH * D, -1, 1);
  g_autofree float *q = rand_vec (HEADS * D, -3, 3);
  g_autofree float *want = g_new (float, HEADS * D);
  const guint32 step0[4] = { 0, 0, 0, 0 };
  g_autoptr(JgTensor) tk = tensor_from (JG_DTYPE_F32, ROWS, KVH * D, k);
  g_autoptr(JgTensor) tv = tensor_from (JG_DTYPE_F32, ROWS, KVH * D, v);
  g_autoptr(JgTensor) tq = tensor_from (JG_DTYPE_F32, 1, HEADS * D, q);
  g_autoptr(JgTensor) to = poisoned (1, HEADS * D);
  g_autoptr(JgTensor) scratch = poisoned (1, 64 * HEADS * (D + 2));
  g_autoptr(JgTensor) small = poisoned (1, 2 * HEADS * (D + 2));
  g_autoptr(JgTensor) tstep = step_tensor (step0);
  g_autoptr(JgTensor) counts = zero_counts (HEADS);
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  guint32 *step = jg_tensor_get_mapped (tstep);
  JgAttentionShape s = {
    .n_heads = HEADS, .n_kv_heads = KVH, .head_dim = D, .scale = 1.0f / sqrtf (D), .split_scratch = scratch,
  };

  g_assert_no_error (error);
  jg_vk_graph_begin (ctx, graph);
  g_assert_true (jg_op_attention_decode (ctx, to, tq, tk, tv, tstep, counts, &s, &error));
  g_assert_true (jg_vk_graph_end (ctx, &error));
  g_assert_no_error (error);
  g_assert_true (jg_vk_graph_is_ready (graph));
  for (guint i = 0; i < G_N_ELEMENTS (n_kvs); i++)
    {
      g_autofree float *got = NULL;
      g_autofree char *what = g_strdup_printf ("attention_decode replayed, %u keys of %d", n_kvs[i], ROWS);
      step[3] = n_kvs[i] - 1;
      g_assert_true (jg_vk_graph_run (ctx, graph, &error));
      g_assert_no_error (error);
      jg_ref_attention (want, q, k, v, 1, n_kvs[i], n_kvs[i] - 1, HEADS, KVH, D, TRUE, s.scale);
      got = download (to);
      assert_close (what, got, want, HEADS * D, TOL);
    }

  /* The merge counts are back to zero after every run. */
  {
    guint32 c[HEADS];
    g_assert_true (jg_tensor_download_u32 (counts, c, &error));
    for (guint i = 0; i < HEADS; i++)
      g_assert_cmpuint (c[i], ==, 0);
  }

  /* Room for 2 splits only: the chunks widen to cover every key. */
  s.split_scratch = small;
  step[3] = ROWS - 1;
  g_assert_true (jg_op_attention_decode (ctx, to, tq, tk, tv, tstep, counts, &s, &error));
  g_assert_no_error (error);
  {
    g_autofree float *got = download (to);
    jg_ref_attention (want, q, k, v, 1, ROWS, ROWS - 1, HEADS, KVH, D, TRUE, s.scale);
    assert_close ("attention_decode, 2 splits for 700 keys", got, want, HEADS * D, TOL);
  }

  /* Re-recording replaces the graph; one-shot ops still run between. */
  s.split_scratch = scratch;
  jg_vk_graph_begin (ctx, graph);
  g_assert_true (jg_op_attention_decode (ctx, to, tq, tk, tv, tstep, counts, &s, &error));
  g_assert_true (jg_op_add (ctx, to, to, to, &error));
  g_assert_true (jg_vk_graph_end (ctx, &error));
  step[3] = 41;
  g_assert_true (jg_vk_graph_run (ctx, graph, &error));
  g_assert_no_error (error);
  jg_ref_attention (want, q, k, v, 1, 42, 41, HEADS, KVH, D, TRUE, s.scale);
  for (guint i = 0; i < HEADS * D; i++)
    want[i] *= 2.0f;
  {
    g_autofree float *got = download (to);
    assert_close ("re-recorded graph (attention, then doubled)", got, want, HEADS * D, TOL);
  }

  /* Errors name the problem. */
  s.split_scratch = NULL;
  g_assert_false (jg_op_attention_decode (ctx, to, tq, tk, tv, tstep, counts, &s, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "split_scratch"));
}

/* ---- one small decoder layer, for the chained and persistent kernels ---- */

enum { LH = 64, LHEADS = 4, LKVH = 2, LD = 16, LQD = LHEADS * LD, LKVD = LKVH * LD, LM = LQD + 2 * LKVD,
       LI = 96 };
static const guint l_sections[3] = { 2, 3, 3 };

/* A layer's weights (f16 values where the device holds f16), their device
 * copies, its device cache and the reference cache rows written so far. */
typedef struct {
  float *ln1, *ln2, *wqkv, *bqkv, *wo, *wgu, *wd, *kref, *vref;
  JgTensor *t_ln1, *t_ln2, *t_wqkv, *t_bqkv, *t_wo, *t_wgu, *t_wd, *t_kc, *t_vc;
  guint rows;
} TestLayer;

static void
test_layer_init (TestLayer *l, guint rows)
{
  l->rows = rows;
  l->ln1 = rand_vec (LH, 0.8, 1.2);
  l->ln2 = rand_vec (LH, 0.8, 1.2);
  l->wqkv = rand_f16 (LM * LH, -0.25, 0.25);
  l->bqkv = rand_vec (LM, -0.5, 0.5);
  l->wo = rand_f16 (LH * LQD, -0.15, 0.15);
  l->wgu = rand_f16 (2 * LI * LH, -0.25, 0.25);
  l->wd = rand_f16 (LH * LI, -0.15, 0.15);
  l->kref = g_new0 (float, rows * LKVD);
  l->vref = g_new0 (float, rows * LKVD);
  l->t_ln1 = tensor_from (JG_DTYPE_F32, 1, LH, l->ln1);
  l->t_ln2 = tensor_from (JG_DTYPE_F32, 1, LH, l->ln2);
  l->t_wqkv = tensor_from (JG_DTYPE_F16, LM, LH, l->wqkv);
  l->t_bqkv = tensor_from (JG_DTYPE_F32, 1, LM, l->bqkv);
  l->t_wo = tensor_from (JG_DTYPE_F16, LH, LQD, l->wo);
  l->t_wgu = tensor_from (JG_DTYPE_F16, 2 * LI, LH, l->wgu);
  l->t_wd = tensor_from (JG_DTYPE_F16, LH, LI, l->wd);
  l->t_kc = poisoned (rows, LKVD);
  l->t_vc = poisoned (rows, LKVD);
}

static void
test_layer_clear (TestLayer *l)
{
  float **host[] = { &l->ln1, &l->ln2, &l->wqkv, &l->bqkv, &l->wo, &l->wgu, &l->wd, &l->kref, &l->vref };
  JgTensor **dev[] = { &l->t_ln1, &l->t_ln2, &l->t_wqkv, &l->t_bqkv, &l->t_wo, &l->t_wgu, &l->t_wd,
                       &l->t_kc, &l->t_vc };
  for (guint i = 0; i < G_N_ELEMENTS (host); i++)
    g_clear_pointer (host[i], g_free);
  for (guint i = 0; i < G_N_ELEMENTS (dev); i++)
    g_clear_pointer (dev[i], jg_tensor_free);
}

/* The reference for cache row p at positions pos: x goes through the layer
 * in place; the row's keys and values join the reference cache; q|k|v,
 * the attention and g come out where asked for. */
static void
test_layer_ref (TestLayer *l, float *x, guint p, const guint32 pos[3], const float *inv, float *qkv_out,
                float *att_out, float *g_out)
{
  float xn[LH], qkv[LM], att[LQD], gu[2 * LI], g[LI];

  g_assert_cmpuint (p, <, l->rows);
  jg_ref_rmsnorm (xn, x, l->ln1, 1, LH, EPS);
  jg_ref_linear (qkv, xn, l->wqkv, l->bqkv, 1, LM, LH, FALSE);
  jg_ref_rope (qkv, 1, LHEADS, LD, pos, inv, l_sections);
  jg_ref_rope (qkv + LQD, 1, LKVH, LD, pos, inv, l_sections);
  memcpy (l->kref + p * LKVD, qkv + LQD, LKVD * sizeof (float));
  memcpy (l->vref + p * LKVD, qkv + LQD + LKVD, LKVD * sizeof (float));
  jg_ref_attention (att, qkv, l->kref, l->vref, 1, p + 1, p, LHEADS, LKVH, LD, TRUE, 1.0f / sqrtf (LD));
  jg_ref_linear (x, att, l->wo, NULL, 1, LH, LQD, TRUE);
  jg_ref_rmsnorm (xn, x, l->ln2, 1, LH, EPS);
  jg_ref_linear (gu, xn, l->wgu, NULL, 1, 2 * LI, LH, FALSE);
  jg_ref_swiglu (g, gu, gu + LI, LI);
  jg_ref_linear (x, g, l->wd, NULL, 1, LH, LI, TRUE);
  if (qkv_out != NULL)
    memcpy (qkv_out, qkv, sizeof qkv);
  if (att_out != NULL)
    memcpy (att_out, att, sizeof att);
  if (g_out != NULL)
    memcpy (g_out, g, sizeof g);
}

/* A whole layer's decode chain in one graph, replayed at successive
 * positions, against the references run step by step. */
static void
test_layer_replay (void)
{
  g_autoptr(GError) error = NULL;
  enum { ROWS = 12, STEPS = 5 };
  JgQkvShape qs = { .n_heads = LHEADS, .n_kv_heads = LKVH, .head_dim = LD,
                    .sections = { 2, 3, 3 }, .eps = EPS };
  TestLayer l;
  float inv[LD / 2];
  g_autoptr(JgTensor) t_inv = NULL;
  g_autoptr(JgTensor) t_x = poisoned (1, LH), t_q = poisoned (1, LQD), t_attn = poisoned (1, LQD);
  g_autoptr(JgTensor) t_g = poisoned (1, LI), t_scratch = poisoned (1, 64 * LHEADS * (LD + 2));
  const guint32 step0[4] = { 0 };
  g_autoptr(JgTensor) t_step = step_tensor (step0);
  g_autoptr(JgTensor) t_counts = zero_counts (LHEADS);
  guint32 *step = jg_tensor_get_mapped (t_step);
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  JgAttentionShape as = { .n_heads = LHEADS, .n_kv_heads = LKVH, .head_dim = LD, .scale = 1.0f / sqrtf (LD),
                          .split_scratch = t_scratch };

  test_layer_init (&l, ROWS);
  jg_rope_inv_freq (1e4, LD, inv);
  t_inv = tensor_from (JG_DTYPE_F32, 1, LD / 2, inv);
  jg_vk_graph_begin (ctx, graph);
  g_assert_true (jg_op_norm_qkv_rope (ctx, t_q, l.t_kc, l.t_vc, t_x, l.t_ln1, l.t_wqkv, l.t_bqkv, t_step, t_inv,
                                      &qs, NULL, &error)
                 && jg_op_attention_decode (ctx, t_attn, t_q, l.t_kc, l.t_vc, t_step, t_counts, &as, &error)
                 && jg_op_linear (ctx, t_x, t_attn, l.t_wo, NULL, TRUE, &error)
                 && jg_op_norm_swiglu (ctx, t_g, t_x, l.t_ln2, EPS, l.t_wgu, NULL, &error)
                 && jg_op_linear (ctx, t_x, t_g, l.t_wd, NULL, TRUE, &error));
  g_assert_true (jg_vk_graph_end (ctx, &error));
  g_assert_no_error (error);

  for (guint p = 0; p < STEPS; p++)
    {
      g_autofree float *x = rand_vec (LH, -2, 2);
      float want[LH];
      const guint32 pos[3] = { 3 * p, 3 * p + 1, 2 * p };
      g_autofree float *got = NULL;
      g_autofree char *what = g_strdup_printf ("layer replayed at row %u", p);

      /* A new input each step; positions and the row from the step buffer. */
      g_assert_true (jg_tensor_upload_f32 (t_x, x, &error));
      step[0] = pos[0];
      step[1] = pos[1];
      step[2] = pos[2];
      step[3] = p;
      g_assert_true (jg_vk_graph_run (ctx, graph, &error));
      g_assert_no_error (error);

      memcpy (want, x, sizeof want);
      test_layer_ref (&l, want, p, pos, inv, NULL, NULL, NULL);
      got = download (t_x);
      assert_close (what, got, want, LH, TOL);
    }
  test_layer_clear (&l);
}

static void
assert_close_named (const char *what, const char *name, const float *got, const float *want, gsize n)
{
  g_autofree char *w = g_strdup_printf ("%s, %s", what, name);
  assert_close (w, got, want, n, TOL);
}

/* The persistent layer kernel (one dispatch, grid barriers between its
 * phases) against the references run step by step, each phase's output
 * checked (q, the new cache rows, attn, g, x), at every row of a cache of
 * 300 (so 1..10 parts of 32 keys are merged, past the merge's blocks of
 * eight), replayed from one recording; with one workgroup of 64 threads
 * (several row pairs, rows, k quarters and key blocks per subgroup, the
 * shared partial sums in two batches) and of 1024 (idle subgroups; k whole
 * in q|k|v and o, in three parts in down; attention parts of 16 keys, up to
 * 19 of them merged 16 at a time), and on
 * a GPU that says how many stay resident, that many. */
static void
test_layer_persistent (void)
{
  g_autoptr(GError) error = NULL;
  enum { ROWS = 300 };
  JgQkvShape qs = { .n_heads = LHEADS, .n_kv_heads = LKVH, .head_dim = LD,
                    .sections = { 2, 3, 3 }, .eps = EPS };
  TestLayer l;
  float inv[LD / 2];
  g_autoptr(JgTensor) t_inv = NULL;
  g_autoptr(JgTensor) t_x = poisoned (1, LH), t_q = poisoned (1, LQD), t_attn = poisoned (1, LQD);
  g_autoptr(JgTensor) t_g = poisoned (1, LI), t_scratch = poisoned (1, 64 * LHEADS * (LD + 2));
  const guint32 step0[4] = { 0 };
  g_autoptr(JgTensor) t_step = step_tensor (step0);
  g_autoptr(JgTensor) t_counts = zero_counts (LHEADS), t_bar = zero_counts (4), t_zeros = zero_counts (4);
  g_autoptr(JgTensor) t_fail = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, &error);
  guint32 *step = jg_tensor_get_mapped (t_step), *fail = jg_tensor_get_mapped (t_fail);
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  JgDecodeLayer dl;
  guint resident = jg_decode_layer_resident (ctx);
  struct { guint wg, threads, ks_qkvo, ks_down, chunk, merge; } runs[] = {
    { 1, 64, 0, 0, 0, 0 }, { 1, 1024, 1, 3, 16, 16 }, { resident, 0, 0, 0, 0, 0 },
  };

  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_SUBGROUP))
    {
      g_test_skip ("decode_layer needs subgroup arithmetic (JAEGER_VK_DISABLE=subgroup)");
      return;
    }
  test_layer_init (&l, ROWS);
  jg_rope_inv_freq (1e4, LD, inv);
  t_inv = tensor_from (JG_DTYPE_F32, 1, LD / 2, inv);
  dl = (JgDecodeLayer) {
    .x = t_x, .ln1 = l.t_ln1, .qkv_w = l.t_wqkv, .qkv_b = l.t_bqkv, .inv_freq = t_inv, .step = t_step, .q = t_q,
    .k_cache = l.t_kc, .v_cache = l.t_vc, .parts = t_scratch, .counts = t_counts, .attn = t_attn, .o_w = l.t_wo,
    .ln2 = l.t_ln2, .gate_up = l.t_wgu, .g = t_g, .down = l.t_wd, .barrier = t_bar, .fail = t_fail,
  };
  if (resident == 0)
    g_printerr ("decode_layer: %s gives no resident-workgroup count, so it runs here with ONE workgroup; "
                "waits between workgroups are checked only on an NVIDIA GPU\n", jg_vk_context_get_info (ctx)->name);
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      if (runs[r].wg == 0)
        continue;
      *fail = 0;
      dl.ks_qkvo = runs[r].ks_qkvo;
      dl.ks_down = runs[r].ks_down;
      dl.chunk = runs[r].chunk;
      dl.merge = runs[r].merge;
      jg_vk_graph_begin (ctx, graph);
      /* The grid barrier counts from zero in each run (as a model's step). */
      g_assert_true (jg_op_copy (ctx, t_bar, t_zeros, &error));
      g_assert_true (jg_op_decode_layer (ctx, &dl, &qs, 1.0f / sqrtf (LD), runs[r].wg, runs[r].threads, &error));
      g_assert_true (jg_vk_graph_end (ctx, &error));
      g_assert_no_error (error);
      for (guint p = 0; p < ROWS; p++)
        {
          g_autofree float *x = rand_vec (LH, -2, 2);
          float qkv[LM], att[LQD], g[LI], want[LH];
          const guint32 pos[3] = { 3 * p, 3 * p + 1, 2 * p };
          g_autofree char *what = g_strdup_printf ("decode_layer (%u x %u threads) at row %u", runs[r].wg,
                                                   runs[r].threads ? runs[r].threads : 512, p);
          g_autofree float *got_x = NULL, *got_q = NULL, *got_a = NULL, *got_g = NULL, *got_k = NULL,
                           *got_v = NULL;

          g_assert_true (jg_tensor_upload_f32 (t_x, x, &error));
          step[0] = pos[0];
          step[1] = pos[1];
          step[2] = pos[2];
          step[3] = p;
          g_assert_true (jg_vk_graph_run (ctx, graph, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (*fail, ==, 0);

          memcpy (want, x, sizeof want);
          test_layer_ref (&l, want, p, pos, inv, qkv, att, g);
          got_q = download (t_q);
          got_k = download (l.t_kc);
          got_v = download (l.t_vc);
          got_a = download (t_attn);
          got_g = download (t_g);
          got_x = download (t_x);
          assert_close_named (what, "q", got_q, qkv, LQD);
          assert_close_named (what, "k", got_k + p * LKVD, qkv + LQD, LKVD);
          assert_close_named (what, "v", got_v + p * LKVD, qkv + LQD + LKVD, LKVD);
          assert_close_named (what, "attn", got_a, att, LQD);
          assert_close_named (what, "g", got_g, g, LI);
          assert_close_named (what, "x", got_x, want, LH);
        }
      /* The merge counts are back to zero; every workgroup arrived at the
       * four grid barriers once; none gave up. */
      {
        guint32 c[LHEADS], b[4];
        g_assert_true (jg_tensor_download_u32 (t_counts, c, &error));
        g_assert_true (jg_tensor_download_u32 (t_bar, b, &error));
        for (guint i = 0; i < LHEADS; i++)
          g_assert_cmpuint (c[i], ==, 0);
        g_assert_cmpuint (b[0], ==, 4 * runs[r].wg);
        g_assert_cmpuint (b[1], ==, 0);
      }
      g_printerr ("decode_layer with %u workgroup(s) of %u threads on %s: every phase as the references\n",
                  runs[r].wg, runs[r].threads ? runs[r].threads : 512, jg_vk_context_get_info (ctx)->name);
    }
  test_layer_clear (&l);
}

/* All layers in one dispatch (decode_stack, weights by device address):
 * three layers with their own weights and caches against the references
 * run layer after layer, x checked after the last layer and each layer's
 * new cache rows, at every row of a cache of 40; one workgroup of 64
 * threads (k in 2 parts in q|k|v and o, 8 in down; attention parts of 8
 * keys, merged 3 at a time) and, where known, the
 * resident count (on the H100 a shared g went wrong here: each SM's cache
 * kept the layer before's, so each layer has its own). Also: a table refuses a
 * layer shaped unlike the first. */
static void
test_stack_persistent (void)
{
  g_autoptr(GError) error = NULL;
  enum { ROWS = 40, NL = 3 };
  JgQkvShape qs = { .n_heads = LHEADS, .n_kv_heads = LKVH, .head_dim = LD,
                    .sections = { 2, 3, 3 }, .eps = EPS };
  TestLayer layers[NL];
  JgDecodeLayer dl[NL];
  float inv[LD / 2];
  g_autoptr(JgTensor) t_inv = NULL;
  g_autoptr(JgTensor) t_x = poisoned (1, LH), t_q = poisoned (1, LQD), t_attn = poisoned (1, LQD);
  g_autoptr(JgTensor) t_g = poisoned (NL, LI), t_scratch = poisoned (1, 64 * LHEADS * (LD + 2));
  const guint32 step0[4] = { 0 };
  g_autoptr(JgTensor) t_step = step_tensor (step0);
  g_autoptr(JgTensor) t_counts = zero_counts (LHEADS), t_bar = zero_counts (4), t_zeros = zero_counts (4);
  g_autoptr(JgTensor) t_fail = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, &error);
  g_autoptr(JgTensor) t_table = jg_tensor_new_2d (ctx, JG_DTYPE_U32, NL, JG_DECODE_STACK_WORDS, JG_TENSOR_DEVICE,
                                                  &error);
  g_autoptr(JgTensor) t_short = poisoned (1, LH / 2);
  guint32 *step = jg_tensor_get_mapped (t_step), *fail = jg_tensor_get_mapped (t_fail);
  guint32 words[NL * JG_DECODE_STACK_WORDS];
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  guint resident = jg_decode_layer_resident (ctx);
  struct { guint wg, threads, ks_qkvo, ks_down, chunk, merge; } runs[] = {
    { 1, 64, 2, 8, 8, 3 }, { resident, 0, 0, 0, 0, 0 },
  };

  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_SUBGROUP)
      || !(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_DEVICE_ADDRESS))
    {
      g_test_skip ("decode_stack needs subgroup arithmetic and buffer device addresses "
                   "(JAEGER_VK_DISABLE=subgroup or address)");
      return;
    }
  jg_rope_inv_freq (1e4, LD, inv);
  t_inv = tensor_from (JG_DTYPE_F32, 1, LD / 2, inv);
  for (guint l = 0; l < NL; l++)
    {
      TestLayer *L = &layers[l];
      test_layer_init (L, ROWS);
      dl[l] = (JgDecodeLayer) {
        .x = t_x, .ln1 = L->t_ln1, .qkv_w = L->t_wqkv, .qkv_b = L->t_bqkv, .inv_freq = t_inv, .step = t_step,
        .q = t_q, .k_cache = L->t_kc, .v_cache = L->t_vc, .parts = t_scratch, .counts = t_counts,
        .attn = t_attn, .o_w = L->t_wo, .ln2 = L->t_ln2, .gate_up = L->t_wgu, .g = t_g, .down = L->t_wd,
        .barrier = t_bar, .fail = t_fail,
      };
    }
  /* A layer whose ln2 is half as long is refused by name. */
  {
    JgDecodeLayer bad[2] = { dl[0], dl[1] };
    bad[1].ln2 = t_short;
    g_assert_false (jg_decode_stack_table (bad, 2, words, &error));
    g_assert_nonnull (strstr (error->message, "layer 1"));
    g_clear_error (&error);
  }
  g_assert_true (jg_decode_stack_table (dl, NL, words, &error));
  g_assert_true (jg_tensor_upload_u32 (t_table, words, &error));
  g_assert_no_error (error);
  if (resident == 0)
    g_printerr ("decode_stack: %s gives no resident-workgroup count, so it runs here with ONE workgroup; "
                "waits between workgroups are checked only on an NVIDIA GPU\n", jg_vk_context_get_info (ctx)->name);
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      if (runs[r].wg == 0)
        continue;
      *fail = 0;
      dl[0].ks_qkvo = runs[r].ks_qkvo;
      dl[0].ks_down = runs[r].ks_down;
      dl[0].chunk = runs[r].chunk;
      dl[0].merge = runs[r].merge;
      jg_vk_graph_begin (ctx, graph);
      g_assert_true (jg_op_copy (ctx, t_bar, t_zeros, &error));
      g_assert_true (jg_op_decode_stack (ctx, &dl[0], t_table, NL, &qs, 1.0f / sqrtf (LD), runs[r].wg,
                                         runs[r].threads, &error));
      g_assert_true (jg_vk_graph_end (ctx, &error));
      g_assert_no_error (error);
      for (guint p = 0; p < ROWS; p++)
        {
          g_autofree float *x = rand_vec (LH, -2, 2);
          float want[LH];
          const guint32 pos[3] = { 3 * p, 3 * p + 1, 2 * p };
          g_autofree char *what = g_strdup_printf ("decode_stack (%u layers, %u x %u threads) at row %u", NL,
                                                   runs[r].wg, runs[r].threads ? runs[r].threads : 512, p);
          g_autofree float *got_x = NULL;

          g_assert_true (jg_tensor_upload_f32 (t_x, x, &error));
          step[0] = pos[0];
          step[1] = pos[1];
          step[2] = pos[2];
          step[3] = p;
          g_assert_true (jg_vk_graph_run (ctx, graph, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (*fail, ==, 0);
          memcpy (want, x, sizeof want);
          for (guint l = 0; l < NL; l++)
            {
              TestLayer *L = &layers[l];
              g_autofree float *got_k = download (L->t_kc), *got_v = download (L->t_vc);
              g_autofree char *wl = g_strdup_printf ("%s, layer %u", what, l);

              test_layer_ref (L, want, p, pos, inv, NULL, NULL, NULL);
              assert_close_named (wl, "k", got_k + p * LKVD, L->kref + p * LKVD, LKVD);
              assert_close_named (wl, "v", got_v + p * LKVD, L->vref + p * LKVD, LKVD);
            }
          got_x = download (t_x);
          assert_close_named (what, "x after the last layer", got_x, want, LH);
        }
      {
        guint32 c[LHEADS], b[4];
        g_assert_true (jg_tensor_download_u32 (t_counts, c, &error));
        g_assert_true (jg_tensor_download_u32 (t_bar, b, &error));
        for (guint i = 0; i < LHEADS; i++)
          g_assert_cmpuint (c[i], ==, 0);
        /* Four barriers a layer and one between layers. */
        g_assert_cmpuint (b[0], ==, (5 * NL - 1) * runs[r].wg);
        g_assert_cmpuint (b[1], ==, 0);
      }
      g_printerr ("decode_stack, %u layers, %u workgroup(s) of %u threads on %s: every layer as the references\n",
                  NL, runs[r].wg, runs[r].threads ? runs[r].threads : 512, jg_vk_context_get_info (ctx)->name);
    }
  for (guint l = 0; l < NL; l++)
    test_layer_clear (&layers[l]);
}

/* ---- argmax by many workgroups ---- */

static void
test_argmax_wide (void)
{
  g_autoptr(GError) error = NULL;
  const gint64 sizes[] = { 1, 7, 1000, 5000, 152064 };
  g_autoptr(JgTensor) scratch = NULL;
  g_autoptr(JgTensor) out = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, &error);
  g_autoptr(JgVkGraph) graph = jg_vk_graph_new (ctx, &error);
  guint32 *o = jg_tensor_get_mapped (out);
  guint32 s[JG_ARGMAX_WIDE_SCRATCH];

  {
    g_autofree guint32 *z = g_new0 (guint32, JG_ARGMAX_WIDE_SCRATCH);
    scratch = jg_tensor_new_2d (ctx, JG_DTYPE_U32, JG_ARGMAX_WIDE_SCRATCH, 1, JG_TENSOR_DEVICE, &error);
    g_assert_true (jg_tensor_upload_u32 (scratch, z, &error));
  }
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gint64 n = sizes[i];
      g_autofree float *x = rand_vec (n, -5, 5);
      g_autoptr(JgTensor) tx = NULL;
      guint32 want;

      /* The largest value twice, far apart: the first must win. */
      if (n > 2)
        {
          gint64 a = g_test_rand_int_range (0, (gint32) n / 2), b = g_test_rand_int_range ((gint32) n / 2, (gint32) n);
          x[a] = x[b] = 6.0f;
        }
      want = jg_ref_argmax (x, n);
      tx = tensor_from (JG_DTYPE_F32, 1, n, x);
      /* Recorded once, run twice: the count is back to zero each time. */
      jg_vk_graph_begin (ctx, graph);
      g_assert_true (jg_op_argmax_wide (ctx, out, tx, scratch, &error));
      g_assert_true (jg_vk_graph_end (ctx, &error));
      g_assert_no_error (error);
      for (int r = 0; r < 2; r++)
        {
          *o = 0xdeadbeefu;
          g_assert_true (jg_vk_graph_run (ctx, graph, &error));
          g_assert_no_error (error);
          g_test_message ("argmax_wide of %" G_GINT64_FORMAT ": %u (reference %u)", n, *o, want);
          g_assert_cmpuint (*o, ==, want);
        }
    }
  g_assert_true (jg_tensor_download_u32 (scratch, s, &error));
  g_assert_cmpuint (s[JG_ARGMAX_WIDE_SCRATCH - 1], ==, 0);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgTensor) x = poisoned (1, 64), n = poisoned (1, 64), y = poisoned (1, 10);
  g_autoptr(JgTensor) w16 = tensor_from (JG_DTYPE_F16, 10, 64, NULL);
  g_autoptr(JgTensor) w32 = tensor_from (JG_DTYPE_F32, 10, 64, NULL);
  g_autoptr(JgTensor) x2 = poisoned (2, 64);
  JgDecodeTuning odd = { 1, 100 };

  g_assert_false (jg_op_norm_linear (ctx, y, x, n, EPS, w32, NULL, FALSE, NULL, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "f16"));
  g_clear_error (&error);
  g_assert_false (jg_op_norm_linear (ctx, y, x2, n, EPS, w16, NULL, FALSE, NULL, &error));
  g_assert_nonnull (strstr (error->message, "one row"));
  g_clear_error (&error);
  g_assert_false (jg_op_norm_linear (ctx, y, x, n, EPS, w16, NULL, FALSE, &odd, &error));
  g_assert_nonnull (strstr (error->message, "power of two"));
  g_clear_error (&error);
  /* 10 rows are not gate and up of 5 into 10 outputs. */
  g_assert_false (jg_op_norm_swiglu (ctx, y, x, n, EPS, w16, NULL, &error));
  g_assert_nonnull (strstr (error->message, "gate and up"));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  ctx = jg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  g_test_message ("fast paths in use: 0x%x", jg_vk_context_get_features (ctx));
  g_test_add_func ("/decode/norm-linear", test_norm_linear);
  g_test_add_func ("/decode/norm-swiglu", test_norm_swiglu);
  g_test_add_func ("/decode/norm-qkv-rope", test_norm_qkv_rope);
  g_test_add_func ("/decode/attention-replay", test_attention_decode_replay);
  g_test_add_func ("/decode/attention-shapes", test_attention_decode_shapes);
  g_test_add_func ("/decode/layer-replay", test_layer_replay);
  g_test_add_func ("/decode/layer-persistent", test_layer_persistent);
  g_test_add_func ("/decode/stack-persistent", test_stack_persistent);
  g_test_add_func ("/decode/argmax-wide", test_argmax_wide);
  g_test_add_func ("/decode/errors", test_errors);
  rc = g_test_run ();
  jg_vk_context_free (ctx);
  return rc;
}
