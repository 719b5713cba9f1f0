/* libFuzzer entry point for the answer parser: the first byte picks the
 * task and the units, the rest is the text. A parsed answer must format
 * and re-parse to the same kind. */
#include "data/jg-answer.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  JgTask task;
  JgUnits units;
  char *text;
  JgAnswer *a, *b;
  char *formatted;

  if (size == 0)
    return 0;
  task = (JgTask) (data[0] % JG_N_TASKS);
  units = (data[0] / JG_N_TASKS) % 2 ? JG_UNITS_CENTIMETRES : JG_UNITS_METRES;
  text = g_strndup ((const char *) data + 1, size - 1);
  a = jg_answer_parse (task, text, units);
  if (a->raw == NULL || strcmp (a->raw, text) != 0)
    __builtin_trap ();
  formatted = jg_answer_format (a, JG_UNITS_METRES);
  b = jg_answer_parse (task, formatted, JG_UNITS_METRES);
  if (a->kind != b->kind)
    __builtin_trap ();
  if (a->kind == JG_ANSWER_BOXES && a->boxes->len != b->boxes->len)
    __builtin_trap ();
  jg_answer_free (b);
  g_free (formatted);
  jg_answer_free (a);
  g_free (text);
  return 0;
}
