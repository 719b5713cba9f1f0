/* jg-preferences-window.h: settings bound to GSettings. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_PREFERENCES_WINDOW (jg_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (JgPreferencesWindow, jg_preferences_window, JG, PREFERENCES_WINDOW, GtkWindow)

GtkWidget *jg_preferences_window_new (GtkWindow *parent, GSettings *settings);

G_END_DECLS
