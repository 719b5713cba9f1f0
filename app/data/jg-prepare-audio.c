#include "data/jg-prepare-audio.h"
#include "data/jg-audio-clip.h"
#include "data/jg-manifest.h"
#include "data/jg-npy.h"
#include "data/jg-read.h"
#include "audio/jg-fft.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <samplerate.h>
#include <string.h>

/* ---- FFT convolution ---------------------------------------------------- */

/* @x convolved with @n_h filters of @nh taps stored back to back; outputs
 * (nx + nh - 1 samples each) back to back in @out. One forward FFT of @x
 * serves every filter. */
static gboolean
convolve_many (const float *x, gsize nx, const float *h, guint n_h, gsize nh, float *out, GError **error)
{
  gsize len = nx + nh - 1;
  g_autoptr(JgFft) fft = NULL;
  g_autofree float *X = NULL, *H = NULL;
  guint n;

  if (len > (1u << 26))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "convolution of %" G_GSIZE_FORMAT " samples is too long", len);
      return FALSE;
    }
  n = jg_fft_next_size ((guint) len);
  fft = jg_fft_new (n, error);
  if (fft == NULL)
    return FALSE;
  X = g_new0 (float, n + 2);
  H = g_new0 (float, n + 2);
  memcpy (X, x, nx * sizeof (float));
  jg_fft_real_forward (fft, X, X);
  for (guint f = 0; f < n_h; f++)
    {
      memset (H, 0, (n + 2) * sizeof (float));
      memcpy (H, h + f * nh, nh * sizeof (float));
      jg_fft_real_forward (fft, H, H);
      for (guint k = 0; k <= n / 2; k++)
        {
          float re = X[2 * k] * H[2 * k] - X[2 * k + 1] * H[2 * k + 1];
          float im = X[2 * k] * H[2 * k + 1] + X[2 * k + 1] * H[2 * k];
          H[2 * k] = re;
          H[2 * k + 1] = im;
        }
      jg_fft_real_inverse (fft, H, H);
      for (gsize i = 0; i < len; i++)
        out[f * len + i] = H[i] / (float) n;
    }
  return TRUE;
}

gboolean
jg_fft_convolve (const float *x, gsize nx, const float *h, gsize nh, float *out, GError **error)
{
  g_return_val_if_fail (nx > 0 && nh > 0, FALSE);
  return convolve_many (x, nx, h, 1, nh, out, error);
}

/* ---- speech library ----------------------------------------------------- */

typedef struct {
  char *path;
  JgGender gender;
} Utterance;

static void
utterance_free (Utterance *u)
{
  g_free (u->path);
  g_free (u);
}

/* g_ptr_array_sort () hands the comparator pointers to the elements. */
static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
scan_speech (const char *dir, GPtrArray *files, guint depth)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (depth > 8 || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_autofree char *lower = g_ascii_strdown (name, -1);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        scan_speech (p, files, depth + 1);
      else if (g_str_has_suffix (lower, ".flac") || g_str_has_suffix (lower, ".wav"))
        g_ptr_array_add (files, g_steal_pointer (&p));
    }
}

/* LibriSpeech's SPEAKERS.TXT: ";" comments, then "ID | SEX | SUBSET | ...". */
static GHashTable *
load_speakers (const char *speech_dir)
{
  g_autofree char *dir = g_strdup (speech_dir);

  for (int up = 0; up < 3; up++)
    {
      g_autofree char *file = g_build_filename (dir, "SPEAKERS.TXT", NULL);
      g_autofree char *text = NULL;
      char *parent;

      if (g_file_get_contents (file, &text, NULL, NULL))
        {
          GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

          for (guint i = 0; lines[i]; i++)
            {
              g_auto(GStrv) f = NULL;
              JgGender g = JG_GENDER_NONE;

              if (lines[i][0] == ';')
                continue;
              f = g_strsplit (lines[i], "|", 3);
              if (g_strv_length (f) < 2)
                continue;
              g_strstrip (f[0]);
              g_strstrip (f[1]);
              if (g_ascii_strcasecmp (f[1], "M") == 0)
                g = JG_GENDER_MALE;
              else if (g_ascii_strcasecmp (f[1], "F") == 0)
                g = JG_GENDER_FEMALE;
              if (g != JG_GENDER_NONE && f[0][0])
                g_hash_table_insert (t, g_strdup (f[0]), GINT_TO_POINTER (g));
            }
          return t;
        }
      parent = g_path_get_dirname (dir);
      g_free (dir);
      dir = parent;
    }
  return NULL;
}

