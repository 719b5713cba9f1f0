/* libFuzzer entry point for the .npy parser (and its FOA reshaping). */
#include "data/jg-npy.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  gsize n = 0;
  float *foa = jg_npy_parse_foa (data, size, "fuzz.npy", &n, &error);

  if (foa == NULL)
    {
      /* Every failure must explain itself. */
      if (error == NULL || error->message == NULL)
        __builtin_trap ();
      g_error_free (error);
    }
  else
    {
      volatile float sum = 0;
      for (gsize i = 0; i < 4 * n; i++)
        sum += foa[i];
      g_free (foa);
    }
  return 0;
}
