#include "jg-application.h"

#include "jg-preferences-window.h"
#include "jg-review-window.h"
#include "jg-screenshot.h"
#include "jg-window.h"

#include <glib/gi18n.h>
#include <stdio.h>

#define SCREENSHOT_TIMEOUT_S 90
/* Frames to let layout, fonts and the GL view settle before capturing. */
#define SCREENSHOT_SETTLE_FRAMES 3

struct _JgApplication {
  GtkApplication parent_instance;

  char *screenshot_path;
  char *sample_path;
  char *review_path;
  char *predictions_path;
  int width, height;
  guint settled_frames;
  gboolean screenshot_failed;
  gint64 screenshot_deadline;
};

G_DEFINE_FINAL_TYPE (JgApplication, jg_application, GTK_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Draw the main window once, save it as a PNG and quit"), N_("FILE.png") },
  { "sample", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Open a sample folder, dataset folder or manifest"), N_("PATH") },
  { "predictions", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Show the predictions of a results file over the samples"), N_("FILE") },
  { "review", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Open a results store (from “jaeger eval --store”) for error analysis"), N_("STORE") },
  { "size", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Window size for --screenshot (default 1400x860)"), N_("WxH") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
  { NULL }
};

static gboolean
parse_size (const char *text, int *w, int *h)
{
  char *end = NULL;
  gint64 a = g_ascii_strtoll (text, &end, 10), b;

  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  b = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || a < 320 || b < 240 || a > 8192 || b > 8192)
    return FALSE;
  *w = (int) a;
  *h = (int) b;
  return TRUE;
}

static int
jg_application_handle_local_options (GApplication *app, GVariantDict *dict)
{
  JgApplication *self = JG_APPLICATION (app);
  const char *size = NULL;

  if (g_variant_dict_contains (dict, "version"))
    {
      printf ("jaeger-studio %s\n", JG_VERSION);
      return 0;
    }
  g_variant_dict_lookup (dict, "screenshot", "^ay", &self->screenshot_path);
  g_variant_dict_lookup (dict, "sample", "^ay", &self->sample_path);
  g_variant_dict_lookup (dict, "review", "^ay", &self->review_path);
  g_variant_dict_lookup (dict, "predictions", "^ay", &self->predictions_path);
  if (g_variant_dict_lookup (dict, "size", "&s", &size) && !parse_size (size, &self->width, &self->height))
    {
      fprintf (stderr, "jaeger-studio: --size must be WxH between 320x240 and 8192x8192, not '%s'\n", size);
      return 2;
    }
  /* A screenshot run is its own process: never hand it to a running instance. */
  if (self->screenshot_path != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static gboolean
screenshot_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  JgApplication *self = JG_APPLICATION (user_data);
  GtkWindow *win = GTK_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  gboolean ready;

  if (g_get_monotonic_time () > self->screenshot_deadline)
    {
      fprintf (stderr, "jaeger-studio: %s: gave up after %d s waiting for the window to draw\n",
               self->screenshot_path, SCREENSHOT_TIMEOUT_S);
      self->screenshot_failed = TRUE;
      g_application_quit (G_APPLICATION (self));
      g_application_release (G_APPLICATION (self));
      return G_SOURCE_REMOVE;
    }
  gtk_widget_queue_draw (widget);
  if (JG_IS_WINDOW (win))
    ready = !jg_window_is_busy (JG_WINDOW (win)) && jg_window_has_drawn (JG_WINDOW (win));
  else
    ready = !jg_review_window_is_busy (JG_REVIEW_WINDOW (win));
  if (!ready || ++self->settled_frames < SCREENSHOT_SETTLE_FRAMES)
    return G_SOURCE_CONTINUE;

  if (jg_save_window_png (win, self->screenshot_path, &error))
    g_application_release (G_APPLICATION (self));
  else
    {
      fprintf (stderr, "jaeger-studio: %s\n", error->message);
      self->screenshot_failed = TRUE;
      g_application_quit (G_APPLICATION (self));
      g_application_release (G_APPLICATION (self));
    }
  gtk_window_destroy (GTK_WINDOW (win));
  return G_SOURCE_REMOVE;
}

static void
prepare_screenshot (JgApplication *self, GtkWindow *win)
{
  if (self->screenshot_path != NULL)
    {
      /* Fixed size and no saved state, so screenshots are reproducible. */
      g_object_set (win, "maximized", FALSE, NULL);
      gtk_window_set_default_size (GTK_WINDOW (win), self->width, self->height);
      self->screenshot_deadline = g_get_monotonic_time () + SCREENSHOT_TIMEOUT_S * G_USEC_PER_SEC;
      g_application_hold (G_APPLICATION (self));
      gtk_widget_add_tick_callback (GTK_WIDGET (win), screenshot_tick, self, NULL);
    }
}

static JgWindow *
new_window (JgApplication *self)
{
  JgWindow *win = jg_window_new (GTK_APPLICATION (self));

  prepare_screenshot (self, GTK_WINDOW (win));
  return win;
}

static void
open_review (JgApplication *self, const char *path)
{
  JgReviewWindow *win = jg_review_window_new (GTK_APPLICATION (self));
  g_autoptr(GError) error = NULL;

  prepare_screenshot (self, GTK_WINDOW (win));
  if (path != NULL && !jg_review_window_open_store (win, path, &error))
    g_printerr ("jaeger-studio: %s\n", error->message);
  gtk_window_present (GTK_WINDOW (win));
}

static void
jg_application_activate (GApplication *app)
{
  JgApplication *self = JG_APPLICATION (app);
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (self->review_path != NULL)
    {
      open_review (self, self->review_path);
      g_clear_pointer (&self->review_path, g_free);
      return;
    }
  if (win == NULL || self->screenshot_path != NULL)
    {
      win = GTK_WINDOW (new_window (self));
      if (self->sample_path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_commandline_arg (self->sample_path);
          jg_window_open (JG_WINDOW (win), file);
        }
      if (self->predictions_path != NULL)
        jg_window_open_predictions (JG_WINDOW (win), self->predictions_path);
    }
  gtk_window_present (win);
}

static void
jg_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  JgApplication *self = JG_APPLICATION (app);
  JgWindow *win = new_window (self);

  jg_window_open (win, files[0]);
  gtk_window_present (GTK_WINDOW (win));
}

static void
jg_application_startup (GApplication *app)
{
  g_autoptr(GtkCssProvider) css = NULL;

  G_APPLICATION_CLASS (jg_application_parent_class)->startup (app);
  g_set_application_name (_("Jaeger Studio"));
  gtk_window_set_default_icon_name (JG_APP_ID);
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/jaegerstudio/Studio/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  static const char *authors[] = { "The Jaeger Studio developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_show_about_dialog (parent,
                         "program-name", _("Jaeger Studio"),
                         "logo-icon-name", JG_APP_ID,
                         "version", JG_VERSION,
                         "comments", _("Inspect, query and curate 3D audio-visual scenes with the JAEGER model"),
                         "license-type", GTK_LICENSE_APACHE_2_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
review_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  open_review (JG_APPLICATION (user_data), NULL);
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  g_autoptr(GSettings) settings = g_settings_new (JG_APP_ID);

  gtk_window_present (GTK_WINDOW (jg_preferences_window_new (parent, settings)));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "review", review_action },
};

static const struct { const char *action; const char *accels[3]; } accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.review", { "<Control>r", NULL } },
  { "win.open", { "<Control>o", NULL } },
  { "win.open-manifest", { "<Control><Shift>o", NULL } },
  { "win.open-predictions", { "<Control>p", NULL } },
  { "win.save-screenshot", { "<Control><Shift>s", NULL } },
  { "win.next-sample", { "<Control>Page_Down", "<Alt>Down", NULL } },
  { "win.previous-sample", { "<Control>Page_Up", "<Alt>Up", NULL } },
  { "win.reset-view", { "<Control>0", "Home", NULL } },
  { "win.view-top", { "<Control>1", NULL } },
  { "win.view-front", { "<Control>2", NULL } },
  { "win.view-side", { "<Control>3", NULL } },
  { "win.copy-camera", { "<Control><Shift>c", NULL } },
  { "win.paste-camera", { "<Control><Shift>v", NULL } },
  { "win.focus-search", { "<Control>f", NULL } },
  { "win.focus-chat", { "<Control>k", NULL } },
  { "win.show-browser", { "F9", NULL } },
  { "win.show-chat", { "<Shift>F9", NULL } },
  { "win.show-audio-view", { "<Control><Shift>a", NULL } },
  { "win.fullscreen", { "F11", NULL } },
  { "win.play-pause", { "<Control>space", NULL } },
  { "win.loop", { "<Control>l", NULL } },
  { "win.solo-w", { "<Alt>w", NULL } },
  { "win.view-mode::3d", { "<Alt>1", NULL } },
  { "win.view-mode::image", { "<Alt>2", NULL } },
  { "win.view-mode::both", { "<Alt>3", NULL } },
  { "win.image-depth", { "<Control>d", NULL } },
};

static void
jg_application_finalize (GObject *object)
{
  JgApplication *self = JG_APPLICATION (object);

  g_free (self->screenshot_path);
  g_free (self->sample_path);
  g_free (self->review_path);
  g_free (self->predictions_path);
  G_OBJECT_CLASS (jg_application_parent_class)->finalize (object);
}

static void
jg_application_class_init (JgApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = jg_application_finalize;
  app_class->handle_local_options = jg_application_handle_local_options;
  app_class->activate = jg_application_activate;
  app_class->open = jg_application_open;
  app_class->startup = jg_application_startup;
}

static void
jg_application_init (JgApplication *self)
{
  self->width = 1400;
  self->height = 860;
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action, accels[i].accels);
}

gboolean
jg_application_get_screenshot_failed (JgApplication *self)
{
  return self->screenshot_failed;
}

JgApplication *
jg_application_new (void)
{
  return g_object_new (JG_TYPE_APPLICATION,
                       "application-id", JG_APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/jaegerstudio/Studio",
                       NULL);
}
