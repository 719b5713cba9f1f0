/* jg-env.h: switches read from the environment, such as the lists of fast
 * paths to turn off (JAEGER_VK_DISABLE, JAEGER_GL_DISABLE). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  guint flag;
} JgEnvFlag;

/* ORs into *@flags the flags of the comma-separated names in @var (unset
 * or empty: 0). An unknown name is an error naming it, the variable and
 * the known names. */
gboolean jg_env_flags (const char      *var,
                       const JgEnvFlag *known,
                       guint            n_known,
                       guint           *flags,
                       GError         **error);

G_END_DECLS
