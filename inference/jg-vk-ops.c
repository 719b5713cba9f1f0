#include "inference/jg-vk-ops.h"
#include "inference/jg-vk-private.h"
#include "core/jg-error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_GROUPS 65535u
#define MATVEC_MAX_COLS 8
#define SPLIT_CHUNK 128
/* Split-k: slices until about this many workgroups (about three waves of
 * one workgroup per SM on an H100's 132: 3 slices of the 168 tiles of o
 * and down measured best), at most SPLITK_MAX, each slice a multiple of 64
 * values of k. */
#define SPLITK_TARGET 400
#define SPLITK_MAX 4

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError **error, const char *op, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s", op, msg);
  return FALSE;
}

static gboolean
check_f32 (const char *op, const char *what, JgTensor *t, GError **error)
{
  if (t->dtype != JG_DTYPE_F32)
    return fail (error, op, "%s must be f32", what);
  if (!jg_tensor_is_contiguous (t))
    return fail (error, op, "%s must be contiguous", what);
  return TRUE;
}

static gint64
last_dim (JgTensor *t)
{
  return t->shape[t->ndim - 1];
}

/* Workgroup counts for n groups, folded into 2-D past the 65535 limit. */
static void
groups_for (guint64 n, guint32 g[3])
{
  if (n <= MAX_GROUPS)
    {
      g[0] = (guint32) n;
      g[1] = 1;
    }
  else
    {
      g[0] = MAX_GROUPS;
      g[1] = (guint32) ((n + MAX_GROUPS - 1) / MAX_GROUPS);
    }
  g[2] = 1;
}

static gboolean
use_subgroup (JgVkContext *ctx)
{
  return (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_SUBGROUP) != 0;
}

/* The variant name for weights of w's dtype: _f32, _f16 (words unpacked)
 * or _f16s (16-bit storage), then _sg for subgroup reductions. */
static const char *
variant_ex (JgVkContext *ctx, const char *base, JgTensor *w, gboolean sg, gboolean f16s, char *buf,
            gsize len)
{
  const char *wt = "";

  if (w != NULL)
    wt = w->dtype == JG_DTYPE_F32 ? "_f32"
         : f16s && (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_FP16) ? "_f16s" : "_f16";
  g_snprintf (buf, len, "%s%s%s", base, wt, sg && use_subgroup (ctx) ? "_sg" : "");
  return buf;
}

static const char *
variant (JgVkContext *ctx, const char *base, JgTensor *w, gboolean sg, char *buf, gsize len)
{
  return variant_ex (ctx, base, w, sg, TRUE, buf, len);
}

/* Tokens x features per workgroup, threads, shared-memory stages; the
 * shader variants are matmul_cm_NAME[_x16] (shaders/meson.build). */
static const JgCoopmatTile coopmat_tiles[] = {
  { "64x128_1x4", 64, 128, 128, 2 },
  { "128x128_2x4", 128, 128, 256, 2 },
  { "128x256_2x4_s1", 128, 256, 256, 1 },
  { "128x128_2x4_k64_s1", 128, 128, 256, 1 },
  { "64x128_1x4_k64_s1", 64, 128, 128, 1 },
};

/* matmul_cm_TILE[_x16][_EPILOGUE][_VARIANT] */
static void
coopmat_shader (char *name, gsize len, const JgCoopmatTile *ti, gboolean x16, const char *epilogue,
                const JgLinearOptions *options)
{
  const char *v = options != NULL ? options->bench_variant : NULL;
  g_snprintf (name, len, "matmul_cm_%s%s%s%s%s", ti->name, x16 ? "_x16" : "", epilogue, v ? "_" : "", v ? v : "");
}

const JgCoopmatTile *
jg_linear_coopmat_tiles (guint *n_tiles)
{
  *n_tiles = G_N_ELEMENTS (coopmat_tiles);
  return coopmat_tiles;
}

guint
jg_linear_coopmat_pick (JgVkContext *ctx, gint64 n, gint64 m)
{
  /* Measured at n = 700 on an H100 (docs/PERFORMANCE.md): 64 x 128 tiles
   * with 64-deep k steps for narrow outputs (k/v, m = 512); 128 x 256 ones
   * (one shared stage) for m = 3584, even though they make only 84
   * workgroups; 128 x 128 with 64-deep k steps for the wide FFN (m = 18944).
   * Short prompts keep the small tiles, so that they still spread. */
  (void) ctx;
  if (n <= 64)
    return 1;
  if (m < 1024)
    return 5;
  return m >= 8192 ? 4 : 3;
}

gboolean
jg_op_linear (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *w, JgTensor *bias,
              gboolean accumulate, GError **error)
{
  return jg_op_linear_ex (ctx, y, x, w, bias, accumulate, NULL, error);
}

