/* bench-linear: the decode-critical kernels against the memory-bandwidth
 * limit measured in the same run.
 *   copy       a vec4 copy kernel over two large buffers (read + write bytes)
 *   matvec     f16 weights m = 4096, k = 14336 times one f32 vector
 *   n = 8      the same weights times 8 vectors (matvec path, tiled, coopmat)
 *   n = 512    the same weights times 512 vectors (tiled, coopmat)
 *   prefill    the 7B decoder's matmul shapes at n = 700 (every
 *              cooperative-matrix tile, f32 and f16 activations), the
 *              prefill attention, one layer's ops; with checks of the fast
 *              kernels against the scalar ones and the C reference (the
 *              bench fails when one is off). --prefill runs only these;
 *              --fused only the fused prefill forms (q|k|v, gate|up with
 *              SwiGLU, split-k o and down, f16 attention out) and the layer;
 *              --mm only the matmul diagnosis (prefill_mm below); --attn
 *              only the prefill attention, one pass against two.
 * GPU time from timestamp queries, the median of several repetitions, each
 * of several back-to-back dispatches. On a CPU device (lavapipe) the sizes
 * shrink so that the run stays short, unless --full is given. */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-vk-ops.h"

#include "inference/jg-ops-ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 7

typedef gboolean (*RunFn) (JgVkContext *ctx, gpointer data, GError **error);

static gboolean cpu_device;

static void
die (GError *error)
{
  fprintf (stderr, "bench-linear: %s\n", error->message);
  exit (1);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Median GPU seconds of one call of fn, from REPS submissions of `inner`
 * back-to-back calls each. */
static double
time_op (JgVkContext *ctx, RunFn fn, gpointer data, guint inner)
{
  g_autoptr(GError) error = NULL;
  double t[REPS];

  /* Warm-up: builds the pipeline, faults the memory in, and (on a GPU)
   * runs the op for 100 ms, so that the clocks have left the idle state
   * that host-side work (generating and uploading inputs) lets them fall
   * into: measured on an H100, the first ops after an upload ran up to 2x
   * slow without this. */
  for (gint64 t0 = g_get_monotonic_time (), i = 0;
       i == 0 || (!cpu_device && g_get_monotonic_time () - t0 < 100000 && i < 2000); i++)
    {
      jg_vk_begin (ctx);
      for (guint j = 0; j < (i == 0 ? 1 : inner); j++)
        if (!fn (ctx, data, &error))
          die (error);
      if (!jg_vk_submit (ctx, &error))
        die (error);
    }
  for (guint r = 0; r < REPS; r++)
    {
      jg_vk_begin (ctx);
      jg_vk_mark_start (ctx);
      for (guint i = 0; i < inner; i++)
        if (!fn (ctx, data, &error))
          {
            fprintf (stderr, "bench-linear: %s\n", error->message);
            exit (1);
          }
      jg_vk_mark_end (ctx);
      if (!jg_vk_submit (ctx, &error))
        {
          fprintf (stderr, "bench-linear: %s\n", error->message);
          exit (1);
        }
      t[r] = jg_vk_marked_ns (ctx) * 1e-9 / inner;
    }
  qsort (t, REPS, sizeof t[0], cmp_double);
  return t[REPS / 2];
}

typedef struct {
  JgTensor *dst, *src;
} CopyData;

static gboolean
run_copy (JgVkContext *ctx, gpointer data, GError **error)
{
  CopyData *c = data;
  return jg_op_copy (ctx, c->dst, c->src, error);
}

typedef struct {
  JgTensor *y, *x, *w;
  JgLinearOptions opts;
} LinearData;

static gboolean
run_linear (JgVkContext *ctx, gpointer data, GError **error)
{
  LinearData *l = data;
  return jg_op_linear_ex (ctx, l->y, l->x, l->w, NULL, FALSE, &l->opts, error);
}

/* A random tensor; *host (if given) gets its values as the device holds
 * them (rounded to f16 for f16 tensors). */
static JgTensor *
random_tensor_host (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols, guint32 seed, float **host)
{
  g_autoptr(GError) error = NULL;
  JgTensor *t = jg_tensor_new_2d (ctx, dtype, rows, cols, JG_TENSOR_DEVICE, &error);
  g_autofree float *v = NULL;
  guint32 state = (guint32) (rows * 7919 + cols + seed * 104729u) | 1;

  if (t == NULL)
    {
      fprintf (stderr, "bench-linear: %s\n", error->message);
      exit (1);
    }
  v = g_new (float, rows * cols);
  /* xorshift32: fast enough for a GiB, and never zeros. */
  for (gint64 i = 0; i < rows * cols; i++)
    {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      v[i] = (float) (state * (2.0 / 4294967296.0) - 1.0);
    }
  if (!jg_tensor_upload_f32 (t, v, &error))
    {
      fprintf (stderr, "bench-linear: %s\n", error->message);
      exit (1);
    }
  if (host != NULL)
    {
      if (dtype == JG_DTYPE_F16)
        for (gint64 i = 0; i < rows * cols; i++)
          v[i] = jg_f16_to_f32 (jg_f32_to_f16 (v[i]));
      *host = g_steal_pointer (&v);
    }
  return t;
}

static JgTensor *
random_tensor (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols)
{
  return random_tensor_host (ctx, dtype, rows, cols, 0, NULL);
}

/* ---- prefill: the 7B decoder's matmul shapes at n = 700 tokens, the
 * prefill attention, and one layer's ops one by one. Each fast kernel is
 * also checked here against the scalar kernels and the C reference (the
 * cooperative-matrix paths cannot run on lavapipe, where the tests run):
 * a normalised error over the limit fails the bench. ---- */

#define CHECK_TOL 3e-3
static gboolean check_failed;

static float *
download_all (JgTensor *t)
{
  g_autoptr(GError) error = NULL;
  float *v = g_new (float, jg_tensor_get_n_elements (t));
  if (!jg_tensor_download_f32 (t, v, &error))
    die (error);
  return v;
}

static void
upload (JgTensor *t, const float *v)
{
  g_autoptr(GError) error = NULL;
  if (!jg_tensor_upload_f32 (t, v, &error))
    die (error);
}

static void
poison (JgTensor *t)
{
  gint64 n = jg_tensor_get_n_elements (t);
  g_autofree float *v = g_new (float, n);
  for (gint64 i = 0; i < n; i++)
    v[i] = NAN;
  upload (t, v);
}

static void
report_check (const char *what, double err, double tol)
{
  printf ("check %-58s %.2e (limit %.0e)%s\n", what, err, tol, err < tol ? "" : "  FAILED");
  if (!(err < tol))
    check_failed = TRUE;
}

static void
linear_now (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *w, JgTensor *b, gboolean acc,
            JgLinearPath path, guint tile)
{
  g_autoptr(GError) error = NULL;
  JgLinearOptions o = { path, 0, 0, tile };
  if (!jg_op_linear_ex (ctx, y, x, w, b, acc, &o, &error))
    die (error);
}

typedef struct {
  const char *role;
  gint64 k, m;
} Shape;

static double
ref_rows_error (const float *got, const float *xh, const float *wh, gint64 n, gint64 m, gint64 k)
{
  /* Three rows in double precision, x rounded to f16 as the kernel does. */
  gint64 rows[3] = { 0, n / 3, n - 1 };
  double num = 0, den = 0;
  g_autofree float *xr = g_new (float, k);

  for (guint r = 0; r < 3; r++)
    {
      for (gint64 c = 0; c < k; c++)
        xr[c] = jg_f16_to_f32 (jg_f32_to_f16 (xh[rows[r] * k + c]));
      for (gint64 j = 0; j < m; j++)
        {
          double acc = 0;
          for (gint64 c = 0; c < k; c++)
            acc += (double) xr[c] * wh[j * k + c];
          num += (got[rows[r] * m + j] - acc) * (got[rows[r] * m + j] - acc);
          den += acc * acc;
        }
    }
  return sqrt (num / den);
}

static void
prefill_linear (JgVkContext *ctx, gint64 n, const Shape *shapes, guint n_shapes)
{
  gboolean cm = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT) != 0;
  guint n_tiles;
  const JgCoopmatTile *tiles = jg_linear_coopmat_tiles (&n_tiles);

  printf ("\nprefill matmuls, n = %" G_GINT64_FORMAT " (TFLOPS = 2 n m k / GPU time)\n", n);
  printf ("%-8s %-13s %-22s %10s %9s\n", "role", "k -> m", "path (x dtype)", "us", "TFLOPS");
  for (guint si = 0; si < n_shapes; si++)
    {
      const Shape *sh = &shapes[si];
      g_autofree float *xh = NULL, *wh = NULL, *bh = NULL, *y0 = NULL, *want = NULL;
      g_autoptr(JgTensor) w = random_tensor_host (ctx, JG_DTYPE_F16, sh->m, sh->k, 1, &wh);
      g_autoptr(JgTensor) x = random_tensor_host (ctx, JG_DTYPE_F32, n, sh->k, 2, &xh);
      g_autoptr(JgTensor) b = random_tensor_host (ctx, JG_DTYPE_F32, 1, sh->m, 3, &bh);
      g_autoptr(JgTensor) yinit = random_tensor_host (ctx, JG_DTYPE_F32, n, sh->m, 4, &y0);
      g_autoptr(JgTensor) x16 = random_tensor (ctx, JG_DTYPE_F16, n, sh->k);
      g_autoptr(JgTensor) y = random_tensor (ctx, JG_DTYPE_F32, n, sh->m);
      g_autoptr(JgTensor) yref = random_tensor (ctx, JG_DTYPE_F32, n, sh->m);
      double flops = 2.0 * n * sh->m * sh->k, best = 1e9;
      const char *best_name = "tiled";
      char mk[32], what[96];
      guint pick = jg_linear_coopmat_pick (ctx, n, sh->m);

      upload (x16, xh);
      g_snprintf (mk, sizeof mk, "%" G_GINT64_FORMAT "->%" G_GINT64_FORMAT, sh->k, sh->m);
      {
        LinearData ld = { y, x, w, { JG_LINEAR_TILED, 0, 0, 0 } };
        double s = time_op (ctx, run_linear, &ld, 3);
        printf ("%-8s %-13s %-22s %10.1f %9.2f\n", sh->role, mk, "tiled (f32)", s * 1e6, flops / s * 1e-12);
        best = s;
      }
      for (guint t = 0; cm && t < n_tiles; t++)
        for (guint xf = 0; xf < 2; xf++)
          {
            LinearData ld = { y, xf ? x16 : x, w, { JG_LINEAR_COOPMAT, 0, 0, t + 1 } };
            double s = time_op (ctx, run_linear, &ld, 5);
            char cfg[48];
            g_snprintf (cfg, sizeof cfg, "cm %s (%s)%s", tiles[t].name, xf ? "f16" : "f32",
                        t + 1 == pick ? "*" : "");
            printf ("%-8s %-13s %-22s %10.1f %9.2f\n", sh->role, mk, cfg, s * 1e6, flops / s * 1e-12);
            if (s < best)
              {
                best = s;
                best_name = tiles[t].name;
              }
          }
      printf ("%-8s best: %s %.1f us, %.2f TFLOPS\n", sh->role, best_name, best * 1e6, flops / best * 1e-12);
      if (!cm)
        continue;

      /* Every tile against the scalar kernel, the picked one also against
       * three rows in double precision, with f16 activations, and with bias
       * and accumulation. */
      linear_now (ctx, yref, x, w, NULL, FALSE, JG_LINEAR_TILED, 0);
      want = download_all (yref);
      for (guint t = 0; t < n_tiles; t++)
        {
          g_autofree float *got = NULL;
          poison (y);
          linear_now (ctx, y, x, w, NULL, FALSE, JG_LINEAR_COOPMAT, t + 1);
          got = download_all (y);
          g_snprintf (what, sizeof what, "%s cm %s vs tiled", sh->role, tiles[t].name);
          report_check (what, jg_ref_rel_error (got, want, n * sh->m), CHECK_TOL);
          if (t + 1 == pick)
            {
              g_snprintf (what, sizeof what, "%s cm %s vs C (3 rows, double)", sh->role, tiles[t].name);
              report_check (what, ref_rows_error (got, xh, wh, n, sh->m, sh->k), 1e-4);
            }
        }
      {
        g_autofree float *got = NULL;
        poison (y);
        linear_now (ctx, y, x16, w, NULL, FALSE, JG_LINEAR_AUTO, 0);
        got = download_all (y);
        g_snprintf (what, sizeof what, "%s cm (f16 x) vs tiled", sh->role);
        report_check (what, jg_ref_rel_error (got, want, n * sh->m), CHECK_TOL);
      }
      {
        g_autofree float *got = NULL, *want2 = NULL;
        upload (y, y0);
        upload (yref, y0);
        linear_now (ctx, yref, x, w, b, TRUE, JG_LINEAR_TILED, 0);
        linear_now (ctx, y, x, w, b, TRUE, JG_LINEAR_COOPMAT, 0);
        got = download_all (y);
        want2 = download_all (yref);
        g_snprintf (what, sizeof what, "%s cm +bias +accumulate vs tiled", sh->role);
        report_check (what, jg_ref_rel_error (got, want2, n * sh->m), CHECK_TOL);
      }
    }
}

