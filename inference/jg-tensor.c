#include "inference/jg-tensor.h"
#include "inference/jg-safetensors.h"
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

guint64
jg_tensor_get_device_address (const JgTensor *t)
{
  if (t->alloc.block == NULL || t->alloc.block->address == 0)
    return 0;
  return t->alloc.block->address + t->alloc.offset + t->view_offset;
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

/* A converting upload: values of @type from @src, written straight into the
 * staging memory (or the tensor's own mapping) in the tensor's dtype by
 * every core, a staging buffer at a time. Loading a 7B model converts 15 GB
 * this way. */
typedef enum { SRC_F32, SRC_F16, SRC_BF16 } SrcType;

typedef struct {
  guint8 *dst;
  JgDType dtype;
  const guint8 *src;
  SrcType type;
  gsize n;
} Span;

static gsize
src_size (SrcType type)
{
  return type == SRC_F32 ? 4 : 2;
}

static void
convert_span (const Span *sp)
{
  guint16 *h = (guint16 *) sp->dst;
  float *f = (float *) sp->dst;

  if (sp->dtype == JG_DTYPE_F16)
    switch (sp->type)
      {
      case SRC_F32: jg_f32_to_f16_n ((const float *) sp->src, h, sp->n); break;
      case SRC_F16: memcpy (h, sp->src, sp->n * 2); break;
      case SRC_BF16: jg_bf16_to_f16_n ((const guint16 *) sp->src, h, sp->n); break;
      }
  else
    switch (sp->type)
      {
      case SRC_F32: memcpy (f, sp->src, sp->n * 4); break;
      case SRC_F16: jg_f16_to_f32_n ((const guint16 *) sp->src, f, sp->n); break;
      case SRC_BF16: jg_bf16_to_f32_n ((const guint16 *) sp->src, f, sp->n); break;
      }
}

static gpointer
convert_thread (gpointer data)
{
  convert_span (data);
  return NULL;
}

#define MAX_CONVERT_THREADS 16

static void
convert_parallel (guint8 *dst, JgDType dtype, const guint8 *src, SrcType type, gsize n)
{
  guint nt = MIN (g_get_num_processors (), MAX_CONVERT_THREADS);
  Span spans[MAX_CONVERT_THREADS];
  GThread *threads[MAX_CONVERT_THREADS] = { NULL };
  gsize per, done = 0;

  /* Below a few MB a thread costs more than it saves. */
  if (n < (1u << 20))
    nt = 1;
  per = ((n + nt - 1) / nt + 63) & ~(gsize) 63;
  for (guint i = 0; i < nt; i++)
    {
      gsize k = MIN (per, n - done);
      spans[i] = (Span) { dst + done * dtype_size (dtype), dtype, src + done * src_size (type), type, k };
      done += k;
    }
  for (guint i = 1; i < nt; i++)
    if (spans[i].n > 0)
      threads[i] = g_thread_try_new ("jg-convert", convert_thread, &spans[i], NULL);
  convert_span (&spans[0]);
  for (guint i = 1; i < nt; i++)
    {
      if (threads[i] != NULL)
        g_thread_join (threads[i]);
      else if (spans[i].n > 0)
        convert_span (&spans[i]);   /* no thread to be had: do it here */
    }
}

static gboolean
upload_converted (JgTensor *t, const void *src, SrcType type, GError **error)
{
  gsize n = (gsize) jg_tensor_get_n_elements (t), esize = dtype_size (t->dtype), done = 0;
  guint8 *mapped = jg_tensor_get_mapped (t);
  JgVkAlloc *staging;

  if (!check_contiguous (t, error))
    return FALSE;
  if (t->dtype == JG_DTYPE_U32)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "cannot upload floats into a u32 tensor");
      return FALSE;
    }
  if (mapped != NULL)
    {
      convert_parallel (mapped, t->dtype, src, type, n);
      return TRUE;
    }
  if (!jg_vk_staging (t->ctx, t->nbytes, &staging, error))
    return FALSE;
  while (done < n)
    {
      gsize k = MIN (staging->size / esize, n - done);
      VkDeviceSize toff = t->alloc.offset + t->view_offset + done * esize;

      convert_parallel (staging->block->mapped + staging->offset, t->dtype,
                        (const guint8 *) src + done * src_size (type), type, k);
      if (!jg_vk_copy_now (t->ctx, staging->block->buffer, staging->offset, t->alloc.block->buffer, toff,
                           k * esize, error))
        return FALSE;
      done += k;
    }
  return TRUE;
}

gboolean
jg_tensor_upload_f32 (JgTensor *t, const float *src, GError **error)
{
  return upload_converted (t, src, SRC_F32, error);
}

gboolean
jg_tensor_upload_f16 (JgTensor *t, const guint16 *src, GError **error)
{
  return upload_converted (t, src, SRC_F16, error);
}

gboolean
jg_tensor_upload_bf16 (JgTensor *t, const guint16 *src, GError **error)
{
  return upload_converted (t, src, SRC_BF16, error);
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
