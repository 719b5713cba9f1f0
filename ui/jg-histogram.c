#include "jg-histogram.h"
#include "jg-draw.h"

#include <glib/gi18n.h>
#include <string.h>

struct _JgHistogramWidget {
  GtkWidget parent_instance;
  double lo, hi;
  guint n_bins;
  guint counts[2][JG_HISTOGRAM_MAX_BINS];
  gboolean has_b;
  char unit[16];
};

G_DEFINE_FINAL_TYPE (JgHistogramWidget, jg_histogram_widget, GTK_TYPE_WIDGET)

enum { BIN_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

#define MARGIN 4.0f
#define AXIS_HEIGHT 16.0f

void
jg_histogram_widget_set (JgHistogramWidget *self, double lo, double hi, guint n_bins,
                         const guint *counts_a, const guint *counts_b, const char *unit)
{
  self->lo = lo;
  self->hi = hi;
  self->n_bins = MIN (n_bins, JG_HISTOGRAM_MAX_BINS);
  memset (self->counts, 0, sizeof self->counts);
  memcpy (self->counts[0], counts_a, self->n_bins * sizeof (guint));
  self->has_b = counts_b != NULL;
  if (counts_b)
    memcpy (self->counts[1], counts_b, self->n_bins * sizeof (guint));
  g_strlcpy (self->unit, unit ? unit : "", sizeof self->unit);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
jg_histogram_widget_bin_at (JgHistogramWidget *self, double x)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * MARGIN;
  int bin;

  if (self->n_bins == 0 || w <= 0)
    return -1;
  bin = (int) ((x - MARGIN) / w * self->n_bins);
  return bin >= 0 && bin < (int) self->n_bins ? bin : -1;
}

static void
jg_histogram_widget_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  JgHistogramWidget *self = JG_HISTOGRAM_WIDGET (widget);
  float w = gtk_widget_get_width (widget) - 2 * MARGIN;
  float h = gtk_widget_get_height (widget) - AXIS_HEIGHT - MARGIN;
  static const GdkRGBA colors[2] = { { 0.30f, 0.60f, 1.0f, 0.85f }, { 1.0f, 0.55f, 0.20f, 0.65f } };
  GdkRGBA fg;
  guint top = 1;
  char label[48];

  jg_widget_get_fg (widget, &fg);
  if (self->n_bins == 0 || w <= 0 || h <= 0)
    {
      jg_snapshot_text (widget, snapshot, _("No scored samples"), MARGIN, MARGIN, &fg);
      return;
    }
  for (int s = 0; s < 2; s++)
    for (guint b = 0; b < self->n_bins; b++)
      top = MAX (top, self->counts[s][b]);
  for (int s = 0; s < (self->has_b ? 2 : 1); s++)
    for (guint b = 0; b < self->n_bins; b++)
      {
        float bw = w / self->n_bins;
        float bh = h * self->counts[s][b] / (float) top;
        /* Run B is drawn as a narrower bar over run A. */
        float inset = s == 0 ? 1.0f : bw * 0.3f;
        gtk_snapshot_append_color (snapshot, &colors[s],
                                   &GRAPHENE_RECT_INIT (MARGIN + b * bw + inset, MARGIN + h - bh,
                                                        MAX (bw - 2 * inset, 1.0f), bh));
      }
  g_snprintf (label, sizeof label, "%g%s", self->lo, self->unit);
  jg_snapshot_text (widget, snapshot, label, MARGIN, MARGIN + h, &fg);
  g_snprintf (label, sizeof label, "%g%s · max %u", self->hi, self->unit, top);
  jg_snapshot_text (widget, snapshot, label, MARGIN + w - jg_text_width (widget, label), MARGIN + h, &fg);
}

static void
clicked (GtkGestureClick *gesture, int n_press, double x, double y, JgHistogramWidget *self)
{
  int bin = jg_histogram_widget_bin_at (self, x);

  if (bin >= 0)
    g_signal_emit (self, signals[BIN_ACTIVATED], 0,
                   self->lo + (self->hi - self->lo) * bin / self->n_bins,
                   self->lo + (self->hi - self->lo) * (bin + 1) / self->n_bins);
}

static void
jg_histogram_widget_class_init (JgHistogramWidgetClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = jg_histogram_widget_snapshot;
  gtk_widget_class_set_css_name (widget_class, "histogram");
  /* (lo, hi) of the clicked bar. */
  signals[BIN_ACTIVATED] = g_signal_new ("bin-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
jg_histogram_widget_init (JgHistogramWidget *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_set_size_request (GTK_WIDGET (self), 200, 90);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), _("Errors of run A (blue) and B (orange); click a bar to show only its samples"));
  g_signal_connect (click, "pressed", G_CALLBACK (clicked), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}