typedef struct {
  JgTensor *o, *q, *k, *v;
  JgAttentionShape s;
} AttnData;

static gboolean
run_attention (JgVkContext *ctx, gpointer data, GError **error)
{
  AttnData *a = data;
  return jg_op_attention (ctx, a->o, a->q, a->k, a->v, &a->s, error);
}

/* Attention of n_q queries at q_pos0 over n_kv keys: the default path
 * against the C reference (and, for the timed shape, the scalar kernel). */
static void
prefill_attention_case (JgVkContext *ctx, guint n_q, guint n_kv, guint q_pos0, guint heads, guint kv_heads,
                        guint d, gboolean causal, gboolean timed)
{
  g_autofree float *qh = NULL, *kh = NULL, *vh = NULL, *want = NULL, *got = NULL;
  g_autoptr(JgTensor) q = random_tensor_host (ctx, JG_DTYPE_F32, n_q, heads * d, 5, &qh);
  g_autoptr(JgTensor) k = random_tensor_host (ctx, JG_DTYPE_F32, n_kv, kv_heads * d, 6, &kh);
  g_autoptr(JgTensor) v = random_tensor_host (ctx, JG_DTYPE_F32, n_kv, kv_heads * d, 7, &vh);
  g_autoptr(JgTensor) o = random_tensor (ctx, JG_DTYPE_F32, n_q, heads * d);
  AttnData ad = { o, q, k, v, {
    .n_q = n_q, .n_kv = n_kv, .q_pos0 = q_pos0, .n_heads = heads, .n_kv_heads = kv_heads,
    .head_dim = d, .causal = causal, .scale = 1.0f / sqrtf ((float) d) } };
  g_autoptr(GError) error = NULL;
  char what[96];

  /* Sharper scores than uniform noise, so the softmax is not flat. */
  for (gsize i = 0; i < (gsize) n_q * heads * d; i++)
    qh[i] *= 3.0f;
  upload (q, qh);
  if (timed)
    {
      double pairs = 0, ts, tf;
      for (guint i = 0; i < n_q; i++)
        pairs += causal ? MIN (n_kv, q_pos0 + i + 1) : n_kv;
      ad.s.scalar = TRUE;
      ts = time_op (ctx, run_attention, &ad, 3);
      ad.s.scalar = FALSE;
      tf = time_op (ctx, run_attention, &ad, 3);
      printf ("\nprefill attention %u queries, %u/%u heads, d = %u%s (TFLOPS = 4 d heads pairs / t)\n"
              "  one workgroup per query: %.1f us, %.2f TFLOPS\n  default path: %.1f us, %.2f TFLOPS\n",
              n_q, heads, kv_heads, d, causal ? ", causal" : "", ts * 1e6, 4.0 * d * heads * pairs / ts * 1e-12,
              tf * 1e6, 4.0 * d * heads * pairs / tf * 1e-12);
    }
  want = g_new (float, (gsize) n_q * heads * d);
  jg_ref_attention (want, qh, kh, vh, n_q, n_kv, q_pos0, heads, kv_heads, d, causal, ad.s.scale);
  poison (o);
  if (!jg_op_attention (ctx, o, q, k, v, &ad.s, &error))
    die (error);
  got = download_all (o);
  g_snprintf (what, sizeof what, "attention q %u kv %u pos0 %u heads %u/%u d %u%s vs C", n_q, n_kv, q_pos0,
              heads, kv_heads, d, causal ? " causal" : "");
  report_check (what, jg_ref_rel_error (got, want, (gsize) n_q * heads * d), CHECK_TOL);
}

