/* bench-linear: the decode-critical kernels against the memory-bandwidth
 * limit measured in the same run.
 *   copy       a vec4 copy kernel over two large buffers (read + write bytes)
 *   matvec     f16 weights m = 4096, k = 14336 times one f32 vector
 *   n = 8      the same weights times 8 vectors (matvec path, tiled, coopmat)
 *   n = 512    the same weights times 512 vectors (tiled, coopmat)
 * GPU time from timestamp queries, the median of several repetitions, each
 * of several back-to-back dispatches. On a CPU device (lavapipe) the sizes
 * shrink so that the run stays short, unless --full is given. */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-vk-ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 7

typedef gboolean (*RunFn) (JgVkContext *ctx, gpointer data, GError **error);

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

  /* Warm-up: builds the pipeline, faults the memory in. */
  jg_vk_begin (ctx);
  if (!fn (ctx, data, &error) || !jg_vk_submit (ctx, &error))
    {
      fprintf (stderr, "bench-linear: %s\n", error->message);
      exit (1);
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

static JgTensor *
random_tensor (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols)
{
  g_autoptr(GError) error = NULL;
  JgTensor *t = jg_tensor_new_2d (ctx, dtype, rows, cols, JG_TENSOR_DEVICE, &error);
  g_autofree float *v = NULL;
  guint32 state = (guint32) (rows * 7919 + cols) | 1;

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
  return t;
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
  gboolean full = argc > 1 && strcmp (argv[1], "--full") == 0;
  gboolean cpu;
  gint64 m = 4096, k = 14336, copy_bytes = 1 << 30, n_big = 512;
  double copy_s, copy_bw, best_mv = 1e9;
  guint features;
  CopyData cd;
  g_autoptr(JgTensor) w = NULL;
  g_autoptr(JgTensor) x1 = NULL, x8 = NULL, xb = NULL, y1 = NULL, y8 = NULL, yb = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);

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
    for (guint a = 0; a < G_N_ELEMENTS (ns); a++)
      for (guint b = 0; b < G_N_ELEMENTS (paths); b++)
        {
          LinearData ld = { ns[a] == 8 ? y8 : yb, ns[a] == 8 ? x8 : xb, w, { paths[b], 0, 0 } };
          double s, bytes;
          if (paths[b] == JG_LINEAR_COOPMAT && !(features & JG_VK_FEATURE_COOPMAT))
            continue;
          s = time_op (ctx, run_linear, &ld, ns[a] == 8 ? 10 : 3);
          bytes = (double) m * k * 2 + (double) ns[a] * (k + m) * 4;
          printf ("%-8" G_GINT64_FORMAT " %-8s %-10s %10.1f %10.3f %10.2f %8.1f%%\n", ns[a],
                  path_name (paths[b]), paths[b] == JG_LINEAR_TILED ? "64x64" : "128x128", s * 1e6,
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
  return 0;
}
