/* The 3-D view as the user gets it: a JgSceneView (1280x720) in a GTK
 * window showing a sample with every overlay, the camera orbiting a little
 * each frame from a tick callback, as a drag would. Reports GTK's frame
 * work (update to after-paint: the scene's own rendering plus GSK's
 * compositing of the window) and the interval between frames, so that
 * GSK_RENDERER=gl and =cairo can be compared on the same machine.
 * Usage: bench-view SAMPLE_DIR [FRAMES] */
#include "data/jg-sample.h"
#include "jg-scene-view.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>

enum { WARMUP = 20 };

static const char *sample_path;
static guint n_frames = 120;
static gboolean drag;
static GArray *work_ms, *interval_ms;
static gint64 frame_start, last_after_paint;
static guint seen;
static GtkWidget *view;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (GArray *a, double p)
{
  g_array_sort (a, cmp_double);
  return a->len ? g_array_index (a, double, (guint) (p * (a->len - 1))) : 0;
}

static void
on_update (GdkFrameClock *clock, gpointer data)
{
  frame_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, gpointer app)
{
  gint64 now = g_get_monotonic_time ();

  if (++seen > WARMUP)
    {
      double w = (now - frame_start) / 1000.0, iv = (now - last_after_paint) / 1000.0;
      g_array_append_val (work_ms, w);
      g_array_append_val (interval_ms, iv);
    }
  last_after_paint = now;
  if (work_ms->len >= n_frames)
    {
      const char *renderer = g_getenv ("GSK_RENDERER");
      printf ("bench-view%s, GSK renderer %s, %u frames, %u scene renders: frame work median %.1f ms "
              "(p95 %.1f), interval median %.1f ms (p95 %.1f)\n",
              drag ? " (drag)" : "", renderer ? renderer : "(default)", work_ms->len,
              jg_scene_view_get_frames_drawn (JG_SCENE_VIEW (view)), percentile (work_ms, 0.5),
              percentile (work_ms, 0.95), percentile (interval_ms, 0.5), percentile (interval_ms, 0.95));
      g_application_quit (G_APPLICATION (app));
    }
}

static gboolean
orbit (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  if (drag)
    jg_scene_view_orbit (JG_SCENE_VIEW (widget), 0.5, 0.1);
  else
    {
      jg_camera_orbit (jg_scene_view_get_camera (JG_SCENE_VIEW (widget)), 0.5, 0.1);
      gtk_widget_queue_draw (widget);
    }
  return G_SOURCE_CONTINUE;
}

static void
activate (GtkApplication *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) sample = jg_sample_load (sample_path, &error);
  GtkWidget *window = gtk_application_window_new (app);
  JgScene *scene;
  JgIntrinsics k;
  const guint8 *rgb;
  const float *depth;
  guint rw, rh, dw, dh;
  const JgDoa doas[3] = { { -38, -11, 12, 2 }, { 20, 5, 8, 2 }, { 100, 0, 15, 2 } };
  const JgBox box = { 0, { 0.5, 0.2, -2.5 }, { 0.6, 0.9, 0.5 } };

  if (sample == NULL)
    {
      fprintf (stderr, "bench-view: %s\n", error->message);
      exit (1);
    }
  view = GTK_WIDGET (jg_scene_view_new ());
  gtk_widget_set_size_request (view, 1280, 720);
  gtk_window_set_child (GTK_WINDOW (window), view);
  scene = jg_scene_view_get_scene (JG_SCENE_VIEW (view));
  rgb = jg_sample_get_rgb (sample, &rw, &rh);
  depth = jg_sample_get_depth (sample, &dw, &dh);
  jg_sample_get_intrinsics (sample, &k);
  if (!jg_scene_set_cloud (scene, rgb, rw, rh, depth, &k, &error))
    {
      fprintf (stderr, "bench-view: %s\n", error->message);
      exit (1);
    }
  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  jg_scene_set_doas (scene, JG_SET_GT, doas, 3);
  jg_scene_set_doas (scene, JG_SET_PRED, doas + 1, 2);
  jg_scene_set_boxes (scene, JG_SET_GT, &box, 1);
  jg_scene_set_set_visible (scene, JG_SET_PRED, TRUE);
  jg_scene_view_scene_changed (JG_SCENE_VIEW (view));
  gtk_widget_add_tick_callback (view, orbit, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
  {
    GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
    g_signal_connect (clock, "update", G_CALLBACK (on_update), NULL);
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), app);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GtkApplication) app = NULL;
  int status;

  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-view SAMPLE_DIR [FRAMES]\n");
      return 2;
    }
  sample_path = argv[1];
  for (int a = 2; a < argc; a++)
    if (g_str_equal (argv[a], "--drag"))
      drag = TRUE;
    else
      n_frames = (guint) atoi (argv[a]);
  work_ms = g_array_new (FALSE, FALSE, sizeof (double));
  interval_ms = g_array_new (FALSE, FALSE, sizeof (double));
  app = gtk_application_new ("io.github.jaegerstudio.BenchView", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  status = g_application_run (G_APPLICATION (app), 1, argv);
  g_array_unref (work_ms);
  g_array_unref (interval_ms);
  return status;
}