/* Edges: rows and keys not multiples of the blocks, a chunk after a
 * cache, full (encoder) attention with d = 64, a handful of queries. */
static void
prefill_attention_edges (JgVkContext *ctx)
{
  prefill_attention_case (ctx, 77, 77, 0, 4, 2, 128, TRUE, FALSE);
  prefill_attention_case (ctx, 100, 300, 200, 4, 1, 128, TRUE, FALSE);
  prefill_attention_case (ctx, 50, 90, 0, 6, 3, 64, FALSE, FALSE);
  prefill_attention_case (ctx, 9, 9, 0, 2, 1, 64, TRUE, FALSE);
}

/* One decoder layer's ops at n tokens, each timed alone. */
typedef enum { OP_RMSNORM, OP_LINEAR, OP_ROPE, OP_ATTN, OP_SWIGLU, OP_QKV, OP_LINEAR_SWIGLU } OpKind;

typedef struct {
  const char *name;
  OpKind kind;
  JgTensor *a, *b, *c, *d;
  gboolean acc;
  guint heads;
  AttnData *attn;
  /* OP_LINEAR: options (split-k); OP_QKV: e, f are k and v. */
  const JgLinearOptions *opts;
  JgTensor *e, *f;
} LayerOp;

static const guint rope_sections[3] = { 16, 24, 24 };

static gboolean
run_layer_op (JgVkContext *ctx, gpointer data, GError **error)
{
  LayerOp *op = data;
  switch (op->kind)
    {
    case OP_RMSNORM: return jg_op_rmsnorm (ctx, op->a, op->b, op->c, 1e-6f, error);
    case OP_LINEAR: return jg_op_linear_ex (ctx, op->a, op->b, op->c, op->d, op->acc, op->opts, error);
    case OP_QKV: return jg_op_linear_qkv (ctx, op->a, op->e, op->f, op->b, op->c, op->d, NULL, error);
    case OP_LINEAR_SWIGLU: return jg_op_linear_swiglu (ctx, op->a, op->b, op->c, NULL, error);
    case OP_ROPE: return jg_op_rope (ctx, op->a, op->heads, 128, op->b, op->c, rope_sections, error);
    case OP_ATTN: return run_attention (ctx, op->attn, error);
    case OP_SWIGLU:
    default: return jg_op_swiglu (ctx, op->a, op->b, op->c, error);
    }
}

typedef struct {
  LayerOp *ops;
  guint n_ops;
} LayerAll;

static gboolean
run_layer_all (JgVkContext *ctx, gpointer data, GError **error)
{
  LayerAll *all = data;
  for (guint i = 0; i < all->n_ops; i++)
    if (!run_layer_op (ctx, &all->ops[i], error))
      return FALSE;
  return TRUE;
}

/* As jg-qwen2.c records a prefill layer: with cooperative matrices the
 * norms and SwiGLU write f16 for the matmuls. */
static void
prefill_layer (JgVkContext *ctx, gint64 n)
{
  const gint64 H = 3584, KV = 512, I = 18944;
  JgDType act = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT) ? JG_DTYPE_F16 : JG_DTYPE_F32;
  g_autoptr(JgTensor) x = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) xn = random_tensor (ctx, act, n, H);
  g_autoptr(JgTensor) g16 = random_tensor (ctx, act, n, I);
  g_autoptr(JgTensor) ln = random_tensor (ctx, JG_DTYPE_F32, 1, H);
  g_autoptr(JgTensor) q = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) k = random_tensor (ctx, JG_DTYPE_F32, n, KV);
  g_autoptr(JgTensor) v = random_tensor (ctx, JG_DTYPE_F32, n, KV);
  g_autoptr(JgTensor) at = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) g = random_tensor (ctx, JG_DTYPE_F32, n, I);
  g_autoptr(JgTensor) u = random_tensor (ctx, JG_DTYPE_F32, n, I);
  g_autoptr(JgTensor) qw = random_tensor (ctx, JG_DTYPE_F16, H, H);
  g_autoptr(JgTensor) kw = random_tensor (ctx, JG_DTYPE_F16, KV, H);
  g_autoptr(JgTensor) vw = random_tensor (ctx, JG_DTYPE_F16, KV, H);
  g_autoptr(JgTensor) ow = random_tensor (ctx, JG_DTYPE_F16, H, H);
  g_autoptr(JgTensor) gw = random_tensor (ctx, JG_DTYPE_F16, I, H);
  g_autoptr(JgTensor) uw = random_tensor (ctx, JG_DTYPE_F16, I, H);
  g_autoptr(JgTensor) dw = random_tensor (ctx, JG_DTYPE_F16, H, I);
  g_autoptr(JgTensor) qb = random_tensor (ctx, JG_DTYPE_F32, 1, H);
  g_autoptr(JgTensor) kb = random_tensor (ctx, JG_DTYPE_F32, 1, KV);
  g_autoptr(JgTensor) pos = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 3, n, JG_TENSOR_DEVICE, NULL);
  g_autoptr(JgTensor) inv = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, 64, JG_TENSOR_DEVICE, NULL);
  g_autofree guint32 *posh = g_new (guint32, 3 * n);
  float invh[64];
  AttnData ad = { at, q, k, v, {
    .n_q = (guint) n, .n_kv = (guint) n, .n_heads = 28, .n_kv_heads = 4, .head_dim = 128,
    .causal = TRUE, .scale = 1.0f / sqrtf (128.0f) } };
  LayerOp ops[] = {
    { "rmsnorm", OP_RMSNORM, xn, x, ln, NULL, FALSE, 0, NULL },
    { "q (+bias)", OP_LINEAR, q, xn, qw, qb, FALSE, 0, NULL },
    { "k (+bias)", OP_LINEAR, k, xn, kw, kb, FALSE, 0, NULL },
    { "v (+bias)", OP_LINEAR, v, xn, vw, kb, FALSE, 0, NULL },
    { "rope q", OP_ROPE, q, pos, inv, NULL, FALSE, 28, NULL },
    { "rope k", OP_ROPE, k, pos, inv, NULL, FALSE, 4, NULL },
    { "attention", OP_ATTN, NULL, NULL, NULL, NULL, FALSE, 0, &ad },
    { "o (+=)", OP_LINEAR, x, at, ow, NULL, TRUE, 0, NULL },
    { "rmsnorm", OP_RMSNORM, xn, x, ln, NULL, FALSE, 0, NULL },
    { "gate", OP_LINEAR, g, xn, gw, NULL, FALSE, 0, NULL },
    { "up", OP_LINEAR, u, xn, uw, NULL, FALSE, 0, NULL },
    { "swiglu", OP_SWIGLU, g16, g, u, NULL, FALSE, 0, NULL },
    { "down (+=)", OP_LINEAR, x, g16, dw, NULL, TRUE, 0, NULL },
  };
  double t[G_N_ELEMENTS (ops)], total = 0, whole;
  LayerAll all = { ops, G_N_ELEMENTS (ops) };

  for (gint64 i = 0; i < 3 * n; i++)
    posh[i] = (guint32) (i % n);
  jg_rope_inv_freq (1e6, 128, invh);
  if (!jg_tensor_upload_u32 (pos, posh, NULL) || !jg_tensor_upload_f32 (inv, invh, NULL))
    exit (1);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      t[i] = time_op (ctx, run_layer_op, &ops[i], 3);
      total += t[i];
    }
  printf ("\none 7B decoder layer at n = %" G_GINT64_FORMAT ", each op alone (default paths, %s activations into the matmuls)\n",
          n, act == JG_DTYPE_F16 ? "f16" : "f32");
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    printf ("  %-12s %9.1f us %5.1f%%\n", ops[i].name, t[i] * 1e6, 100.0 * t[i] / total);
  printf ("  layer total %.1f us; x 28 layers = %.1f ms\n", total * 1e6, total * 28e3);
  whole = time_op (ctx, run_layer_all, &all, 3);
  printf ("  the layer's ops recorded back to back (barriers as in the model): %.1f us; x 28 = %.1f ms\n",
          whole * 1e6, whole * 28e3);
}

