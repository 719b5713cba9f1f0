#include "core/jg-env.h"
#include "core/jg-error.h"

#include <string.h>

gboolean
jg_env_flags (const char *var, const JgEnvFlag *known, guint n_known, guint *flags, GError **error)
{
  const char *env = g_getenv (var);
  g_auto(GStrv) parts = NULL;

  *flags = 0;
  if (env == NULL || *env == '\0')
    return TRUE;
  parts = g_strsplit (env, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = g_strstrip (parts[i]);
      guint k;

      if (*p == '\0')
        continue;
      for (k = 0; k < n_known && strcmp (p, known[k].name) != 0; k++)
        ;
      if (k < n_known)
        {
          *flags |= known[k].flag;
          continue;
        }
      {
        g_autoptr(GString) names = g_string_new (NULL);
        for (k = 0; k < n_known; k++)
          g_string_append_printf (names, "%s%s", k ? ", " : "", known[k].name);
        g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s: unknown fast path '%s' (known: %s)", var, p,
                     names->str);
      }
      return FALSE;
    }
  return TRUE;
}
