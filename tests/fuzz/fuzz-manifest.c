/* libFuzzer entry point for the manifest parser (JSON, entries, answers). */
#include "data/jg-manifest.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  JgManifest *m = jg_manifest_parse ((const char *) data, size, "fuzz.json", NULL, &error);

  if (m == NULL)
    {
      if (error == NULL || error->message == NULL)
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < jg_manifest_get_n_entries (m); i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (m, i);
      char *again = jg_answer_format (e->answer, JG_UNITS_METRES);
      if (e->answer->kind == JG_ANSWER_UNPARSED || strlen (e->path) == 0)
        __builtin_trap ();
      g_free (again);
    }
  for (guint i = 0; i < jg_manifest_get_n_problems (m); i++)
    if (strncmp (jg_manifest_get_problem (m, i), "entry ", 6) != 0)
      __builtin_trap ();
  jg_manifest_free (m);
  return 0;
}