/* The prefill's fused forms (jg-qwen2.c with cooperative matrices): the
 * q|k|v matmul into three outputs, gate|up with SwiGLU, o and down split
 * over k, attention writing f16; each against the tiled kernel or the C
 * reference, timed per tile (and per split), then one layer as the model
 * records it. */
typedef struct {
  JgTensor *y, *x, *w;
  JgLinearOptions opts;
} AccData;

static gboolean
run_linear_acc (JgVkContext *ctx, gpointer data, GError **error)
{
  AccData *l = data;
  return jg_op_linear_ex (ctx, l->y, l->x, l->w, NULL, TRUE, &l->opts, error);
}

typedef struct {
  JgTensor *q, *k, *v, *x, *w, *b, *out;
  JgLinearOptions opts;
} FusedData;

static gboolean
run_qkv (JgVkContext *ctx, gpointer data, GError **error)
{
  FusedData *f = data;
  return jg_op_linear_qkv (ctx, f->q, f->k, f->v, f->x, f->w, f->b, &f->opts, error);
}

static gboolean
run_swiglu_mm (JgVkContext *ctx, gpointer data, GError **error)
{
  FusedData *f = data;
  return jg_op_linear_swiglu (ctx, f->out, f->x, f->w, &f->opts, error);
}

static void
prefill_fused (JgVkContext *ctx, gint64 n, gint64 H, gint64 KV, gint64 I, guint heads, guint kv_heads)
{
  guint n_tiles;
  const JgCoopmatTile *tiles = jg_linear_coopmat_tiles (&n_tiles);
  gint64 M = H + 2 * KV;
  g_autofree float *xh = NULL, *xih = NULL, *y0 = NULL;
  g_autoptr(JgTensor) x16 = random_tensor_host (ctx, JG_DTYPE_F16, n, H, 11, &xh);
  g_autoptr(JgTensor) x32 = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) xi16 = random_tensor_host (ctx, JG_DTYPE_F16, n, I, 12, &xih);
  g_autoptr(JgTensor) xi32 = random_tensor (ctx, JG_DTYPE_F32, n, I);
  g_autoptr(JgTensor) scratch = random_tensor (ctx, JG_DTYPE_F32, 4 * n, H);
  g_autoptr(JgTensor) yinit = random_tensor_host (ctx, JG_DTYPE_F32, n, H, 13, &y0);
  char what[128];

  /* f32 copies of the f16-rounded activations for the tiled references. */
  upload (x32, xh);
  upload (xi32, xih);
  printf ("\nfused prefill matmuls, n = %" G_GINT64_FORMAT "\n", n);
  {
    g_autoptr(JgTensor) w = random_tensor (ctx, JG_DTYPE_F16, M, H);
    g_autoptr(JgTensor) b = random_tensor (ctx, JG_DTYPE_F32, 1, M);
    g_autoptr(JgTensor) q = random_tensor (ctx, JG_DTYPE_F32, n, H);
    g_autoptr(JgTensor) k = random_tensor (ctx, JG_DTYPE_F32, n, KV);
    g_autoptr(JgTensor) v = random_tensor (ctx, JG_DTYPE_F32, n, KV);
    g_autoptr(JgTensor) yref = random_tensor (ctx, JG_DTYPE_F32, n, M);
    g_autofree float *want = NULL;
    double flops = 2.0 * n * M * H;
    guint pick = jg_linear_coopmat_pick (ctx, n, M);

    linear_now (ctx, yref, x32, w, b, FALSE, JG_LINEAR_TILED, 0);
    want = download_all (yref);
    for (guint t = 0; t < n_tiles; t++)
      {
        FusedData fd = { q, k, v, x16, w, b, NULL, { .coopmat_tile = t + 1 } };
        double sec = time_op (ctx, run_qkv, &fd, 5);
        g_autofree float *gq = NULL, *gk = NULL, *gv = NULL, *got = g_new (float, n * M);
        printf ("qkv      %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT " cm %-20s%s %9.1f us %7.2f TFLOPS\n", H, M,
                tiles[t].name, t + 1 == pick ? "*" : " ", sec * 1e6, flops / sec * 1e-12);
        poison (q);
        poison (k);
        poison (v);
        if (!run_qkv (ctx, &fd, NULL))
          exit (1);
        gq = download_all (q);
        gk = download_all (k);
        gv = download_all (v);
        for (gint64 r = 0; r < n; r++)
          {
            memcpy (got + r * M, gq + r * H, H * sizeof (float));
            memcpy (got + r * M + H, gk + r * KV, KV * sizeof (float));
            memcpy (got + r * M + H + KV, gv + r * KV, KV * sizeof (float));
          }
        g_snprintf (what, sizeof what, "qkv +bias cm %s (split into q, k, v) vs tiled", tiles[t].name);
        report_check (what, jg_ref_rel_error (got, want, n * M), CHECK_TOL);
      }
    {
      FusedData fd = { q, k, v, x16, w, b, NULL, { .plain_order = TRUE } };
      double sec = time_op (ctx, run_qkv, &fd, 5);
      printf ("qkv      default tile, plain launch order (features fastest) %9.1f us %7.2f TFLOPS\n",
              sec * 1e6, flops / sec * 1e-12);
    }
  }
  {
    g_autoptr(JgTensor) w = random_tensor (ctx, JG_DTYPE_F16, 2 * I, H);
    g_autoptr(JgTensor) out = random_tensor (ctx, JG_DTYPE_F16, n, I);
    g_autoptr(JgTensor) gu = random_tensor (ctx, JG_DTYPE_F32, n, 2 * I);
    g_autofree float *guh = NULL, *want = g_new (float, n * I);
    double flops = 2.0 * n * 2 * I * H;
    guint pick = jg_linear_coopmat_pick (ctx, n, 2 * I);

    linear_now (ctx, gu, x32, w, NULL, FALSE, JG_LINEAR_TILED, 0);
    guh = download_all (gu);
    for (gint64 r = 0; r < n; r++)
      for (gint64 c = 0; c < I; c++)
        {
          double g = guh[r * 2 * I + c], u = guh[r * 2 * I + I + c];
          want[r * I + c] = (float) (g / (1.0 + exp (-g)) * u);
        }
    for (guint t = 0; t < n_tiles; t++)
      {
        FusedData fd = { NULL, NULL, NULL, x16, w, NULL, out, { .coopmat_tile = t + 1 } };
        double sec = time_op (ctx, run_swiglu_mm, &fd, 5);
        g_autofree float *got = NULL;
        printf ("gate|up  %" G_GINT64_FORMAT "->2x%" G_GINT64_FORMAT " cm %-18s%s %9.1f us %7.2f TFLOPS (+SwiGLU, f16 out)\n",
                H, I, tiles[t].name, t + 1 == pick ? "*" : " ", sec * 1e6, flops / sec * 1e-12);
        poison (out);
        if (!run_swiglu_mm (ctx, &fd, NULL))
          exit (1);
        got = download_all (out);
        g_snprintf (what, sizeof what, "gate|up+swiglu cm %s vs tiled + C silu(g)u", tiles[t].name);
        report_check (what, jg_ref_rel_error (got, want, n * I), CHECK_TOL);
      }
    {
      FusedData fd = { NULL, NULL, NULL, x16, w, NULL, out, { .plain_order = TRUE } };
      double sec = time_op (ctx, run_swiglu_mm, &fd, 5);
      printf ("gate|up  default tile, plain launch order (features fastest) %9.1f us %7.2f TFLOPS\n",
              sec * 1e6, flops / sec * 1e-12);
    }
  }
  for (guint si = 0; si < 2; si++)
    {
      gint64 k = si == 0 ? H : I;
      JgTensor *xx = si == 0 ? x16 : xi16, *xr = si == 0 ? x32 : xi32;
      g_autoptr(JgTensor) w = random_tensor (ctx, JG_DTYPE_F16, H, k);
      g_autoptr(JgTensor) y = random_tensor (ctx, JG_DTYPE_F32, n, H);
      g_autoptr(JgTensor) yref = random_tensor (ctx, JG_DTYPE_F32, n, H);
      g_autoptr(JgTensor) b = random_tensor (ctx, JG_DTYPE_F32, 1, H);
      g_autofree float *want = NULL;
      double flops = 2.0 * n * H * k;
      static const guint try_tiles[] = { 4, 3 };

      for (guint ti = 0; ti < G_N_ELEMENTS (try_tiles); ti++)
        for (guint split = 1; split <= 3; split++)
          {
            AccData ad = { y, xx, w, { .path = JG_LINEAR_COOPMAT, .coopmat_tile = try_tiles[ti],
                                       .split_k = split, .scratch = scratch } };
            double sec = time_op (ctx, run_linear_acc, &ad, 5);
            printf ("%-8s %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT " (+=) cm %-18s split %u %9.1f us %7.2f TFLOPS\n",
                    si == 0 ? "o" : "down", k, H, tiles[try_tiles[ti] - 1].name, split, sec * 1e6, flops / sec * 1e-12);
          }
      {
        AccData auto_split = { y, xx, w, { .path = JG_LINEAR_COOPMAT, .scratch = scratch } };
        double sec = time_op (ctx, run_linear_acc, &auto_split, 5);
        printf ("%-8s default (picked tile, split by shape) %9.1f us %7.2f TFLOPS\n", si == 0 ? "o" : "down",
                sec * 1e6, flops / sec * 1e-12);
        auto_split.opts.plain_order = TRUE;
        sec = time_op (ctx, run_linear_acc, &auto_split, 5);
        printf ("%-8s default, plain launch order (features fastest) %9.1f us %7.2f TFLOPS\n", si == 0 ? "o" : "down",
                sec * 1e6, flops / sec * 1e-12);
        auto_split.opts.plain_order = FALSE;
        auto_split.opts.split_k = 1;
        sec = time_op (ctx, run_linear_acc, &auto_split, 5);
        printf ("%-8s picked tile, no split %9.1f us %7.2f TFLOPS\n", si == 0 ? "o" : "down",
                sec * 1e6, flops / sec * 1e-12);
      }
      upload (yref, y0);
      linear_now (ctx, yref, xr, w, b, TRUE, JG_LINEAR_TILED, 0);
      want = download_all (yref);
      for (guint split = 2; split <= 4; split++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree float *got = NULL;
          JgLinearOptions o = { .path = JG_LINEAR_COOPMAT, .split_k = split, .scratch = scratch };
          upload (y, y0);
          poison (scratch);
          if (!jg_op_linear_ex (ctx, y, xx, w, b, TRUE, &o, &error))
            die (error);
          got = download_all (y);
          g_snprintf (what, sizeof what, "%s split %u +bias +accumulate vs tiled", si == 0 ? "o" : "down", split);
          report_check (what, jg_ref_rel_error (got, want, n * H), CHECK_TOL);
        }
    }
  {
    /* Attention writing f16 for the o projection. */
    guint d = 128;
    g_autofree float *qh = NULL, *kh = NULL, *vh = NULL, *want = NULL, *got = NULL;
    g_autoptr(JgTensor) q = random_tensor_host (ctx, JG_DTYPE_F32, n, heads * d, 5, &qh);
    g_autoptr(JgTensor) k = random_tensor_host (ctx, JG_DTYPE_F32, n, kv_heads * d, 6, &kh);
    g_autoptr(JgTensor) v = random_tensor_host (ctx, JG_DTYPE_F32, n, kv_heads * d, 7, &vh);
    g_autoptr(JgTensor) o = random_tensor (ctx, JG_DTYPE_F16, n, heads * d);
    g_autoptr(GError) error = NULL;
    AttnData ad = { o, q, k, v, {
      .n_q = (guint) n, .n_kv = (guint) n, .n_heads = heads, .n_kv_heads = kv_heads,
      .head_dim = d, .causal = TRUE, .scale = 1.0f / sqrtf ((float) d) } };
    double sec;
    for (gsize i = 0; i < (gsize) n * heads * d; i++)
      qh[i] *= 3.0f;
    upload (q, qh);
    sec = time_op (ctx, run_attention, &ad, 3);
    printf ("attention %u queries, f16 out: %.1f us\n", (guint) n, sec * 1e6);
    {
      g_autoptr(JgTensor) o32 = random_tensor (ctx, JG_DTYPE_F32, n, heads * d);
      AttnData a2 = ad;
      a2.o = o32;
      sec = time_op (ctx, run_attention, &a2, 3);
      printf ("attention %u queries, f32 out: %.1f us\n", (guint) n, sec * 1e6);
      a2.s.cm_two_pass = TRUE;
      sec = time_op (ctx, run_attention, &a2, 3);
      printf ("attention %u queries, f32 out, two passes over the keys (the kernel before): %.1f us\n", (guint) n,
              sec * 1e6);
      {
        /* The kernel before against the C reference too. */
        g_autofree float *ref = g_new (float, (gsize) n * heads * d), *got2 = NULL;
        jg_ref_attention (ref, qh, kh, vh, (guint) n, (guint) n, 0, heads, kv_heads, d, TRUE, ad.s.scale);
        poison (o32);
        if (!jg_op_attention (ctx, o32, q, k, v, &a2.s, &error))
          die (error);
        got2 = download_all (o32);
        report_check ("attention, two passes, vs C", jg_ref_rel_error (got2, ref, (gsize) n * heads * d), CHECK_TOL);
      }
    }
    want = g_new (float, (gsize) n * heads * d);
    jg_ref_attention (want, qh, kh, vh, (guint) n, (guint) n, 0, heads, kv_heads, d, TRUE, ad.s.scale);
    poison (o);
    if (!jg_op_attention (ctx, o, q, k, v, &ad.s, &error))
      die (error);
    got = download_all (o);
    report_check ("attention, f16 out, vs C", jg_ref_rel_error (got, want, (gsize) n * heads * d), CHECK_TOL);
  }
}

