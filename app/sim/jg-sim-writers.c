#include "sim/jg-sim-writers.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <math.h>
#include <png.h>
#include <string.h>

gboolean
jg_npy_write_f32 (const char *path, const float *data, guint ndim, const gsize *shape, GError **error)
{
  g_autoptr(GString) h = g_string_new ("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  gsize count = 1;
  guint8 pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0 };

  for (guint i = 0; i < ndim; i++)
    {
      g_string_append_printf (h, "%" G_GSIZE_FORMAT "%s", shape[i], ndim == 1 || i + 1 < ndim ? ", " : "");
      count *= shape[i];
    }
  if (ndim == 1)
    g_string_truncate (h, h->len - 1);
  g_string_append (h, "), }");
  /* Header padded with spaces to a multiple of 64 bytes, newline last. */
  while ((10 + h->len + 1) % 64 != 0)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  pre[8] = (guint8) (h->len & 0xff);
  pre[9] = (guint8) (h->len >> 8);
  g_byte_array_append (buf, pre, 10);
  g_byte_array_append (buf, (const guint8 *) h->str, h->len);
  for (gsize i = 0; i < count; i++)
    {
      guint32 bits;
      memcpy (&bits, &data[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (buf, (const guint8 *) &bits, 4);
    }
  return jg_file_write_atomic (path, buf->data, buf->len, error);
}

static void
png_to_bytes (png_structp png, png_bytep data, png_size_t len)
{
  g_byte_array_append (png_get_io_ptr (png), data, len);
}

static void
png_flush_nop (png_structp png)
{
}

gboolean
jg_png_write (const char *path, guint width, guint height, guint channels, guint bit_depth,
              const void *pixels, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png != NULL ? png_create_info_struct (png) : NULL;
  int color = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  gsize stride = (gsize) width * channels * (bit_depth / 8);

  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: PNG encoding failed", path);
      return FALSE;
    }
  png_set_write_fn (png, buf, png_to_bytes, png_flush_nop);
  png_set_IHDR (png, info, width, height, (int) bit_depth, color, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  for (guint y = 0; y < height; y++)
    png_write_row (png, (png_const_bytep) pixels + y * stride);
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  return jg_file_write_atomic (path, buf->data, buf->len, error);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_u16 (GByteArray *b, guint16 v)
{
  v = GUINT16_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 2);
}

gboolean
jg_wav_write (const char *path, const float *data, guint channels, guint sample_rate,
              gsize n_frames, JgWavFormat format, GError **error)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  guint bytes = format == JG_WAV_PCM16 ? 2 : 4;
  gsize data_len = n_frames * channels * bytes;

  if (data_len > G_MAXUINT32 - 64)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s: too long for a WAV file", path);
      return FALSE;
    }
  g_byte_array_append (b, (const guint8 *) "RIFF", 4);
  put_u32 (b, (guint32) (36 + data_len));
  g_byte_array_append (b, (const guint8 *) "WAVEfmt ", 8);
  put_u32 (b, 16);
  put_u16 (b, format == JG_WAV_PCM16 ? 1 : 3);
  put_u16 (b, (guint16) channels);
  put_u32 (b, sample_rate);
  put_u32 (b, sample_rate * channels * bytes);
  put_u16 (b, (guint16) (channels * bytes));
  put_u16 (b, (guint16) (8 * bytes));
  g_byte_array_append (b, (const guint8 *) "data", 4);
  put_u32 (b, (guint32) data_len);
  for (gsize i = 0; i < n_frames; i++)
    for (guint c = 0; c < channels; c++)
      {
        float v = data[c * n_frames + i];
        if (format == JG_WAV_PCM16)
          {
            long q = lrintf (CLAMP (v, -1.0f, 1.0f) * 32767.0f);
            put_u16 (b, (guint16) (gint16) q);
          }
        else
          {
            guint32 bits;
            memcpy (&bits, &v, 4);
            put_u32 (b, bits);
          }
      }
  return jg_file_write_atomic (path, b->data, b->len, error);
}
