/* jg-application.h: the Jaeger Studio application. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_APPLICATION (jg_application_get_type ())
G_DECLARE_FINAL_TYPE (JgApplication, jg_application, JG, APPLICATION, GtkApplication)

JgApplication *jg_application_new (void);

G_END_DECLS