/* --mm: where the cooperative-matrix matmul's time goes, and every tile,
 * at the prefill's shapes with f16 activations. For two staged tiles, the diagnostic builds (DIAG in
 * matmul_cm.comp: 1 the multiplies alone, 2 + the fragment loads from
 * shared memory, 3 + the staging stores and barriers, 4 + global loads that
 * always hit the first two steps' addresses, 5 3 without barriers, 6 3
 * without stores, 7 2 + the global loads; their results are wrong by
 * design); then every tile, each checked against the tiled kernel. */
static void
prefill_mm (JgVkContext *ctx, gint64 n)
{
  static const Shape shapes[] = {
    { "o", 3584, 3584 }, { "down", 18944, 3584 }, { "qkv", 3584, 4608 }, { "gate/up", 3584, 18944 },
  };
  static const char *const diag[] = { "diag1", "diag2", "diag3", "diag4", "diag5", "diag6", "diag7", NULL };
  static const guint diag_tiles[] = { 2, 4 };
  guint n_tiles;
  const JgCoopmatTile *tiles = jg_linear_coopmat_tiles (&n_tiles);

  printf ("\nmatmul diagnosis, n = %" G_GINT64_FORMAT ", f16 x (TFLOPS = 2 n m k / GPU time)\n", n);
  for (guint si = 0; si < G_N_ELEMENTS (shapes); si++)
    {
      const Shape *sh = &shapes[si];
      g_autofree float *xh = NULL, *want = NULL;
      g_autoptr(JgTensor) w = random_tensor (ctx, JG_DTYPE_F16, sh->m, sh->k);
      g_autoptr(JgTensor) x16 = random_tensor_host (ctx, JG_DTYPE_F16, n, sh->k, 2, &xh);
      g_autoptr(JgTensor) x32 = random_tensor (ctx, JG_DTYPE_F32, n, sh->k);
      g_autoptr(JgTensor) y = random_tensor (ctx, JG_DTYPE_F32, n, sh->m);
      double flops = 2.0 * n * sh->m * sh->k;
      char what[128];

      upload (x32, xh);
      linear_now (ctx, y, x32, w, NULL, FALSE, JG_LINEAR_TILED, 0);
      want = download_all (y);
      {
        /* Two seconds of this shape first: after host work (the random
         * weights) the first timings of a fresh machine ran up to 3x slow. */
        LinearData ld = { y, x16, w, { .path = JG_LINEAR_COOPMAT } };
        for (gint64 t0 = g_get_monotonic_time (); !cpu_device && g_get_monotonic_time () - t0 < 2000000;)
          time_op (ctx, run_linear, &ld, 20);
      }
      for (guint d = 0; d < G_N_ELEMENTS (diag_tiles); d++)
        for (guint v = 0; diag[v] != NULL; v++)
          {
            LinearData ld = { y, x16, w, { .path = JG_LINEAR_COOPMAT, .coopmat_tile = diag_tiles[d],
                                           .bench_variant = diag[v] } };
            double sec = time_op (ctx, run_linear, &ld, 5);
            printf ("mm %-8s %5" G_GINT64_FORMAT "->%-5" G_GINT64_FORMAT " %-20s %-6s %9.1f us %7.1f TFLOPS\n",
                    sh->role, sh->k, sh->m, tiles[diag_tiles[d] - 1].name, diag[v], sec * 1e6, flops / sec * 1e-12);
          }
      for (guint t = 0; t < n_tiles; t++)
        {
          LinearData ld = { y, x16, w, { .path = JG_LINEAR_COOPMAT, .coopmat_tile = t + 1 } };
          double sec = time_op (ctx, run_linear, &ld, 5);
          g_autofree float *got = NULL;
          printf ("mm %-8s %5" G_GINT64_FORMAT "->%-5" G_GINT64_FORMAT " %-20s %-6s %9.1f us %7.1f TFLOPS\n",
                  sh->role, sh->k, sh->m, tiles[t].name, "", sec * 1e6, flops / sec * 1e-12);
          poison (y);
          if (!run_linear (ctx, &ld, NULL))
            exit (1);
          got = download_all (y);
          g_snprintf (what, sizeof what, "mm %s cm %s vs tiled", sh->role, tiles[t].name);
          report_check (what, jg_ref_rel_error (got, want, n * sh->m), CHECK_TOL);
        }
    }
}

