/* `jaeger info` (what a sample directory or a manifest holds) and
 * `jaeger prepare-audio` (foa_ls.wav from impulse responses and speech). */
#include "cli/jg-cli.h"
#include "data/jg-manifest.h"
#include "data/jg-prepare-audio.h"
#include "data/jg-sample.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gboolean info_json;
static char *info_root;

static const GOptionEntry info_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &info_json, "Print JSON instead of text", NULL },
  { "root", 0, 0, G_OPTION_ARG_FILENAME, &info_root,
    "Folder holding the dataset; replaces the manifest's /path/to/ prefixes", "R" },
  { NULL }
};

static const JgCommand info_cmd = {
  "info", "PATH",
  "Summarise a SpatialSceneQA sample directory, STARSS23 .wav or manifest .json: "
  "contents, counts per task, problems and missing files. Exits 1 when anything "
  "could not be read or a manifest has bad entries.", NULL
};

/* Files a task needs in its sample directory (beyond the IRs). */
static const char *const *
task_files (JgTask task)
{
  static const char *const doa[] = { "foa_ls.wav", NULL };
  static const char *const visual[] = { "rgb.png", "depth.png", NULL };
  static const char *const av[] = { "rgb.png", "depth.png", "foa_ls.wav", NULL };
  static const char *const none[] = { NULL };

  switch (task)
    {
    case JG_TASK_SPATIAL_DOA:
    case JG_TASK_MULTI_SPATIAL_DOA:
      return doa;
    case JG_TASK_VISUAL_GROUNDING:
      return visual;
    case JG_TASK_SINGLE_SOURCE:
    case JG_TASK_DUAL_SOURCE:
      return av;
    default:
      return none;
    }
}

static void
count_missing (GHashTable *missing, const char *what)
{
  gpointer old = g_hash_table_lookup (missing, what);
  g_hash_table_replace (missing, g_strdup (what), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
}

static int
info_manifest (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgManifest) m = jg_manifest_load (path, info_root, &error);
  g_autoptr(GHashTable) missing = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GList) keys = NULL;
  guint n, n_problems, n_paths = 0;

  if (m == NULL)
    {
      jg_cli_error (&info_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  n = jg_manifest_get_n_entries (m);
  n_problems = jg_manifest_get_n_problems (m);

  /* Missing files per name, each sample path counted once per file. */
  missing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n; i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (m, i);
      const char *const *files = task_files (e->task);
      g_autofree char *base = g_path_get_basename (e->path);

      /* A sample shared by several tasks counts once; each file once. */
      gboolean fresh = g_hash_table_add (seen, g_strdup (e->path));

      n_paths += fresh;
      if (!g_file_test (e->path, G_FILE_TEST_EXISTS))
        {
          if (fresh)
            count_missing (missing, e->task == JG_TASK_STARSS23 ? "recording (.wav)" : "sample directory");
          continue;
        }
      for (guint f = 0; files[f]; f++)
        {
          g_autofree char *p = g_build_filename (e->path, files[f], NULL);
          g_autofree char *key = g_strdup_printf ("%s\n%s", e->path, files[f]);
          if (g_hash_table_contains (seen, key))
            continue;
          g_hash_table_add (seen, g_steal_pointer (&key));
          if (!g_file_test (p, G_FILE_TEST_EXISTS))
            count_missing (missing, files[f]);
        }
      if (e->task != JG_TASK_STARSS23 && e->task != JG_TASK_VISUAL_GROUNDING)
        {
          gboolean two = g_str_has_prefix (base, "task2");
          const char *irs[] = { two ? "ir_male.npy" : "ir.npy", two ? "ir_female.npy" : NULL, NULL };
          for (guint f = 0; irs[f]; f++)
            {
              g_autofree char *p = g_build_filename (e->path, irs[f], NULL);
              g_autofree char *key = g_strdup_printf ("%s\n%s", e->path, irs[f]);
              if (g_hash_table_contains (seen, key))
                continue;
              g_hash_table_add (seen, g_steal_pointer (&key));
              if (!g_file_test (p, G_FILE_TEST_EXISTS))
                count_missing (missing, irs[f]);
            }
        }
    }
  keys = g_list_sort (g_hash_table_get_keys (missing), (GCompareFunc) strcmp);

  if (info_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind"); json_builder_add_string_value (b, "manifest");
      json_builder_set_member_name (b, "path"); json_builder_add_string_value (b, path);
      json_builder_set_member_name (b, "entries"); json_builder_add_int_value (b, n);
      json_builder_set_member_name (b, "samples"); json_builder_add_int_value (b, n_paths);
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_object (b);
      for (int t = 0; t < JG_N_TASKS; t++)
        if (jg_manifest_count_task (m, (JgTask) t) > 0)
          {
            json_builder_set_member_name (b, jg_task_to_string ((JgTask) t));
            json_builder_add_int_value (b, jg_manifest_count_task (m, (JgTask) t));
          }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "problems");
      json_builder_begin_array (b);
      for (guint i = 0; i < n_problems; i++)
        json_builder_add_string_value (b, jg_manifest_get_problem (m, i));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "missing");
      json_builder_begin_object (b);
      for (GList *l = keys; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_int_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (missing, l->data)));
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
    }
  else
    {
      printf ("manifest: %s\n", path);
      printf ("entries: %u (%u skipped as bad), %u distinct samples\n", n, n_problems, n_paths);
      for (int t = 0; t < JG_N_TASKS; t++)
        if (jg_manifest_count_task (m, (JgTask) t) > 0)
          printf ("  %-18s %u  (%s)\n", jg_task_to_string ((JgTask) t),
                  jg_manifest_count_task (m, (JgTask) t), jg_task_label ((JgTask) t));
      if (n_problems > 0)
        {
          printf ("problems:\n");
          for (guint i = 0; i < n_problems; i++)
            printf ("  %s\n", jg_manifest_get_problem (m, i));
        }
      if (keys == NULL)
        printf ("missing: nothing\n");
      else
        {
          printf ("missing:\n");
          for (GList *l = keys; l; l = l->next)
            printf ("  %-18s %u\n", (char *) l->data,
                    GPOINTER_TO_UINT (g_hash_table_lookup (missing, l->data)));
        }
      if (n > 0 && info_root == NULL && g_str_has_prefix (jg_manifest_get_entry (m, 0)->original_path, "/path/to/"))
        printf ("hint: paths start with /path/to/; pass --root with the folder holding the data\n");
    }
  return n_problems > 0 ? JG_EXIT_FAILURE : JG_EXIT_OK;
}

