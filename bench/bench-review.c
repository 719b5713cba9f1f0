/* Error-analysis window over a store of 61,000 samples with two runs:
 * opening the store, the first query, frame work while scrolling the table
 * and while a text filter is applied (GTK's update-to-after-paint time of
 * each frame), measured in one run. Needs a display (./run bench uses Xvfb). */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>

#include "jg-review-window.h"
#include "eval/jg-metrics.h"
#include "store/jg-store.h"

#define N_SAMPLES 61000
#define N_FRAMES 240

static char *store_path;
static GArray *frame_ms, *layout_ms, *paint_ms;
static gint64 frame_start, layout_end, paint_end;
static JgReviewWindow *window;
static GtkAdjustment *vadj;
static int phase, frames_in_phase;
static double filter_ms;
static gint64 probe_last, probe_max_gap;
static double filter_max_frame;
static guint probe_id;

/* A 1 ms timer at high priority: the longest gap between its runs is the
 * longest time the main loop was busy (the model swap, a frame). */
static gboolean
probe (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (probe_last != 0 && now - probe_last > probe_max_gap)
    probe_max_gap = now - probe_last;
  probe_last = now;
  return G_SOURCE_CONTINUE;
}
static gint64 filter_start;

static void
make_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgStore) store = jg_store_open (path, &error);
  JgStoreSample *samples = g_new0 (JgStoreSample, N_SAMPLES);
  JgStorePrediction *preds = g_new0 (JgStorePrediction, N_SAMPLES);
  gint64 *ids = g_new0 (gint64, N_SAMPLES);
  char **strings = g_new0 (char *, 4 * N_SAMPLES);
  gint64 ds;

  g_assert_no_error (error);
  for (int i = 0; i < N_SAMPLES; i++)
    {
      int az = (i * 37) % 81 - 40, el = (i * 11) % 51 - 25;
      strings[4 * i] = g_strdup_printf ("/data/test/%05d-scene/task1_%05d", i / 50, i);
      strings[4 * i + 1] = g_strdup_printf ("azimuth: %d; elevation: %d", az, el);
      strings[4 * i + 2] = g_strdup_printf ("{\"path\": \"%s\", \"task\": \"spatial_doa\", \"text\": \"%s\"}",
                                            strings[4 * i], strings[4 * i + 1]);
      samples[i] = (JgStoreSample) { strings[4 * i], JG_TASK_SPATIAL_DOA, "M", strings[4 * i + 1], strings[4 * i + 2] };
    }
  ds = jg_store_ensure_dataset (store, "bench", "bench.json", samples, N_SAMPLES, ids, &error);
  g_assert_no_error (error);
  for (int r = 0; r < 2; r++)
    {
      JgStoreRunInfo info = { r ? "B" : "A", "bench", NULL, NULL, NULL };
      for (int i = 0; i < N_SAMPLES; i++)
        {
          int az = (i * 37) % 81 - 40, el = (i * 11) % 51 - 25, d = (i * (r ? 13 : 7)) % 9 - 4;
          g_free (strings[4 * i + 3]);
          strings[4 * i + 3] = g_strdup_printf ("azimuth: %d; elevation: %d", az + d, el);
          preds[i] = (JgStorePrediction) { ids[i], strings[4 * i + 3], { 0 } };
          preds[i].metrics.parsed = TRUE;
          preds[i].metrics.angle = preds[i].metrics.error = jg_doa_angular_error (az, el, az + d, el);
          preds[i].metrics.az = abs (d);
          preds[i].metrics.iou = preds[i].metrics.offset = NAN;
          preds[i].metrics.correct = -1;
        }
      jg_store_add_run (store, ds, &info, preds, N_SAMPLES, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  for (int i = 0; i < 4 * N_SAMPLES; i++)
    g_free (strings[i]);
  g_free (strings);
  g_free (samples);
  g_free (preds);
  g_free (ids);
}

static GtkWidget *
find_type (GtkWidget *w, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);
      if (found)
        return found;
    }
  return NULL;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (GArray *a)
{
  g_array_sort (a, cmp_double);
  return a->len > 0 ? g_array_index (a, double, a->len / 2) : NAN;
}

static void
report (const char *what)
{
  g_array_sort (frame_ms, cmp_double);
  if (frame_ms->len > 0)
    printf ("%-34s frames %u  median %.2f ms  p95 %.2f ms  max %.2f ms"
            "  (median layout %.2f ms, paint %.2f ms)\n", what, frame_ms->len,
            g_array_index (frame_ms, double, frame_ms->len / 2),
            g_array_index (frame_ms, double, (guint) (frame_ms->len * 0.95)),
            g_array_index (frame_ms, double, frame_ms->len - 1),
            median (layout_ms), median (paint_ms));
  g_array_set_size (frame_ms, 0);
  g_array_set_size (layout_ms, 0);
  g_array_set_size (paint_ms, 0);
}

static void
on_update (GdkFrameClock *clock, gpointer data)
{
  frame_start = g_get_monotonic_time ();
}