static JgGender
gender_of (const char *speech_dir, const char *path, GHashTable *speakers)
{
  g_autofree char *base = g_path_get_basename (path);
  const char *rel = path + strlen (speech_dir);
  g_auto(GStrv) parts = NULL;
  char *dash = strchr (base, '-');

  if (speakers != NULL && dash != NULL)
    {
      *dash = '\0';
      gpointer g = g_hash_table_lookup (speakers, base);
      if (g != NULL)
        return (JgGender) GPOINTER_TO_INT (g);
    }
  parts = g_strsplit (rel, G_DIR_SEPARATOR_S, -1);
  for (guint i = 0; parts[i] && parts[i + 1]; i++)
    {
      if (g_ascii_strcasecmp (parts[i], "male") == 0 || g_ascii_strcasecmp (parts[i], "m") == 0)
        return JG_GENDER_MALE;
      if (g_ascii_strcasecmp (parts[i], "female") == 0 || g_ascii_strcasecmp (parts[i], "f") == 0)
        return JG_GENDER_FEMALE;
    }
  return JG_GENDER_NONE;
}

/* ---- one sample --------------------------------------------------------- */

typedef struct {
  char *dir;
  gboolean two_talkers;
  const Utterance *talker[2];   /* task1: [0]; task2: male, female */
} Job;

static void
job_free (Job *j)
{
  g_free (j->dir);
  g_free (j);
}

/* Mono float at 16 kHz. */
static float *
load_speech (const char *path, gsize *n, GError **error)
{
  g_autoptr(JgAudioClip) clip = jg_audio_clip_load (path, error);
  g_autofree float *mono = NULL;

  if (clip == NULL)
    return NULL;
  mono = g_new0 (float, clip->n_frames);
  for (guint c = 0; c < clip->channels; c++)
    for (gsize i = 0; i < clip->n_frames; i++)
      mono[i] += clip->data[c * clip->n_frames + i] / (float) clip->channels;
  if (clip->sample_rate != JG_FOA_SAMPLE_RATE)
    {
      double ratio = (double) JG_FOA_SAMPLE_RATE / clip->sample_rate;
      gsize out_n = (gsize) ceil (clip->n_frames * ratio) + 1;
      g_autofree float *out = g_new0 (float, out_n);
      SRC_DATA sd = { 0 };
      int rc;

      sd.data_in = mono;
      sd.input_frames = (long) clip->n_frames;
      sd.data_out = out;
      sd.output_frames = (long) out_n;
      sd.src_ratio = ratio;
      rc = src_simple (&sd, SRC_SINC_MEDIUM_QUALITY, 1);
      if (rc != 0)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: resampling to 16 kHz failed: %s",
                       path, src_strerror (rc));
          return NULL;
        }
      *n = (gsize) sd.output_frames_gen;
      return g_steal_pointer (&out);
    }
  *n = clip->n_frames;
  return g_steal_pointer (&mono);
}

/* Adds speech @talker through @ir_file into @mix (4 x *mix_len, grown as needed). */
static gboolean
render_talker (const char *ir_file, const Utterance *talker, float **mix, gsize *mix_len, GError **error)
{
  g_autofree float *ir = NULL, *speech = NULL, *wet = NULL;
  gsize nh, nx, len;

  ir = jg_npy_load_foa (ir_file, &nh, error);
  if (ir == NULL)
    return FALSE;
  speech = load_speech (talker->path, &nx, error);
  if (speech == NULL)
    return FALSE;
  len = nx + nh - 1;
  wet = g_new (float, 4 * len);
  if (!convolve_many (speech, nx, ir, 4, nh, wet, error))
    {
      g_prefix_error (error, "%s: ", ir_file);
      return FALSE;
    }
  if (len > *mix_len)
    {
      /* Zero-pad the shorter signal, as the reference does. */
      float *grown = g_new0 (float, 4 * len);
      for (int c = 0; c < 4 && *mix != NULL; c++)
        memcpy (grown + c * len, *mix + c * *mix_len, *mix_len * sizeof (float));
      g_free (*mix);
      *mix = grown;
      *mix_len = len;
    }
  for (int c = 0; c < 4; c++)
    for (gsize i = 0; i < len; i++)
      (*mix)[c * *mix_len + i] += wet[c * len + i];
  return TRUE;
}

static JsonNode *
source_info (const Utterance *u, const char *gender)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source_path");
  json_builder_add_string_value (b, u->path);
  json_builder_set_member_name (b, "gender");
  json_builder_add_string_value (b, gender);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
