/* `jaeger doa` and `jaeger binaural`: the audio chain, offline. */
#include "cli/jg-cli.h"
#include "audio/jg-audio-file.h"
#include "audio/jg-doa.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

static char *doa_convention;
static gboolean doa_json;
static gboolean doa_track;

static const GOptionEntry doa_entries[] = {
  { "convention", 'c', 0, G_OPTION_ARG_STRING, &doa_convention,
    "FOA channel convention of IN: ambix (default), fuma, n3d or jaeger", "NAME" },
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

static gboolean
parse_convention (const JgCommand *cmd, const char *name, JgFoaConvention *conv)
{
  g_autoptr(GError) error = NULL;

  if (name == NULL)
    {
      *conv = JG_FOA_AMBIX;
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
      jg_cli_error (&doa_cmd, argc < 2 ? "missing IN.wav" : "unexpected argument '%s'",
                    argc < 2 ? "" : argv[2]);
      return JG_EXIT_USAGE;
    }
  if (!parse_convention (&doa_cmd, doa_convention, &conv))
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
