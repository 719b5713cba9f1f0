#include "jg-window.h"

#include "jg-audio-view.h"
#include "jg-chat-panel.h"
#include "jg-preferences-window.h"
#include "jg-sample-browser.h"
#include "jg-sample-item.h"
#include "jg-scene-view.h"
#include "jg-transport-bar.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "audio/jg-audio-file.h"
#include "audio/jg-doa.h"

#define MAX_RECENT 10
#define MAX_SCAN_DEPTH 4

struct _JgWindow {
  GtkApplicationWindow parent_instance;

  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkLabel *status_label;
  JgSampleBrowser *browser;
  JgSceneView *scene_view;
  JgAudioView *audio_view;
  JgChatPanel *chat;
  JgTransportBar *transport;
  GMenu *recent_submenu;

  GSettings *settings;
  GCancellable *load_cancellable;     /* scanning a dataset */
  GCancellable *sample_cancellable;   /* loading one sample */
  GFile *dataset;
  guint frames_at_load;
};

G_DEFINE_FINAL_TYPE (JgWindow, jg_window, GTK_TYPE_APPLICATION_WINDOW)

static void
set_status (JgWindow *self, const char *text)
{
  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
}

/* --- Finding samples (worker thread) --------------------------------- */

static gboolean
is_sample_dir (GFile *dir)
{
  static const char *const markers[] = { "rgb.png", "depth.png", "foa_ls.wav", "ir.npy", "ir_male.npy" };

  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autoptr(GFile) f = g_file_get_child (dir, markers[i]);
      if (g_file_query_exists (f, NULL))
        return TRUE;
    }
  return FALSE;
}

static const char *
guess_task (const char *name)
{
  if (g_str_has_prefix (name, "task1"))
    return "task1";
  if (g_str_has_prefix (name, "task2"))
    return "task2";
  return "";
}

static gboolean
scan_dir (GFile *dir, int depth, GPtrArray *items, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFileEnumerator) e = NULL;
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);

  if (is_sample_dir (dir))
    {
      g_autofree char *path = g_file_get_path (dir);
      g_autofree char *base = g_file_get_basename (dir);
      g_ptr_array_add (items, jg_sample_item_new (path, guess_task (base), NULL));
      return TRUE;
    }
  if (depth >= MAX_SCAN_DEPTH)
    return TRUE;
  e = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (e == NULL)
    return FALSE;
  for (;;)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (e, &info, &child, cancellable, error))
        return FALSE;
      if (info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        g_ptr_array_add (children, g_object_ref (child));
    }
  for (guint i = 0; i < children->len; i++)
    if (!scan_dir (children->pdata[i], depth + 1, items, cancellable, error))
      return FALSE;
  return TRUE;
}

static gboolean
load_manifest (GFile *file, GPtrArray *items, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_file_get_path (file);
  JsonNode *root;
  JsonArray *entries;

  if (!json_parser_load_from_mapped_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)
      || !json_object_has_member (json_node_get_object (root), "annotation")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root), "annotation")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: not a SpatialSceneQA manifest (no \"annotation\" list)"), path);
      return FALSE;
    }
  entries = json_object_get_array_member (json_node_get_object (root), "annotation");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);
      JsonObject *o;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      o = json_node_get_object (node);
      g_ptr_array_add (items, jg_sample_item_new (json_object_get_string_member_with_default (o, "path", "?"),
                                                  json_object_get_string_member_with_default (o, "task", ""),
                                                  json_object_get_string_member_with_default (o, "text", "")));
    }
  return TRUE;
}

static int
compare_items (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (jg_sample_item_get_path (*(JgSampleItem **) a), jg_sample_item_get_path (*(JgSampleItem **) b));
}

static void
scan_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  GFileType type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, cancellable);
  gboolean ok;

  if (type == G_FILE_TYPE_DIRECTORY)
    {
      ok = scan_dir (file, 0, items, cancellable, &error);
      g_ptr_array_sort (items, compare_items);
    }
  else if (type == G_FILE_TYPE_REGULAR)
    ok = load_manifest (file, items, &error);
  else
    {
      g_autofree char *name = g_file_get_parse_name (file);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s: no such file or folder"), name);
      ok = FALSE;
    }
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&items), (GDestroyNotify) g_ptr_array_unref);
}

