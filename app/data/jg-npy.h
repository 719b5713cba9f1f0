/* jg-npy.h: NumPy .npy arrays of floats (SpatialSceneQA's impulse responses).
 *
 * Reads format versions 1, 2 and 3, dtypes float32/float64 in either byte
 * order, C or Fortran order, up to 4 dimensions; the result is always
 * float32 in C order. NaN or infinite values are rejected: they are never
 * valid in an impulse response and would poison every convolution. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_NPY_MAX_DIMS 4

typedef struct {
  guint ndim;
  gsize shape[JG_NPY_MAX_DIMS];
  gsize n_elements;
  float *data;               /* C order (last index fastest) */
} JgNpyArray;

/* Parses the bytes of a .npy file; @name (a file name) is used in errors. */
JgNpyArray *jg_npy_parse (const guint8 *bytes, gsize len, const char *name, GError **error);
JgNpyArray *jg_npy_load (const char *path, GError **error);
void        jg_npy_array_free (JgNpyArray *array);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgNpyArray, jg_npy_array_free)

/* A 4-channel FOA signal stored as (4, N) or (N, 4) (a (4, 4) array counts as
 * (4, N)); returns channel-major data, channel c at [c * n_frames + i]. */
float *jg_npy_load_foa (const char *path, gsize *n_frames, GError **error);
float *jg_npy_parse_foa (const guint8 *bytes, gsize len, const char *name,
                         gsize *n_frames, GError **error);

/* Writes a little-endian float32 C-order .npy (version 1) atomically. */
gboolean jg_npy_write_f32 (const char *path, const float *data,
                           guint ndim, const gsize *shape, GError **error);

G_END_DECLS
