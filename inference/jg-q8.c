#include "inference/jg-q8.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

JgQ8Matrix *
jg_q8_quantize (const float *w, gint64 rows, gint64 cols, gint64 block, GError **error)
{
  g_autoptr(JgQ8Matrix) m = NULL;
  gint64 nb;

  if (block == 0)
    block = cols;
  if (rows <= 0 || cols <= 0 || block <= 0 || cols % block != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "8-bit weights: block %" G_GINT64_FORMAT " does not divide %" G_GINT64_FORMAT " columns",
                   block, cols);
      return NULL;
    }
  nb = cols / block;
  m = g_new0 (JgQ8Matrix, 1);
  m->rows = rows;
  m->cols = cols;
  m->block = block;
  m->q = g_new (gint8, rows * cols);
  m->scales = g_new (guint16, rows * nb);
  for (gint64 r = 0; r < rows; r++)
    for (gint64 b = 0; b < nb; b++)
      {
        const float *src = w + r * cols + b * block;
        gint8 *dst = m->q + r * cols + b * block;
        float amax = 0, scale, inv;
        guint16 h;
        for (gint64 i = 0; i < block; i++)
          amax = fmaxf (amax, fabsf (src[i]));
        /* Quantize with the scale as stored (f16), so dequantizing
         * reproduces exactly what was rounded against. */
        h = jg_f32_to_f16 (amax / 127.0f);
        scale = jg_f16_to_f32 (h);
        inv = scale > 0 ? 1.0f / scale : 0.0f;
        for (gint64 i = 0; i < block; i++)
          {
            float v = roundf (src[i] * inv);
            dst[i] = (gint8) CLAMP (v, -127.0f, 127.0f);
          }
        m->scales[r * nb + b] = h;
      }
  return g_steal_pointer (&m);
}

void
jg_q8_free (JgQ8Matrix *m)
{
  if (m == NULL)
    return;
  g_free (m->q);
  g_free (m->scales);
  g_free (m);
}

void
jg_q8_dequantize (const JgQ8Matrix *m, float *out)
{
  gint64 nb = m->cols / m->block;

  for (gint64 r = 0; r < m->rows; r++)
    for (gint64 b = 0; b < nb; b++)
      {
        float s = jg_f16_to_f32 (m->scales[r * nb + b]);
        for (gint64 i = 0; i < m->block; i++)
          out[r * m->cols + b * m->block + i] = s * m->q[r * m->cols + b * m->block + i];
      }
}

void
jg_q8_matvec (const JgQ8Matrix *m, const float *x, float *y)
{
  gint64 nb = m->cols / m->block;

  /* Integer weights times x per block, one scale multiply per block. */
  for (gint64 r = 0; r < m->rows; r++)
    {
      float acc = 0;
      for (gint64 b = 0; b < nb; b++)
        {
          const gint8 *q = m->q + r * m->cols + b * m->block;
          const float *xb = x + b * m->block;
          float part = 0;
          for (gint64 i = 0; i < m->block; i++)
            part += q[i] * xb[i];
          acc += part * jg_f16_to_f32 (m->scales[r * nb + b]);
        }
      y[r] = acc;
    }
}

JgQ8Matrix *
jg_q8_from_safetensors (const JgSafetensors *st, const char *name, GError **error)
{
  g_autofree char *scale_name = g_strconcat (name, "_scale", NULL);
  const JgStTensor *q = jg_safetensors_require (st, name, JG_ST_MASK (JG_ST_I8), 2, (gint64[]) { -1, -1 }, error);
  const JgStTensor *s;
  JgQ8Matrix *m;
  gint64 nb;

  if (q == NULL)
    return NULL;
  s = jg_safetensors_require (st, scale_name, JG_ST_MASK (JG_ST_F16), 2, (gint64[]) { q->shape[0], -1 }, error);
  if (s == NULL)
    return NULL;
  nb = s->shape[1];
  if (nb <= 0 || q->shape[1] % nb != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %s has %" G_GINT64_FORMAT " blocks per row, which do not divide %" G_GINT64_FORMAT
                   " columns", s->file, scale_name, nb, q->shape[1]);
      return NULL;
    }
  m = g_new0 (JgQ8Matrix, 1);
  m->rows = q->shape[0];
  m->cols = q->shape[1];
  m->block = m->cols / nb;
  m->q = g_memdup2 (q->data, q->n_bytes);
  m->scales = g_new (guint16, s->n_elements);
  for (gint64 i = 0; i < s->n_elements; i++)
    {
      guint16 v;
      memcpy (&v, s->data + 2 * i, 2);
      m->scales[i] = GUINT16_FROM_LE (v);
    }
  return m;
}

void
jg_q8_to_write_tensors (const JgQ8Matrix *m, const char *name, char **scale_name, JgStWriteTensor out[2])
{
  *scale_name = g_strconcat (name, "_scale", NULL);
  out[0] = (JgStWriteTensor) { name, JG_ST_I8, 2, { m->rows, m->cols }, m->q };
  out[1] = (JgStWriteTensor) { *scale_name, JG_ST_F16, 2, { m->rows, m->cols / m->block }, m->scales };
}
