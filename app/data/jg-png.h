/* jg-png.h: PNG images through libpng (RGB frames, depth maps).
 *
 * Decoding expands palettes and low bit depths to 8 bits and transparency
 * to an alpha channel; 16-bit images stay 16-bit (host byte order), since
 * depth maps in millimetres need all 16 bits. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Larger than any camera frame this project meets; stops a forged header
 * from asking for gigabytes. */
#define JG_PNG_MAX_SIDE 16384

typedef struct {
  guint width, height;
  guint channels;             /* 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA */
  guint bit_depth;            /* 8 or 16 */
  guint8 *pixels;             /* rows packed tightly; 16-bit samples as guint16 */
} JgImage;

JgImage *jg_png_parse (const guint8 *bytes, gsize len, const char *name, GError **error);
JgImage *jg_png_load (const char *path, GError **error);
void     jg_image_free (JgImage *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgImage, jg_image_free)

/* Writes @pixels (@channels 1, 3 or 4; @bit_depth 8 or 16 with guint16
 * samples in host order) as a PNG, atomically. */
gboolean jg_png_write (const char *path, guint width, guint height, guint channels,
                       guint bit_depth, const void *pixels, GError **error);

G_END_DECLS
