#include "jg-transport-bar.h"

#include <glib/gi18n.h>

struct _JgTransportBar {
  GtkWidget parent_instance;

  GtkButton *play_button;
  GtkLabel *time_label;
  GtkScale *position_scale;
  GtkAdjustment *position_adjustment;
  GtkGrid *meters;
  GtkLabel *audio_status;
  GtkLevelBar *levels[4];
  double duration;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE (JgTransportBar, jg_transport_bar, GTK_TYPE_WIDGET)

enum { SEEK, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
format_time (char *buf, gsize len, double s)
{
  int m = (int) (s / 60.0);
  g_snprintf (buf, len, "%d:%04.1f", m, s - 60.0 * m);
}

static void
update_label (JgTransportBar *self)
{
  char a[32], b[32], text[80];

  format_time (a, sizeof a, gtk_adjustment_get_value (self->position_adjustment));
  format_time (b, sizeof b, self->duration);
  g_snprintf (text, sizeof text, "%s / %s", a, b);
  gtk_label_set_label (self->time_label, text);
}

void
jg_transport_bar_set_duration (JgTransportBar *self, double seconds, const char *status)
{
  self->duration = MAX (seconds, 0.0);
  self->updating = TRUE;
  gtk_adjustment_set_upper (self->position_adjustment, MAX (self->duration, 1e-3));
  gtk_adjustment_set_value (self->position_adjustment, 0.0);
  self->updating = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->position_scale), self->duration > 0.0);
  gtk_label_set_label (self->audio_status, status ? status : "");
  update_label (self);
}

void
jg_transport_bar_set_position (JgTransportBar *self, double seconds)
{
  self->updating = TRUE;
  gtk_adjustment_set_value (self->position_adjustment, seconds);
  self->updating = FALSE;
  update_label (self);
}

void
jg_transport_bar_set_playing (JgTransportBar *self, gboolean playing)
{
  gtk_button_set_icon_name (self->play_button,
                            playing ? "media-playback-pause-symbolic" : "media-playback-start-symbolic");
}

void
jg_transport_bar_set_levels (JgTransportBar *self, const float levels[4])
{
  for (int i = 0; i < 4; i++)
    gtk_level_bar_set_value (self->levels[i], CLAMP (levels[i], 0.0f, 1.0f));
}

static void
position_changed (GtkAdjustment *adj, JgTransportBar *self)
{
  update_label (self);
  if (!self->updating)
    g_signal_emit (self, signals[SEEK], 0, gtk_adjustment_get_value (adj));
}

static void
jg_transport_bar_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), JG_TYPE_TRANSPORT_BAR);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (jg_transport_bar_parent_class)->dispose (object);
}

static void
jg_transport_bar_class_init (JgTransportBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_transport_bar_dispose;
  signals[SEEK] = g_signal_new ("seek", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_DOUBLE);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-transport-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, play_button);
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, time_label);
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, position_scale);
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, position_adjustment);
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, meters);
  gtk_widget_class_bind_template_child (widget_class, JgTransportBar, audio_status);
}

static void
jg_transport_bar_init (JgTransportBar *self)
{
  static const char *const names[4] = { "W", "Y", "Z", "X" };

  gtk_widget_init_template (GTK_WIDGET (self));
  for (int i = 0; i < 4; i++)
    {
      GtkWidget *label = gtk_label_new (names[i]);
      GtkWidget *bar = gtk_level_bar_new_for_interval (0.0, 1.0);

      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (bar, "meter");
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (bar, 80, 4);
      gtk_level_bar_set_mode (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_MODE_CONTINUOUS);
      gtk_grid_attach (self->meters, label, 0, i, 1, 1);
      gtk_grid_attach (self->meters, bar, 1, i, 1, 1);
      self->levels[i] = GTK_LEVEL_BAR (bar);
    }
  g_signal_connect (self->position_adjustment, "value-changed", G_CALLBACK (position_changed), self);
  jg_transport_bar_set_duration (self, 0.0, _("No audio"));
}
