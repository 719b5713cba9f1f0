#include "inference/jg-tensor.h"
#include "inference/jg-vk-private.h"
#include "core/jg-error.h"

#include <string.h>

static gsize
dtype_size (JgDType dtype)
{
  return dtype == JG_DTYPE_F16 ? 2 : 4;
}

static void
fill_strides (JgTensor *t)
{
  gint64 s = 1;
  for (int i = (int) t->ndim - 1; i >= 0; i--)
    {
      t->stride[i] = s;
      s *= t->shape[i];
    }
}

JgTensor *
jg_tensor_new (JgVkContext *ctx, JgDType dtype, guint ndim, const gint64 *shape,
               JgTensorFlags flags, GError **error)
{
  g_autoptr(JgTensor) t = NULL;
  gint64 n = 1;

  g_return_val_if_fail (ndim >= 1 && ndim <= JG_TENSOR_MAX_DIMS, NULL);
  t = g_new0 (JgTensor, 1);
  t->ctx = ctx;
  t->dtype = dtype;
  t->ndim = ndim;
  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] <= 0 || n > G_MAXINT64 / shape[i])
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "tensor dimension %u is %" G_GINT64_FORMAT, i, shape[i]);
          return NULL;
        }
      t->shape[i] = shape[i];
      n *= shape[i];
    }
  fill_strides (t);
  t->nbytes = (VkDeviceSize) n * dtype_size (dtype);
  if (!jg_vk_alloc (ctx, t->nbytes, (flags & JG_TENSOR_HOST) != 0, &t->alloc, error))
    return NULL;
  return g_steal_pointer (&t);
}

JgTensor *
jg_tensor_new_2d (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols, JgTensorFlags flags,
                  GError **error)
{
  gint64 shape[2] = { rows, cols };
  return jg_tensor_new (ctx, dtype, 2, shape, flags, error);
}

gboolean
jg_tensor_init_view (JgTensor *v, JgTensor *t, gint64 row0, gint64 n_rows, GError **error)
{
  VkDeviceSize off = (VkDeviceSize) (row0 * t->stride[0]) * dtype_size (t->dtype);

  g_return_val_if_fail (row0 >= 0 && n_rows > 0 && row0 + n_rows <= t->shape[0], FALSE);
  if ((t->alloc.offset + t->view_offset + off) % jg_vk_context_get_alignment (t->ctx) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "a view at row %" G_GINT64_FORMAT " is not aligned to %" G_GUINT64_FORMAT " bytes",
                   row0, (guint64) jg_vk_context_get_alignment (t->ctx));
      return FALSE;
    }
  *v = *t;
  v->is_view = TRUE;
  v->view_offset = t->view_offset + off;
  v->shape[0] = n_rows;
  v->nbytes = (VkDeviceSize) (n_rows * t->stride[0]) * dtype_size (t->dtype);
  return TRUE;
}

JgTensor *
jg_tensor_view_rows (JgTensor *t, gint64 row0, gint64 n_rows, GError **error)
{
  g_autofree JgTensor *v = g_new0 (JgTensor, 1);

  if (!jg_tensor_init_view (v, t, row0, n_rows, error))
    return NULL;
  return g_steal_pointer (&v);
}

void
jg_tensor_free (JgTensor *t)
{
  if (t == NULL)
    return;
  if (!t->is_view)
    jg_vk_free (t->ctx, &t->alloc);
  g_free (t);
}

JgDType jg_tensor_get_dtype (const JgTensor *t) { return t->dtype; }
guint jg_tensor_get_ndim (const JgTensor *t) { return t->ndim; }
JgVkContext *jg_tensor_get_context (const JgTensor *t) { return t->ctx; }
gsize jg_tensor_get_nbytes (const JgTensor *t) { return t->nbytes; }

gint64
jg_tensor_get_dim (const JgTensor *t, guint i)
{
  return i < t->ndim ? t->shape[i] : 1;
}

gint64
jg_tensor_get_stride (const JgTensor *t, guint i)
{
  return i < t->ndim ? t->stride[i] : 1;
}

gint64
jg_tensor_get_n_elements (const JgTensor *t)
{
  gint64 n = 1;
  for (guint i = 0; i < t->ndim; i++)
    n *= t->shape[i];
  return n;
}

gboolean
jg_tensor_is_contiguous (const JgTensor *t)
{
  gint64 s = 1;
  for (int i = (int) t->ndim - 1; i >= 0; i--)
    {
      if (t->stride[i] != s)
        return FALSE;
      s *= t->shape[i];
    }
  return TRUE;
}

gpointer
jg_tensor_get_mapped (JgTensor *t)
{
  if (t->alloc.block == NULL || t->alloc.block->mapped == NULL)
    return NULL;
  return t->alloc.block->mapped + t->alloc.offset + t->view_offset;
}