update_metadata (const Job *job, GError **error)
{
  g_autofree char *file = g_build_filename (job->dir, "metadata.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  JsonObject *meta, *info = json_object_new ();

  if (g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) local = NULL;
      if (!json_parser_load_from_mapped_file (parser, file, &local)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not a JSON object%s%s", file,
                       local ? ": " : "", local ? local->message : "");
          json_object_unref (info);
          return FALSE;
        }
      root = json_node_copy (json_parser_get_root (parser));
    }
  else
    {
      root = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (root, json_object_new ());
    }
  meta = json_node_get_object (root);
  if (job->two_talkers)
    {
      json_object_set_member (info, "male", source_info (job->talker[0], "M"));
      json_object_set_member (info, "female", source_info (job->talker[1], "F"));
    }
  else
    {
      JgGender g = job->talker[0]->gender;
      JsonNode *n = source_info (job->talker[0], g == JG_GENDER_MALE ? "M" : g == JG_GENDER_FEMALE ? "F" : "");
      json_object_unref (info);
      info = json_object_ref (json_node_get_object (n));
      json_node_unref (n);
    }
  json_object_set_object_member (meta, "audio_source_info", info);
  text = json_to_string (root, TRUE);
  return jg_file_write_atomic (file, text, strlen (text), error);
}

static gboolean
is_finished (const char *dir)
{
  g_autofree char *wav = g_build_filename (dir, "foa_ls.wav", NULL);
  g_autofree char *meta = g_build_filename (dir, "metadata.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!g_file_test (wav, G_FILE_TEST_EXISTS) || !json_parser_load_from_mapped_file (parser, meta, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
         && json_object_has_member (json_node_get_object (root), "audio_source_info");
}

/* A run killed inside jg_file_write_atomic () leaves its temporary file
 * (".foa_ls.wav.XXXXXX"); the final names are never half-written, but the
 * leftovers are removed when the sample is redone. */
static void
remove_stale_temporaries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    if ((g_str_has_prefix (name, ".foa_ls.wav.") || g_str_has_prefix (name, ".metadata.json."))
        && strlen (strrchr (name, '.')) == 7)
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);
        g_unlink (p);
      }
}

static gboolean
run_job (const Job *job, GError **error)
{
  g_autofree float *mix = NULL;
  g_autofree char *wav = g_build_filename (job->dir, "foa_ls.wav", NULL);
  gsize len = 0;

  remove_stale_temporaries (job->dir);

  if (job->two_talkers)
    {
      g_autofree char *male = g_build_filename (job->dir, "ir_male.npy", NULL);
      g_autofree char *female = g_build_filename (job->dir, "ir_female.npy", NULL);
      if (!render_talker (male, job->talker[0], &mix, &len, error)
          || !render_talker (female, job->talker[1], &mix, &len, error))
        return FALSE;
    }
  else
    {
      g_autofree char *ir = g_build_filename (job->dir, "ir.npy", NULL);
      if (!render_talker (ir, job->talker[0], &mix, &len, error))
        return FALSE;
    }
  /* 16-bit PCM like the reference's soundfile.write; clipped at full scale. */
  return jg_wav_write (wav, mix, 4, JG_FOA_SAMPLE_RATE, len, JG_WAV_PCM16, error)
         && update_metadata (job, error);
}

/* ---- the run ------------------------------------------------------------ */

typedef struct {
  GMutex lock;
  JgPrepareAudioReport *report;
  JgPrepareAudioProgress progress;
  gpointer user_data;
} Shared;

static void
worker (gpointer data, gpointer user_data)
{
  Job *job = data;
  Shared *sh = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = run_job (job, &error);

  g_mutex_lock (&sh->lock);
  if (ok)
    sh->report->done++;
  else
    g_ptr_array_add (sh->report->failures, g_strdup_printf ("%s: %s", job->dir, error->message));
  if (sh->progress)
    sh->progress (sh->report, sh->user_data);
  g_mutex_unlock (&sh->lock);
}

void
jg_prepare_audio_report_clear (JgPrepareAudioReport *report)
{
  g_clear_pointer (&report->failures, g_ptr_array_unref);
}

