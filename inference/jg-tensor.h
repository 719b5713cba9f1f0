/* jg-tensor.h: a tensor in device memory: shape, strides (in elements),
 * dtype. Weights are f16 or f32 on the device; bf16 weights are converted
 * when they are uploaded. Row-major, up to 4 dimensions. */
#pragma once

#include <glib.h>

#include "inference/jg-vk-context.h"
/* The half-precision conversions (jg_f32_to_f16, ...) live with the weights. */
#include "inference/jg-safetensors.h"

G_BEGIN_DECLS

typedef enum {
  JG_DTYPE_F32,
  JG_DTYPE_F16,
  JG_DTYPE_U32,   /* token ids, positions, sampled tokens */
} JgDType;

#define JG_TENSOR_MAX_DIMS 4

typedef enum {
  JG_TENSOR_DEVICE = 0,     /* device-local memory */
  JG_TENSOR_HOST   = 1,     /* host-visible, mapped: small per-step inputs/outputs */
} JgTensorFlags;

JgTensor *jg_tensor_new (JgVkContext *ctx, JgDType dtype, guint ndim, const gint64 *shape,
                         JgTensorFlags flags, GError **error);
/* Convenience for 1-3 dimensions (unused trailing sizes 0). */
JgTensor *jg_tensor_new_2d (JgVkContext *ctx, JgDType dtype, gint64 rows, gint64 cols,
                            JgTensorFlags flags, GError **error);
/* Rows [row0, row0 + n_rows) of the first dimension, sharing memory. The
 * view's start must meet the device's offset alignment. */
JgTensor *jg_tensor_view_rows (JgTensor *t, gint64 row0, gint64 n_rows, GError **error);
void      jg_tensor_free (JgTensor *t);

JgDType      jg_tensor_get_dtype (const JgTensor *t);
guint        jg_tensor_get_ndim (const JgTensor *t);
gint64       jg_tensor_get_dim (const JgTensor *t, guint i);
gint64       jg_tensor_get_stride (const JgTensor *t, guint i);
gint64       jg_tensor_get_n_elements (const JgTensor *t);
gsize        jg_tensor_get_nbytes (const JgTensor *t);
gboolean     jg_tensor_is_contiguous (const JgTensor *t);
JgVkContext *jg_tensor_get_context (const JgTensor *t);
/* Host pointer of a JG_TENSOR_HOST tensor (or of any tensor whose memory
 * the device lets the host map), else NULL. */
gpointer     jg_tensor_get_mapped (JgTensor *t);
/* The GPU address of the tensor's first byte where the context has
 * JG_VK_FEATURE_DEVICE_ADDRESS, else 0. */
guint64      jg_tensor_get_device_address (const JgTensor *t);

/* Copies between host and device; they run at once (outside any
 * recording) and wait. The source dtype is converted to the tensor's. */
gboolean jg_tensor_upload_f32 (JgTensor *t, const float *src, GError **error);
gboolean jg_tensor_upload_f16 (JgTensor *t, const guint16 *src, GError **error);
gboolean jg_tensor_upload_bf16 (JgTensor *t, const guint16 *src, GError **error);
gboolean jg_tensor_upload_u32 (JgTensor *t, const guint32 *src, GError **error);
gboolean jg_tensor_download_f32 (JgTensor *t, float *dst, GError **error);
gboolean jg_tensor_download_u32 (JgTensor *t, guint32 *dst, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgTensor, jg_tensor_free)

G_END_DECLS
