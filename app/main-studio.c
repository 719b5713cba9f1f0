/* jaeger-studio: the desktop application. */
#include "jg-application.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  g_autoptr(JgApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  /* JAEGER_LOCALEDIR lets an uninstalled build (and its tests) find build/po. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("JAEGER_LOCALEDIR") ? g_getenv ("JAEGER_LOCALEDIR") : JG_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = jg_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  return status == 0 && jg_application_get_screenshot_failed (app) ? 1 : status;
}
