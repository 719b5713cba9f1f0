#include "inference/jg-ops-ref.h"

#include <math.h>

void
jg_ref_linear (float *y, const float *x, const float *w, const float *bias, gsize n, gsize m, gsize k,
               gboolean accumulate)
{
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < m; j++)
      {
        double s = bias ? bias[j] : 0.0;
        for (gsize c = 0; c < k; c++)
          s += (double) x[i * k + c] * w[j * k + c];
        if (accumulate)
          s += y[i * m + j];
        y[i * m + j] = (float) s;
      }
}

void
jg_ref_rmsnorm (float *y, const float *x, const float *weight, gsize rows, gsize n, float eps)
{
  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * n;
      double ss = 0;
      for (gsize i = 0; i < n; i++)
        ss += (double) xr[i] * xr[i];
      double inv = 1.0 / sqrt (ss / n + eps);
      for (gsize i = 0; i < n; i++)
        y[r * n + i] = (float) (xr[i] * inv * (weight ? weight[i] : 1.0f));
    }
}

void
jg_ref_layernorm (float *y, const float *x, const float *weight, const float *bias, gsize rows, gsize n,
                  float eps)
{
  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * n;
      double mean = 0, var = 0;
      for (gsize i = 0; i < n; i++)
        mean += xr[i];
      mean /= n;
      for (gsize i = 0; i < n; i++)
        var += (xr[i] - mean) * (xr[i] - mean);
      double inv = 1.0 / sqrt (var / n + eps);
      for (gsize i = 0; i < n; i++)
        y[r * n + i] = (float) ((xr[i] - mean) * inv * (weight ? weight[i] : 1.0f) + (bias ? bias[i] : 0.0f));
    }
}

void
jg_ref_rope (float *x, gsize n_tok, guint n_heads, guint head_dim, const guint32 *pos,
             const float *inv_freq, const guint sections[3])
{
  guint half = head_dim / 2;

  for (gsize t = 0; t < n_tok; t++)
    for (guint h = 0; h < n_heads; h++)
      {
        float *xh = x + (t * n_heads + h) * head_dim;
        for (guint i = 0; i < half; i++)
          {
            guint axis = i < sections[0] ? 0 : (i < sections[0] + sections[1] ? 1 : 2);
            /* The angle in f32, as transformers forms it. */
            float angle = (float) pos[axis * n_tok + t] * inv_freq[i];
            double c = cos (angle), s = sin (angle);
            double x1 = xh[i], x2 = xh[i + half];
            xh[i] = (float) (x1 * c - x2 * s);
            xh[i + half] = (float) (x2 * c + x1 * s);
          }
      }
}

void
jg_ref_attention (float *o, const float *q, const float *k, const float *v, guint n_q, guint n_kv,
                  guint q_pos0, guint n_heads, guint n_kv_heads, guint head_dim, gboolean causal,
                  float scale)
{
  guint group = n_heads / n_kv_heads;
  gsize kv_stride = (gsize) n_kv_heads * head_dim, q_stride = (gsize) n_heads * head_dim;
  double *s = g_new (double, n_kv);

  for (guint i = 0; i < n_q; i++)
    for (guint h = 0; h < n_heads; h++)
      {
        guint kvh = h / group;
        guint limit = causal ? MIN (n_kv, q_pos0 + i + 1) : n_kv;
        double mx = -INFINITY, sum = 0;
        for (guint j = 0; j < limit; j++)
          {
            double d = 0;
            for (guint c = 0; c < head_dim; c++)
              d += (double) q[i * q_stride + h * head_dim + c] * k[j * kv_stride + kvh * head_dim + c];
            s[j] = d * scale;
            mx = MAX (mx, s[j]);
          }
        for (guint j = 0; j < limit; j++)
          {
            s[j] = exp (s[j] - mx);
            sum += s[j];
          }
        for (guint c = 0; c < head_dim; c++)
          {
            double acc = 0;
            for (guint j = 0; j < limit; j++)
              acc += s[j] * v[j * kv_stride + kvh * head_dim + c];
            o[i * q_stride + h * head_dim + c] = (float) (acc / sum);
          }
      }
  g_free (s);
}

