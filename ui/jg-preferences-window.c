#include "jg-preferences-window.h"

struct _JgPreferencesWindow {
  GtkWindow parent_instance;

  GtkSpinButton *point_size;
  GtkComboBoxText *color_mode;
  GtkComboBoxText *decoder;
  GtkEntry *hrtf_path;
  GtkComboBoxText *convention;
  GtkEntry *model_path;
  GtkEntry *adapter_path;
  GtkSpinButton *device;
  GtkEntry *dataset_root;
};

G_DEFINE_FINAL_TYPE (JgPreferencesWindow, jg_preferences_window, GTK_TYPE_WINDOW)

static void
jg_preferences_window_class_init (JgPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, point_size);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, color_mode);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, decoder);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, hrtf_path);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, convention);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, model_path);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, adapter_path);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, device);
  gtk_widget_class_bind_template_child (widget_class, JgPreferencesWindow, dataset_root);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
jg_preferences_window_init (JgPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
jg_preferences_window_new (GtkWindow *parent, GSettings *settings)
{
  JgPreferencesWindow *self = g_object_new (JG_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);

  /* Enum keys bind to the combo boxes' ids (the enum nicks) directly. */
  g_settings_bind (settings, "point-size", self->point_size, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "color-mode", self->color_mode, "active-id", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "audio-decoder", self->decoder, "active-id", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "hrtf-path", self->hrtf_path, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "foa-convention", self->convention, "active-id", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "model-path", self->model_path, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "adapter-path", self->adapter_path, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "vulkan-device", self->device, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "dataset-root", self->dataset_root, "text", G_SETTINGS_BIND_DEFAULT);
  return GTK_WIDGET (self);
}
