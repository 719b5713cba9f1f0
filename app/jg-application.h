/* jg-application.h: the Jaeger Studio application. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_APPLICATION (jg_application_get_type ())
G_DECLARE_FINAL_TYPE (JgApplication, jg_application, JG, APPLICATION, GtkApplication)

JgApplication *jg_application_new (void);
/* TRUE when a --screenshot run could not write its PNG (the exit status says so too). */
gboolean       jg_application_get_screenshot_failed (JgApplication *self);

G_END_DECLS
