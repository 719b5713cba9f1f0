/* jg-transport-bar.h: play/pause/seek/loop and channel meters. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_TRANSPORT_BAR (jg_transport_bar_get_type ())
G_DECLARE_FINAL_TYPE (JgTransportBar, jg_transport_bar, JG, TRANSPORT_BAR, GtkWidget)

/* Duration 0 means no audio: the bar shows @status instead. */
void jg_transport_bar_set_duration (JgTransportBar *self, double seconds, const char *status);
void jg_transport_bar_set_position (JgTransportBar *self, double seconds);
void jg_transport_bar_set_playing (JgTransportBar *self, gboolean playing);
/* Peak levels of W, Y, Z, X in [0, 1]. */
void jg_transport_bar_set_levels (JgTransportBar *self, const float levels[4]);

G_END_DECLS