static void
scan_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = g_task_propagate_pointer (G_TASK (result), &error);
  GListStore *store;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->load_cancellable);
  if (items == NULL)
    {
      set_status (self, error->message);
      return;
    }
  store = g_list_store_new (JG_TYPE_SAMPLE_ITEM);
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  jg_sample_browser_set_items (self->browser, G_LIST_MODEL (store));
  if (items->len == 0)
    {
      g_autofree char *name = g_file_get_parse_name (self->dataset);
      g_autofree char *msg = g_strdup_printf (_("No samples found in %s"), name);
      set_status (self, msg);
    }
}

void
jg_window_open (JgWindow *self, GFile *file)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *parse_name = g_file_get_parse_name (file);

  g_return_if_fail (JG_IS_WINDOW (self));

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  g_set_object (&self->dataset, file);

  gtk_label_set_label (self->title_label, name);
  gtk_label_set_label (self->subtitle_label, parse_name);
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), TRUE);
  set_status (self, _("Loading…"));
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);

  task = g_task_new (self, self->load_cancellable, scan_done, NULL);
  g_task_set_source_tag (task, jg_window_open);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, scan_thread);
}

gboolean
jg_window_is_busy (JgWindow *self)
{
  return self->load_cancellable != NULL || self->sample_cancellable != NULL;
}

gboolean
jg_window_has_drawn (JgWindow *self)
{
  return jg_scene_view_get_frames_drawn (self->scene_view) > self->frames_at_load;
}

/* --- Loading one sample (worker thread) -------------------------------- */

typedef struct {
  char *dir;
  JgFoaConvention convention;
  JgAudioViewImages *images;
  double duration;
  char *audio_status;
} SampleLoad;

static void
sample_load_free (SampleLoad *load)
{
  g_free (load->dir);
  g_clear_pointer (&load->images, jg_audio_view_images_free);
  g_free (load->audio_status);
  g_free (load);
}

static void
sample_load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SampleLoad *load = task_data;
  g_autofree char *wav = g_build_filename (load->dir, "foa_ls.wav", NULL);
  g_autoptr(JgAudioBuffer) audio = NULL;
  g_autoptr(JgFoaAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (wav, G_FILE_TEST_EXISTS))
    load->audio_status = g_strdup (_("No foa_ls.wav (run “jaeger prepare-audio” to make it)"));
  else if ((audio = jg_audio_file_read (wav, 4, &error)) == NULL
           || (analysis = jg_foa_analyse (audio->samples, audio->n_frames, audio->sample_rate,
                                          load->convention, &error)) == NULL)
    load->audio_status = g_strdup (error->message);
  else
    {
      load->images = jg_audio_view_images_new (analysis);
      load->duration = (double) audio->n_frames / audio->sample_rate;
      load->audio_status = g_strdup_printf (_("%.1f kHz · direction %+.0f°, %+.0f°"),
                                            audio->sample_rate / 1000.0, analysis->az_deg, analysis->el_deg);
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_boolean (task, TRUE);
}

static void
sample_load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (source);
  SampleLoad *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    return;   /* cancelled: a newer selection is loading */
  g_clear_object (&self->sample_cancellable);
  jg_audio_view_set_images (self->audio_view, g_steal_pointer (&load->images));
  jg_transport_bar_set_duration (self->transport, load->duration, load->audio_status);
}

static void
load_sample (JgWindow *self, const char *dir)
{
  g_autoptr(GTask) task = NULL;
  SampleLoad *load = g_new0 (SampleLoad, 1);

  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  self->sample_cancellable = g_cancellable_new ();

  load->dir = g_strdup (dir);
  load->convention = (JgFoaConvention) g_settings_get_enum (self->settings, "foa-convention");
  task = g_task_new (self, self->sample_cancellable, sample_load_done, NULL);
  g_task_set_source_tag (task, load_sample);
  g_task_set_task_data (task, load, (GDestroyNotify) sample_load_free);
  g_task_run_in_thread (task, sample_load_thread);
}

