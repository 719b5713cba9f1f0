/* jg-screenshot.h: a window as it is drawn now, into a PNG. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Renders @window with its own renderer and writes @path atomically. */
gboolean jg_save_window_png (GtkWindow *window, const char *path, GError **error);

G_END_DECLS