/* --attn: the prefill attention (700 queries, 28/4 heads, d 128, causal),
 * one pass against the two-pass kernel before, with scores of moderate
 * spread (q x 3, as the other checks: against the C reference) and with
 * widely spread ones (q x boost, like the layer bench's random projections:
 * the one-pass kernel rescales often; against the two-pass kernel, since
 * f16 inputs alone move such scores by more than the f32 reference
 * allows). */
static void
prefill_attention_cmp (JgVkContext *ctx, guint n, guint heads, guint kv_heads, float boost)
{
  guint d = 128;
  gsize qn = (gsize) n * heads * d;
  g_autofree float *qh = NULL, *kh = NULL, *vh = NULL, *want = NULL, *one = NULL, *two = NULL;
  g_autoptr(JgTensor) q = random_tensor_host (ctx, JG_DTYPE_F32, n, heads * d, 5, &qh);
  g_autoptr(JgTensor) k = random_tensor_host (ctx, JG_DTYPE_F32, n, kv_heads * d, 6, &kh);
  g_autoptr(JgTensor) v = random_tensor_host (ctx, JG_DTYPE_F32, n, kv_heads * d, 7, &vh);
  g_autoptr(JgTensor) o = random_tensor (ctx, JG_DTYPE_F32, n, heads * d);
  g_autoptr(JgTensor) o16 = random_tensor (ctx, JG_DTYPE_F16, n, heads * d);
  g_autoptr(GError) error = NULL;
  AttnData ad = { o, q, k, v, {
    .n_q = n, .n_kv = n, .n_heads = heads, .n_kv_heads = kv_heads, .head_dim = d, .causal = TRUE,
    .scale = 1.0f / sqrtf ((float) d) } };
  AttnData ad16 = ad;
  double t1, t16, t2;
  char what[96];

  ad16.o = o16;
  for (gsize i = 0; i < qn; i++)
    qh[i] *= boost;
  upload (q, qh);
  t1 = time_op (ctx, run_attention, &ad, 3);
  t16 = time_op (ctx, run_attention, &ad16, 3);
  ad.s.cm_two_pass = TRUE;
  t2 = time_op (ctx, run_attention, &ad, 3);
  printf ("attention %u queries, %u/%u heads, q x %g: one pass %.1f us (f16 out %.1f us), two passes %.1f us\n",
          n, heads, kv_heads, boost, t1 * 1e6, t16 * 1e6, t2 * 1e6);
  poison (o);
  if (!jg_op_attention (ctx, o, q, k, v, &ad.s, &error))
    die (error);
  two = download_all (o);
  ad.s.cm_two_pass = FALSE;
  poison (o);
  if (!jg_op_attention (ctx, o, q, k, v, &ad.s, &error))
    die (error);
  one = download_all (o);
  g_snprintf (what, sizeof what, "attention q x %g, one pass vs two passes", boost);
  report_check (what, jg_ref_rel_error (one, two, qn), CHECK_TOL);
  if (boost <= 3)
    {
      want = g_new (float, qn);
      jg_ref_attention (want, qh, kh, vh, n, n, 0, heads, kv_heads, d, TRUE, ad.s.scale);
      g_snprintf (what, sizeof what, "attention q x %g, one pass vs C", boost);
      report_check (what, jg_ref_rel_error (one, want, qn), CHECK_TOL);
      g_snprintf (what, sizeof what, "attention q x %g, two passes vs C", boost);
      report_check (what, jg_ref_rel_error (two, want, qn), CHECK_TOL);
    }
}

