/* Evaluation benchmarks (issue 6): `jaeger eval` over 61,000 synthetic
 * predictions against the 2 s target (one core), with its stages timed in
 * process, and opening a results store of that size against 200 ms (open,
 * then the error table's first full query). The manifest and predictions
 * are generated here into a temporary folder, in the real formats.
 * Usage: bench-eval [PATH-TO-jaeger] */
#include "eval/jg-eval.h"
#include "eval/jg-export.h"
#include "store/jg-store.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define N_TOTAL 61000

extern char **environ;

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static double
cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The task mix of the released val + test manifests, scaled to 61,000. */
static JgTask
task_of (guint i)
{
  guint r = i % 100;
  return r < 22 ? JG_TASK_SPATIAL_DOA : r < 40 ? JG_TASK_MULTI_SPATIAL_DOA
       : r < 45 ? JG_TASK_STARSS23 : r < 76 ? JG_TASK_VISUAL_GROUNDING
       : r < 84 ? JG_TASK_SINGLE_SOURCE : JG_TASK_DUAL_SOURCE;
}

static void
generate (const char *manifest, const char *predictions, const char *predictions_jsonl)
{
  GString *m = g_string_new ("{\"annotation\": [\n");
  GString *p = g_string_new ("{\"run\": {\"model\": \"synthetic\", \"date\": \"2026-11-26T00:00:00Z\"},\n \"predictions\": [\n");
  GString *l = g_string_new ("{\"run\": {\"model\": \"synthetic\", \"date\": \"2026-11-26T00:00:00Z\"}}\n");
  GRand *rand = g_rand_new_with_seed (6);
  static const char *const sides[] = { "Left", "Center", "Right" };

  for (guint i = 0; i < N_TOTAL; i++)
    {
      JgTask t = task_of (i);
      g_autofree char *path = g_strdup_printf ("/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/%05u-Scene%u/task%u_%05u",
                                               800 + i / 400, i / 400, t == JG_TASK_DUAL_SOURCE || t == JG_TASK_MULTI_SPATIAL_DOA ? 2 : 1, i);
      g_autofree char *gt = NULL, *pred = NULL, *extra = NULL;
      gboolean garbled = g_rand_int_range (rand, 0, 100) < 2;

      switch (t)
        {
        case JG_TASK_SPATIAL_DOA:
        case JG_TASK_MULTI_SPATIAL_DOA:
        case JG_TASK_STARSS23:
          {
            int az = g_rand_int_range (rand, -40, 41), el = g_rand_int_range (rand, -25, 26);
            gt = g_strdup_printf ("azimuth: %d; elevation: %d", az, el);
            pred = garbled ? g_strdup ("azimuth: somewhere to the left")
                           : g_strdup_printf ("azimuth: %d; elevation: %d", az + g_rand_int_range (rand, -5, 6),
                                              el + g_rand_int_range (rand, -5, 6));
            extra = g_strdup_printf (", \"gender\": \"%s\"", i % 2 ? "M" : "F");
          }
          break;
        case JG_TASK_VISUAL_GROUNDING:
          {
            int nb = 1 + (int) (i % 3);
            GString *g = g_string_new (NULL), *q = g_string_new ("bbox_0=Bbox(speaker,");
            for (int b = 0; b < nb; b++)
              {
                double x = -1 + b * 0.8, y = -0.4, z = -1.5 - b * 0.3;
                g_string_append_printf (g, "%sbbox_%d=Bbox(speaker, %.2f, %.2f, %.2f, 0.33, 0.88, 0.32)",
                                        b ? "\\n" : "", b, x, y, z);
                if (b > 0)
                  g_string_append_printf (q, "\\nbbox_%d=Bbox(speaker,", b);
                g_string_append_printf (q, " %d, %d, %d, 30, 85, 33)", (int) (x * 100) + g_rand_int_range (rand, -8, 9),
                                        (int) (y * 100), (int) (z * 100) + g_rand_int_range (rand, -8, 9));
              }
            gt = g_string_free (g, FALSE);
            pred = garbled ? g_strdup ("bbox_0=Bbox(speaker,") : g_string_free (q, FALSE);
            if (garbled)
              g_string_free (q, TRUE);
            extra = g_strdup (", \"obj_category\": [\"speaker\"]");
          }
          break;
        case JG_TASK_SINGLE_SOURCE:
        case JG_TASK_DUAL_SOURCE:
        default:
          {
            int n = 2 + (int) (i % 2), s = g_rand_int_range (rand, 0, n);
            const char *gs = n == 2 ? (s ? "Right" : "Left") : sides[s];
            gt = g_strdup (gs);
            pred = g_strdup (garbled ? "I am not sure" : g_rand_int_range (rand, 0, 100) < 95 ? gs : "Center");
            if (t == JG_TASK_DUAL_SOURCE)
              extra = g_strdup_printf (", \"num_speakers\": %d, \"gender\": \"%s\", \"target_label\": \"%s: %s\"", n,
                                       i % 2 ? "male" : "female", i % 2 ? "male" : "female", gs);
            else
              extra = g_strdup_printf (", \"num_speakers\": %d", n);
          }
          break;
        }
      g_string_append_printf (m, "%s {\"path\": \"%s\", \"text\": \"%s\", \"task\": \"%s\"%s}", i ? ",\n" : "",
                              path, gt, jg_task_to_string (t), extra);
      g_string_append_printf (p, "%s  {\"path\": \"%s\", \"task\": \"%s\", \"pred_text\": \"%s\"}", i ? ",\n" : "",
                              path, jg_task_to_string (t), pred);
      g_string_append_printf (l, "{\"path\": \"%s\", \"task\": \"%s\", \"pred_text\": \"%s\"}\n",
                              path, jg_task_to_string (t), pred);
    }
  g_string_append (m, "\n]}\n");
  g_string_append (p, "\n]}\n");
  g_assert_true (g_file_set_contents (manifest, m->str, m->len, NULL));
  g_assert_true (g_file_set_contents (predictions, p->str, p->len, NULL));
  g_assert_true (g_file_set_contents (predictions_jsonl, l->str, l->len, NULL));
  printf ("generated: manifest %.1f MB, predictions %.1f MB (JSON list) / %.1f MB (JSON lines), %d entries\n",
          m->len / 1e6, p->len / 1e6, l->len / 1e6, N_TOTAL);
  g_string_free (m, TRUE);
  g_string_free (p, TRUE);
  g_string_free (l, TRUE);
  g_rand_free (rand);
}

