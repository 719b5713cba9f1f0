#include "sim/jg-sim-speech.h"
#include "sim/jg-sim-ir.h"
#include "core/jg-error.h"
#include "data/jg-audio-clip.h"

#include <glib/gstdio.h>
#include <math.h>
#include <samplerate.h>
#include <string.h>
#include <unistd.h>

#define PEAK 0.5
#define GAP_SECONDS 0.3

static const char *const sentences[] = {
  "The blue kettle on the stove has started to whistle.",
  "Please put the heavy books back on the lowest shelf.",
  "We walked along the river until the lights came on.",
  "Her new bicycle is parked right next to the garden gate.",
  "Turn left at the bakery and the station is straight ahead.",
  "The meeting has been moved to Thursday afternoon at three.",
  "A cold wind swept through the valley before the storm.",
  "Could you open the window a little, it is warm in here.",
  "The children built a tall tower out of wooden blocks.",
  "My grandmother keeps her recipes in a small green box.",
  "The old clock in the hallway chimes every quarter hour.",
  "Fresh bread and strong coffee make a very good breakfast.",
  "The museum closes early on the first Monday of the month.",
  "He painted the fence white and the door a bright red.",
  "Seven small boats were drifting slowly across the lake.",
  "The printer on the second floor is out of paper again.",
  "Remember to water the plants while I am away next week.",
  "The concert was so loud that we could barely talk.",
  "A quiet street with tall trees leads up to the school.",
  "She found an old map folded inside the wooden chest.",
  "The train to the coast leaves from platform number nine.",
  "Our neighbours are planting tomatoes along the south wall.",
  "The cat fell asleep in a patch of warm afternoon sun.",
  "Bring a warm jacket, the evenings get cold by the sea.",
};

static const char *const male_voices[] = { "en+m1", "en+m2", "en+m3", "en+m4" };
static const char *const female_voices[] = { "en+f1", "en+f2", "en+f3", "en+f4" };

typedef struct {
  float *data;
  gsize n;
} Clip;

struct _JgSimSpeech {
  char *dir;
  double min_seconds;
  GPtrArray *files[2];      /* recordings by gender (paths) */
  GHashTable *cache;        /* key -> Clip: decoded utterances */
  float *mix;               /* the last composed utterance */
  gsize mix_len, mix_cap;
};

static void
clip_free (gpointer p)
{
  Clip *c = p;
  g_free (c->data);
  g_free (c);
}

/* Reads any libsndfile format, mixes to mono and resamples to 16 kHz. */
static Clip *
load_audio (const char *path, const char *label, GError **error)
{
  g_autoptr(JgAudioClip) in = jg_audio_clip_load (path, error);
  g_autofree float *mono = NULL;
  Clip *clip;
  double peak = 0.0;

  if (in == NULL)
    return NULL;
  if (in->channels < 1 || in->sample_rate < 4000 || in->n_frames == 0
      || in->n_frames > (gsize) 600 * in->sample_rate)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: unusable speech (%u channels, %u Hz, %" G_GSIZE_FORMAT " frames)",
                   label, in->channels, in->sample_rate, in->n_frames);
      return NULL;
    }
  mono = g_new (float, in->n_frames);
  for (gsize i = 0; i < in->n_frames; i++)
    {
      float s = 0.0f;
      for (guint c = 0; c < in->channels; c++)
        s += in->data[c * in->n_frames + i];
      mono[i] = s / in->channels;
      if (!isfinite (mono[i]))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: NaN or infinite sample", label);
          return NULL;
        }
    }

  clip = g_new0 (Clip, 1);
  if (in->sample_rate == JG_SIM_SAMPLE_RATE)
    {
      clip->n = in->n_frames;
      clip->data = g_steal_pointer (&mono);
    }
  else
    {
      double ratio = (double) JG_SIM_SAMPLE_RATE / in->sample_rate;
      SRC_DATA src = { 0 };
      int err;

      clip->n = (gsize) ceil (in->n_frames * ratio) + 16;
      clip->data = g_new0 (float, clip->n);
      src.data_in = mono;
      src.input_frames = (long) in->n_frames;
      src.data_out = clip->data;
      src.output_frames = (long) clip->n;
      src.src_ratio = ratio;
      err = src_simple (&src, SRC_SINC_FASTEST, 1);
      if (err != 0)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: resampling failed: %s",
                       label, src_strerror (err));
          clip_free (clip);
          return NULL;
        }
      clip->n = src.output_frames_gen;
    }
  for (gsize i = 0; i < clip->n; i++)
    peak = MAX (peak, fabs (clip->data[i]));
  if (peak <= 0.0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: silent recording", label);
      clip_free (clip);
      return NULL;
    }
  for (gsize i = 0; i < clip->n; i++)
    clip->data[i] = (float) (clip->data[i] * (PEAK / peak));
  return clip;
}

