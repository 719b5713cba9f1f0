/* libFuzzer entry point for PNG decoding (rgb.png, depth.png). */
#include "data/jg-png.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  JgImage *img = jg_png_parse (data, size, "fuzz.png", &error);

  if (img == NULL)
    {
      if (error == NULL || error->message == NULL)
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  {
    /* Touch every byte: the buffer must be as large as the header says. */
    gsize n = (gsize) img->width * img->height * img->channels * (img->bit_depth / 8);
    volatile guint8 x = 0;
    for (gsize i = 0; i < n; i++)
      x ^= img->pixels[i];
  }
  jg_image_free (img);
  return 0;
}
