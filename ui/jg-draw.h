/* jg-draw.h: small drawing helpers shared by the custom widgets. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The widget's foreground colour from its style. */
void jg_widget_get_fg (GtkWidget *widget, GdkRGBA *fg);

/* @text in the widget's font with its top-left corner at (x, y); returns
 * the text's width in pixels. */
int  jg_snapshot_text (GtkWidget *widget, GtkSnapshot *snapshot, const char *text,
                       float x, float y, const GdkRGBA *color);

/* The pixel width of @text in the widget's font. */
int  jg_text_width (GtkWidget *widget, const char *text);

G_END_DECLS
