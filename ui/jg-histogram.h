/* jg-histogram.h: error histograms of run A (and B), drawn with
 * GtkSnapshot; clicking a bar asks to filter on its range. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_HISTOGRAM (jg_histogram_widget_get_type ())
G_DECLARE_FINAL_TYPE (JgHistogramWidget, jg_histogram_widget, JG, HISTOGRAM_WIDGET, GtkWidget)

#define JG_HISTOGRAM_MAX_BINS 64

/* @counts_b may be NULL. Values cover [lo, hi) in n_bins equal bins. */
void jg_histogram_widget_set (JgHistogramWidget *self, double lo, double hi, guint n_bins,
                              const guint *counts_a, const guint *counts_b, const char *unit);
/* The bin under x (widget coordinates), or -1. */
int  jg_histogram_widget_bin_at (JgHistogramWidget *self, double x);

G_END_DECLS