/* One layer as jg-qwen2.c records the fused prefill. */
static void
prefill_layer_fused (JgVkContext *ctx, gint64 n)
{
  const gint64 H = 3584, KV = 512, I = 18944;
  g_autoptr(JgTensor) x = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) xn = random_tensor (ctx, JG_DTYPE_F16, n, H);
  g_autoptr(JgTensor) g16 = random_tensor (ctx, JG_DTYPE_F16, n, I);
  g_autoptr(JgTensor) at16 = random_tensor (ctx, JG_DTYPE_F16, n, H);
  g_autoptr(JgTensor) scratch = random_tensor (ctx, JG_DTYPE_F32, n, I);
  g_autoptr(JgTensor) ln = random_tensor (ctx, JG_DTYPE_F32, 1, H);
  g_autoptr(JgTensor) q = random_tensor (ctx, JG_DTYPE_F32, n, H);
  g_autoptr(JgTensor) k = random_tensor (ctx, JG_DTYPE_F32, n, KV);
  g_autoptr(JgTensor) v = random_tensor (ctx, JG_DTYPE_F32, n, KV);
  g_autoptr(JgTensor) qkvw = random_tensor (ctx, JG_DTYPE_F16, H + 2 * KV, H);
  g_autoptr(JgTensor) qkvb = random_tensor (ctx, JG_DTYPE_F32, 1, H + 2 * KV);
  g_autoptr(JgTensor) ow = random_tensor (ctx, JG_DTYPE_F16, H, H);
  g_autoptr(JgTensor) guw = random_tensor (ctx, JG_DTYPE_F16, 2 * I, H);
  g_autoptr(JgTensor) dw = random_tensor (ctx, JG_DTYPE_F16, H, I);
  g_autoptr(JgTensor) pos = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 3, n, JG_TENSOR_DEVICE, NULL);
  g_autoptr(JgTensor) inv = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, 64, JG_TENSOR_DEVICE, NULL);
  g_autofree guint32 *posh = g_new (guint32, 3 * n);
  float invh[64];
  JgLinearOptions split = { .path = JG_LINEAR_COOPMAT, .scratch = scratch };
  AttnData ad = { at16, q, k, v, {
    .n_q = (guint) n, .n_kv = (guint) n, .n_heads = 28, .n_kv_heads = 4, .head_dim = 128,
    .causal = TRUE, .scale = 1.0f / sqrtf (128.0f) } };
  LayerOp ops[] = {
    { "rmsnorm", OP_RMSNORM, xn, x, ln, NULL, FALSE, 0, NULL, NULL, NULL, NULL },
    { "q|k|v", OP_QKV, q, xn, qkvw, qkvb, FALSE, 0, NULL, NULL, k, v },
    { "rope q", OP_ROPE, q, pos, inv, NULL, FALSE, 28, NULL, NULL, NULL, NULL },
    { "rope k", OP_ROPE, k, pos, inv, NULL, FALSE, 4, NULL, NULL, NULL, NULL },
    { "attention", OP_ATTN, NULL, NULL, NULL, NULL, FALSE, 0, &ad, NULL, NULL, NULL },
    { "o (+=, split)", OP_LINEAR, x, at16, ow, NULL, TRUE, 0, NULL, &split, NULL, NULL },
    { "rmsnorm", OP_RMSNORM, xn, x, ln, NULL, FALSE, 0, NULL, NULL, NULL, NULL },
    { "gate|up+swiglu", OP_LINEAR_SWIGLU, g16, xn, guw, NULL, FALSE, 0, NULL, NULL, NULL, NULL },
    { "down (+=, split)", OP_LINEAR, x, g16, dw, NULL, TRUE, 0, NULL, &split, NULL, NULL },
  };
  double t[G_N_ELEMENTS (ops)], total = 0, whole;
  LayerAll all = { ops, G_N_ELEMENTS (ops) };

  for (gint64 i = 0; i < 3 * n; i++)
    posh[i] = (guint32) (i % n);
  jg_rope_inv_freq (1e6, 128, invh);
  if (!jg_tensor_upload_u32 (pos, posh, NULL) || !jg_tensor_upload_f32 (inv, invh, NULL))
    exit (1);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      t[i] = time_op (ctx, run_layer_op, &ops[i], 3);
      total += t[i];
    }
  printf ("\none 7B decoder layer at n = %" G_GINT64_FORMAT ", fused prefill as jg-qwen2.c records it\n", n);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    printf ("  %-16s %9.1f us %5.1f%%\n", ops[i].name, t[i] * 1e6, 100.0 * t[i] / total);
  printf ("  layer total %.1f us; x 28 layers = %.1f ms\n", total * 1e6, total * 28e3);
  whole = time_op (ctx, run_layer_all, &all, 3);
  printf ("  fused layer recorded back to back: %.1f us; x 28 = %.1f ms\n", whole * 1e6, whole * 28e3);
}