/* Host <-> device through the mapping when there is one, else through the
 * staging buffer in chunks. */
static gboolean
transfer (JgTensor *t, void *host, gboolean upload, GError **error)
{
  guint8 *mapped = jg_tensor_get_mapped (t);
  JgVkAlloc *staging;
  VkDeviceSize done = 0;

  if (mapped != NULL)
    {
      if (upload)
        memcpy (mapped, host, t->nbytes);
      else
        memcpy (host, mapped, t->nbytes);
      return TRUE;
    }
  if (!jg_vk_staging (t->ctx, t->nbytes, &staging, error))
    return FALSE;
  while (done < t->nbytes)
    {
      VkDeviceSize n = MIN (staging->size, t->nbytes - done);
      VkBuffer sb = staging->block->buffer, tb = t->alloc.block->buffer;
      VkDeviceSize toff = t->alloc.offset + t->view_offset + done;
      guint8 *sp = staging->block->mapped + staging->offset;

      if (upload)
        {
          memcpy (sp, (guint8 *) host + done, n);
          if (!jg_vk_copy_now (t->ctx, sb, staging->offset, tb, toff, n, error))
            return FALSE;
        }
      else
        {
          if (!jg_vk_copy_now (t->ctx, tb, toff, sb, staging->offset, n, error))
            return FALSE;
          memcpy ((guint8 *) host + done, sp, n);
        }
      done += n;
    }
  return TRUE;
}

static gboolean
check_contiguous (JgTensor *t, GError **error)
{
  if (jg_tensor_is_contiguous (t))
    return TRUE;
  g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "copies need a contiguous tensor");
  return FALSE;
}

/* Converts n values given by get() into the tensor's dtype and uploads. */
static gboolean
upload_converted (JgTensor *t, const void *src, float (*get) (const void *, gsize), GError **error)
{
  gsize n = (gsize) jg_tensor_get_n_elements (t);
  g_autofree void *buf = NULL;

  if (!check_contiguous (t, error))
    return FALSE;
  if (t->dtype == JG_DTYPE_U32)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "cannot upload floats into a u32 tensor");
      return FALSE;
    }
  buf = g_malloc (t->nbytes);
  if (t->dtype == JG_DTYPE_F32)
    for (gsize i = 0; i < n; i++)
      ((float *) buf)[i] = get (src, i);
  else
    for (gsize i = 0; i < n; i++)
      ((guint16 *) buf)[i] = jg_f32_to_f16 (get (src, i));
  return transfer (t, buf, TRUE, error);
}

static float get_f32 (const void *p, gsize i) { return ((const float *) p)[i]; }
static float get_f16 (const void *p, gsize i) { return jg_f16_to_f32 (((const guint16 *) p)[i]); }
static float get_bf16 (const void *p, gsize i) { return jg_bf16_to_f32 (((const guint16 *) p)[i]); }

gboolean
jg_tensor_upload_f32 (JgTensor *t, const float *src, GError **error)
{
  if (t->dtype == JG_DTYPE_F32 && check_contiguous (t, NULL))
    return transfer (t, (void *) src, TRUE, error);
  return upload_converted (t, src, get_f32, error);
}

gboolean
jg_tensor_upload_f16 (JgTensor *t, const guint16 *src, GError **error)
{
  if (t->dtype == JG_DTYPE_F16 && check_contiguous (t, NULL))
    return transfer (t, (void *) src, TRUE, error);
  return upload_converted (t, src, get_f16, error);
}

gboolean
jg_tensor_upload_bf16 (JgTensor *t, const guint16 *src, GError **error)
{
  return upload_converted (t, src, get_bf16, error);
}

gboolean
jg_tensor_upload_u32 (JgTensor *t, const guint32 *src, GError **error)
{
  if (t->dtype != JG_DTYPE_U32)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "not a u32 tensor");
      return FALSE;
    }
  return check_contiguous (t, error) && transfer (t, (void *) src, TRUE, error);
}

gboolean
jg_tensor_download_u32 (JgTensor *t, guint32 *dst, GError **error)
{
  if (t->dtype != JG_DTYPE_U32)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "not a u32 tensor");
      return FALSE;
    }
  return check_contiguous (t, error) && transfer (t, dst, FALSE, error);
}

gboolean
jg_tensor_download_f32 (JgTensor *t, float *dst, GError **error)
{
  gsize n = (gsize) jg_tensor_get_n_elements (t);
  g_autofree guint16 *h = NULL;

  if (!check_contiguous (t, error))
    return FALSE;
  if (t->dtype == JG_DTYPE_F32)
    return transfer (t, dst, FALSE, error);
  if (t->dtype != JG_DTYPE_F16)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "not a float tensor");
      return FALSE;
    }
  h = g_new (guint16, n);
  if (!transfer (t, h, FALSE, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    dst[i] = jg_f16_to_f32 (h[i]);
  return TRUE;
}
