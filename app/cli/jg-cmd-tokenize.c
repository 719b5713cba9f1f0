/* `jaeger tokenize`: shows how the Qwen tokenizer splits a text, for
 * debugging prompts and tokenizer files. */
#include "cli/jg-cli.h"
#include "inference/jg-tokenizer.h"

#include <stdio.h>

static char *tokenize_file;
static gboolean tokenize_ids;

static const GOptionEntry tokenize_entries[] = {
  { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenize_file,
    "tokenizer.json, or a folder with it or with vocab.json + merges.txt", "FILE" },
  { "ids", 0, 0, G_OPTION_ARG_NONE, &tokenize_ids, "Print only the ids, space-separated", NULL },
  { NULL }
};

static const JgCommand tokenize_cmd = {
  "tokenize", "TEXT", "Encode TEXT with a Qwen tokenizer and print the tokens.", NULL
};

int
jg_cmd_tokenize (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgTokenizer) tok = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) text = g_string_new (NULL);

  if (!jg_cli_parse (&tokenize_cmd, tokenize_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (tokenize_file == NULL)
    {
      jg_cli_error (&tokenize_cmd, "--tokenizer FILE is required");
      return JG_EXIT_USAGE;
    }
  if (argc != 2)
    {
      jg_cli_error (&tokenize_cmd, argc < 2 ? "missing TEXT" : "unexpected argument '%s'", argv[2]);
      return JG_EXIT_USAGE;
    }
  tok = jg_tokenizer_new_from_file (tokenize_file, &error);
  if (tok == NULL || !jg_tokenizer_encode (tok, argv[1], -1, ids, &error))
    {
      jg_cli_error (&tokenize_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  if (tokenize_ids)
    {
      for (guint i = 0; i < ids->len; i++)
        printf ("%s%u", i ? " " : "", g_array_index (ids, guint32, i));
      printf ("\n");
      return JG_EXIT_OK;
    }
  /* One token a line: id, then its text with control and partial UTF-8
   * bytes escaped, so spaces, newlines and split characters show. */
  for (guint i = 0; i < ids->len; i++)
    {
      guint32 id = g_array_index (ids, guint32, i);
      gsize n;
      const char *p = (const char *) jg_tokenizer_token_bytes (tok, id, &n);
      const char *end = p + n;

      g_string_truncate (text, 0);
      while (p < end)
        {
          gunichar c = g_utf8_get_char_validated (p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            {
              g_string_append_printf (text, "\\x%02x", (guint8) *p++);
              continue;
            }
          if (c == '\n')
            g_string_append (text, "\\n");
          else if (c == '\t')
            g_string_append (text, "\\t");
          else if (c == '\r')
            g_string_append (text, "\\r");
          else if (c < 0x20 || c == 0x7f)
            g_string_append_printf (text, "\\x%02x", c);
          else if (c == '"' || c == '\\')
            g_string_append_printf (text, "\\%c", (char) c);
          else
            g_string_append_unichar (text, c);
          p = g_utf8_next_char (p);
        }
      printf ("%6u  \"%s\"%s\n", id, text->str, jg_tokenizer_is_special (tok, id) ? "  (special)" : "");
    }
  printf ("%u tokens\n", ids->len);
  return JG_EXIT_OK;
}
