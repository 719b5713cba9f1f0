/* bench-decode: the kernels of one replayed decode step at the
 * Qwen2.5-Omni-7B shapes, against the copy bandwidth measured in the same
 * run. Each kernel is timed over several copies of its weights in turn
 * (more bytes than the L2 holds), back to back as the decode step runs them
 * (each waits for the last: they share their output), with several
 * workgroup shapes (rows or row pairs / threads). GPU time from timestamp
 * queries, the median of 5 submissions. Last, the sum of the best kernels
 * of a 28-layer step: what a replayed token costs if nothing else does.
 * On a CPU device (lavapipe) the shapes shrink 16-fold and the numbers mean
 * nothing; it only checks that everything runs. --copy measures the copy
 * bandwidth only; --persist times one layer as one persistent dispatch
 * (jg_op_decode_layer) against its five separate kernels, and the
 * persistent kernel's phases one at a time and with none (its grid
 * barriers alone). */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-vk-ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 5
#define MAX_COPIES 8

static void
die (GError *error)
{
  fprintf (stderr, "bench-decode: %s\n", error ? error->message : "failed");
  exit (1);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

typedef gboolean (*RunFn) (JgVkContext *ctx, gpointer data, guint i, GError **error);

/* Median GPU seconds per call of fn (i = 0..inner-1 picks the copy). */
static double
time_op (JgVkContext *ctx, RunFn fn, gpointer data, guint inner)
{
  g_autoptr(GError) error = NULL;
  double t[REPS];
  gint64 start = g_get_monotonic_time ();

  /* Warm-up: builds the pipeline, and keeps the card busy for 0.5 s so
   * that its clocks leave the idle state the uploads let it fall to (0.2 s
   * was too little for the first shape after an upload). */
  do
    {
      jg_vk_begin (ctx);
      for (guint i = 0; i < inner; i++)
        if (!fn (ctx, data, i, &error))
          {
            jg_vk_submit (ctx, NULL);
            die (error);
          }
      if (!jg_vk_submit (ctx, &error))
        die (error);
    }
  while (g_get_monotonic_time () - start < 500000);
  for (guint r = 0; r < REPS; r++)
    {
      jg_vk_begin (ctx);
      jg_vk_mark_start (ctx);
      for (guint i = 0; i < inner; i++)
        if (!fn (ctx, data, i, &error))
          die (error);
      jg_vk_mark_end (ctx);
      if (!jg_vk_submit (ctx, &error))
        die (error);
      t[r] = jg_vk_marked_ns (ctx) * 1e-9 / inner;
    }
  qsort (t, REPS, sizeof t[0], cmp_double);
  return t[REPS / 2];
}

static JgTensor *
random_tensor (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols, guint32 seed, float scale)
{
  g_autoptr(GError) error = NULL;
  JgTensor *t = jg_tensor_new_2d (ctx, dtype, rows, cols, JG_TENSOR_DEVICE, &error);
  g_autofree float *v = NULL;
  guint32 state = seed * 2654435761u | 1;

  if (t == NULL)
    die (error);
  v = g_new (float, rows * cols);
  for (gint64 i = 0; i < rows * cols; i++)
    {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      v[i] = (float) (state * (2.0 / 4294967296.0) - 1.0) * scale;
    }
  if (!jg_tensor_upload_f32 (t, v, &error))
    die (error);
  return t;
}

typedef struct {
  JgTensor *w[MAX_COPIES];
  guint n_w;
  JgTensor *x, *norm, *bias, *y, *k_cache, *v_cache, *step, *inv_freq, *scratch;
  JgDecodeTuning tune;
  JgLinearOptions opts;
  JgQkvShape qkv;
  JgAttentionShape att;
} Bench;

static gboolean
run_qkv (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  Bench *b = data;
  return jg_op_norm_qkv_rope (ctx, b->y, b->k_cache, b->v_cache, b->x, b->norm, b->w[i % b->n_w], b->bias,
                              b->step, b->inv_freq, &b->qkv, &b->tune, error);
}

static gboolean
run_linear (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  Bench *b = data;
  return jg_op_linear_ex (ctx, b->y, b->x, b->w[i % b->n_w], NULL, TRUE, &b->opts, error);
}

static gboolean
run_swiglu (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  Bench *b = data;
  return jg_op_norm_swiglu (ctx, b->y, b->x, b->norm, 1e-6f, b->w[i % b->n_w], &b->tune, error);
}

static gboolean
run_norm_linear (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  Bench *b = data;
  return jg_op_norm_linear (ctx, b->y, b->x, b->norm, 1e-6f, b->w[i % b->n_w], NULL, FALSE, &b->tune, error);
}

typedef struct {
  JgTensor *k[28], *v[28], *q, *o, *step, *scratch, *counts;
  JgAttentionShape att;
} AttBench;

static gboolean
run_attention (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  AttBench *a = data;
  return jg_op_attention_decode (ctx, a->o, a->q, a->k[i % 28], a->v[i % 28], a->step, a->counts, &a->att, error);
}

typedef struct {
  JgTensor *x, *out, *scratch;
} ArgmaxData;

static gboolean
run_argmax (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  ArgmaxData *a = data;
  return jg_op_argmax (ctx, a->out, a->x, error);
}

static gboolean
run_argmax_wide (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  ArgmaxData *a = data;
  return jg_op_argmax_wide (ctx, a->out, a->x, a->scratch, error);
}

typedef struct {
  JgTensor *dst, *src;
} CopyData;

static gboolean
run_copy (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  CopyData *c = data;
  return jg_op_copy (ctx, c->dst, c->src, error);
}

static void
free_bench (Bench *b)
{
  for (guint i = 0; i < b->n_w; i++)
    jg_tensor_free (b->w[i]);
  JgTensor *all[] = { b->x, b->norm, b->bias, b->y, b->k_cache, b->v_cache, b->step, b->inv_freq, b->scratch };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    jg_tensor_free (all[i]);
}

/* Copies of an m x k f16 matrix filling at least 200 MB (at most 8). */
static void
make_weights (JgVkContext *ctx, Bench *b, gint64 m, gint64 k)
{
  double bytes = (double) m * k * 2;
  b->n_w = (guint) CLAMP (ceil (200e6 / bytes), 1, MAX_COPIES);
  for (guint i = 0; i < b->n_w; i++)
    b->w[i] = random_tensor (ctx, JG_DTYPE_F16, m, k, 100 + i, 0.05f);
}

static void
report (const char *what, const char *cfg, double s, double bytes, double copy_bw)
{
  printf ("%-26s %-8s %9.1f us %8.3f TB/s %7.1f%%\n", what, cfg, s * 1e6, bytes / s * 1e-12,
          100.0 * bytes / s / copy_bw);
}

/* ---- --persist: one layer as one persistent dispatch, against the five
 * separate kernels, over copies of a layer's weights ---- */

#define LAYER_COPIES 2

typedef struct {
  JgDecodeLayer l[LAYER_COPIES];
  JgQkvShape qkv;
  JgAttentionShape att;
  guint n_wg, threads, skip;
  JgDecodeTuning tq, tgu;
  JgLinearOptions to, td;
} LayerBench;

static gboolean
run_layer_persistent (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  LayerBench *b = data;
  JgDecodeLayer l = b->l[i % LAYER_COPIES];
  l.skip_phases = b->skip;
  return jg_op_decode_layer (ctx, &l, &b->qkv, b->att.scale, b->n_wg, b->threads, error);
}

static gboolean
run_layer_kernels (JgVkContext *ctx, gpointer data, guint i, GError **error)
{
  LayerBench *b = data;
  JgDecodeLayer *l = &b->l[i % LAYER_COPIES];
  JgAttentionShape att = b->att;
  att.split_scratch = l->parts;
  return jg_op_norm_qkv_rope (ctx, l->q, l->k_cache, l->v_cache, l->x, l->ln1, l->qkv_w, l->qkv_b, l->step,
                              l->inv_freq, &b->qkv, &b->tq, error)
         && jg_op_attention_decode (ctx, l->attn, l->q, l->k_cache, l->v_cache, l->step, l->counts, &att, error)
         && jg_op_linear_ex (ctx, l->x, l->attn, l->o_w, NULL, TRUE, &b->to, error)
         && jg_op_norm_swiglu (ctx, l->g, l->x, l->ln2, 1e-6f, l->gate_up, &b->tgu, error)
         && jg_op_linear_ex (ctx, l->x, l->g, l->down, NULL, TRUE, &b->td, error);
}

static int
bench_persist (JgVkContext *ctx, gint64 H, gint64 I, gint64 heads, gint64 kvh, gint64 D, gint64 n_ctx,
               double copy_bw)
{
  g_autoptr(GError) error = NULL;
  LayerBench b = { 0 };
  gint64 qd = heads * D, kvd = kvh * D, m = qd + 2 * kvd;
  g_autofree float *inv = g_new (float, D / 2);
  guint32 step[4] = { 700, 700, 700, (guint32) MIN (700, n_ctx - 1) };
  JgTensor *shared_step, *shared_inv, *bar, *fail, *counts;
  guint resident = jg_decode_layer_resident (ctx);
  double bytes = ((double) m * H + H * qd + 3.0 * I * H) * 2, s_kernels, s;
  static const char *phase[5] = { "q|k|v", "attention", "o", "gate|up", "down" };
  g_autofree guint32 *z = g_new0 (guint32, MAX (heads, 4));

  shared_step = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, &error);
  fail = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, &error);
  bar = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 4, 1, JG_TENSOR_DEVICE, &error);
  counts = jg_tensor_new_2d (ctx, JG_DTYPE_U32, heads, 1, JG_TENSOR_DEVICE, &error);
  if (shared_step == NULL || fail == NULL || bar == NULL || counts == NULL
      || !jg_tensor_upload_u32 (bar, z, &error) || !jg_tensor_upload_u32 (counts, z, &error))
    die (error);
  memcpy (jg_tensor_get_mapped (shared_step), step, sizeof step);
  *(guint32 *) jg_tensor_get_mapped (fail) = 0;
  jg_rope_inv_freq (1e6, (guint) D, inv);
  shared_inv = random_tensor (ctx, JG_DTYPE_F32, 1, D / 2, 9, 1);
  if (!jg_tensor_upload_f32 (shared_inv, inv, &error))
    die (error);
  for (guint c = 0; c < LAYER_COPIES; c++)
    {
      JgDecodeLayer *l = &b.l[c];
      guint32 sd = 1000 + 50 * c;
      l->x = random_tensor (ctx, JG_DTYPE_F32, 1, H, sd, 1);
      l->ln1 = random_tensor (ctx, JG_DTYPE_F32, 1, H, sd + 1, 1);
      l->ln2 = random_tensor (ctx, JG_DTYPE_F32, 1, H, sd + 2, 1);
      l->qkv_w = random_tensor (ctx, JG_DTYPE_F16, m, H, sd + 3, 0.02f);
      l->qkv_b = random_tensor (ctx, JG_DTYPE_F32, 1, m, sd + 4, 0.02f);
      l->o_w = random_tensor (ctx, JG_DTYPE_F16, H, qd, sd + 5, 0.02f);
      l->gate_up = random_tensor (ctx, JG_DTYPE_F16, 2 * I, H, sd + 6, 0.02f);
      l->down = random_tensor (ctx, JG_DTYPE_F16, H, I, sd + 7, 0.02f);
      l->k_cache = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvd, sd + 8, 1);
      l->v_cache = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvd, sd + 9, 1);
      l->q = random_tensor (ctx, JG_DTYPE_F32, 1, qd, sd + 10, 1);
      l->attn = random_tensor (ctx, JG_DTYPE_F32, 1, qd, sd + 11, 1);
      l->g = random_tensor (ctx, JG_DTYPE_F32, 1, I, sd + 12, 1);
      l->parts = random_tensor (ctx, JG_DTYPE_F32, 1, 8 * 64 * heads * (D + 2), sd + 13, 1);
      l->inv_freq = shared_inv;
      l->step = shared_step;
      l->counts = counts;
      l->barrier = bar;
      l->fail = fail;
    }
  b.qkv = (JgQkvShape) { (guint) heads, (guint) kvh, (guint) D, { (guint) D / 8, (guint) D * 3 / 16,
                         (guint) D * 3 / 16 }, 1e-6f };
  b.att = (JgAttentionShape) { .n_heads = (guint) heads, .n_kv_heads = (guint) kvh, .head_dim = (guint) D,
                               .scale = 0.088f };
  /* The model's own shapes for the separate kernels (jg_qwen2_set_tuning). */
  b.tq = (JgDecodeTuning) { 1, 128 };
  b.tgu = (JgDecodeTuning) { 1, 256 };
  b.to = b.td = (JgLinearOptions) { JG_LINEAR_MATVEC, 1, 256 };
  printf ("one layer, %u keys, %.1f MB of weights, %d copies in turn; %u workgroups resident\n", step[3] + 1,
          bytes * 1e-6, LAYER_COPIES, resident);
  s_kernels = time_op (ctx, run_layer_kernels, &b, 4 * LAYER_COPIES);
  report ("layer: 5 kernels (replay)", "model", s_kernels, bytes, copy_bw);
  if (resident == 0)
    {
      printf ("no resident-workgroup count: the persistent layer runs with 1 workgroup (times mean nothing)\n");
      resident = 1;
    }
  {
    struct { guint wg, threads; } shapes[] = { { resident, 512 }, { resident, 1024 }, { resident, 256 } };
    for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
      {
        char cfg[24];
        if (shapes[i].wg == 0)
          continue;
        b.n_wg = shapes[i].wg;
        b.threads = shapes[i].threads;
        b.skip = 0;
        if (!jg_tensor_upload_u32 (bar, z, &error))   /* counts from zero for this workgroup count */
          die (error);
        s = time_op (ctx, run_layer_persistent, &b, 4 * LAYER_COPIES);
        g_snprintf (cfg, sizeof cfg, "%u/%u", b.n_wg, b.threads);
        report ("layer: persistent", cfg, s, bytes, copy_bw);
        if (*(guint32 *) jg_tensor_get_mapped (fail) != 0)
          {
            printf ("  a grid barrier gave up (fail = %u): the numbers above are not valid\n",
                    *(guint32 *) jg_tensor_get_mapped (fail));
            *(guint32 *) jg_tensor_get_mapped (fail) = 0;
            if (!jg_tensor_upload_u32 (bar, z, &error))
              die (error);
          }
      }
  }
  /* Phases one at a time (the others left out; the four grid barriers and
   * the stagings stay), and none: the cost of the barriers alone. */
  b.n_wg = resident;
  b.threads = 512;
  b.skip = 0x1f;
  if (!jg_tensor_upload_u32 (bar, z, &error))
    die (error);
  s = time_op (ctx, run_layer_persistent, &b, 4 * LAYER_COPIES);
  printf ("%-26s %-8s %9.1f us\n", "persistent, no phase", "barriers", s * 1e6);
  {
    double none = s;
    double pbytes[5] = { (double) m * H * 2, 0, (double) H * qd * 2, 4.0 * I * H, 2.0 * I * H };
    for (guint ph = 0; ph < 5; ph++)
      {
        char what[48];
        b.skip = 0x1f & ~(1u << ph);
        s = time_op (ctx, run_layer_persistent, &b, 4 * LAYER_COPIES);
        g_snprintf (what, sizeof what, "persistent, only %s", phase[ph]);
        if (pbytes[ph] > 0)
          printf ("%-26s %-8s %9.1f us (%.1f us over none) %8.3f TB/s\n", what, "", s * 1e6, (s - none) * 1e6,
                  pbytes[ph] / (s - none) * 1e-12);
        else
          printf ("%-26s %-8s %9.1f us (%.1f us over none)\n", what, "", s * 1e6, (s - none) * 1e6);
      }
  }
  if (*(guint32 *) jg_tensor_get_mapped (fail) != 0)
    printf ("a grid barrier gave up (fail = %u): the persistent numbers are not valid\n",
            *(guint32 *) jg_tensor_get_mapped (fail));
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgVkContext) ctx = NULL;
  const JgVkDeviceInfo *info;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  gboolean cpu;
  gint64 H = 3584, I = 18944, V = 152064, heads = 28, kvh = 4, D = 128, n_ctx = 768, copy_bytes = 1 << 30;
  guint layers = 28;
  double copy_bw, best[6];
  static const guint rows[] = { 1, 2, 4 }, wgs[] = { 64, 128, 256 };

  setvbuf (stdout, NULL, _IOLBF, 0);
  ctx = jg_vk_context_new (NULL, &error);
  if (ctx == NULL)
    die (error);
  info = jg_vk_context_get_info (ctx);
  cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  if (cpu)
    {
      H = 224, I = 1184, V = 9504, heads = 7, kvh = 1, D = 32, n_ctx = 64, copy_bytes = 16 << 20;
      layers = 2;
    }
  copy_bytes = MIN (copy_bytes, (gint64) jg_vk_context_get_max_binding (ctx) / 16 * 16);
  printf ("bench-decode %s\ndevice: %s (%s), features 0x%x%s\n", stamp, info->name,
          jg_vk_device_type_name (info->type), jg_vk_context_get_features (ctx),
          cpu ? " (CPU device: shapes / 16, times mean nothing)" : "");

  {
    CopyData cd = { random_tensor (ctx, JG_DTYPE_F32, copy_bytes / 4 / 1024, 1024, 1, 1),
                    random_tensor (ctx, JG_DTYPE_F32, copy_bytes / 4 / 1024, 1024, 2, 1) };
    double s;
    s = time_op (ctx, run_copy, &cd, 5);
    copy_bw = 2.0 * (double) jg_tensor_get_nbytes (cd.src) / s;
    printf ("copy %.0f MiB: %.1f us, %.3f TB/s (read + write)\n\n", jg_tensor_get_nbytes (cd.src) / 1048576.0,
            s * 1e6, copy_bw * 1e-12);
    jg_tensor_free (cd.src);
    jg_tensor_free (cd.dst);
  }
  if (argc > 1 && strcmp (argv[1], "--copy") == 0)
    return 0;
  if (argc > 1 && strcmp (argv[1], "--persist") == 0)
    return bench_persist (ctx, H, I, heads, kvh, D, n_ctx, copy_bw);
  for (guint i = 0; i < G_N_ELEMENTS (best); i++)
    best[i] = 1e9;

  /* q|k|v with the norm, RoPE and the cache rows. */
  {
    Bench b = { 0 };
    gint64 m = (heads + 2 * kvh) * D;
    g_autofree float *inv = g_new (float, D / 2);
    guint32 step[4] = { 700, 700, 700, 700 };
    b.x = random_tensor (ctx, JG_DTYPE_F32, 1, H, 3, 1);
    b.norm = random_tensor (ctx, JG_DTYPE_F32, 1, H, 4, 1);
    b.bias = random_tensor (ctx, JG_DTYPE_F32, 1, m, 5, 1);
    b.y = random_tensor (ctx, JG_DTYPE_F32, 1, heads * D, 6, 1);
    b.k_cache = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvh * D, 7, 1);
    b.v_cache = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvh * D, 8, 1);
    b.step = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, &error);
    if (b.step == NULL)
      die (error);
    step[3] = (guint32) MIN (700, n_ctx - 1);
    memcpy (jg_tensor_get_mapped (b.step), step, sizeof step);
    jg_rope_inv_freq (1e6, (guint) D, inv);
    b.inv_freq = random_tensor (ctx, JG_DTYPE_F32, 1, D / 2, 9, 1);
    if (!jg_tensor_upload_f32 (b.inv_freq, inv, &error))
      die (error);
    b.qkv = (JgQkvShape) { (guint) heads, (guint) kvh, (guint) D, { (guint) D / 8, (guint) D * 3 / 16,
                           (guint) D * 3 / 16 }, 1e-6f };
    make_weights (ctx, &b, m, H);
    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      for (guint g = 0; g < G_N_ELEMENTS (wgs); g++)
        {
          char cfg[16], what[64];
          double s;
          b.tune = (JgDecodeTuning) { rows[r], wgs[g] };
          s = time_op (ctx, run_qkv, &b, 4 * b.n_w);
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[r], wgs[g]);
          g_snprintf (what, sizeof what, "norm+qkv+rope %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, m, H);
          report (what, cfg, s, (double) m * H * 2, copy_bw);
          best[0] = MIN (best[0], s);
        }
    free_bench (&b);
  }
  /* o (accumulating matvec, as decode runs it). */
  {
    Bench b = { 0 };
    b.x = random_tensor (ctx, JG_DTYPE_F32, 1, heads * D, 3, 1);
    b.y = random_tensor (ctx, JG_DTYPE_F32, 1, H, 6, 1);
    make_weights (ctx, &b, H, heads * D);
    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      for (guint g = 0; g < G_N_ELEMENTS (wgs); g++)
        {
          char cfg[16], what[64];
          double s;
          b.opts = (JgLinearOptions) { JG_LINEAR_MATVEC, rows[r], wgs[g] };
          s = time_op (ctx, run_linear, &b, 4 * b.n_w);
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[r], wgs[g]);
          g_snprintf (what, sizeof what, "o matvec %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, H, heads * D);
          report (what, cfg, s, (double) H * heads * D * 2, copy_bw);
          best[1] = MIN (best[1], s);
        }
    free_bench (&b);
  }
  /* gate|up with the norm and SwiGLU. */
  {
    Bench b = { 0 };
    b.x = random_tensor (ctx, JG_DTYPE_F32, 1, H, 3, 1);
    b.norm = random_tensor (ctx, JG_DTYPE_F32, 1, H, 4, 1);
    b.y = random_tensor (ctx, JG_DTYPE_F32, 1, I, 6, 1);
    make_weights (ctx, &b, 2 * I, H);
    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      for (guint g = 1; g < G_N_ELEMENTS (wgs); g++)
        {
          char cfg[16], what[64];
          double s;
          b.tune = (JgDecodeTuning) { rows[r], wgs[g] };
          s = time_op (ctx, run_swiglu, &b, 4 * b.n_w);
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[r], wgs[g]);
          g_snprintf (what, sizeof what, "norm+gate|up+swiglu %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, 2 * I, H);
          report (what, cfg, s, (double) 2 * I * H * 2, copy_bw);
          best[2] = MIN (best[2], s);
        }
    free_bench (&b);
  }
  /* down (accumulating matvec). */
  {
    Bench b = { 0 };
    b.x = random_tensor (ctx, JG_DTYPE_F32, 1, I, 3, 1);
    b.y = random_tensor (ctx, JG_DTYPE_F32, 1, H, 6, 1);
    make_weights (ctx, &b, H, I);
    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      for (guint g = 0; g < G_N_ELEMENTS (wgs); g++)
        {
          char cfg[16], what[64];
          double s;
          b.opts = (JgLinearOptions) { JG_LINEAR_MATVEC, rows[r], wgs[g] };
          s = time_op (ctx, run_linear, &b, 4 * b.n_w);
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[r], wgs[g]);
          g_snprintf (what, sizeof what, "down matvec %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, H, I);
          report (what, cfg, s, (double) H * I * 2, copy_bw);
          best[3] = MIN (best[3], s);
        }
    free_bench (&b);
  }
  /* Attention over 700 cached keys (f32 cache), 28 layers' caches in turn. */
  {
    AttBench a = { 0 };
    guint32 step[4] = { 0, 0, 0, (guint32) MIN (700, n_ctx - 1) };
    double s, bytes = 2.0 * (step[3] + 1) * kvh * D * 4;
    for (guint l = 0; l < 28; l++)
      {
        a.k[l] = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvh * D, 20 + l, 1);
        a.v[l] = random_tensor (ctx, JG_DTYPE_F32, n_ctx, kvh * D, 60 + l, 1);
      }
    a.q = random_tensor (ctx, JG_DTYPE_F32, 1, heads * D, 3, 1);
    a.o = random_tensor (ctx, JG_DTYPE_F32, 1, heads * D, 4, 1);
    a.scratch = random_tensor (ctx, JG_DTYPE_F32, 1, 64 * heads * (D + 2), 5, 1);
    a.step = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, &error);
    a.counts = jg_tensor_new_2d (ctx, JG_DTYPE_U32, heads, 1, JG_TENSOR_DEVICE, &error);
    if (a.step == NULL || a.counts == NULL)
      die (error);
    {
      g_autofree guint32 *z = g_new0 (guint32, heads);
      if (!jg_tensor_upload_u32 (a.counts, z, &error))
        die (error);
    }
    memcpy (jg_tensor_get_mapped (a.step), step, sizeof step);
    a.att = (JgAttentionShape) { .n_heads = (guint) heads, .n_kv_heads = (guint) kvh, .head_dim = (guint) D,
                                 .scale = 0.088f, .split_scratch = a.scratch };
    char what[64];
    s = time_op (ctx, run_attention, &a, 28);
    g_snprintf (what, sizeof what, "attention %u keys+combine", step[3] + 1);
    report (what, "split", s, bytes, copy_bw);
    best[4] = s;
    for (guint l = 0; l < 28; l++)
      {
        jg_tensor_free (a.k[l]);
        jg_tensor_free (a.v[l]);
      }
    jg_tensor_free (a.q);
    jg_tensor_free (a.o);
    jg_tensor_free (a.scratch);
    jg_tensor_free (a.step);
    jg_tensor_free (a.counts);
  }
  /* lm_head with the final norm. */
  {
    Bench b = { 0 };
    b.x = random_tensor (ctx, JG_DTYPE_F32, 1, H, 3, 1);
    b.norm = random_tensor (ctx, JG_DTYPE_F32, 1, H, 4, 1);
    b.y = random_tensor (ctx, JG_DTYPE_F32, 1, V, 6, 1);
    make_weights (ctx, &b, V, H);
    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      for (guint g = 1; g < G_N_ELEMENTS (wgs); g++)
        {
          char cfg[16];
          double s;
          b.tune = (JgDecodeTuning) { rows[r], wgs[g] };
          s = time_op (ctx, run_norm_linear, &b, 3);
          g_snprintf (cfg, sizeof cfg, "%u/%u", rows[r], wgs[g]);
          report ("norm+lm_head", cfg, s, (double) V * H * 2, copy_bw);
          best[5] = MIN (best[5], s);
        }
    free_bench (&b);
  }
  /* The greedy pick over the vocabulary: one workgroup, or many. */
  {
    ArgmaxData a = { random_tensor (ctx, JG_DTYPE_F32, 1, V, 11, 1), NULL, NULL };
    g_autofree guint32 *z = g_new0 (guint32, JG_ARGMAX_WIDE_SCRATCH);
    double s1, s2;
    a.out = jg_tensor_new_2d (ctx, JG_DTYPE_U32, 1, 1, JG_TENSOR_DEVICE, &error);
    a.scratch = jg_tensor_new_2d (ctx, JG_DTYPE_U32, JG_ARGMAX_WIDE_SCRATCH, 1, JG_TENSOR_DEVICE, &error);
    if (a.out == NULL || a.scratch == NULL || !jg_tensor_upload_u32 (a.scratch, z, &error))
      die (error);
    s1 = time_op (ctx, run_argmax, &a, 20);
    s2 = time_op (ctx, run_argmax_wide, &a, 20);
    printf ("argmax over %" G_GINT64_FORMAT ": one workgroup %.1f us, argmax_wide %.1f us\n", V, s1 * 1e6,
            s2 * 1e6);
    best[5] += s2;
    jg_tensor_free (a.x);
    jg_tensor_free (a.out);
    jg_tensor_free (a.scratch);
  }
  {
    double layer = best[0] + best[1] + best[2] + best[3] + best[4];
    double total = layers * layer + best[5];
    double bytes = layers * ((double) (heads + 2 * kvh) * D * H + H * heads * D + 3.0 * I * H) * 2
                   + (double) V * H * 2;
    printf ("\nbest kernels of a %u-layer step: layer %.1f us (qkv %.1f, attention %.1f, o %.1f, gate|up %.1f, "
            "down %.1f), lm_head + argmax %.1f us\n", layers, layer * 1e6, best[0] * 1e6, best[4] * 1e6, best[1] * 1e6,
            best[2] * 1e6, best[3] * 1e6, best[5] * 1e6);
    printf ("sum %.3f ms for %.2f GB of weights; floor at the copy bandwidth %.3f ms (%.1f%% of it)\n",
            total * 1e3, bytes * 1e-9, bytes / copy_bw * 1e3, 100.0 * bytes / copy_bw / total);
  }
  return 0;
}
