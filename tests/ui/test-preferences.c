/* The preferences window: every entry is bound to its GSettings key both
 * ways (a key set elsewhere shows in the window; typing in the window
 * changes the key), including the model's weights folder and checkpoint. */
#include "jg-preferences-window.h"

#include <gtk/gtk.h>

static GtkWidget *
find_entry_with_text (GtkWidget *w, const char *text)
{
  if (GTK_IS_ENTRY (w) && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (w)), text) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *hit = find_entry_with_text (c, text);
      if (hit != NULL)
        return hit;
    }
  return NULL;
}

static void
test_bindings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (JG_APP_ID);
  const char *keys[] = { "model-path", "adapter-path", "dataset-root", "hrtf-path" };
  GtkWidget *win;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *v = g_strdup_printf ("/set/elsewhere/%s", keys[i]);
      g_settings_set_string (settings, keys[i], v);
    }
  win = jg_preferences_window_new (NULL, settings);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *v = g_strdup_printf ("/set/elsewhere/%s", keys[i]);
      g_autofree char *typed = g_strdup_printf ("/typed/%s", keys[i]);
      g_autofree char *now = NULL;
      GtkWidget *entry = find_entry_with_text (win, v);

      g_assert_nonnull (entry);
      gtk_editable_set_text (GTK_EDITABLE (entry), typed);
      now = g_settings_get_string (settings, keys[i]);
      g_assert_cmpstr (now, ==, typed);
    }
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    g_error ("no display: run this test under xvfb-run, as ./run tests does");
  g_test_add_func ("/preferences/bindings", test_bindings);
  return g_test_run ();
}