gboolean
jg_op_linear_ex (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *w, JgTensor *bias,
                 gboolean accumulate, const JgLinearOptions *options, GError **error)
{
  static const JgLinearOptions defaults = { .path = JG_LINEAR_AUTO };
  const char *op = "linear";
  gint64 k, m, n;
  char name[64];
  JgLinearPath path;
  gboolean x16;
  struct { guint32 m, n, k, has_bias, accumulate, ks, m1, m2, plain_order; } pc;
  JgTensor *bind[4];

  if (options == NULL)
    options = &defaults;
  if (w->ndim != 2 || !jg_tensor_is_contiguous (w) || w->dtype == JG_DTYPE_U32)
    return fail (error, op, "weights must be a contiguous f32 or f16 matrix");
  m = w->shape[0];
  k = w->shape[1];
  x16 = x->dtype == JG_DTYPE_F16;
  if ((x16 ? !jg_tensor_is_contiguous (x) && !fail (error, op, "x must be contiguous")
           : !check_f32 (op, "x", x, error))
      || !check_f32 (op, "y", y, error))
    return FALSE;
  if (k % 8 != 0)
    return fail (error, op, "k = %" G_GINT64_FORMAT " is not a multiple of 8", k);
  if (last_dim (x) != k || jg_tensor_get_n_elements (x) % k != 0)
    return fail (error, op, "x rows have %" G_GINT64_FORMAT " values, weights %" G_GINT64_FORMAT,
                 last_dim (x), k);
  n = jg_tensor_get_n_elements (x) / k;
  if (last_dim (y) != m || jg_tensor_get_n_elements (y) != n * m)
    return fail (error, op, "y must be %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT, n, m);
  if (bias != NULL && (!check_f32 (op, "bias", bias, error) || jg_tensor_get_n_elements (bias) != m))
    return fail (error, op, "bias must have %" G_GINT64_FORMAT " values", m);

  path = options->path;
  if (x16 && path == JG_LINEAR_AUTO)
    path = JG_LINEAR_COOPMAT;
  if (x16 && path != JG_LINEAR_COOPMAT)
    return fail (error, op, "f16 activations need the cooperative-matrix path");
  if (path == JG_LINEAR_AUTO)
    {
      if (n <= MATVEC_MAX_COLS)
        path = JG_LINEAR_MATVEC;
      else if ((jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT) && w->dtype == JG_DTYPE_F16)
        path = JG_LINEAR_COOPMAT;
      else
        path = JG_LINEAR_TILED;
    }
  pc.m = (guint32) m;
  pc.n = (guint32) n;
  pc.k = (guint32) k;
  pc.has_bias = bias != NULL;
  pc.accumulate = accumulate;
  pc.ks = (guint32) k;
  pc.m1 = pc.m2 = 0;
  pc.plain_order = options->plain_order;
  bind[0] = w;
  bind[1] = x;
  bind[2] = y;
  bind[3] = bias != NULL ? bias : x;

  if (path == JG_LINEAR_MATVEC)
    {
      struct { guint32 m, k, has_bias, accumulate; } mv = { pc.m, pc.k, pc.has_bias, pc.accumulate };
      guint32 spec[3];
      /* Measured on an H100 (docs/PERFORMANCE.md): one row per workgroup of
       * 128 for one vector, two rows for several. */
      guint rows = options->matvec_rows ? options->matvec_rows : (n > 1 ? 2 : 1);
      JgVkDispatch d = {
        .shader = variant_ex (ctx, "matvec", w, TRUE, FALSE, name, sizeof name),
        .spec = spec, .n_spec = 3, .bind = bind, .n_bind = 4, .write_mask = 1u << 2,
        .push = &mv, .push_size = sizeof mv,
      };
      if (n > MATVEC_MAX_COLS)
        return fail (error, op, "the matrix-vector path takes at most %d rows of x", MATVEC_MAX_COLS);
      spec[0] = options->matvec_wg ? options->matvec_wg : 128;
      spec[1] = rows;
      spec[2] = (guint32) n;
      /* Partial sums of every row and column, plus the reduction scratch. */
      if ((guint64) (rows * n + 2) * spec[0] * 4 > jg_vk_context_get_info (ctx)->max_shared_memory)
        return fail (error, op, "%u rows x %" G_GINT64_FORMAT " columns x %u threads need more shared "
                     "memory than the device has", rows, n, spec[0]);
      groups_for ((guint64) ((m + rows - 1) / rows), d.groups);
      return jg_vk_dispatch (ctx, &d, error);
    }
  if (path == JG_LINEAR_COOPMAT)
    {
      guint tile = options->coopmat_tile ? options->coopmat_tile : jg_linear_coopmat_pick (ctx, n, m);
      /* Split over k (a scratch given): measured at n = 700 on an H100
       * (docs/PERFORMANCE.md), 128 x 128 tiles with 64-deep steps in three
       * slices beat the 128 x 256 ones for o and down. */
      if (options->coopmat_tile == 0 && options->scratch != NULL && options->split_k != 1 && tile == 3)
        tile = 4;
      const JgCoopmatTile *ti;
      JgVkDispatch d = {
        .shader = name, .bind = bind, .n_bind = 4,
        .write_mask = 1u << 2, .push = &pc, .push_size = sizeof pc,
      };
      if (tile < 1 || tile > G_N_ELEMENTS (coopmat_tiles))
        return fail (error, op, "no cooperative-matrix tile %u", tile);
      ti = &coopmat_tiles[tile - 1];
      coopmat_shader (name, sizeof name, ti, x16, "", options);
      d.groups[0] = (guint32) ((m + ti->bm - 1) / ti->bm);
      d.groups[1] = (guint32) ((n + ti->bn - 1) / ti->bn);
      d.groups[2] = 1;
      if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                       "linear: cooperative matrices are not available on this device (or disabled)");
          return FALSE;
        }
      if (w->dtype != JG_DTYPE_F16)
        return fail (error, op, "the cooperative-matrix path needs f16 weights");
      if (d.groups[0] > MAX_GROUPS || d.groups[1] > MAX_GROUPS)
        return fail (error, op, "too large for one dispatch");
      if (options->scratch != NULL && options->split_k != 1 && m % 4 == 0)
        {
          guint64 tiles = (guint64) d.groups[0] * d.groups[1];
          guint64 want = options->split_k ? options->split_k
                         : MIN (SPLITK_MAX, (SPLITK_TARGET + tiles - 1) / tiles);
          if (!check_f32 (op, "scratch", options->scratch, error))
            return FALSE;
          want = MIN (want, (guint64) jg_tensor_get_n_elements (options->scratch) / ((guint64) n * m));
          want = MIN (want, (guint64) k / 64);
          if (want >= 2)
            {
              guint32 ks = (guint32) (((k + want - 1) / want + 63) / 64 * 64);
              guint32 split = (guint32) ((k + ks - 1) / ks);
              struct { guint32 count4, n_split, accumulate; } rc = {
                (guint32) (n * m / 4), split, accumulate,
              };
              JgTensor *rbind[2] = { options->scratch, y };
              JgVkDispatch r = {
                .shader = "splitk_reduce", .bind = rbind, .n_bind = 2, .write_mask = 1u << 1,
                .push = &rc, .push_size = sizeof rc,
              };
              pc.ks = ks;
              pc.accumulate = FALSE;
              bind[2] = options->scratch;
              d.groups[2] = split;
              groups_for (((guint64) rc.count4 + 255) / 256, r.groups);
              return jg_vk_dispatch (ctx, &d, error) && jg_vk_dispatch (ctx, &r, error);
            }
        }
      return jg_vk_dispatch (ctx, &d, error);
    }
  {
    JgVkDispatch d = {
      .shader = variant (ctx, "matmul", w, FALSE, name, sizeof name),
      .bind = bind, .n_bind = 4, .write_mask = 1u << 2, .push = &pc, .push_size = sizeof pc,
      .groups = { (guint32) ((m + 63) / 64), (guint32) ((n + 63) / 64), 1 },
    };
    if ((m + 63) / 64 > MAX_GROUPS || (n + 63) / 64 > MAX_GROUPS)
      return fail (error, op, "too large for one dispatch");
    return jg_vk_dispatch (ctx, &d, error);
  }
}

/* The checks and the tile shared by the fused prefill matmuls. */
static gboolean
coopmat_fused_check (JgVkContext *ctx, const char *op, JgTensor *x, JgTensor *w, const JgLinearOptions *options,
                     gint64 n_cols, gint64 *n, const JgCoopmatTile **tile, GError **error)
{
  guint t;

  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: cooperative matrices are not available on this device (or disabled)", op);
      return FALSE;
    }
  if (w->ndim != 2 || !jg_tensor_is_contiguous (w) || w->dtype != JG_DTYPE_F16)
    return fail (error, op, "weights must be a contiguous f16 matrix");
  if (x->dtype != JG_DTYPE_F16 || !jg_tensor_is_contiguous (x))
    return fail (error, op, "x must be contiguous f16");
  if (w->shape[1] % 8 != 0 || last_dim (x) != w->shape[1])
    return fail (error, op, "x rows have %" G_GINT64_FORMAT " values, weights %" G_GINT64_FORMAT
                 " (a multiple of 8)", last_dim (x), w->shape[1]);
  *n = jg_tensor_get_n_elements (x) / w->shape[1];
  t = options != NULL && options->coopmat_tile ? options->coopmat_tile : jg_linear_coopmat_pick (ctx, *n, n_cols);
  if (t < 1 || t > G_N_ELEMENTS (coopmat_tiles))
    return fail (error, op, "no cooperative-matrix tile %u", t);
  *tile = &coopmat_tiles[t - 1];
  return TRUE;
}

gboolean
jg_op_linear_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *w, const JgLinearOptions *options,
                     GError **error)
{
  const char *op = "linear_swiglu";
  const JgCoopmatTile *ti;
  gint64 n, I;
  char name[64];
  struct { guint32 m, n, k, has_bias, accumulate, ks, m1, m2, plain_order; } pc;
  JgTensor *bind[4] = { w, x, out, x };
  JgVkDispatch d = {
    .shader = name, .bind = bind, .n_bind = 4, .write_mask = 1u << 2, .push = &pc, .push_size = sizeof pc,
  };

  if (w->ndim != 2 || w->shape[0] % 2 != 0)
    return fail (error, op, "weights must be [gate; up], an even number of rows");
  I = w->shape[0] / 2;
  if (!coopmat_fused_check (ctx, op, x, w, options, 2 * I, &n, &ti, error))
    return FALSE;
  if (out->dtype != JG_DTYPE_F16 || !jg_tensor_is_contiguous (out) || last_dim (out) != I
      || jg_tensor_get_n_elements (out) != n * I)
    return fail (error, op, "out must be contiguous f16 %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT, n, I);
  pc = (typeof (pc)) { (guint32) (2 * I), (guint32) n, (guint32) w->shape[1], 0, 0, (guint32) w->shape[1], 0, 0,
                       options != NULL && options->plain_order };
  coopmat_shader (name, sizeof name, ti, TRUE, "_swiglu", options);
  d.groups[0] = (guint32) ((I + ti->bm / 2 - 1) / (ti->bm / 2));
  d.groups[1] = (guint32) ((n + ti->bn - 1) / ti->bn);
  d.groups[2] = 1;
  if (d.groups[0] > MAX_GROUPS || d.groups[1] > MAX_GROUPS)
    return fail (error, op, "too large for one dispatch");
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_linear_qkv (JgVkContext *ctx, JgTensor *q, JgTensor *k, JgTensor *v, JgTensor *x, JgTensor *w,
                  JgTensor *bias, const JgLinearOptions *options, GError **error)
{
  const char *op = "linear_qkv";
  const JgCoopmatTile *ti;
  gint64 n, m, mq, mk, mv;
  char name[64];
  struct { guint32 m, n, k, has_bias, accumulate, ks, m1, m2, plain_order; } pc;
  JgTensor *bind[6] = { w, x, q, bias != NULL ? bias : x, k, v };
  JgVkDispatch d = {
    .shader = name, .bind = bind, .n_bind = 6, .write_mask = (1u << 2) | (1u << 4) | (1u << 5),
    .push = &pc, .push_size = sizeof pc,
  };

  if (w->ndim != 2)
    return fail (error, op, "weights must be a matrix");
  m = w->shape[0];
  mq = last_dim (q);
  mk = last_dim (k);
  mv = last_dim (v);
  if (!coopmat_fused_check (ctx, op, x, w, options, m, &n, &ti, error)
      || !check_f32 (op, "q", q, error) || !check_f32 (op, "k", k, error) || !check_f32 (op, "v", v, error))
    return FALSE;
  if (mq + mk + mv != m || mq % 16 != 0 || (mq + mk) % 16 != 0)
    return fail (error, op, "q, k, v widths %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                 " must add up to the %" G_GINT64_FORMAT " weight rows (the first two multiples of 16)",
                 mq, mk, mv, m);
  if (jg_tensor_get_n_elements (q) != n * mq || jg_tensor_get_n_elements (k) != n * mk
      || jg_tensor_get_n_elements (v) != n * mv)
    return fail (error, op, "q, k and v must have %" G_GINT64_FORMAT " rows", n);
  if (bias != NULL && (!check_f32 (op, "bias", bias, error) || jg_tensor_get_n_elements (bias) != m))
    return fail (error, op, "bias must have %" G_GINT64_FORMAT " values", m);
  pc = (typeof (pc)) { (guint32) m, (guint32) n, (guint32) w->shape[1], bias != NULL, 0, (guint32) w->shape[1],
                       (guint32) mq, (guint32) (mq + mk), options != NULL && options->plain_order };
  coopmat_shader (name, sizeof name, ti, TRUE, "_qkv", options);
  d.groups[0] = (guint32) ((m + ti->bm - 1) / ti->bm);
  d.groups[1] = (guint32) ((n + ti->bn - 1) / ti->bn);
  d.groups[2] = 1;
  if (d.groups[0] > MAX_GROUPS || d.groups[1] > MAX_GROUPS)
    return fail (error, op, "too large for one dispatch");
  return jg_vk_dispatch (ctx, &d, error);
}

/* An output that may be f16 (for a cooperative-matrix matmul to read) where
 * the device has 16-bit storage; *f16 says which. */
static gboolean
check_out (JgVkContext *ctx, const char *op, const char *what, JgTensor *t, gboolean *f16, GError **error)
{
  *f16 = t->dtype == JG_DTYPE_F16;
  if (!*f16)
    return check_f32 (op, what, t, error);
  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_FP16))
    return fail (error, op, "%s is f16 but 16-bit storage is off on this device", what);
  if (!jg_tensor_is_contiguous (t))
    return fail (error, op, "%s must be contiguous", what);
  return TRUE;
}