/* Connected after GTK's own handlers, so these mark the end of each phase:
 * update (the scroll), layout (measure, allocate, rebinding rows), paint
 * (snapshot and rendering). */
static void
on_layout (GdkFrameClock *clock, gpointer data)
{
  layout_end = g_get_monotonic_time ();
}

static void
on_paint (GdkFrameClock *clock, gpointer data)
{
  paint_end = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  double ms = (now - frame_start) / 1000.0;
  double layout = (layout_end - frame_start) / 1000.0, paint = (paint_end - layout_end) / 1000.0;

  if (phase == 2 && ms > filter_max_frame)
    filter_max_frame = ms;
  if (phase == 1 || phase == 3)
    {
      g_array_append_val (frame_ms, ms);
      g_array_append_val (layout_ms, layout);
      g_array_append_val (paint_ms, paint);
    }
}

static gboolean
tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  /* Waiting phases need frames to poll; measured phases draw only what scrolls. */
  if (phase == 0 || phase == 2)
    gtk_widget_queue_draw (widget);
  switch (phase)
    {
    case 0:   /* waiting for the first query and the first sample */
      if (!jg_review_window_is_busy (window) && ++frames_in_phase > 10)
        {
          vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (find_type (widget, GTK_TYPE_COLUMN_VIEW)));
          phase = 1, frames_in_phase = 0;
        }
      break;
    case 1:   /* scrolling: half a page a frame */
      gtk_adjustment_set_value (vadj, gtk_adjustment_get_value (vadj) + gtk_adjustment_get_page_size (vadj) / 2);
      if (++frames_in_phase >= N_FRAMES)
        {
          report ("scroll, half a page a frame:");
          gtk_editable_set_text (GTK_EDITABLE (find_type (widget, GTK_TYPE_SEARCH_ENTRY)), "task1_1");
          filter_start = g_get_monotonic_time ();
          probe_last = 0, probe_max_gap = 0;
          probe_id = g_timeout_add_full (G_PRIORITY_HIGH, 1, probe, NULL, NULL);
          phase = 2, frames_in_phase = 0;
        }
      break;
    case 2:   /* a text filter: the query runs on the worker */
      if (!jg_review_window_is_busy (window) && frames_in_phase++ > 2)
        {
          filter_ms = (g_get_monotonic_time () - filter_start) / 1000.0;
          printf ("%-34s %.1f ms until the filtered table is shown\n", "filter 'task1_1' (worker query):", filter_ms);
          printf ("%-34s %.1f ms longest main-loop stall meanwhile, %.1f ms longest frame\n", "",
                  probe_max_gap / 1000.0, filter_max_frame);
          g_source_remove (probe_id);
          phase = 3, frames_in_phase = 0;
        }
      break;
    case 3:
      gtk_adjustment_set_value (vadj, gtk_adjustment_get_value (vadj) + gtk_adjustment_get_page_size (vadj) / 2);
      if (++frames_in_phase >= N_FRAMES / 2)
        {
          report ("scroll the filtered table:");
          gtk_window_destroy (GTK_WINDOW (widget));
          return G_SOURCE_REMOVE;
        }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
activate (GtkApplication *app, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  GdkFrameClock *clock;

  window = jg_review_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  if (!jg_review_window_open_store (window, store_path, &error))
    g_error ("%s", error->message);
  printf ("%-34s %.1f ms (store, runs, first query queued)\n", "open the store in the window:",
          (g_get_monotonic_time () - t0) / 1000.0);
  gtk_window_present (GTK_WINDOW (window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "update", G_CALLBACK (on_update), NULL);
  g_signal_connect (clock, "layout", G_CALLBACK (on_layout), NULL);
  g_signal_connect (clock, "paint", G_CALLBACK (on_paint), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), tick, NULL, NULL);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-bench-review-XXXXXX", NULL);
  g_autoptr(GtkApplication) app = NULL;
  gint64 t0;
  int status;

  store_path = g_build_filename (dir, "bench.db", NULL);
  t0 = g_get_monotonic_time ();
  make_store (store_path);
  printf ("%-34s %.0f ms (%d samples, 2 runs)\n", "build the store:", (g_get_monotonic_time () - t0) / 1000.0, N_SAMPLES);
  t0 = g_get_monotonic_time ();
  {
    g_autoptr(JgStore) s = jg_store_open (store_path, NULL);
    printf ("%-34s %.2f ms\n", "jg_store_open:", (g_get_monotonic_time () - t0) / 1000.0);
  }
  frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  layout_ms = g_array_new (FALSE, FALSE, sizeof (double));
  paint_ms = g_array_new (FALSE, FALSE, sizeof (double));
  app = gtk_application_new ("io.github.jaegerstudio.BenchReview", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_array_unref (frame_ms);
  g_array_unref (layout_ms);
  g_array_unref (paint_ms);
  /* The store is 25 MB: leave nothing behind. */
  {
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *f = g_strconcat (store_path, suffixes[i], NULL);
        g_remove (f);
      }
  }
  g_rmdir (dir);
  g_free (store_path);
  return status;
}
