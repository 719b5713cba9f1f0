#include "cli/jg-cli.h"

#include <stdio.h>

gboolean
jg_cli_parse (const JgCommand *cmd, const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("jaeger %s", cmd->name);

  ctx = g_option_context_new (cmd->parameters);
  g_option_context_set_help_enabled (ctx, TRUE);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, cmd->summary);

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      jg_cli_error (cmd, "%s (see `jaeger %s --help`)", error->message, cmd->name);
      return FALSE;
    }
  return TRUE;
}

void
jg_cli_error (const JgCommand *cmd, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (stderr, "jaeger %s: %s\n", cmd->name, msg);
}