static gboolean
norm (JgVkContext *ctx, const char *op, const char *base, JgTensor *y, JgTensor *x, JgTensor *weight,
      JgTensor *bias, float eps, GError **error)
{
  struct { guint32 rows, n; float eps; guint32 has_weight, has_bias; } pc;
  guint32 spec[1] = { 256 };
  char name[32];
  JgTensor *bind[4] = { x, y, weight ? weight : x, bias ? bias : x };
  gint64 n;
  gboolean y16;
  JgVkDispatch d = {
    .shader = name, .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 4, .write_mask = 1u << 1,
    .push = &pc, .push_size = sizeof pc,
  };

  if (!check_f32 (op, "x", x, error) || !check_out (ctx, op, "y", y, &y16, error))
    return FALSE;
  if (y16 && bias != NULL)
    return fail (error, op, "f16 output only for RMSNorm");
  g_snprintf (name, sizeof name, "%s%s%s", base, y16 ? "_y16" : "", use_subgroup (ctx) ? "_sg" : "");
  n = last_dim (x);
  if (jg_tensor_get_n_elements (y) != jg_tensor_get_n_elements (x) || last_dim (y) != n)
    return fail (error, op, "x and y differ in shape");
  if (weight != NULL && (!check_f32 (op, "weight", weight, error) || jg_tensor_get_n_elements (weight) != n))
    return fail (error, op, "weight must have %" G_GINT64_FORMAT " values", n);
  if (bias != NULL && (!check_f32 (op, "bias", bias, error) || jg_tensor_get_n_elements (bias) != n))
    return fail (error, op, "bias must have %" G_GINT64_FORMAT " values", n);
  pc.rows = (guint32) (jg_tensor_get_n_elements (x) / n);
  pc.n = (guint32) n;
  pc.eps = eps;
  pc.has_weight = weight != NULL;
  pc.has_bias = bias != NULL;
  groups_for (pc.rows, d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_rmsnorm (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *weight, float eps, GError **error)
{
  return norm (ctx, "rmsnorm", "rmsnorm", y, x, weight, NULL, eps, error);
}

gboolean
jg_op_layernorm (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *weight, JgTensor *bias,
                 float eps, GError **error)
{
  return norm (ctx, "layernorm", "layernorm", y, x, weight, bias, eps, error);
}

void
jg_rope_inv_freq (double theta, guint head_dim, float *out)
{
  /* As transformers computes it: in f32, 1 / theta^(2i / d). */
  for (guint i = 0; i < head_dim / 2; i++)
    out[i] = 1.0f / powf ((float) theta, (float) (2 * i) / (float) head_dim);
}

gboolean
jg_op_rope (JgVkContext *ctx, JgTensor *x, guint n_heads, guint head_dim, JgTensor *pos,
            JgTensor *inv_freq, const guint sections[3], GError **error)
{
  const char *op = "rope";
  struct { guint32 n_tok, n_heads, head_dim, row_stride, pos_stride, s0, s1; } pc;
  JgTensor *bind[3] = { x, pos, inv_freq };
  gint64 n_tok;
  JgVkDispatch d = {
    .shader = "rope", .bind = bind, .n_bind = 3, .write_mask = 1u << 0,
    .push = &pc, .push_size = sizeof pc,
  };

  if (!check_f32 (op, "x", x, error) || !check_f32 (op, "inv_freq", inv_freq, error))
    return FALSE;
  if (head_dim % 2 != 0 || n_heads == 0)
    return fail (error, op, "head_dim %u must be even", head_dim);
  if (jg_tensor_get_n_elements (x) % ((gint64) n_heads * head_dim) != 0)
    return fail (error, op, "x does not hold rows of %u heads x %u", n_heads, head_dim);
  if (sections[0] + sections[1] + sections[2] != head_dim / 2)
    return fail (error, op, "sections %u + %u + %u != head_dim / 2 = %u",
                 sections[0], sections[1], sections[2], head_dim / 2);
  n_tok = jg_tensor_get_n_elements (x) / ((gint64) n_heads * head_dim);
  if (pos->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (pos) != 3 * n_tok)
    return fail (error, op, "pos must be u32 [3][%" G_GINT64_FORMAT "]", n_tok);
  if (jg_tensor_get_n_elements (inv_freq) != head_dim / 2)
    return fail (error, op, "inv_freq must have %u values", head_dim / 2);
  pc.n_tok = (guint32) n_tok;
  pc.n_heads = n_heads;
  pc.head_dim = head_dim;
  pc.row_stride = n_heads * head_dim;
  pc.pos_stride = (guint32) n_tok;
  pc.s0 = sections[0];
  pc.s1 = sections[1];
  groups_for (((guint64) n_tok * n_heads * (head_dim / 2) + 255) / 256, d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_attention (JgVkContext *ctx, JgTensor *o, JgTensor *q, JgTensor *k, JgTensor *v,
                 const JgAttentionShape *s, GError **error)
{
  const char *op = "attention";
  struct {
    guint32 n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim, q_stride, kv_stride, o_stride, causal;
    float scale;
    guint32 chunk, n_split;
  } pc;
  guint32 spec[1] = { 64 };
  char name[32];
  JgTensor *bind[4] = { q, k, v, o };
  guint kv_stride;
  JgVkDispatch d = {
    .shader = variant (ctx, "attention", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 4, .write_mask = 1u << 3,
    .push = &pc, .push_size = sizeof pc,
    .groups = { s->n_q, s->n_heads, 1 },
  };

  gboolean o16 = o->dtype == JG_DTYPE_F16;
  gboolean cm_path = !s->scalar && s->n_q > 8 && (s->head_dim == 64 || s->head_dim == 128)
                     && (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT);

  if (!check_f32 (op, "q", q, error) || !check_f32 (op, "k", k, error)
      || !check_f32 (op, "v", v, error))
    return FALSE;
  if (o16 ? !jg_tensor_is_contiguous (o) || !cm_path : !check_f32 (op, "o", o, error))
    return o16 ? fail (error, op, "o may be f16 (contiguous) only on the tensor-core path") : FALSE;
  if (s->n_kv_heads == 0 || s->n_heads % s->n_kv_heads != 0)
    return fail (error, op, "%u heads cannot share %u KV heads", s->n_heads, s->n_kv_heads);
  if (s->head_dim % 4 != 0 || s->head_dim > 256)
    return fail (error, op, "head_dim %u must be a multiple of 4 up to 256", s->head_dim);
  if (s->n_kv == 0 || s->n_q == 0 || s->n_q > MAX_GROUPS)
    return fail (error, op, "needs 1..%u queries and at least one key", MAX_GROUPS);
  kv_stride = s->n_kv_heads * s->head_dim;
  if (jg_tensor_get_n_elements (q) < (gint64) s->n_q * s->n_heads * s->head_dim
      || jg_tensor_get_n_elements (o) < (gint64) s->n_q * s->n_heads * s->head_dim)
    return fail (error, op, "q and o must hold %u x %u x %u", s->n_q, s->n_heads, s->head_dim);
  if (jg_tensor_get_n_elements (k) < (gint64) s->n_kv * kv_stride
      || jg_tensor_get_n_elements (v) < (gint64) s->n_kv * kv_stride)
    return fail (error, op, "k and v must hold %u rows of %u", s->n_kv, kv_stride);
  pc.n_q = s->n_q;
  pc.n_kv = s->n_kv;
  pc.q_pos0 = s->q_pos0;
  pc.n_heads = s->n_heads;
  pc.n_kv_heads = s->n_kv_heads;
  pc.head_dim = s->head_dim;
  pc.q_stride = s->n_heads * s->head_dim;
  pc.kv_stride = kv_stride;
  pc.o_stride = s->n_heads * s->head_dim;
  pc.causal = s->causal;
  pc.scale = s->scale;
  pc.chunk = s->n_kv;
  pc.n_split = 1;
  if (cm_path)
    {
      /* Prefill: blocks of 64 queries per workgroup on tensor cores. */
      gboolean two = s->cm_two_pass || !(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_ATTN_ONE_PASS);
      d.shader = s->head_dim == 128 ? (o16 ? (two ? "attention_cm_2pass_o16" : "attention_cm_o16")
                                           : (two ? "attention_cm_2pass" : "attention_cm"))
                 : (o16 ? (two ? "attention_cm_2pass_d64_o16" : "attention_cm_d64_o16")
                        : (two ? "attention_cm_2pass_d64" : "attention_cm_d64"));
      d.n_spec = 0;
      d.groups[0] = (s->n_q + 63) / 64;
      return jg_vk_dispatch (ctx, &d, error);
    }
  if (s->split_scratch != NULL && s->n_kv > SPLIT_CHUNK)
    {
      /* Chunks of SPLIT_CHUNK keys (more when the scratch is short), one
       * workgroup each, so that a single query still fills the GPU. */
      gint64 per_split = (gint64) s->n_q * s->n_heads * (s->head_dim + 2);
      guint max_split = (guint) MIN (64, jg_tensor_get_n_elements (s->split_scratch) / per_split);
      if (!check_f32 (op, "split_scratch", s->split_scratch, error))
        return FALSE;
      if (max_split >= 2)
        {
          guint n_split = MIN (max_split, (s->n_kv + SPLIT_CHUNK - 1) / SPLIT_CHUNK);
          pc.chunk = (s->n_kv + n_split - 1) / n_split;
          pc.chunk = (pc.chunk + 63) / 64 * 64;
          pc.n_split = (s->n_kv + pc.chunk - 1) / pc.chunk;
        }
    }
  if (pc.n_split > 1)
    {
      struct { guint32 n_heads, head_dim, n_split, o_stride; } cc = {
        s->n_heads, s->head_dim, pc.n_split, pc.o_stride,
      };
      JgTensor *cbind[2] = { s->split_scratch, o };
      JgVkDispatch combine = {
        .shader = "attention_combine", .bind = cbind, .n_bind = 2, .write_mask = 1u << 1,
        .push = &cc, .push_size = sizeof cc, .groups = { s->n_q, s->n_heads, 1 },
      };
      bind[3] = s->split_scratch;
      d.shader = variant (ctx, "attention_split", NULL, TRUE, name, sizeof name);
      d.groups[2] = pc.n_split;
      return jg_vk_dispatch (ctx, &d, error) && jg_vk_dispatch (ctx, &combine, error);
    }
  return jg_vk_dispatch (ctx, &d, error);
}

static gboolean
eltwise (JgVkContext *ctx, const char *shader, JgTensor *out, JgTensor *a, JgTensor *b, GError **error)
{
  struct { guint32 n, nb; } pc;
  JgTensor *bind[3] = { a, b ? b : a, out };
  gint64 n = jg_tensor_get_n_elements (a);
  JgVkDispatch d = {
    .shader = shader, .bind = bind, .n_bind = 3, .write_mask = 1u << 2,
    .push = &pc, .push_size = sizeof pc,
  };

  gboolean o16;
  char name[32];

  if (!check_f32 (shader, "a", a, error) || !check_out (ctx, shader, "out", out, &o16, error))
    return FALSE;
  if (o16 && strcmp (shader, "swiglu") != 0)
    return fail (error, shader, "f16 output only for SwiGLU");
  g_snprintf (name, sizeof name, "%s%s", shader, o16 ? "_o16" : "");
  d.shader = name;
  if (jg_tensor_get_n_elements (out) != n)
    return fail (error, shader, "out has %" G_GINT64_FORMAT " values, a %" G_GINT64_FORMAT,
                 jg_tensor_get_n_elements (out), n);
  pc.n = (guint32) n;
  pc.nb = (guint32) n;
  if (b != NULL)
    {
      if (!check_f32 (shader, "b", b, error))
        return FALSE;
      pc.nb = (guint32) jg_tensor_get_n_elements (b);
      if (n % pc.nb != 0)
        return fail (error, shader, "b's %u values do not tile a's %" G_GINT64_FORMAT, pc.nb, n);
    }
  d.groups[0] = (guint32) MIN ((n + 255) / 256, MAX_GROUPS);
  d.groups[1] = d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_add (JgVkContext *ctx, JgTensor *out, JgTensor *a, JgTensor *b, GError **error)
{
  return eltwise (ctx, "add", out, a, b, error);
}

gboolean
jg_op_mul (JgVkContext *ctx, JgTensor *out, JgTensor *a, JgTensor *b, GError **error)
{
  return eltwise (ctx, "mul", out, a, b, error);
}

gboolean
jg_op_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *gate, JgTensor *up, GError **error)
{
  if (jg_tensor_get_n_elements (up) != jg_tensor_get_n_elements (gate))
    return fail (error, "swiglu", "gate and up differ in size");
  return eltwise (ctx, "swiglu", out, gate, up, error);
}

gboolean
jg_op_gelu (JgVkContext *ctx, JgTensor *out, JgTensor *a, GError **error)
{
  return eltwise (ctx, "gelu", out, a, NULL, error);
}

gboolean
jg_op_silu (JgVkContext *ctx, JgTensor *out, JgTensor *a, GError **error)
{
  return eltwise (ctx, "silu", out, a, NULL, error);
}

gboolean
jg_op_embed (JgVkContext *ctx, JgTensor *out, JgTensor *table, JgTensor *ids, GError **error)
{
  const char *op = "embed";
  struct { guint32 n_ids, dim, vocab; } pc;
  char name[32];
  JgTensor *bind[3] = { table, ids, out };
  JgVkDispatch d = {
    .shader = variant (ctx, "embed", table, FALSE, name, sizeof name),
    .bind = bind, .n_bind = 3, .write_mask = 1u << 2, .push = &pc, .push_size = sizeof pc,
  };
  gint64 total;

  if (table->ndim != 2 || table->dtype == JG_DTYPE_U32 || !jg_tensor_is_contiguous (table))
    return fail (error, op, "the table must be a contiguous f32 or f16 matrix");
  if (ids->dtype != JG_DTYPE_U32)
    return fail (error, op, "ids must be u32");
  if (!check_f32 (op, "out", out, error))
    return FALSE;
  pc.n_ids = (guint32) jg_tensor_get_n_elements (ids);
  pc.dim = (guint32) table->shape[1];
  pc.vocab = (guint32) table->shape[0];
  total = (gint64) pc.n_ids * pc.dim;
  if (jg_tensor_get_n_elements (out) != total)
    return fail (error, op, "out must be %u x %u", pc.n_ids, pc.dim);
  d.groups[0] = (guint32) MIN ((total + 255) / 256, MAX_GROUPS);
  d.groups[1] = d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_softmax (JgVkContext *ctx, JgTensor *y, JgTensor *x, float scale, GError **error)
{
  struct { guint32 rows, n; float scale; } pc;
  guint32 spec[1] = { 256 };
  char name[32];
  JgTensor *bind[2] = { x, y };
  JgVkDispatch d = {
    .shader = variant (ctx, "softmax", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 2, .write_mask = 1u << 1,
    .push = &pc, .push_size = sizeof pc,
  };

  if (!check_f32 ("softmax", "x", x, error) || !check_f32 ("softmax", "y", y, error))
    return FALSE;
  if (jg_tensor_get_n_elements (y) != jg_tensor_get_n_elements (x))
    return fail (error, "softmax", "x and y differ in size");
  pc.n = (guint32) last_dim (x);
  pc.rows = (guint32) (jg_tensor_get_n_elements (x) / pc.n);
  pc.scale = scale;
  groups_for (pc.rows, d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_argmax (JgVkContext *ctx, JgTensor *out, JgTensor *x, GError **error)
{
  struct { guint32 rows, n; } pc;
  guint32 spec[1] = { 256 };
  char name[32];
  JgTensor *bind[2] = { x, out };
  JgVkDispatch d = {
    .shader = variant (ctx, "argmax", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 2, .write_mask = 1u << 1,
    .push = &pc, .push_size = sizeof pc,
  };

  if (!check_f32 ("argmax", "x", x, error))
    return FALSE;
  pc.n = (guint32) last_dim (x);
  pc.rows = (guint32) (jg_tensor_get_n_elements (x) / pc.n);
  if (out->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (out) != pc.rows)
    return fail (error, "argmax", "out must be u32 [%u]", pc.rows);
  groups_for (pc.rows, d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_sample (JgVkContext *ctx, JgTensor *out, JgTensor *logits, JgTensor *u, guint k, float top_p,
              float temperature, GError **error)
{
  struct { guint32 rows, n, k; float top_p, temperature; } pc;
  guint32 spec[1] = { 256 };
  char name[32];
  JgTensor *bind[3] = { logits, out, u };
  JgVkDispatch d = {
    .shader = variant (ctx, "sample", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 3, .write_mask = 1u << 1,
    .push = &pc, .push_size = sizeof pc,
  };

  if (!check_f32 ("sample", "logits", logits, error) || !check_f32 ("sample", "u", u, error))
    return FALSE;
  if (k == 0 || k > JG_SAMPLE_MAX_K)
    return fail (error, "sample", "top-k %u is outside 1..%d", k, JG_SAMPLE_MAX_K);
  if (!(temperature > 0.0f) || !(top_p > 0.0f) || top_p > 1.0f)
    return fail (error, "sample", "temperature must be > 0 and top_p in (0, 1]");
  pc.n = (guint32) last_dim (logits);
  pc.rows = (guint32) (jg_tensor_get_n_elements (logits) / pc.n);
  if (out->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (out) != pc.rows
      || jg_tensor_get_n_elements (u) != pc.rows)
    return fail (error, "sample", "out (u32) and u (f32) must have %u values", pc.rows);
  pc.k = k;
  pc.top_p = top_p;
  pc.temperature = temperature;
  groups_for (pc.rows, d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_copy (JgVkContext *ctx, JgTensor *dst, JgTensor *src, GError **error)
{
  struct { guint32 n; } pc;
  guint32 spec[1] = { 256 };
  JgTensor *bind[2] = { src, dst };
  JgVkDispatch d = {
    .shader = "copy", .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 2, .write_mask = 1u << 1,
    .push = &pc, .push_size = sizeof pc,
  };

  if (src->nbytes != dst->nbytes || src->nbytes % 16 != 0 || src->nbytes / 16 > G_MAXUINT32)
    return fail (error, "copy", "sizes differ or are not a multiple of 16 bytes");
  pc.n = (guint32) (src->nbytes / 16);
  d.groups[0] = (guint32) MIN ((pc.n + 255) / 256, MAX_GROUPS);
  d.groups[1] = d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}

/* ---- Decode: one token, recorded once and replayed ---- */

#define DECODE_BLOCK 32
#define DECODE_MAX_SPLIT 128

typedef struct {
  guint32 m, k;
  float eps;
  guint32 has_bias, accumulate;
  guint32 n_heads, n_kv_heads, head_dim, s0, s1;
  guint32 has_norm, block;
} NormMatvecPush;

/* The rows and columns of f16 weights w, or of 8-bit ones q8. */
static gboolean
decode_weights (const char *op, JgTensor *w, const JgQ8Weights *q8, NormMatvecPush *pc, GError **error)
{
  if (q8 != NULL)
    {
      gint64 m, k;
      if (q8->q == NULL || q8->scales == NULL || q8->q->dtype != JG_DTYPE_U32 || q8->q->ndim != 2
          || !jg_tensor_is_contiguous (q8->q) || q8->scales->dtype != JG_DTYPE_F16
          || !jg_tensor_is_contiguous (q8->scales))
        return fail (error, op, "8-bit weights must be a contiguous u32 matrix (4 bytes a word) and f16 scales");
      m = q8->q->shape[0];
      k = q8->q->shape[1] * 4;
      if (q8->block == 0 || q8->block % 16 != 0 || k % q8->block != 0)
        return fail (error, op, "8-bit blocks of %u do not split %" G_GINT64_FORMAT " columns in multiples of 16",
                     q8->block, k);
      if (jg_tensor_get_n_elements (q8->scales) != m * (k / q8->block))
        return fail (error, op, "8-bit weights need %" G_GINT64_FORMAT " scales", m * (k / q8->block));
      pc->m = (guint32) m;
      pc->k = (guint32) k;
      pc->block = q8->block;
      return TRUE;
    }
  if (w->ndim != 2 || !jg_tensor_is_contiguous (w) || w->dtype != JG_DTYPE_F16)
    return fail (error, op, "weights must be a contiguous f16 matrix");
  if (w->shape[1] % 8 != 0)
    return fail (error, op, "k = %" G_GINT64_FORMAT " is not a multiple of 8", w->shape[1]);
  pc->m = (guint32) w->shape[0];
  pc->k = (guint32) w->shape[1];
  return TRUE;
}

/* Checks shared by the norm-folded matrix-vector products; fills the spec
 * constants (threads, rows per workgroup). norm_w NULL: no norm. */
static gboolean
check_norm_matvec (JgVkContext *ctx, const char *op, JgTensor *x, JgTensor *norm_w, guint32 k,
                   const JgDecodeTuning *tune, guint per_unit, guint32 spec[2], GError **error)
{
  if (!check_f32 (op, "x", x, error) || (norm_w != NULL && !check_f32 (op, "norm weight", norm_w, error)))
    return FALSE;
  if (jg_tensor_get_n_elements (x) != k || (norm_w != NULL && jg_tensor_get_n_elements (norm_w) != k))
    return fail (error, op, "x and the norm weight must have %u values (one row)", k);
  spec[0] = tune && tune->wg ? tune->wg : 128;
  spec[1] = tune && tune->rows ? tune->rows : 1;
  if ((spec[0] & (spec[0] - 1)) != 0 || spec[0] < 32 || spec[0] > 1024)
    return fail (error, op, "%u threads per workgroup is not a power of two in 32..1024", spec[0]);
  if ((guint64) (spec[1] * per_unit + 1) * spec[0] * 4 + 2 * spec[0] * 4
      > jg_vk_context_get_info (ctx)->max_shared_memory)
    return fail (error, op, "%u rows x %u threads need more shared memory than the device has",
                 spec[1] * per_unit, spec[0]);
  return TRUE;
}

/* The shader variant and the bindings that differ for 8-bit weights
 * (binding 0: the weights, 9: their scales; unused ones get x). */
static void
decode_dispatch (JgVkContext *ctx, JgVkDispatch *d, const char *base, JgTensor **bind, JgTensor *w,
                 const JgQ8Weights *q8, JgTensor *x, guint n_used, char *name, gsize len)
{
  char tmp[32];

  g_snprintf (tmp, sizeof tmp, "%s%s", base, q8 ? "_q8" : "");
  d->shader = variant (ctx, tmp, NULL, TRUE, name, len);
  bind[0] = q8 ? q8->q : w;
  d->n_bind = n_used;
  if (q8 != NULL)
    {
      for (guint i = n_used; i < 9; i++)
        bind[i] = x;
      bind[9] = q8->scales;
      d->n_bind = 10;
    }
  d->bind = bind;
}

static gboolean
norm_linear (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *norm_w, float eps, JgTensor *w,
             const JgQ8Weights *q8, JgTensor *bias, gboolean accumulate, const JgDecodeTuning *tune,
             GError **error)
{
  const char *op = "norm_linear";
  guint32 spec[2];
  char name[32];
  NormMatvecPush pc = { 0 };
  JgTensor *bind[10] = { NULL, x, norm_w ? norm_w : x, bias ? bias : x, y };
  JgVkDispatch d = { .spec = spec, .n_spec = 2, .write_mask = 1u << 4, .push = &pc, .push_size = sizeof pc };

  if (!decode_weights (op, w, q8, &pc, error)
      || !check_norm_matvec (ctx, op, x, norm_w, pc.k, tune, 1, spec, error) || !check_f32 (op, "y", y, error))
    return FALSE;
  pc.eps = eps;
  pc.has_norm = norm_w != NULL;
  pc.has_bias = bias != NULL;
  pc.accumulate = accumulate;
  if (jg_tensor_get_n_elements (y) != pc.m)
    return fail (error, op, "y must have %u values", pc.m);
  if (bias != NULL && (!check_f32 (op, "bias", bias, error) || jg_tensor_get_n_elements (bias) != pc.m))
    return fail (error, op, "bias must have %u values", pc.m);
  decode_dispatch (ctx, &d, "matvec_norm", bind, w, q8, x, 5, name, sizeof name);
  groups_for ((pc.m + spec[1] - 1) / spec[1], d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_norm_linear (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *norm_w, float eps, JgTensor *w,
                   JgTensor *bias, gboolean accumulate, const JgDecodeTuning *tune, GError **error)
{
  return norm_linear (ctx, y, x, norm_w, eps, w, NULL, bias, accumulate, tune, error);
}

gboolean
jg_op_norm_linear_q8 (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *norm_w, float eps,
                      const JgQ8Weights *w, JgTensor *bias, gboolean accumulate, const JgDecodeTuning *tune,
                      GError **error)
{
  return norm_linear (ctx, y, x, norm_w, eps, NULL, w, bias, accumulate, tune, error);
}

static gboolean
norm_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *norm_w, float eps, JgTensor *w,
             const JgQ8Weights *q8, const JgDecodeTuning *tune, GError **error)
{
  const char *op = "norm_swiglu";
  guint32 spec[2];
  char name[32];
  NormMatvecPush pc = { 0 };
  JgTensor *bind[10] = { NULL, x, norm_w, norm_w, out };
  JgVkDispatch d = { .spec = spec, .n_spec = 2, .write_mask = 1u << 4, .push = &pc, .push_size = sizeof pc };

  if (norm_w == NULL)
    return fail (error, op, "needs the norm weight");
  if (!decode_weights (op, w, q8, &pc, error)
      || !check_norm_matvec (ctx, op, x, norm_w, pc.k, tune, 2, spec, error) || !check_f32 (op, "out", out, error))
    return FALSE;
  pc.eps = eps;
  pc.has_norm = TRUE;
  if (pc.m % 2 != 0 || jg_tensor_get_n_elements (out) != pc.m / 2)
    return fail (error, op, "the weights must hold gate and up rows ([2I][k]) and out I = %u values",
                 pc.m / 2);
  decode_dispatch (ctx, &d, "matvec_norm_swiglu", bind, w, q8, x, 5, name, sizeof name);
  groups_for ((pc.m / 2 + spec[1] - 1) / spec[1], d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_norm_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *norm_w, float eps, JgTensor *w,
                   const JgDecodeTuning *tune, GError **error)
{
  return norm_swiglu (ctx, out, x, norm_w, eps, w, NULL, tune, error);
}

gboolean
jg_op_norm_swiglu_q8 (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *norm_w, float eps,
                      const JgQ8Weights *w, const JgDecodeTuning *tune, GError **error)
{
  return norm_swiglu (ctx, out, x, norm_w, eps, NULL, w, tune, error);
}

static gboolean
check_step (const char *op, JgTensor *step, GError **error)
{
  if (step->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (step) < 4)
    return fail (error, op, "step must be u32 [4] (positions t, h, w and the cache row)");
  return TRUE;
}

static gboolean
norm_qkv_rope (JgVkContext *ctx, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache, JgTensor *x,
               JgTensor *norm_w, JgTensor *w, const JgQ8Weights *q8, JgTensor *bias, JgTensor *step,
               JgTensor *inv_freq, const JgQkvShape *s, const JgDecodeTuning *tune, GError **error)
{
  const char *op = "norm_qkv_rope";
  guint32 spec[2];
  char name[32];
  NormMatvecPush pc = { 0 };
  JgTensor *bind[10] = { NULL, x, norm_w, bias ? bias : norm_w, q, k_cache, v_cache, step, inv_freq };
  JgVkDispatch d = {
    .spec = spec, .n_spec = 2, .write_mask = (1u << 4) | (1u << 5) | (1u << 6), .push = &pc,
    .push_size = sizeof pc,
  };
  guint kv_dim;

  if (norm_w == NULL)
    return fail (error, op, "needs the norm weight");
  if (!decode_weights (op, w, q8, &pc, error)
      || !check_norm_matvec (ctx, op, x, norm_w, pc.k, tune, 2, spec, error)
      || !check_f32 (op, "q", q, error) || !check_f32 (op, "k_cache", k_cache, error)
      || !check_f32 (op, "v_cache", v_cache, error) || !check_f32 (op, "inv_freq", inv_freq, error)
      || !check_step (op, step, error))
    return FALSE;
  if (s->n_kv_heads == 0 || s->n_heads % s->n_kv_heads != 0 || s->head_dim % 2 != 0 || s->head_dim == 0)
    return fail (error, op, "%u heads, %u KV heads of %u do not fit", s->n_heads, s->n_kv_heads, s->head_dim);
  if (s->sections[0] + s->sections[1] + s->sections[2] != s->head_dim / 2)
    return fail (error, op, "sections %u + %u + %u != head_dim / 2 = %u",
                 s->sections[0], s->sections[1], s->sections[2], s->head_dim / 2);
  kv_dim = s->n_kv_heads * s->head_dim;
  if (pc.m != (s->n_heads + 2 * s->n_kv_heads) * s->head_dim)
    return fail (error, op, "the weights have %u rows, q + k + v need %u", pc.m,
                 (s->n_heads + 2 * s->n_kv_heads) * s->head_dim);
  if (jg_tensor_get_n_elements (q) != (gint64) s->n_heads * s->head_dim)
    return fail (error, op, "q must have %u values", s->n_heads * s->head_dim);
  if (last_dim (k_cache) != kv_dim || last_dim (v_cache) != kv_dim
      || jg_tensor_get_n_elements (k_cache) != jg_tensor_get_n_elements (v_cache))
    return fail (error, op, "the caches must be [rows][%u] alike", kv_dim);
  if (bias != NULL && (!check_f32 (op, "bias", bias, error) || jg_tensor_get_n_elements (bias) != pc.m))
    return fail (error, op, "bias must have %u values", pc.m);
  if (jg_tensor_get_n_elements (inv_freq) != s->head_dim / 2)
    return fail (error, op, "inv_freq must have %u values", s->head_dim / 2);
  pc.eps = s->eps;
  pc.has_norm = TRUE;
  pc.has_bias = bias != NULL;
  pc.n_heads = s->n_heads;
  pc.n_kv_heads = s->n_kv_heads;
  pc.head_dim = s->head_dim;
  pc.s0 = s->sections[0];
  pc.s1 = s->sections[1];
  decode_dispatch (ctx, &d, "matvec_norm_qkv", bind, w, q8, x, 9, name, sizeof name);
  groups_for ((pc.m / 2 + spec[1] - 1) / spec[1], d.groups);
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_norm_qkv_rope (JgVkContext *ctx, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache, JgTensor *x,
                     JgTensor *norm_w, JgTensor *w, JgTensor *bias, JgTensor *step, JgTensor *inv_freq,
                     const JgQkvShape *s, const JgDecodeTuning *tune, GError **error)
{
  return norm_qkv_rope (ctx, q, k_cache, v_cache, x, norm_w, w, NULL, bias, step, inv_freq, s, tune, error);
}

gboolean
jg_op_norm_qkv_rope_q8 (JgVkContext *ctx, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache, JgTensor *x,
                        JgTensor *norm_w, const JgQ8Weights *w, JgTensor *bias, JgTensor *step,
                        JgTensor *inv_freq, const JgQkvShape *s, const JgDecodeTuning *tune, GError **error)
{
  return norm_qkv_rope (ctx, q, k_cache, v_cache, x, norm_w, NULL, w, bias, step, inv_freq, s, tune, error);
}

gboolean
jg_q8_weights_upload (const JgQ8Weights *dst, const JgQ8Matrix *m, GError **error)
{
  if (dst->q->dtype != JG_DTYPE_U32 || dst->scales->dtype != JG_DTYPE_F16 || m->cols % 4 != 0
      || m->block != dst->block || jg_tensor_get_n_elements (dst->q) * 4 != m->rows * m->cols
      || jg_tensor_get_n_elements (dst->scales) != m->rows * (m->cols / m->block))
    return fail (error, "q8 upload", "%" G_GINT64_FORMAT " x %" G_GINT64_FORMAT " (block %" G_GINT64_FORMAT
                 ") does not fit the tensors", m->rows, m->cols, m->block);
  return jg_tensor_upload_u32 (dst->q, (const guint32 *) m->q, error)
         && jg_tensor_upload_f16 (dst->scales, m->scales, error);
}

gboolean
jg_op_attention_decode (JgVkContext *ctx, JgTensor *o, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache,
                        JgTensor *step, JgTensor *counts, const JgAttentionShape *s, GError **error)
{
  const char *op = "attention_decode";
  struct {
    guint32 n_heads, n_kv_heads, head_dim, kv_stride;
    float scale;
    guint32 n_split, min_chunk;
  } pc;
  /* 128 threads, keys 32 at a time (4 threads per key for the scores). */
  guint32 spec[2] = { 128, DECODE_BLOCK };
  char name[32];
  JgTensor *bind[7] = { q, k_cache, v_cache, s->split_scratch, step, counts, o };
  JgVkDispatch d = {
    .shader = variant (ctx, "attention_decode", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 2, .bind = bind, .n_bind = 7,
    .write_mask = (1u << 3) | (1u << 5) | (1u << 6), .push = &pc, .push_size = sizeof pc,
  };
  gint64 rows, per_split;

  if (s->split_scratch == NULL)
    return fail (error, op, "needs split_scratch");
  if (!check_f32 (op, "q", q, error) || !check_f32 (op, "k_cache", k_cache, error)
      || !check_f32 (op, "v_cache", v_cache, error) || !check_f32 (op, "o", o, error)
      || !check_f32 (op, "split_scratch", s->split_scratch, error) || !check_step (op, step, error))
    return FALSE;
  if (s->n_kv_heads == 0 || s->n_heads % s->n_kv_heads != 0)
    return fail (error, op, "%u heads cannot share %u KV heads", s->n_heads, s->n_kv_heads);
  if (s->head_dim % 4 != 0 || s->head_dim > 256)
    return fail (error, op, "head_dim %u must be a multiple of 4 up to 256", s->head_dim);
  if (counts->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (counts) != s->n_heads)
    return fail (error, op, "counts must be u32 [%u] (zeros)", s->n_heads);
  pc.kv_stride = s->n_kv_heads * s->head_dim;
  if (jg_tensor_get_n_elements (q) != (gint64) s->n_heads * s->head_dim
      || jg_tensor_get_n_elements (o) != (gint64) s->n_heads * s->head_dim)
    return fail (error, op, "q and o must have %u x %u values", s->n_heads, s->head_dim);
  if (last_dim (k_cache) != pc.kv_stride || last_dim (v_cache) != pc.kv_stride
      || jg_tensor_get_n_elements (k_cache) != jg_tensor_get_n_elements (v_cache))
    return fail (error, op, "the caches must be [rows][%u] alike", pc.kv_stride);
  rows = jg_tensor_get_n_elements (k_cache) / pc.kv_stride;
  per_split = (gint64) s->n_heads * (s->head_dim + 2);
  if (jg_tensor_get_n_elements (s->split_scratch) < per_split)
    return fail (error, op, "split_scratch must hold at least %" G_GINT64_FORMAT " values", per_split);
  pc.n_heads = s->n_heads;
  pc.n_kv_heads = s->n_kv_heads;
  pc.head_dim = s->head_dim;
  pc.scale = s->scale;
  pc.min_chunk = DECODE_BLOCK;
  /* One block of keys per workgroup at the caches' capacity, up to
   * DECODE_MAX_SPLIT (<= the 128 threads that merge the parts) workgroups
   * per head: short dependent chains, many workgroups. Past that, or when
   * the scratch holds fewer parts, the shader widens the chunks; chunks
   * past the current keys are empty. */
  pc.n_split = (guint32) CLAMP ((rows + DECODE_BLOCK - 1) / DECODE_BLOCK, 1,
                                MIN (DECODE_MAX_SPLIT, jg_tensor_get_n_elements (s->split_scratch) / per_split));
  d.groups[0] = s->n_heads;
  d.groups[1] = pc.n_split;
  d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}

/* ---- Decode: a whole layer in one persistent dispatch ---- */

#define PERSIST_BINDINGS 20
#define PERSIST_CHUNK 32         /* keys per attention part (a multiple of the shader's KG) */
#define PERSIST_MAX_SPLIT 256
#define PERSIST_SPIN_LIMIT (1u << 21)

guint
jg_decode_layer_resident (JgVkContext *ctx)
{
  const JgVkDeviceInfo *info = jg_vk_context_get_info (ctx);

  if (!use_subgroup (ctx) || jg_vk_context_get_n_bindings (ctx) < PERSIST_BINDINGS)
    return 0;
  /* A workgroup of up to 1024 threads always fits one SM (the compiler caps its
   * registers so that it does), and the kernel's shared memory is under
   * the per-SM size: one per SM are resident together. */
  return info->sm_count;
}

static gboolean
check_tensor (const char *op, const char *what, JgTensor *t, JgDType dtype, gint64 n, GError **error)
{
  if (t == NULL || t->dtype != dtype || !jg_tensor_is_contiguous (t))
    return fail (error, op, "%s must be a contiguous %s tensor", what,
                 dtype == JG_DTYPE_F16 ? "f16" : dtype == JG_DTYPE_U32 ? "u32" : "f32");
  if (n > 0 && jg_tensor_get_n_elements (t) != n)
    return fail (error, op, "%s must have %" G_GINT64_FORMAT " values", what, n);
  return TRUE;
}

/* decode_layer.comp for one layer, or with table (the layers' addresses,
 * jg_decode_stack_table) for n_layers in one dispatch; l holds the shapes
 * and the tensors the layers share. */
static gboolean
decode_layers (JgVkContext *ctx, const JgDecodeLayer *l, JgTensor *table, guint n_layers, const JgQkvShape *s,
               float scale, guint n_workgroups, guint threads, GError **error)
{
  const char *op = table ? "decode_stack" : "decode_layer";
  struct {
    guint32 hidden, inter, n_heads, n_kv_heads, head_dim, s0, s1;
    float eps, scale;
    guint32 n_split, min_chunk, spin_limit, skip, n_layers;
  } pc = { 0 };
  guint32 spec[6];
  guint chunk = l->chunk ? l->chunk : PERSIST_CHUNK;
  guint32 sgs = jg_vk_context_get_subgroup_size (ctx);
  guint32 max_shared = jg_vk_context_get_info (ctx)->max_shared_memory;
  JgTensor *bind[PERSIST_BINDINGS] = {
    table ? table : l->qkv_w, l->o_w, l->gate_up, l->down, l->x, l->ln1, l->ln2, l->qkv_b, l->inv_freq, l->step,
    l->q, l->k_cache, l->v_cache, l->parts, l->counts, l->attn, l->g, l->barrier, l->fail, l->g,
  };
  JgVkDispatch d = {
    .shader = op, .spec = spec, .n_spec = 6, .bind = bind, .n_bind = PERSIST_BINDINGS,
    .write_mask = (1u << 4) | (0x3fu << 10) | (1u << 16) | (1u << 17) | (1u << 18),
    .push = &pc, .push_size = sizeof pc,
  };
  gint64 H, I, qd, kvd, rows, per_split;

  if (!use_subgroup (ctx))
    return fail (error, op, "needs subgroup arithmetic (off or missing on %s)", jg_vk_context_get_info (ctx)->name);
  if (l->x == NULL || l->gate_up == NULL || l->qkv_w == NULL)
    return fail (error, op, "x, qkv_w and gate_up are required");
  H = jg_tensor_get_n_elements (l->x);
  I = l->gate_up->ndim == 2 ? l->gate_up->shape[0] / 2 : 0;
  qd = (gint64) s->n_heads * s->head_dim;
  kvd = (gint64) s->n_kv_heads * s->head_dim;
  if (s->n_kv_heads == 0 || s->n_heads % s->n_kv_heads != 0 || s->head_dim % 8 != 0 || s->head_dim > 256)
    return fail (error, op, "%u heads, %u KV heads of %u (a multiple of 8 up to 256) do not fit", s->n_heads,
                 s->n_kv_heads, s->head_dim);
  if (s->sections[0] + s->sections[1] + s->sections[2] != s->head_dim / 2)
    return fail (error, op, "sections %u + %u + %u != head_dim / 2 = %u", s->sections[0], s->sections[1],
                 s->sections[2], s->head_dim / 2);
  if (H % 8 != 0 || I <= 0 || I % 8 != 0 || qd % 8 != 0)
    return fail (error, op, "hidden %" G_GINT64_FORMAT ", intermediate %" G_GINT64_FORMAT
                 " and q width must be multiples of 8", H, I);
  if (!check_tensor (op, "x", l->x, JG_DTYPE_F32, H, error)
      || !check_tensor (op, "ln1", l->ln1, JG_DTYPE_F32, H, error)
      || !check_tensor (op, "ln2", l->ln2, JG_DTYPE_F32, H, error)
      || !check_tensor (op, "qkv_w", l->qkv_w, JG_DTYPE_F16, (qd + 2 * kvd) * H, error)
      || !check_tensor (op, "qkv_b", l->qkv_b, JG_DTYPE_F32, qd + 2 * kvd, error)
      || !check_tensor (op, "inv_freq", l->inv_freq, JG_DTYPE_F32, s->head_dim / 2, error)
      || !check_tensor (op, "step", l->step, JG_DTYPE_U32, 0, error)
      || !check_tensor (op, "q", l->q, JG_DTYPE_F32, qd, error)
      || !check_tensor (op, "k_cache", l->k_cache, JG_DTYPE_F32, 0, error)
      || !check_tensor (op, "v_cache", l->v_cache, JG_DTYPE_F32, jg_tensor_get_n_elements (l->k_cache), error)
      || !check_tensor (op, "parts", l->parts, JG_DTYPE_F32, 0, error)
      || !check_tensor (op, "counts", l->counts, JG_DTYPE_U32, s->n_heads, error)
      || !check_tensor (op, "attn", l->attn, JG_DTYPE_F32, qd, error)
      || !check_tensor (op, "o_w", l->o_w, JG_DTYPE_F16, H * qd, error)
      || !check_tensor (op, "gate_up", l->gate_up, JG_DTYPE_F16, 2 * I * H, error)
      || !check_tensor (op, "g", l->g, JG_DTYPE_F32, table ? (gint64) n_layers * I : I, error)
      || !check_tensor (op, "down", l->down, JG_DTYPE_F16, H * I, error)
      || !check_tensor (op, "barrier", l->barrier, JG_DTYPE_U32, 4, error)
      || !check_tensor (op, "fail", l->fail, JG_DTYPE_U32, 1, error))
    return FALSE;
  if (jg_tensor_get_n_elements (l->step) < 4)
    return fail (error, op, "step must be u32 [4] (positions t, h, w and the cache row)");
  if (last_dim (l->k_cache) != kvd || last_dim (l->v_cache) != kvd)
    return fail (error, op, "the caches must be [rows][%" G_GINT64_FORMAT "]", kvd);
  rows = jg_tensor_get_n_elements (l->k_cache) / kvd;
  per_split = (gint64) s->n_heads * (s->head_dim + 2);
  if (jg_tensor_get_n_elements (l->parts) < per_split)
    return fail (error, op, "parts must hold at least %" G_GINT64_FORMAT " values", per_split);
  spec[0] = threads ? threads : 512;
  if ((spec[0] & (spec[0] - 1)) != 0 || spec[0] < sgs || spec[0] > 1024)
    return fail (error, op, "%u threads per workgroup is not a power of two in %u..1024", spec[0], sgs);
  /* Shared memory: the staged vector (x or attn) and one float per
   * thread; no more, so that the rest of each SM's L1 caches g. */
  spec[1] = (guint32) (MAX (H, qd) + 7) / 8 * 8;
  if ((guint64) spec[1] * 4 + 4 * spec[0] + 256 > max_shared)
    return fail (error, op, "hidden %" G_GINT64_FORMAT " or q width %" G_GINT64_FORMAT
                 " needs more shared memory than the device has", H, qd);
  spec[2] = (s->head_dim / 4 + sgs - 1) / sgs;
  spec[3] = l->ks_qkvo ? l->ks_qkvo : 4;
  spec[4] = l->ks_down ? l->ks_down : 4;
  if (spec[3] > 8 || spec[4] > 8)
    return fail (error, op, "k split into %u / %u parts: at most 8", spec[3], spec[4]);
  spec[5] = l->merge ? l->merge : 8;
  if (spec[5] > 16 || chunk % 8 != 0)
    return fail (error, op, "attention parts of %u keys (a multiple of 8), merged %u at a time (at most 16)",
                 chunk, spec[5]);
  if (n_workgroups == 0)
    return fail (error, op, "needs at least one workgroup");
  pc.hidden = (guint32) H;
  pc.inter = (guint32) I;
  pc.n_heads = s->n_heads;
  pc.n_kv_heads = s->n_kv_heads;
  pc.head_dim = s->head_dim;
  pc.s0 = s->sections[0];
  pc.s1 = s->sections[1];
  pc.eps = s->eps;
  pc.scale = scale;
  pc.min_chunk = chunk;
  pc.n_split = (guint32) CLAMP ((rows + chunk - 1) / chunk, 1,
                                MIN (PERSIST_MAX_SPLIT, jg_tensor_get_n_elements (l->parts) / per_split));
  pc.spin_limit = PERSIST_SPIN_LIMIT;
  pc.skip = l->skip_phases;
  pc.n_layers = n_layers;
  if (table != NULL)
    {
      if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_DEVICE_ADDRESS))
        return fail (error, op, "needs buffer device addresses (off or missing on %s)",
                     jg_vk_context_get_info (ctx)->name);
      if (n_layers == 0 || !check_tensor (op, "table", table, JG_DTYPE_U32, (gint64) n_layers * JG_DECODE_STACK_WORDS,
                                          error))
        return n_layers == 0 ? fail (error, op, "needs at least one layer") : FALSE;
    }
  d.groups[0] = n_workgroups;
  d.groups[1] = d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}

gboolean
jg_op_decode_layer (JgVkContext *ctx, const JgDecodeLayer *l, const JgQkvShape *s, float scale,
                    guint n_workgroups, guint threads, GError **error)
{
  return decode_layers (ctx, l, NULL, 1, s, scale, n_workgroups, threads, error);
}

gboolean
jg_op_decode_stack (JgVkContext *ctx, const JgDecodeLayer *l, JgTensor *table, guint n_layers,
                    const JgQkvShape *s, float scale, guint n_workgroups, guint threads, GError **error)
{
  return decode_layers (ctx, l, table, n_layers, s, scale, n_workgroups, threads, error);
}

/* Each layer's tensor must be like layer 0's (which decode_layers checks
 * against the shapes), and reachable by address. */
gboolean
jg_decode_stack_table (const JgDecodeLayer *layers, guint n_layers, guint32 *words, GError **error)
{
  const char *op = "decode_stack";

  for (guint i = 0; i < n_layers; i++)
    {
      const JgDecodeLayer *l = &layers[i];
      JgTensor *f[JG_DECODE_STACK_WORDS / 2] = {
        l->qkv_w, l->o_w, l->gate_up, l->down, l->ln1, l->ln2, l->qkv_b, l->k_cache, l->v_cache,
      };
      JgTensor *f0[JG_DECODE_STACK_WORDS / 2] = {
        layers[0].qkv_w, layers[0].o_w, layers[0].gate_up, layers[0].down, layers[0].ln1, layers[0].ln2,
        layers[0].qkv_b, layers[0].k_cache, layers[0].v_cache,
      };
      for (guint j = 0; j < G_N_ELEMENTS (f); j++)
        {
          guint64 a = f[j] ? jg_tensor_get_device_address (f[j]) : 0;
          if (a == 0 || a % (j < 4 || j > 6 ? 16 : 4) != 0)
            return fail (error, op, "layer %u: tensor %u has no%s device address", i, j, a ? " aligned" : "");
          if (f[j]->dtype != f0[j]->dtype || jg_tensor_get_n_elements (f[j]) != jg_tensor_get_n_elements (f0[j])
              || !jg_tensor_is_contiguous (f[j]))
            return fail (error, op, "layer %u: tensor %u is not shaped as layer 0's", i, j);
          words[i * JG_DECODE_STACK_WORDS + 2 * j] = (guint32) a;
          words[i * JG_DECODE_STACK_WORDS + 2 * j + 1] = (guint32) (a >> 32);
        }
    }
  return TRUE;
}

gboolean
jg_op_argmax_wide (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *scratch, GError **error)
{
  const char *op = "argmax_wide";
  struct { guint32 n, n_groups, slice; } pc;
  guint32 spec[1] = { 256 };
  char name[32];
  JgTensor *bind[3] = { x, out, scratch };
  JgVkDispatch d = {
    .shader = variant (ctx, "argmax_wide", NULL, TRUE, name, sizeof name),
    .spec = spec, .n_spec = 1, .bind = bind, .n_bind = 3, .write_mask = (1u << 1) | (1u << 2),
    .push = &pc, .push_size = sizeof pc,
  };
  gint64 n = jg_tensor_get_n_elements (x);

  if (!check_f32 (op, "x", x, error))
    return FALSE;
  if (n == 0 || n > G_MAXUINT32 / 2)
    return fail (error, op, "x must hold 1 .. 2^31 values");
  if (out->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (out) < 1)
    return fail (error, op, "out must be u32");
  if (scratch->dtype != JG_DTYPE_U32 || jg_tensor_get_n_elements (scratch) < JG_ARGMAX_WIDE_SCRATCH)
    return fail (error, op, "scratch must be u32 [%d] (zeros)", JG_ARGMAX_WIDE_SCRATCH);
  pc.n = (guint32) n;
  /* Slices of at least 4 values a thread, at most 256 of them. */
  pc.slice = (guint32) MAX ((n + 255) / 256, 4 * spec[0]);
  pc.n_groups = (guint32) ((n + pc.slice - 1) / pc.slice);
  d.groups[0] = pc.n_groups;
  d.groups[1] = d.groups[2] = 1;
  return jg_vk_dispatch (ctx, &d, error);
}