/* --- Selection -------------------------------------------------------- */

static void
sample_selected (JgSampleBrowser *browser, JgWindow *self)
{
  JgSampleItem *item = jg_sample_browser_get_selected (browser);

  self->frames_at_load = jg_scene_view_get_frames_drawn (self->scene_view);
  gtk_widget_queue_draw (GTK_WIDGET (self->scene_view));
  if (item == NULL)
    {
      jg_audio_view_set_images (self->audio_view, NULL);
      jg_transport_bar_set_duration (self->transport, 0.0, _("No audio"));
      return;
    }
  load_sample (self, jg_sample_item_get_path (item));
  set_status (self, jg_sample_item_get_path (item));
  gtk_label_set_label (self->subtitle_label, jg_sample_item_get_path (item));
  if (*jg_sample_item_get_answer (item) != '\0')
    {
      g_autofree char *msg = g_strdup_printf (_("Ground truth: %s"), jg_sample_item_get_answer (item));
      jg_chat_panel_clear (self->chat);
      jg_chat_panel_add_message (self->chat, JG_CHAT_SYSTEM, msg);
    }
}

static void
chat_ask (JgChatPanel *chat, const char *question, JgWindow *self)
{
  g_autofree char *model = g_settings_get_string (self->settings, "model-path");

  if (*model == '\0')
    jg_chat_panel_add_message (chat, JG_CHAT_SYSTEM,
                               _("No model is loaded. Choose the folder of the JAEGER weights in Preferences."));
  else
    jg_chat_panel_add_message (chat, JG_CHAT_SYSTEM,
                               _("The model engine cannot answer yet in this version."));
}

/* --- Screenshots -------------------------------------------------------- */

gboolean
jg_window_save_png (JgWindow *self, const char *path, GError **error)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (self));
  g_autofree char *tmp = g_strdup_printf ("%s.part", path);

  /* The window's own snapshot vfunc draws exactly what is on screen. */
  GTK_WIDGET_GET_CLASS (self)->snapshot (GTK_WIDGET (self), snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: the window has nothing drawn yet"), path);
      return FALSE;
    }
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, tmp))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot write the PNG"), path);
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static void
screenshot_response (GtkNativeDialog *dialog, int response, JgWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!jg_window_save_png (self, path, &error))
        set_status (self, error->message);
    }
  g_object_unref (dialog);
}

static void
save_screenshot_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save Screenshot"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "jaeger-studio.png");
  g_signal_connect (dialog, "response", G_CALLBACK (screenshot_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* --- Opening files ------------------------------------------------------ */

static void
open_response (GtkNativeDialog *dialog, int response, JgWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file != NULL)
        jg_window_open (self, file);
    }
  g_object_unref (dialog);
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Sample or Dataset Folder"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), NULL);

  g_signal_connect (dialog, "response", G_CALLBACK (open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_manifest_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Manifest"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("SpatialSceneQA manifests (*.json)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));

  jg_window_open (JG_WINDOW (widget), file);
}

static void
update_recent_menu (JgWindow *self)
{
  GList *infos = gtk_recent_manager_get_items (gtk_recent_manager_get_default ());
  const char *app_name = g_get_application_name ();
  guint n = 0;

  g_menu_remove_all (self->recent_submenu);
  for (GList *l = infos; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      g_autoptr(GMenuItem) item = NULL;

      if (app_name == NULL || !gtk_recent_info_has_application (info, app_name))
        continue;
      item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (gtk_recent_info_get_uri (info)));
      g_menu_append_item (self->recent_submenu, item);
      n++;
    }
  g_list_free_full (infos, (GDestroyNotify) gtk_recent_info_unref);
}

static gboolean
drop_files (GtkDropTarget *target, const GValue *value, double x, double y, JgWindow *self)
{
  GSList *files = g_value_get_boxed (value);

  if (files == NULL)
    return FALSE;
  jg_window_open (self, files->data);
  return TRUE;
}

/* --- Other actions ------------------------------------------------------ */

