/* jg-sample-browser.h: the list of samples of the open dataset. */
#pragma once

#include <gtk/gtk.h>

#include "jg-sample-item.h"

G_BEGIN_DECLS

#define JG_TYPE_SAMPLE_BROWSER (jg_sample_browser_get_type ())
G_DECLARE_FINAL_TYPE (JgSampleBrowser, jg_sample_browser, JG, SAMPLE_BROWSER, GtkWidget)

/* @items: a GListModel of JgSampleItem (taken over). */
void          jg_sample_browser_set_items (JgSampleBrowser *self, GListModel *items);
JgSampleItem *jg_sample_browser_get_selected (JgSampleBrowser *self);
/* Moves the selection by @delta rows within the filtered list. */
void          jg_sample_browser_step (JgSampleBrowser *self, int delta);
void          jg_sample_browser_focus_search (JgSampleBrowser *self);
guint         jg_sample_browser_get_n_items (JgSampleBrowser *self);

G_END_DECLS
