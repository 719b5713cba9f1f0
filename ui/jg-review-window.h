/* jg-review-window.h: error analysis and curation over a results store. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_REVIEW_WINDOW (jg_review_window_get_type ())
G_DECLARE_FINAL_TYPE (JgReviewWindow, jg_review_window, JG, REVIEW_WINDOW, GtkApplicationWindow)

JgReviewWindow *jg_review_window_new (GtkApplication *app);
/* Opens a store made by `jaeger eval --store`; errors show in the window. */
gboolean        jg_review_window_open_store (JgReviewWindow *self, const char *path, GError **error);
/* Scores @predictions (JSON or JSON lines) against @manifest on a worker
 * thread and adds them to the open store as a new run, shown as run A when
 * done: what Store ▸ Import Predictions… does once both files are chosen.
 * Progress, errors (naming the file) and the outcome show in the status
 * line; win.cancel-import (Esc) cancels, adding no run. FALSE when no store
 * is open or an import is already running. */
gboolean        jg_review_window_import (JgReviewWindow *self, const char *predictions, const char *manifest);
/* TRUE while a query, a sample load or an import is running. */
gboolean        jg_review_window_is_busy (JgReviewWindow *self);
/* The status line's text. */
const char     *jg_review_window_get_status (JgReviewWindow *self);

G_END_DECLS