static void
step_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);

  jg_sample_browser_step (self->browser, g_str_equal (action_name, "win.next-sample") ? 1 : -1);
}

static void
view_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);
  JgViewPreset preset = JG_VIEW_SENSOR;

  if (g_str_equal (action_name, "win.view-top"))
    preset = JG_VIEW_TOP;
  else if (g_str_equal (action_name, "win.view-front"))
    preset = JG_VIEW_FRONT;
  else if (g_str_equal (action_name, "win.view-side"))
    preset = JG_VIEW_SIDE;
  jg_scene_view_set_preset (self->scene_view, preset);
}

static void
focus_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);

  if (g_str_equal (action_name, "win.focus-search"))
    {
      g_settings_set_boolean (self->settings, "show-browser", TRUE);
      jg_sample_browser_focus_search (self->browser);
    }
  else
    {
      g_settings_set_boolean (self->settings, "show-chat", TRUE);
      jg_chat_panel_focus_entry (self->chat);
    }
}

static void
fullscreen_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  if (gtk_window_is_fullscreen (GTK_WINDOW (widget)))
    gtk_window_unfullscreen (GTK_WINDOW (widget));
  else
    gtk_window_fullscreen (GTK_WINDOW (widget));
}

static void
jg_window_dispose (GObject *object)
{
  JgWindow *self = JG_WINDOW (object);

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  g_clear_object (&self->dataset);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), JG_TYPE_WINDOW);
  G_OBJECT_CLASS (jg_window_parent_class)->dispose (object);
}

static void
jg_window_class_init (JgWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_window_dispose;

  g_type_ensure (JG_TYPE_SAMPLE_BROWSER);
  g_type_ensure (JG_TYPE_SCENE_VIEW);
  g_type_ensure (JG_TYPE_AUDIO_VIEW);
  g_type_ensure (JG_TYPE_CHAT_PANEL);
  g_type_ensure (JG_TYPE_TRANSPORT_BAR);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-window.ui");
  gtk_widget_class_bind_template_child (widget_class, JgWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, browser);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, scene_view);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, audio_view);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, chat);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, transport);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, recent_submenu);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-manifest", NULL, open_manifest_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.save-screenshot", NULL, save_screenshot_action);
  gtk_widget_class_install_action (widget_class, "win.next-sample", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.previous-sample", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.reset-view", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-top", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-front", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-side", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.focus-search", NULL, focus_action);
  gtk_widget_class_install_action (widget_class, "win.focus-chat", NULL, focus_action);
  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
}

static void
jg_window_init (JgWindow *self)
{
  g_autoptr(GAction) show_browser = NULL;
  g_autoptr(GAction) show_chat = NULL;
  g_autoptr(GAction) show_audio_view = NULL;
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (JG_APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-browser", self->browser, "visible", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-chat", self->chat, "visible", G_SETTINGS_BIND_DEFAULT);
  show_browser = g_settings_create_action (self->settings, "show-browser");
  show_chat = g_settings_create_action (self->settings, "show-chat");
  g_action_map_add_action (G_ACTION_MAP (self), show_browser);
  g_action_map_add_action (G_ACTION_MAP (self), show_chat);
  g_settings_bind (self->settings, "show-audio-view", self->audio_view, "visible", G_SETTINGS_BIND_DEFAULT);
  show_audio_view = g_settings_create_action (self->settings, "show-audio-view");
  g_action_map_add_action (G_ACTION_MAP (self), show_audio_view);

  g_signal_connect (self->browser, "selected", G_CALLBACK (sample_selected), self);
  g_signal_connect (self->chat, "ask", G_CALLBACK (chat_ask), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_files), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  g_signal_connect_object (gtk_recent_manager_get_default (), "changed",
                           G_CALLBACK (update_recent_menu), self, G_CONNECT_SWAPPED);
  update_recent_menu (self);
  set_status (self, _("Open a sample folder, a dataset or a manifest (Ctrl+O), or drop one here."));
}

JgWindow *
jg_window_new (GtkApplication *app)
{
  return g_object_new (JG_TYPE_WINDOW, "application", app, NULL);
}
