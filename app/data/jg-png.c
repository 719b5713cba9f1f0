/* jg-png.c: libpng from and to memory, so that a truncated file is our
 * error message (not libpng's "Read Error") and writes go through
 * jg_file_write_atomic. libpng reports errors by longjmp: everything that
 * must survive the jump lives in the heap-allocated Ctx. */
#include "data/jg-png.h"
#include "data/jg-read.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

typedef struct {
  const char *name;
  const guint8 *bytes;
  gsize len, pos;
  GByteArray *out;
  char message[256];
  png_bytep *rows;
  JgImage *image;
} Ctx;

static void
on_error (png_structp png, png_const_charp msg)
{
  Ctx *ctx = png_get_error_ptr (png);

  if (ctx->message[0] == '\0')
    g_strlcpy (ctx->message, msg, sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
on_warning (png_structp png, png_const_charp msg)
{
  (void) png;
  (void) msg;
}

static void
on_read (png_structp png, png_bytep data, png_size_t len)
{
  Ctx *ctx = png_get_io_ptr (png);

  if (len > ctx->len - ctx->pos)
    {
      g_strlcpy (ctx->message, "truncated (the file ends early)", sizeof ctx->message);
      png_error (png, ctx->message);
    }
  memcpy (data, ctx->bytes + ctx->pos, len);
  ctx->pos += len;
}

void
jg_image_free (JgImage *image)
{
  if (image == NULL)
    return;
  g_free (image->pixels);
  g_free (image);
}

JgImage *
jg_png_parse (const guint8 *bytes, gsize len, const char *name, GError **error)
{
  Ctx *ctx;
  png_structp png;
  png_infop info;
  JgImage *result = NULL;
  gsize stride;

  if (len < 8 || png_sig_cmp (bytes, 0, 8) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not a PNG file", name);
      return NULL;
    }
  ctx = g_new0 (Ctx, 1);
  ctx->name = name;
  ctx->bytes = bytes;
  ctx->len = len;
  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      png_destroy_read_struct (&png, NULL, NULL);
      g_free (ctx);
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: out of memory", name);
      return NULL;
    }

  if (setjmp (png_jmpbuf (png)))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: bad PNG: %s", name, ctx->message);
      png_destroy_read_struct (&png, &info, NULL);
      jg_image_free (ctx->image);
      g_free (ctx->rows);
      g_free (ctx);
      return NULL;
    }

  png_set_read_fn (png, ctx, on_read);
  png_set_user_limits (png, JG_PNG_MAX_SIDE, JG_PNG_MAX_SIDE);
  png_read_info (png, info);
  png_set_palette_to_rgb (png);
  png_set_expand_gray_1_2_4_to_8 (png);
  png_set_tRNS_to_alpha (png);
  if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);

  ctx->image = g_new0 (JgImage, 1);
  ctx->image->width = png_get_image_width (png, info);
  ctx->image->height = png_get_image_height (png, info);
  ctx->image->channels = png_get_channels (png, info);
  ctx->image->bit_depth = png_get_bit_depth (png, info);
  stride = png_get_rowbytes (png, info);
  if (stride != (gsize) ctx->image->width * ctx->image->channels * (ctx->image->bit_depth / 8))
    {
      g_strlcpy (ctx->message, "unexpected row layout", sizeof ctx->message);
      png_error (png, ctx->message);
    }
  /* zlib cannot compress better than about 1032:1, so a header promising
   * more pixels than the file could hold is forged or truncated: refuse it
   * before allocating. */
  if ((guint64) stride * ctx->image->height > (guint64) len * 1100 + 65536)
    {
      g_snprintf (ctx->message, sizeof ctx->message,
                  "the header claims %ux%u pixels, more than %" G_GSIZE_FORMAT " bytes can hold",
                  ctx->image->width, ctx->image->height, len);
      png_error (png, ctx->message);
    }
  ctx->image->pixels = g_malloc (stride * ctx->image->height);
  ctx->rows = g_new (png_bytep, ctx->image->height);
  for (guint y = 0; y < ctx->image->height; y++)
    ctx->rows[y] = ctx->image->pixels + y * stride;
  png_read_image (png, ctx->rows);
  png_read_end (png, NULL);

  png_destroy_read_struct (&png, &info, NULL);
  result = g_steal_pointer (&ctx->image);
  g_free (ctx->rows);
  g_free (ctx);
  return result;
}

JgImage *
jg_png_load (const char *path, GError **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize len;
  /* Uncompressed 16384^2 RGBA16 plus slack: no real PNG is bigger. */
  const gsize max_bytes = (gsize) 2 << 30;

  if (!jg_read_file (path, max_bytes, &bytes, &len, error))
    return NULL;
  return jg_png_parse (bytes, len, path, error);
}

static void
on_write (png_structp png, png_bytep data, png_size_t len)
{
  Ctx *ctx = png_get_io_ptr (png);

  g_byte_array_append (ctx->out, data, (guint) len);
}

static void
on_flush (png_structp png)
{
  (void) png;
}

gboolean
jg_png_write (const char *path, guint width, guint height, guint channels,
              guint bit_depth, const void *pixels, GError **error)
{
  Ctx *ctx;
  png_structp png;
  png_infop info;
  gboolean ok;
  int color;
  gsize stride;

  g_return_val_if_fail (channels == 1 || channels == 3 || channels == 4, FALSE);
  g_return_val_if_fail (bit_depth == 8 || bit_depth == 16, FALSE);
  if (width == 0 || height == 0 || width > JG_PNG_MAX_SIDE || height > JG_PNG_MAX_SIDE)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: cannot write a %ux%u image",
                   path, width, height);
      return FALSE;
    }
  color = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  stride = (gsize) width * channels * (bit_depth / 8);

  ctx = g_new0 (Ctx, 1);
  ctx->name = path;
  ctx->out = g_byte_array_new ();
  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      png_destroy_write_struct (&png, NULL);
      g_byte_array_unref (ctx->out);
      g_free (ctx);
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: out of memory", path);
      return FALSE;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: PNG encoding failed: %s", path, ctx->message);
      png_destroy_write_struct (&png, &info);
      g_byte_array_unref (ctx->out);
      g_free (ctx->rows);
      g_free (ctx);
      return FALSE;
    }
  png_set_write_fn (png, ctx, on_write, on_flush);
  png_set_IHDR (png, info, width, height, (int) bit_depth, color, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  ctx->rows = g_new (png_bytep, height);
  for (guint y = 0; y < height; y++)
    ctx->rows[y] = (png_bytep) pixels + y * stride;
  png_write_image (png, ctx->rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);

  ok = jg_file_write_atomic (path, ctx->out->data, ctx->out->len, error);
  g_byte_array_unref (ctx->out);
  g_free (ctx->rows);
  g_free (ctx);
  return ok;
}