void
jg_ref_add (float *out, const float *a, const float *b, gsize n, gsize nb)
{
  for (gsize i = 0; i < n; i++)
    out[i] = a[i] + b[i % nb];
}

void
jg_ref_mul (float *out, const float *a, const float *b, gsize n, gsize nb)
{
  for (gsize i = 0; i < n; i++)
    out[i] = a[i] * b[i % nb];
}

static double
silu (double v)
{
  return v / (1.0 + exp (-v));
}

void
jg_ref_swiglu (float *out, const float *gate, const float *up, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float) (silu (gate[i]) * up[i]);
}

void
jg_ref_gelu (float *out, const float *a, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float) (0.5 * a[i] * (1.0 + erf (a[i] / sqrt (2.0))));
}

void
jg_ref_silu (float *out, const float *a, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float) silu (a[i]);
}

void
jg_ref_embed (float *out, const float *table, gsize vocab, gsize dim, const guint32 *ids, gsize n_ids)
{
  for (gsize i = 0; i < n_ids; i++)
    for (gsize c = 0; c < dim; c++)
      out[i * dim + c] = ids[i] < vocab ? table[ids[i] * dim + c] : 0.0f;
}

void
jg_ref_softmax (float *y, const float *x, gsize rows, gsize n, float scale)
{
  for (gsize r = 0; r < rows; r++)
    {
      double mx = -INFINITY, sum = 0;
      for (gsize i = 0; i < n; i++)
        mx = MAX (mx, (double) x[r * n + i] * scale);
      for (gsize i = 0; i < n; i++)
        sum += exp ((double) x[r * n + i] * scale - mx);
      for (gsize i = 0; i < n; i++)
        y[r * n + i] = (float) (exp ((double) x[r * n + i] * scale - mx) / sum);
    }
}

guint32
jg_ref_argmax (const float *x, gsize n)
{
  gsize best = 0;
  for (gsize i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return (guint32) best;
}

static int
cmp_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  const float *keys = data;
  guint32 i = *(const guint32 *) a, j = *(const guint32 *) b;
  if (keys[i] != keys[j])
    return keys[i] > keys[j] ? -1 : 1;
  return i < j ? -1 : 1;
}

guint32
jg_ref_sample (const float *logits, gsize n, guint k, float top_p, float temperature, float u,
               double *margin)
{
  g_autofree guint32 *idx = g_new (guint32, n);
  g_autofree double *p = NULL;
  double total = 0, cum = 0, mass = 0, target;
  guint keep, pick;
  gboolean found = FALSE;

  for (gsize i = 0; i < n; i++)
    idx[i] = (guint32) i;
  g_qsort_with_data (idx, (gint) n, sizeof *idx, cmp_desc, (gpointer) logits);
  k = (guint) MIN (k, n);
  p = g_new (double, k);
  for (guint r = 0; r < k; r++)
    {
      p[r] = exp (((double) logits[idx[r]] - logits[idx[0]]) / temperature);
      total += p[r];
    }
  keep = k;
  for (guint r = 0; r < k; r++)
    {
      cum += p[r] / total;
      if (cum >= top_p)
        {
          keep = r + 1;
          break;
        }
    }
  for (guint r = 0; r < keep; r++)
    mass += p[r];
  target = u * mass;
  pick = keep - 1;
  cum = 0;
  *margin = INFINITY;
  for (guint r = 0; r < keep; r++)
    {
      cum += p[r];
      *margin = MIN (*margin, fabs (target - cum) / mass);
      if (!found && target < cum)
        {
          pick = r;
          found = TRUE;
        }
    }
  /* The top-p cut can move too when the cumulative sum sits near top_p. */
  cum = 0;
  for (guint r = 0; r + 1 < k; r++)
    {
      cum += p[r] / total;
      *margin = MIN (*margin, fabs (cum - top_p));
    }
  return idx[pick];
}

double
jg_ref_rel_error (const float *a, const float *b, gsize n)
{
  double num = 0, den = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) a[i] - b[i];
      if (isnan (a[i]) || isnan (b[i]))
        return INFINITY;
      num += d * d;
      den += (double) b[i] * b[i];
    }
  if (den == 0)
    return num == 0 ? 0 : 1;
  return sqrt (num / den);
}
