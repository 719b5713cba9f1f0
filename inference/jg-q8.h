/* jg-q8.h: the optional 8-bit weight format for faster decoding.
 * Symmetric int8 with one f16 scale per block of @block consecutive
 * input columns of a row (block = cols: one scale per row):
 *   w[r, c] ≈ q[r, c] · scale[r, c / block],  scale = max |w| / 127.
 * In safetensors: NAME (I8 [rows, cols]) + NAME_scale (F16 [rows, cols/block]). */
#pragma once

#include "inference/jg-safetensors.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 rows;
  gint64 cols;
  gint64 block;
  gint8 *q;          /* rows × cols */
  guint16 *scales;   /* rows × (cols / block), f16 */
} JgQ8Matrix;

/* @block must divide @cols; 0 means one block per row. */
JgQ8Matrix *jg_q8_quantize (const float *w, gint64 rows, gint64 cols, gint64 block, GError **error);
void        jg_q8_free (JgQ8Matrix *m);

void jg_q8_dequantize (const JgQ8Matrix *m, float *out);

/* y = W x with the quantized weights (the C reference for the shaders). */
void jg_q8_matvec (const JgQ8Matrix *m, const float *x, float *y);

/* Reads NAME + NAME_scale from @st, checking dtypes and shapes. */
JgQ8Matrix *jg_q8_from_safetensors (const JgSafetensors *st, const char *name, GError **error);

/* The two tensors to hand to jg_safetensors_write (); @scale_name is
 * storage for "NAME_scale" and must outlive the write. */
void jg_q8_to_write_tensors (const JgQ8Matrix *m, const char *name, char **scale_name,
                             JgStWriteTensor out[2]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgQ8Matrix, jg_q8_free)

G_END_DECLS