static Clip *
synthesise (const char *voice, int speed, const char *text, GError **error)
{
  g_autofree char *tmp = NULL;
  g_autofree char *speed_s = g_strdup_printf ("%d", speed);
  g_autofree char *err_out = NULL;
  int fd, status = 0;
  Clip *clip;

  fd = g_file_open_tmp ("jaeger-sim-XXXXXX.wav", &tmp, error);
  if (fd < 0)
    return NULL;
  close (fd);
  {
    const char *argv[] = { "espeak-ng", "-w", tmp, "-v", voice, "-s", speed_s, text, NULL };
    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                       NULL, NULL, NULL, &err_out, &status, error))
      {
        g_prefix_error (error, "espeak-ng (Debian package espeak-ng) could not be run: ");
        g_unlink (tmp);
        return NULL;
      }
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "espeak-ng -v %s failed: %s",
                   voice, err_out != NULL ? g_strstrip (err_out) : "");
      g_unlink (tmp);
      return NULL;
    }
  clip = load_audio (tmp, "espeak-ng output", error);
  g_unlink (tmp);
  return clip;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
list_recordings (JgSimSpeech *s, int g, GError **error)
{
  g_autofree char *sub = g_build_filename (s->dir, g == JG_SIM_MALE ? "male" : "female", NULL);
  g_autoptr(GDir) d = g_dir_open (sub, 0, error);
  const char *name;

  if (d == NULL)
    {
      g_prefix_error (error, "--speech %s needs male/ and female/ folders: ", s->dir);
      return FALSE;
    }
  s->files[g] = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (s->files[g], g_strdup (name));
  if (s->files[g]->len == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no recordings", sub);
      return FALSE;
    }
  /* Directory order is file-system dependent; the draw must not be. */
  g_ptr_array_sort (s->files[g], compare_names);
  return TRUE;
}

JgSimSpeech *
jg_sim_speech_new (const char *dir, double min_seconds, GError **error)
{
  g_autoptr(JgSimSpeech) s = g_new0 (JgSimSpeech, 1);

  s->min_seconds = min_seconds;
  s->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, clip_free);
  if (dir != NULL)
    {
      s->dir = g_strdup (dir);
      if (!list_recordings (s, JG_SIM_MALE, error) || !list_recordings (s, JG_SIM_FEMALE, error))
        return NULL;
    }
  else
    {
      g_autofree char *prog = g_find_program_in_path ("espeak-ng");
      if (prog == NULL)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                       "espeak-ng not found (install the Debian package espeak-ng, "
                       "or pass --speech DIR, or --no-audio)");
          return NULL;
        }
    }
  return g_steal_pointer (&s);
}

void
jg_sim_speech_free (JgSimSpeech *s)
{
  if (s == NULL)
    return;
  g_free (s->dir);
  for (int g = 0; g < 2; g++)
    if (s->files[g] != NULL)
      g_ptr_array_unref (s->files[g]);
  g_hash_table_unref (s->cache);
  g_free (s->mix);
  g_free (s);
}

