/* jg-window.h: the main window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_WINDOW (jg_window_get_type ())
G_DECLARE_FINAL_TYPE (JgWindow, jg_window, JG, WINDOW, GtkApplicationWindow)

JgWindow *jg_window_new (GtkApplication *app);
/* Opens a sample folder, a dataset folder or a manifest (.json) on a
 * worker thread; errors show in the window. */
void      jg_window_open (JgWindow *self, GFile *file);
/* Loads a predictions file (jaeger's or the reference scripts') on a worker
 * thread; the samples' predictions then show as the prediction overlay. */
void      jg_window_open_predictions (JgWindow *self, const char *path);
/* TRUE while a dataset is being scanned or a sample loaded. */
gboolean  jg_window_is_busy (JgWindow *self);
/* TRUE once the 3-D view has drawn a frame since the last load. */
gboolean  jg_window_has_drawn (JgWindow *self);

G_END_DECLS
