/* `jaeger doa` and `jaeger binaural`: the audio chain, offline. */
#include "cli/jg-cli.h"
#include "audio/jg-audio-file.h"
#include "audio/jg-decoder.h"
#include "audio/jg-doa.h"
#include "audio/jg-foa.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <samplerate.h>
#include <stdio.h>

static char *doa_convention;
static gboolean doa_json;
static gboolean doa_track;

static const GOptionEntry doa_entries[] = {
  { "convention", 'c', 0, G_OPTION_ARG_STRING, &doa_convention,
    "FOA channel convention of IN: ambix, fuma, n3d or jaeger (default: metadata.json beside IN, else ambix)", "NAME" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &doa_json, "Print JSON with the per-frame track", NULL },
  { "track", 0, 0, G_OPTION_ARG_NONE, &doa_track, "Also print the per-frame track as text", NULL },
  { NULL }
};

static const JgCommand doa_cmd = {
  "doa", "IN.wav",
  "Estimate the direction of arrival of 4-channel FOA audio with the classical\n"
  "intensity vector (STFT n_fft 800, hop 320, Hann), energy-weighted over the\n"
  "whole file. Angles in JAEGER's convention: azimuth 0 ahead, positive to the\n"
  "left; elevation positive up (degrees).", NULL
};

/* Without --convention: a SpatialSceneQA sample's metadata.json beside the
 * file says which convention it uses ("foa_convention", as the sample
 * loader reads it); any other file is taken as ambiX. */