static void
append (JgSimSpeech *s, const float *x, gsize n, gsize gap)
{
  if (s->mix_len + gap + n > s->mix_cap)
    {
      s->mix_cap = MAX (2 * s->mix_cap, s->mix_len + gap + n);
      s->mix = g_renew (float, s->mix, s->mix_cap);
    }
  memset (s->mix + s->mix_len, 0, gap * sizeof (float));
  memcpy (s->mix + s->mix_len + gap, x, n * sizeof (float));
  s->mix_len += gap + n;
}

const float *
jg_sim_speech_get (JgSimSpeech *s, JgSimGender gender, JgSimRng *rng, gsize *n_samples,
                   JsonBuilder *describe, GError **error)
{
  gsize gap = (gsize) (GAP_SECONDS * JG_SIM_SAMPLE_RATE);

  s->mix_len = 0;
  if (describe != NULL)
    json_builder_begin_object (describe);
  if (s->dir != NULL)
    {
      GPtrArray *files = s->files[gender];
      const char *name = g_ptr_array_index (files, jg_sim_rng_index (rng, files->len));
      g_autofree char *rel = g_build_filename (gender == JG_SIM_MALE ? "male" : "female", name, NULL);
      Clip *clip = g_hash_table_lookup (s->cache, rel);

      if (clip == NULL)
        {
          g_autofree char *path = g_build_filename (s->dir, rel, NULL);
          clip = load_audio (path, path, error);
          if (clip == NULL)
            return NULL;
          g_hash_table_insert (s->cache, g_strdup (rel), clip);
        }
      append (s, clip->data, clip->n, 0);
      if (describe != NULL)
        {
          json_builder_set_member_name (describe, "source");
          json_builder_add_string_value (describe, "recording");
          json_builder_set_member_name (describe, "file");
          json_builder_add_string_value (describe, rel);
        }
    }
  else
    {
      const char *voice = gender == JG_SIM_MALE
                            ? male_voices[jg_sim_rng_index (rng, G_N_ELEMENTS (male_voices))]
                            : female_voices[jg_sim_rng_index (rng, G_N_ELEMENTS (female_voices))];
      /* A few speaking rates, so that the per-utterance cache is reused. */
      int speed = 145 + 15 * (int) jg_sim_rng_index (rng, 3);

      if (describe != NULL)
        {
          json_builder_set_member_name (describe, "source");
          json_builder_add_string_value (describe, "espeak-ng");
          json_builder_set_member_name (describe, "voice");
          json_builder_add_string_value (describe, voice);
          json_builder_set_member_name (describe, "words_per_minute");
          json_builder_add_int_value (describe, speed);
          json_builder_set_member_name (describe, "sentences");
          json_builder_begin_array (describe);
        }
      /* Sentences until the utterance is long enough. */
      while (s->mix_len < (gsize) (s->min_seconds * JG_SIM_SAMPLE_RATE) || s->mix_len == 0)
        {
          const char *text = sentences[jg_sim_rng_index (rng, G_N_ELEMENTS (sentences))];
          g_autofree char *key = g_strdup_printf ("%s|%d|%s", voice, speed, text);
          Clip *clip = g_hash_table_lookup (s->cache, key);

          if (clip == NULL)
            {
              clip = synthesise (voice, speed, text, error);
              if (clip == NULL)
                return NULL;
              g_hash_table_insert (s->cache, g_steal_pointer (&key), clip);
            }
          append (s, clip->data, clip->n, s->mix_len > 0 ? gap : 0);
          if (describe != NULL)
            json_builder_add_string_value (describe, text);
        }
      if (describe != NULL)
        json_builder_end_array (describe);
    }
  if (describe != NULL)
    json_builder_end_object (describe);
  *n_samples = s->mix_len;
  return s->mix;
}