static const char *
path_name (JgLinearPath p)
{
  switch (p)
    {
    case JG_LINEAR_MATVEC: return "matvec";
    case JG_LINEAR_TILED: return "tiled";
    case JG_LINEAR_COOPMAT: return "coopmat";
    case JG_LINEAR_AUTO:
    default: return "auto";
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgVkContext) ctx = NULL;
  const JgVkDeviceInfo *info;
  gboolean full = FALSE, prefill_only = FALSE, fused_only = FALSE, mm_only = FALSE, attn_only = FALSE;
  gboolean cpu;
  gint64 m = 4096, k = 14336, copy_bytes = 1 << 30, n_big = 512;
  double copy_s, copy_bw, best_mv = 1e9;
  guint features;
  CopyData cd;
  g_autoptr(JgTensor) w = NULL;
  g_autoptr(JgTensor) x1 = NULL, x8 = NULL, xb = NULL, y1 = NULL, y8 = NULL, yb = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--full") == 0)
      full = TRUE;
    else if (strcmp (argv[i], "--prefill") == 0)
      prefill_only = TRUE;
    else if (strcmp (argv[i], "--fused") == 0)
      fused_only = TRUE;
    else if (strcmp (argv[i], "--mm") == 0)
      mm_only = TRUE;
    else if (strcmp (argv[i], "--attn") == 0)
      attn_only = TRUE;
    else
      {
        fprintf (stderr, "usage: bench-linear [--full] [--prefill] [--fused] [--mm] [--attn]\n");
        return 2;
      }
  setvbuf (stdout, NULL, _IOLBF, 0);
  ctx = jg_vk_context_new (NULL, &error);
  if (ctx == NULL)
    {
      fprintf (stderr, "bench-linear: %s\n", error->message);
      return 1;
    }
  info = jg_vk_context_get_info (ctx);
  features = jg_vk_context_get_features (ctx);
  cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  cpu_device = cpu;
  if (cpu && !full)
    {
      /* lavapipe: 1/32 of the weights, small copies, n = 32. */
      m = 128;
      copy_bytes = 32 << 20;
      n_big = 32;
    }
  copy_bytes = MIN (copy_bytes, (gint64) jg_vk_context_get_max_binding (ctx) / 16 * 16);
  printf ("bench-linear %s\ndevice: %s (%s), subgroup %u, fp16 %s, coopmat %s%s\n", stamp, info->name,
          jg_vk_device_type_name (info->type), jg_vk_context_get_subgroup_size (ctx),
          features & JG_VK_FEATURE_FP16 ? "on" : "off", features & JG_VK_FEATURE_COOPMAT ? "on" : "off",
          cpu && !full ? " (CPU device: reduced sizes; --full for the real ones)" : "");

  cd.src = random_tensor (ctx, JG_DTYPE_F32, copy_bytes / 4 / 1024, 1024);
  cd.dst = random_tensor (ctx, JG_DTYPE_F32, copy_bytes / 4 / 1024, 1024);
  /* A second of copies first: the first runs after a start measured up to
   * 40% slow while the card left its idle state. */
  if (!cpu)
    time_op (ctx, run_copy, &cd, 200);
  copy_s = time_op (ctx, run_copy, &cd, 5);
  copy_bw = 2.0 * (double) jg_tensor_get_nbytes (cd.src) / copy_s;
  printf ("copy %.0f MiB: %.1f us, %.3f TB/s (read + write)\n", jg_tensor_get_nbytes (cd.src) / 1048576.0,
          copy_s * 1e6, copy_bw * 1e-12);
  jg_tensor_free (cd.src);
  jg_tensor_free (cd.dst);

  if (attn_only)
    {
      if (!(features & JG_VK_FEATURE_COOPMAT))
        {
          printf ("no cooperative matrices: nothing to run\n");
          return 0;
        }
      prefill_attention_edges (ctx);
      prefill_attention_cmp (ctx, cpu ? 70 : 700, cpu ? 4 : 28, cpu ? 2 : 4, 3);
      prefill_attention_cmp (ctx, cpu ? 70 : 700, cpu ? 4 : 28, cpu ? 2 : 4, 40);
      printf ("\n%s\n", check_failed ? "CHECKS FAILED" : "all checks passed");
      return check_failed ? 1 : 0;
    }
  if (mm_only)
    {
      if (!(features & JG_VK_FEATURE_COOPMAT))
        {
          printf ("no cooperative matrices: nothing to run\n");
          return 0;
        }
      prefill_mm (ctx, cpu ? 40 : 700);
      printf ("\n%s\n", check_failed ? "CHECKS FAILED" : "all checks passed");
      return check_failed ? 1 : 0;
    }
  if (fused_only)
    {
      /* Only the fused prefill kernels and the layer, both ways. */
      if (!(features & JG_VK_FEATURE_COOPMAT))
        {
          printf ("no cooperative matrices: nothing to run\n");
          return 0;
        }
      prefill_attention_edges (ctx);
      prefill_attention_case (ctx, 700, 700, 0, 28, 4, 128, TRUE, FALSE);
      prefill_fused (ctx, 77, 256, 128, 328, 2, 1);
      prefill_fused (ctx, 700, 3584, 512, 18944, 28, 4);
      prefill_layer_fused (ctx, 700);
      prefill_layer (ctx, 700);
      prefill_layer_fused (ctx, 700);
      printf ("\n%s\n", check_failed ? "CHECKS FAILED" : "all checks passed");
      return check_failed ? 1 : 0;
    }
  {
    /* The 7B decoder's matmuls at a 700-token prompt (CPU: small stand-ins). */
    static const Shape gpu_shapes[] = {
      { "q", 3584, 3584 }, { "k/v", 3584, 512 }, { "o", 3584, 3584 },
      { "gate/up", 3584, 18944 }, { "down", 18944, 3584 },
    };
    static const Shape cpu_shapes[] = { { "qkv", 128, 192 }, { "o", 128, 128 }, { "gate/up", 128, 256 },
                                        { "down", 256, 128 } };
    gboolean small = cpu && !full;
    prefill_linear (ctx, small ? 40 : 700, small ? cpu_shapes : gpu_shapes,
                    small ? G_N_ELEMENTS (cpu_shapes) : G_N_ELEMENTS (gpu_shapes));
    prefill_attention_case (ctx, small ? 70 : 700, small ? 70 : 700, 0, small ? 4 : 28, small ? 2 : 4,
                            small ? 64 : 128, TRUE, TRUE);
    prefill_attention_edges (ctx);
    if (!small)
      prefill_layer (ctx, 700);
    if (features & JG_VK_FEATURE_COOPMAT)
      {
        /* Small: shapes that exercise the edges (rows past 64, I not a
         * multiple of the tile, k not a multiple of the split). */
        if (small)
          prefill_fused (ctx, 77, 128, 64, 200, 4, 2);
        else
          {
            prefill_fused (ctx, 77, 256, 128, 328, 2, 1);
            prefill_fused (ctx, 700, 3584, 512, 18944, 28, 4);
            prefill_layer_fused (ctx, 700);
            prefill_layer (ctx, 700);
          }
      }
    if (prefill_only)
      {
        printf ("\n%s\n", check_failed ? "CHECKS FAILED" : "all checks passed");
        return check_failed ? 1 : 0;
      }
  }

  w = random_tensor (ctx, JG_DTYPE_F16, m, k);
  x1 = random_tensor (ctx, JG_DTYPE_F32, 1, k);
  x8 = random_tensor (ctx, JG_DTYPE_F32, 8, k);
  xb = random_tensor (ctx, JG_DTYPE_F32, n_big, k);
  y1 = random_tensor (ctx, JG_DTYPE_F32, 1, m);
  y8 = random_tensor (ctx, JG_DTYPE_F32, 8, m);
  yb = random_tensor (ctx, JG_DTYPE_F32, n_big, m);

  printf ("\n%-8s %-8s %-10s %10s %10s %10s %9s\n", "n", "path", "rows/wg", "us", "TB/s", "TFLOPS",
          "vs copy");
  {
    static const guint rows[] = { 1, 2, 4 }, wgs[] = { 64, 128, 256 };
    for (guint a = 0; a < G_N_ELEMENTS (rows); a++)
      for (guint b = 0; b < G_N_ELEMENTS (wgs); b++)
        {
          LinearData ld = { y1, x1, w, { JG_LINEAR_MATVEC, rows[a], wgs[b] } };
          double s = time_op (ctx, run_linear, &ld, 20);
          double bytes = (double) m * k * 2 + k * 4 + m * 4;
          char cfg[32];
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[a], wgs[b]);
          printf ("%-8d %-8s %-10s %10.1f %10.3f %10.2f %8.1f%%\n", 1, "matvec", cfg, s * 1e6,
                  bytes / s * 1e-12, 2.0 * m * k / s * 1e-12, 100.0 * bytes / s / copy_bw);
          best_mv = MIN (best_mv, s);
        }
  }
  {
    static const guint rows[] = { 1, 2, 4, 8 }, wgs[] = { 128, 256 };
    for (guint a = 0; a < G_N_ELEMENTS (rows); a++)
      for (guint b = 0; b < G_N_ELEMENTS (wgs); b++)
        {
          LinearData ld = { y8, x8, w, { JG_LINEAR_MATVEC, rows[a], wgs[b] } };
          double s;
          if ((guint64) (rows[a] * 8 + 2) * wgs[b] * 4 > info->max_shared_memory)
            continue;
          s = time_op (ctx, run_linear, &ld, 10);
          double bytes = (double) m * k * 2 + 8.0 * (k + m) * 4;
          char cfg[32];
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[a], wgs[b]);
          printf ("%-8d %-8s %-10s %10.1f %10.3f %10.2f %8.1f%%\n", 8, "matvec", cfg, s * 1e6,
                  bytes / s * 1e-12, 2.0 * m * k * 8 / s * 1e-12, 100.0 * bytes / s / copy_bw);
        }
  }
  {
    JgLinearPath paths[] = { JG_LINEAR_TILED, JG_LINEAR_COOPMAT };
    gint64 ns[] = { 8, n_big };
    guint n_tiles;
    for (guint a = 0; a < G_N_ELEMENTS (ns); a++)
      for (guint b = 0; b < G_N_ELEMENTS (paths); b++)
        {
          LinearData ld = { ns[a] == 8 ? y8 : yb, ns[a] == 8 ? x8 : xb, w, { paths[b], 0, 0, 0 } };
          double s, bytes;
          if (paths[b] == JG_LINEAR_COOPMAT && !(features & JG_VK_FEATURE_COOPMAT))
            continue;
          s = time_op (ctx, run_linear, &ld, ns[a] == 8 ? 10 : 3);
          bytes = (double) m * k * 2 + (double) ns[a] * (k + m) * 4;
          printf ("%-8" G_GINT64_FORMAT " %-8s %-15s %10.1f %10.3f %10.2f %8.1f%%\n", ns[a],
                  path_name (paths[b]), paths[b] == JG_LINEAR_TILED ? "64x64"
                  : jg_linear_coopmat_tiles (&n_tiles)[jg_linear_coopmat_pick (ctx, ns[a], m) - 1].name, s * 1e6,
                  bytes / s * 1e-12, 2.0 * m * k * ns[a] / s * 1e-12, 100.0 * bytes / s / copy_bw);
        }
  }
  /* The decoder's other shapes (7B: gate/up, down, q, lm_head), n = 1. */
  if (!cpu || full)
    {
      static const gint64 shapes[][2] = { { 18944, 3584 }, { 3584, 18944 }, { 3584, 3584 }, { 152064, 3584 } };
      static const guint rows[] = { 1, 2, 4, 8 }, wgs[] = { 64, 128, 256 };
      printf ("\n%-14s %-10s %10s %10s %9s\n", "m x k", "rows/wg", "us", "TB/s", "vs copy");
      for (guint sh = 0; sh < G_N_ELEMENTS (shapes); sh++)
        {
          g_autoptr(JgTensor) ws = random_tensor (ctx, JG_DTYPE_F16, shapes[sh][0], shapes[sh][1]);
          g_autoptr(JgTensor) xs = random_tensor (ctx, JG_DTYPE_F32, 1, shapes[sh][1]);
          g_autoptr(JgTensor) ys = random_tensor (ctx, JG_DTYPE_F32, 1, shapes[sh][0]);
          for (guint a = 0; a < G_N_ELEMENTS (rows); a++)
            for (guint b = 0; b < G_N_ELEMENTS (wgs); b++)
              {
                LinearData ld = { ys, xs, ws, { JG_LINEAR_MATVEC, rows[a], wgs[b] } };
                double bytes = (double) shapes[sh][0] * shapes[sh][1] * 2;
                double s2 = time_op (ctx, run_linear, &ld, 20);
                char cfg[32], mk[32];
                g_snprintf (cfg, sizeof cfg, "%u/%u", rows[a], wgs[b]);
                g_snprintf (mk, sizeof mk, "%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, shapes[sh][0], shapes[sh][1]);
                printf ("%-14s %-10s %10.1f %10.3f %8.1f%%\n", mk, cfg, s2 * 1e6, bytes / s2 * 1e-12,
                        100.0 * bytes / s2 / copy_bw);
              }
        }
    }

  printf ("\nbest matvec (n = 1, m = %" G_GINT64_FORMAT ", k = %" G_GINT64_FORMAT "): %.1f us = %.1f%% of the copy bandwidth\n",
          m, k, best_mv * 1e6, 100.0 * ((double) m * k * 2 + k * 4 + m * 4) / best_mv / copy_bw);
  printf ("%s\n", check_failed ? "CHECKS FAILED" : "all checks passed");
  return check_failed ? 1 : 0;
}