static JgFoaConvention
convention_beside (const char *input)
{
  g_autofree char *dir = g_path_get_dirname (input);
  g_autofree char *meta = g_build_filename (dir, "metadata.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JgFoaConvention conv = JG_FOA_AMBIX;
  JsonNode *root;

  if (g_file_test (meta, G_FILE_TEST_IS_REGULAR) && json_parser_load_from_file (parser, meta, NULL)
      && (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      const char *name = json_object_get_string_member_with_default (json_node_get_object (root),
                                                                     "foa_convention", NULL);
      if (name == NULL || !jg_foa_convention_from_string (name, &conv, NULL))
        conv = JG_FOA_AMBIX;
    }
  return conv;
}

static gboolean
parse_convention (const JgCommand *cmd, const char *name, const char *input, JgFoaConvention *conv)
{
  g_autoptr(GError) error = NULL;

  if (name == NULL)
    {
      *conv = convention_beside (input);
      return TRUE;
    }
  if (!jg_foa_convention_from_string (name, conv, &error))
    {
      jg_cli_error (cmd, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
print_doa_json (const char *path, JgFoaConvention conv, const JgFoaAnalysis *a)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path"); json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "convention");
  json_builder_add_string_value (b, jg_foa_convention_to_string (conv));
  json_builder_set_member_name (b, "sample_rate"); json_builder_add_int_value (b, a->sample_rate);
  json_builder_set_member_name (b, "azimuth"); json_builder_add_double_value (b, a->az_deg);
  json_builder_set_member_name (b, "elevation"); json_builder_add_double_value (b, a->el_deg);
  json_builder_set_member_name (b, "directivity"); json_builder_add_double_value (b, a->directivity);
  json_builder_set_member_name (b, "frame_period"); json_builder_add_double_value (b, a->frame_period);
  json_builder_set_member_name (b, "frames");
  json_builder_begin_array (b);
  for (guint t = 0; t < a->n_frames; t++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "time"); json_builder_add_double_value (b, t * a->frame_period);
      json_builder_set_member_name (b, "azimuth"); json_builder_add_double_value (b, a->frame_az_deg[t]);
      json_builder_set_member_name (b, "elevation"); json_builder_add_double_value (b, a->frame_el_deg[t]);
      json_builder_set_member_name (b, "energy"); json_builder_add_double_value (b, a->frame_energy[t]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

int
jg_cmd_doa (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgAudioBuffer) audio = NULL;
  g_autoptr(JgFoaAnalysis) a = NULL;
  JgFoaConvention conv;

  if (!jg_cli_parse (&doa_cmd, doa_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc != 2)
    {
      if (argc < 2)
        jg_cli_error (&doa_cmd, "missing IN.wav");
      else
        jg_cli_error (&doa_cmd, "unexpected argument '%s'", argv[2]);
      return JG_EXIT_USAGE;
    }
  if (!parse_convention (&doa_cmd, doa_convention, argv[1], &conv))
    return JG_EXIT_USAGE;

  audio = jg_audio_file_read (argv[1], 4, &error);
  if (audio != NULL)
    a = jg_foa_analyse (audio->samples, audio->n_frames, audio->sample_rate, conv, &error);
  if (a == NULL)
    {
      jg_cli_error (&doa_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }

  if (doa_json)
    {
      print_doa_json (argv[1], conv, a);
      return JG_EXIT_OK;
    }
  /* The same answer format as the dataset, one decimal. */
  printf ("azimuth: %.1f; elevation: %.1f\n", a->az_deg, a->el_deg);
  if (doa_track)
    {
      printf ("# time_s azimuth elevation energy_db\n");
      for (guint t = 0; t < a->n_frames; t++)
        printf ("%.3f %.1f %.1f %.1f\n", t * a->frame_period, a->frame_az_deg[t],
                a->frame_el_deg[t], 10.0 * log10 (a->frame_energy[t] + 1e-12));
    }
  return JG_EXIT_OK;
}

static char *bin_out, *bin_hrtf, *bin_convention, *bin_decoder;
static double bin_yaw, bin_pitch, bin_roll;
static int bin_rate;

static const GOptionEntry binaural_entries[] = {
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &bin_out, "Output WAV file (32-bit float)", "OUT.wav" },
  { "yaw", 0, 0, G_OPTION_ARG_DOUBLE, &bin_yaw, "Head turned left by DEG", "DEG" },
  { "pitch", 0, 0, G_OPTION_ARG_DOUBLE, &bin_pitch, "Head tilted up by DEG", "DEG" },
  { "roll", 0, 0, G_OPTION_ARG_DOUBLE, &bin_roll, "Head rolled right-ear-down by DEG", "DEG" },
  { "hrtf", 0, 0, G_OPTION_ARG_FILENAME, &bin_hrtf,
    "SOFA HRTF set (default " JG_HRTF_DEFAULT_PATH ")", "FILE.sofa" },
  { "convention", 'c', 0, G_OPTION_ARG_STRING, &bin_convention,
    "FOA channel convention of IN: ambix, fuma, n3d or jaeger (default: metadata.json beside IN, else ambix)", "NAME" },
  { "decoder", 'd', 0, G_OPTION_ARG_STRING, &bin_decoder,
    "binaural (default), stereo (virtual cardioids) or passthrough (rotated ambiX)", "KIND" },
  { "rate", 'r', 0, G_OPTION_ARG_INT, &bin_rate, "Output sample rate (default: the input's)", "HZ" },
  { NULL }
};

static const JgCommand binaural_cmd = {
  "binaural", "IN.wav --out OUT.wav",
  "Decode 4-channel FOA audio to binaural stereo through an HRTF (or to\n"
  "virtual-cardioid stereo, or rotated ambiX), with an optional head\n"
  "orientation: the same chain as playback, offline.", NULL
};

/* Block size of the offline render; playback uses the device's. */
#define RENDER_BLOCK 512

int
jg_cmd_binaural (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgAudioBuffer) audio = NULL;
  g_autoptr(JgHrtf) hrtf = NULL;
  g_autoptr(JgFoaDecoder) dec = NULL;
  g_autofree float *ambix = NULL, *out = NULL;
  JgFoaConvention conv;
  JgDecoderKind kind = JG_DECODER_BINAURAL;
  gsize n;
  guint rate;

  if (!jg_cli_parse (&binaural_cmd, binaural_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc != 2)
    {
      if (argc < 2)
        jg_cli_error (&binaural_cmd, "missing IN.wav");
      else
        jg_cli_error (&binaural_cmd, "unexpected argument '%s'", argv[2]);
      return JG_EXIT_USAGE;
    }
  if (bin_out == NULL)
    {
      jg_cli_error (&binaural_cmd, "missing --out OUT.wav");
      return JG_EXIT_USAGE;
    }
  if (!parse_convention (&binaural_cmd, bin_convention, argv[1], &conv))
    return JG_EXIT_USAGE;
  if (bin_decoder != NULL && !jg_decoder_kind_from_string (bin_decoder, &kind, &error))
    {
      jg_cli_error (&binaural_cmd, "%s", error->message);
      return JG_EXIT_USAGE;
    }
  if (bin_rate != 0 && (bin_rate < 8000 || bin_rate > 384000))
    {
      jg_cli_error (&binaural_cmd, "--rate %d is out of range (8000 to 384000)", bin_rate);
      return JG_EXIT_USAGE;
    }

  audio = jg_audio_file_read (argv[1], 4, &error);
  if (audio == NULL)
    {
      jg_cli_error (&binaural_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  jg_foa_convert (conv, JG_FOA_AMBIX, audio->samples, audio->n_frames);
  rate = bin_rate != 0 ? (guint) bin_rate : audio->sample_rate;
  if (rate != audio->sample_rate)
    {
      double ratio = (double) rate / audio->sample_rate;
      SRC_DATA src = { 0 };
      int err;

      n = (gsize) ceil (audio->n_frames * ratio);
      ambix = g_new0 (float, 4 * n);
      src.data_in = audio->samples;
      src.input_frames = (long) audio->n_frames;
      src.data_out = ambix;
      src.output_frames = (long) n;
      src.src_ratio = ratio;
      err = src_simple (&src, SRC_SINC_MEDIUM_QUALITY, 4);
      if (err != 0)
        {
          jg_cli_error (&binaural_cmd, "%s: resampling failed: %s", argv[1], src_strerror (err));
          return JG_EXIT_FAILURE;
        }
      n = (gsize) src.output_frames_gen;
    }
  else
    {
      n = audio->n_frames;
      ambix = g_steal_pointer (&audio->samples);
    }

  if (kind == JG_DECODER_BINAURAL)
    {
      hrtf = jg_hrtf_load (bin_hrtf, rate, &error);
      if (hrtf == NULL)
        {
          jg_cli_error (&binaural_cmd, "%s", error->message);
          return JG_EXIT_FAILURE;
        }
    }
  dec = jg_foa_decoder_new (kind, hrtf, RENDER_BLOCK, &error);
  if (dec == NULL)
    {
      jg_cli_error (&binaural_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  jg_foa_decoder_set_orientation (dec, bin_yaw, bin_pitch, bin_roll);
  out = g_new (float, n * jg_foa_decoder_get_n_outputs (dec));
  jg_foa_decoder_render (dec, ambix, n, out);
  if (!jg_audio_file_write_wav (bin_out, out, n, jg_foa_decoder_get_n_outputs (dec), rate, &error))
    {
      jg_cli_error (&binaural_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  return JG_EXIT_OK;
}