gboolean
jg_prepare_audio (const JgPrepareAudioOptions *opt, JgPrepareAudioProgress progress, gpointer user_data,
                  JgPrepareAudioReport *report, GError **error)
{
  g_autoptr(JgManifest) m = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) utterance_free);
  g_autoptr(GPtrArray) unknown = g_ptr_array_new ();
  g_autoptr(GPtrArray) males = g_ptr_array_new ();
  g_autoptr(GPtrArray) females = g_ptr_array_new ();
  GPtrArray *by_gender[3] = { [JG_GENDER_NONE] = unknown, [JG_GENDER_MALE] = males, [JG_GENDER_FEMALE] = females };
  g_autoptr(GHashTable) speakers = NULL;
  g_autoptr(GHashTable) sample_gender = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  g_autoptr(GList) dirs = NULL;
  guint next[3] = { 0 };
  Shared sh = { 0 };
  GThreadPool *pool;

  memset (report, 0, sizeof *report);
  report->failures = g_ptr_array_new_with_free_func (g_free);

  m = jg_manifest_load (opt->manifest, opt->root, error);
  if (m == NULL)
    return FALSE;
  if (!g_file_test (opt->speech_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no such speech folder", opt->speech_dir);
      return FALSE;
    }
  scan_speech (opt->speech_dir, files, 0);
  g_ptr_array_sort (files, compare_paths);
  if (files->len == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no .flac or .wav speech files", opt->speech_dir);
      return FALSE;
    }
  speakers = load_speakers (opt->speech_dir);
  for (guint i = 0; i < files->len; i++)
    {
      Utterance *u = g_new0 (Utterance, 1);
      u->path = g_strdup (files->pdata[i]);
      u->gender = gender_of (opt->speech_dir, u->path, speakers);
      g_ptr_array_add (all, u);
      g_ptr_array_add (by_gender[u->gender], u);
    }

  /* Distinct HM3D sample folders; the gender a DoA entry names for one. */
  for (guint i = 0; i < jg_manifest_get_n_entries (m); i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (m, i);
      if (e->task == JG_TASK_STARSS23)
        continue;
      if (!g_hash_table_contains (sample_gender, e->path)
          || (e->task == JG_TASK_SPATIAL_DOA && e->gender != JG_GENDER_NONE))
        g_hash_table_replace (sample_gender, g_strdup (e->path),
                              GINT_TO_POINTER (e->task == JG_TASK_SPATIAL_DOA ? e->gender : JG_GENDER_NONE));
    }
  dirs = g_list_sort (g_hash_table_get_keys (sample_gender), (GCompareFunc) strcmp);
  report->total = g_hash_table_size (sample_gender);

  for (GList *l = dirs; l; l = l->next)
    {
      const char *dir = l->data;
      g_autofree char *base = g_path_get_basename (dir);
      g_autofree char *male_ir = g_build_filename (dir, "ir_male.npy", NULL);
      Job *job = g_new0 (Job, 1);

      job->dir = g_strdup (dir);
      job->two_talkers = g_str_has_prefix (base, "task2") || g_file_test (male_ir, G_FILE_TEST_EXISTS);
      if (job->two_talkers)
        {
          if (by_gender[JG_GENDER_MALE]->len == 0 || by_gender[JG_GENDER_FEMALE]->len == 0)
            {
              g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                           "%s: two-talker samples need male and female speech; found %u male and %u "
                           "female files (put LibriSpeech's SPEAKERS.TXT in the folder, or the files in "
                           "male/ and female/ subfolders)", opt->speech_dir,
                           by_gender[JG_GENDER_MALE]->len, by_gender[JG_GENDER_FEMALE]->len);
              job_free (job);
              return FALSE;
            }
          job->talker[0] = by_gender[JG_GENDER_MALE]->pdata[next[JG_GENDER_MALE]++ % by_gender[JG_GENDER_MALE]->len];
          job->talker[1] = by_gender[JG_GENDER_FEMALE]->pdata[next[JG_GENDER_FEMALE]++ % by_gender[JG_GENDER_FEMALE]->len];
        }
      else
        {
          JgGender want = (JgGender) GPOINTER_TO_INT (g_hash_table_lookup (sample_gender, dir));
          GPtrArray *list = want != JG_GENDER_NONE && by_gender[want]->len > 0 ? by_gender[want] : all;
          guint *counter = list == all ? &next[JG_GENDER_NONE] : &next[want];
          job->talker[0] = list->pdata[(*counter)++ % list->len];
        }
      g_ptr_array_add (jobs, job);
    }

  g_mutex_init (&sh.lock);
  sh.report = report;
  sh.progress = progress;
  sh.user_data = user_data;
  pool = g_thread_pool_new (worker, &sh, opt->jobs ? (int) opt->jobs : (int) g_get_num_processors (),
                            FALSE, NULL);
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = jobs->pdata[i];
      if (!opt->force && is_finished (job->dir))
        {
          g_mutex_lock (&sh.lock);
          report->skipped++;
          g_mutex_unlock (&sh.lock);
          continue;
        }
      g_thread_pool_push (pool, job, NULL);
    }
  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&sh.lock);
  return TRUE;
}
