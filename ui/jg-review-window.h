/* jg-review-window.h: error analysis and curation over a results store. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_REVIEW_WINDOW (jg_review_window_get_type ())
G_DECLARE_FINAL_TYPE (JgReviewWindow, jg_review_window, JG, REVIEW_WINDOW, GtkApplicationWindow)

JgReviewWindow *jg_review_window_new (GtkApplication *app);
/* Opens a store made by `jaeger eval --store`; errors show in the window. */
gboolean        jg_review_window_open_store (JgReviewWindow *self, const char *path, GError **error);
/* TRUE while a query or a sample load is running. */
gboolean        jg_review_window_is_busy (JgReviewWindow *self);

G_END_DECLS