/* One in-process evaluation, stage by stage (CPU seconds). */
static void
stages (const char *manifest, const char *predictions, guint resamples, double out[5])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgManifest) man = NULL;
  g_autoptr(JgPredictionSet) p = jg_prediction_set_new ();
  g_autoptr(JgEvaluation) ev = NULL;
  g_autoptr(JsonNode) json = NULL;
  JgEvalOptions o;
  double t0 = cpu_s (), t1, t2, t3;

  man = jg_manifest_load (manifest, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jg_manifest_get_n_entries (man), ==, N_TOTAL);
  t1 = cpu_s ();
  g_assert_true (jg_prediction_set_add_file (p, predictions, &error));
  t2 = cpu_s ();
  jg_eval_options_init (&o);
  o.n_resamples = resamples;
  ev = jg_evaluation_new (&man, 1, p, &o);
  json = jg_evaluation_summary_to_json (ev, &o);
  t3 = cpu_s ();
  out[0] = t1 - t0;
  out[1] = t2 - t1;
  out[2] = t3 - t2;
  out[3] = t3 - t0;
  out[4] = jg_evaluation_get_summary (ev, JG_TASK_SPATIAL_DOA)->angle.median;
}

/* `jaeger eval` as a user runs it: wall and CPU seconds of the process. */
static void
run_cli (const char *jaeger, const char *manifest, const char *predictions, const char *bootstrap,
         double *wall, double *cpu)
{
  char *argv[] = { (char *) jaeger, (char *) "eval", (char *) "-m", (char *) manifest,
                   (char *) "-p", (char *) predictions, (char *) "--json",
                   (char *) "--bootstrap", (char *) bootstrap, NULL };
  posix_spawn_file_actions_t fa;
  struct rusage ru;
  int status;
  pid_t pid;
  double t0 = now_s ();

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  g_assert_cmpint (posix_spawn (&pid, jaeger, &fa, NULL, argv, environ), ==, 0);
  posix_spawn_file_actions_destroy (&fa);
  g_assert_cmpint (wait4 (pid, &status, 0, &ru), ==, pid);
  *wall = now_s () - t0;
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  *cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
bench_store (const char *dir, const char *manifest, const char *predictions)
{
  g_autofree char *db = g_build_filename (dir, "bench.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgManifest) man = jg_manifest_load (manifest, NULL, &error);
  g_autoptr(JgPredictionSet) p = jg_prediction_set_new ();
  g_autoptr(JgEvaluation) ev = NULL;
  g_autofree JgStoreSample *samples = g_new0 (JgStoreSample, N_TOTAL);
  g_autofree gint64 *ids = g_new0 (gint64, N_TOTAL);
  g_autofree JgStorePrediction *preds = g_new0 (JgStorePrediction, N_TOTAL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  JgEvalOptions o;
  gint64 ds, run_a = 0, run_b = 0;
  double t0, t_build, open_t[9], query_t[9], sorted_t[9], open_c[9], query_c[9], sorted_c[9];
  GStatBuf st;

  g_assert_true (jg_prediction_set_add_file (p, predictions, &error));
  jg_eval_options_init (&o);
  o.n_resamples = 0;
  ev = jg_evaluation_new (&man, 1, p, &o);

  t0 = now_s ();
  {
    g_autoptr(JgStore) store = jg_store_open (db, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < N_TOTAL; i++)
      {
        const JgEvalSample *s = jg_evaluation_get_sample (ev, i);
        g_ptr_array_add (entries, jg_manifest_entry_to_json (s->entry));
        samples[i] = (JgStoreSample) { s->entry->original_path, s->entry->task, NULL, s->entry->text,
                                       g_ptr_array_index (entries, i) };
      }
    ds = jg_store_ensure_dataset (store, "bench", manifest, samples, N_TOTAL, ids, &error);
    g_assert_no_error (error);
    for (int r = 0; r < 2; r++)
      {
        JgStoreRunInfo info = { r ? "B" : "A", "synthetic", NULL, NULL, NULL };
        for (guint i = 0; i < N_TOTAL; i++)
          {
            const JgEvalSample *s = jg_evaluation_get_sample (ev, i);
            preds[i] = (JgStorePrediction) { ids[i], s->prediction->pred_text, s->metrics };
          }
        *(r ? &run_b : &run_a) = jg_store_add_run (store, ds, &info, preds, N_TOTAL, NULL, NULL, &error);
        g_assert_no_error (error);
      }
    /* A few hundred reviewed samples, as after a session of curation. */
    for (guint i = 0; i < 300; i++)
      g_assert_true (jg_store_set_tag (store, ids[i * 199], (JgTag) (1 + i % 3), &error));
  }
  t_build = now_s () - t0;
  g_assert_cmpint (g_stat (db, &st), ==, 0);
  printf ("store: 61,000 samples, 2 runs, 300 tags: built in %.2f s, %.1f MB\n", t_build, st.st_size / 1e6);

  for (int k = 0; k < 9; k++)
    {
      double w0, c0;
      JgStore *store;
      JgStoreRows *rows;

      w0 = now_s ();
      c0 = cpu_s ();
      store = jg_store_open (db, &error);
      g_assert_no_error (error);
      open_t[k] = (now_s () - w0) * 1e3;
      open_c[k] = (cpu_s () - c0) * 1e3;
      rows = jg_store_query (store, run_a, run_b, NULL, JG_STORE_SORT_SAMPLE, FALSE, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (jg_store_rows_get_n (rows), ==, N_TOTAL);
      query_t[k] = (now_s () - w0) * 1e3;
      query_c[k] = (cpu_s () - c0) * 1e3;
      jg_store_rows_free (rows);

      w0 = now_s ();
      c0 = cpu_s ();
      rows = jg_store_query (store, run_a, run_b, NULL, JG_STORE_SORT_ERROR_DELTA, TRUE, &error);
      sorted_t[k] = (now_s () - w0) * 1e3;
      sorted_c[k] = (cpu_s () - c0) * 1e3;
      jg_store_rows_free (rows);
      jg_store_free (store);
    }
  printf ("| open the store (`jg_store_open`: schema check, WAL) | %.2f ms CPU, %.2f ms wall | 200 ms |\n",
          median (open_c, 9), median (open_t, 9));
  printf ("| open + all 61,000 rows of runs A and B with tags and notes (the table's first fill) | %.0f ms CPU, %.0f ms wall | 200 ms |\n",
          median (query_c, 9), median (query_t, 9));
  printf ("| query again sorted by error B - A | %.0f ms CPU, %.0f ms wall | |\n",
          median (sorted_c, 9), median (sorted_t, 9));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-bench-eval-XXXXXX", &error);
  g_autofree char *manifest = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *predictions = g_build_filename (dir, "predictions.json", NULL);
  g_autofree char *lines = g_build_filename (dir, "predictions.jsonl", NULL);
  double s0[5], s1[5], s2[5];

  g_assert_no_error (error);
  setvbuf (stdout, NULL, _IOLBF, 0);
  generate (manifest, predictions, lines);

  stages (manifest, lines, 0, s0);
  stages (manifest, lines, 1000, s1);
  stages (manifest, predictions, 1000, s2);
  printf ("in process (CPU s): manifest %.3f, predictions %.3f (JSON lines) / %.3f (JSON list), scoring %.3f (no intervals) / %.3f (1000 resamples), total %.3f / %.3f; DoA median %.2f deg\n",
          s1[0], s1[1], s2[1], s0[2], s1[2], s0[3], s1[3], s1[4]);

  if (argc > 1)
    {
      double w[5], c[5], w0[5], c0[5], w1[5], c1[5];
      for (int k = 0; k < 5; k++)
        {
          run_cli (argv[1], manifest, lines, "1000", &w[k], &c[k]);
          run_cli (argv[1], manifest, lines, "0", &w0[k], &c0[k]);
          run_cli (argv[1], manifest, predictions, "1000", &w1[k], &c1[k]);
        }
      printf ("| `jaeger eval --json` over 61,000 predictions (jaeger JSON lines), 1000 bootstrap resamples, median of 5 | %.2f s CPU, %.2f s wall | 2 s |\n",
              median (c, 5), median (w, 5));
      printf ("| the same with `--bootstrap 0` | %.2f s CPU, %.2f s wall | |\n", median (c0, 5), median (w0, 5));
      printf ("| the same predictions as one JSON list (json-glib), 1000 resamples | %.2f s CPU, %.2f s wall | |\n",
              median (c1, 5), median (w1, 5));
    }

  bench_store (dir, manifest, predictions);

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *f = g_build_filename (dir, name, NULL);
        g_unlink (f);
      }
    g_rmdir (dir);
  }
  return 0;
}