static void
depth_range (const float *d, gsize n, double *lo, double *hi, double *valid)
{
  gsize good = 0;

  *lo = INFINITY;
  *hi = 0;
  for (gsize i = 0; i < n; i++)
    if (d[i] > 0)
      {
        good++;
        *lo = MIN (*lo, d[i]);
        *hi = MAX (*hi, d[i]);
      }
  if (good == 0)
    *lo = 0;
  *valid = n ? (double) good / n : 0;
}

static int
info_sample (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) s = jg_sample_load (path, &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint w = 0, h = 0;
  const float *depth;
  const JgAudioClip *audio;
  const char *const *missing;
  JgIntrinsics k;

  if (s == NULL)
    {
      jg_cli_error (&info_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind"); json_builder_add_string_value (b, "sample");
  json_builder_set_member_name (b, "path"); json_builder_add_string_value (b, path);
  if (!info_json)
    printf ("sample: %s\n", path);

  if (jg_sample_get_rgb (s, &w, &h) != NULL)
    {
      json_builder_set_member_name (b, "rgb");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, w);
      json_builder_add_int_value (b, h);
      json_builder_end_array (b);
      if (!info_json)
        printf ("rgb.png: %ux%u\n", w, h);
    }
  if ((depth = jg_sample_get_depth (s, &w, &h)) != NULL)
    {
      double lo, hi, valid;
      depth_range (depth, (gsize) w * h, &lo, &hi, &valid);
      json_builder_set_member_name (b, "depth");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "width"); json_builder_add_int_value (b, w);
      json_builder_set_member_name (b, "height"); json_builder_add_int_value (b, h);
      json_builder_set_member_name (b, "min_m"); json_builder_add_double_value (b, lo);
      json_builder_set_member_name (b, "max_m"); json_builder_add_double_value (b, hi);
      json_builder_set_member_name (b, "valid_fraction"); json_builder_add_double_value (b, valid);
      json_builder_end_object (b);
      if (!info_json)
        printf ("depth.png: %ux%u, %.2f-%.2f m, %.1f%% valid\n", w, h, lo, hi, 100 * valid);
    }
  /* A camera only where there is an image (not for a STARSS23 recording). */
  if (jg_sample_get_rgb (s, NULL, NULL) != NULL || depth != NULL)
    {
      jg_sample_get_intrinsics (s, &k);
      json_builder_set_member_name (b, "intrinsics");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "width"); json_builder_add_int_value (b, k.width);
      json_builder_set_member_name (b, "height"); json_builder_add_int_value (b, k.height);
      json_builder_set_member_name (b, "fx"); json_builder_add_double_value (b, k.fx);
      json_builder_set_member_name (b, "fy"); json_builder_add_double_value (b, k.fy);
      json_builder_set_member_name (b, "cx"); json_builder_add_double_value (b, k.cx);
      json_builder_set_member_name (b, "cy"); json_builder_add_double_value (b, k.cy);
      json_builder_end_object (b);
      if (!info_json)
        printf ("intrinsics: %ux%u fx %.2f fy %.2f cx %.2f cy %.2f\n", k.width, k.height, k.fx, k.fy, k.cx, k.cy);
    }

  json_builder_set_member_name (b, "irs");
  json_builder_begin_array (b);
  for (guint i = 0; i < jg_sample_get_n_irs (s); i++)
    {
      const char *name;
      gsize n;
      jg_sample_get_ir (s, i, &name, &n);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name"); json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "frames"); json_builder_add_int_value (b, (gint64) n);
      json_builder_end_object (b);
      if (!info_json)
        printf ("%s.npy: 4 x %" G_GSIZE_FORMAT " (%.3f s at 16 kHz)\n", name, n, n / 16000.0);
    }
  json_builder_end_array (b);

  if ((audio = jg_sample_get_audio (s)) != NULL)
    {
      json_builder_set_member_name (b, "audio");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "channels"); json_builder_add_int_value (b, audio->channels);
      json_builder_set_member_name (b, "sample_rate"); json_builder_add_int_value (b, audio->sample_rate);
      json_builder_set_member_name (b, "frames"); json_builder_add_int_value (b, (gint64) audio->n_frames);
      json_builder_end_object (b);
      if (!info_json)
        printf ("audio: %u channels, %u Hz, %.2f s\n", audio->channels, audio->sample_rate,
                (double) audio->n_frames / audio->sample_rate);
    }
  json_builder_set_member_name (b, "foa_convention");
  json_builder_add_string_value (b, jg_foa_convention_to_string (jg_sample_get_foa_convention (s)));
  if (!info_json)
    printf ("foa convention: %s\n", jg_foa_convention_to_string (jg_sample_get_foa_convention (s)));

  json_builder_set_member_name (b, "answers");
  json_builder_begin_object (b);
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgAnswer *a = jg_sample_get_answer (s, (JgTask) t);
      if (a == NULL)
        continue;
      json_builder_set_member_name (b, jg_task_to_string ((JgTask) t));
      json_builder_add_string_value (b, a->raw);
      if (!info_json)
        printf ("answer %s: %s\n", jg_task_to_string ((JgTask) t), a->raw);
    }
  json_builder_end_object (b);

  missing = jg_sample_get_missing (s);
  json_builder_set_member_name (b, "missing");
  json_builder_begin_array (b);
  for (guint i = 0; missing[i]; i++)
    json_builder_add_string_value (b, missing[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (info_json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      g_autofree char *text = json_to_string (root, TRUE);
      printf ("%s\n", text);
    }
  else if (missing[0] == NULL)
    printf ("missing: nothing\n");
  else
    {
      g_autofree char *list = g_strjoinv (", ", (char **) missing);
      printf ("missing: %s\n", list);
    }
  return JG_EXIT_OK;
}

int
jg_cmd_info (int argc, char **argv)
{
  const char *path;

  if (!jg_cli_parse (&info_cmd, info_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc < 2)
    {
      jg_cli_error (&info_cmd, "missing PATH (a sample directory, .wav or manifest .json)");
      return JG_EXIT_USAGE;
    }
  if (argc > 2)
    {
      jg_cli_error (&info_cmd, "unexpected argument '%s'", argv[2]);
      return JG_EXIT_USAGE;
    }
  path = argv[1];
  if (g_str_has_suffix (path, ".json") && !g_file_test (path, G_FILE_TEST_IS_DIR))
    return info_manifest (path);
  return info_sample (path);
}

/* ---- jaeger prepare-audio ---- */

static char *prep_manifest, *prep_root, *prep_speech;
static int prep_jobs;
static gboolean prep_force;

static const GOptionEntry prep_entries[] = {
  { "manifest", 0, 0, G_OPTION_ARG_FILENAME, &prep_manifest, "Manifest whose samples need foa_ls.wav", "M" },
  { "root", 0, 0, G_OPTION_ARG_FILENAME, &prep_root,
    "Folder holding the dataset; replaces the manifest's /path/to/ prefixes", "R" },
  { "speech", 0, 0, G_OPTION_ARG_FILENAME, &prep_speech,
    "Folder of dry speech (.flac/.wav; LibriSpeech with SPEAKERS.TXT)", "DIR" },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &prep_jobs, "Worker threads (default: one per CPU)", "N" },
  { "force", 0, 0, G_OPTION_ARG_NONE, &prep_force, "Redo samples that already have foa_ls.wav", NULL },
  { NULL }
};

static const JgCommand prep_cmd = {
  "prepare-audio", NULL,
  "Make foa_ls.wav for every sample of a manifest by convolving its impulse responses "
  "with dry speech (task2: a male and a female talker, summed), recording the chosen "
  "files in metadata.json. Interrupt at will: a rerun skips finished samples.", NULL
};

typedef struct {
  gint64 start;
  gboolean tty;
  guint last_printed;
} PrepProgress;

static void
prep_progress (const JgPrepareAudioReport *r, gpointer user_data)
{
  PrepProgress *p = user_data;
  guint handled = r->done + r->failures->len;
  guint to_process = r->total - r->skipped;
  double secs = (g_get_monotonic_time () - p->start) / 1e6;

  /* On a terminal, one updating line; in a log, a line per 5%. */
  if (!p->tty && handled != to_process && handled - p->last_printed < MAX (to_process / 20, 1))
    return;
  p->last_printed = handled;
  fprintf (stderr, "%sprepare-audio: %u/%u samples, %u failed, %.1f samples/s%s",
           p->tty ? "\r" : "", handled, to_process, r->failures->len, secs > 0 ? r->done / secs : 0.0,
           p->tty ? "" : "\n");
  fflush (stderr);
}

int
jg_cmd_prepare_audio (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  JgPrepareAudioOptions opt = { 0 };
  JgPrepareAudioReport report = { 0 };
  PrepProgress progress = { g_get_monotonic_time (), isatty (2), 0 };
  int rc;

  if (!jg_cli_parse (&prep_cmd, prep_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&prep_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  if (prep_manifest == NULL || prep_speech == NULL)
    {
      jg_cli_error (&prep_cmd, "--manifest and --speech are required");
      return JG_EXIT_USAGE;
    }
  if (prep_jobs < 0 || prep_jobs > 1024)
    {
      jg_cli_error (&prep_cmd, "--jobs must be between 1 and 1024");
      return JG_EXIT_USAGE;
    }
  opt.manifest = prep_manifest;
  opt.root = prep_root;
  opt.speech_dir = prep_speech;
  opt.jobs = (guint) prep_jobs;
  opt.force = prep_force;
  if (!jg_prepare_audio (&opt, prep_progress, &progress, &report, &error))
    {
      jg_cli_error (&prep_cmd, "%s", error->message);
      jg_prepare_audio_report_clear (&report);
      return JG_EXIT_FAILURE;
    }
  if (progress.tty && report.done + report.failures->len > 0)
    fprintf (stderr, "\n");
  for (guint i = 0; i < report.failures->len; i++)
    fprintf (stderr, "jaeger prepare-audio: %s\n", (char *) report.failures->pdata[i]);
  printf ("%u samples: %u made, %u already done, %u failed\n", report.total, report.done,
          report.skipped, report.failures->len);
  rc = report.failures->len > 0 ? JG_EXIT_FAILURE : JG_EXIT_OK;
  jg_prepare_audio_report_clear (&report);
  return rc;
}
