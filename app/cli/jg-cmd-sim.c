/* `jaeger sim`: write a simulated SpatialSceneQA split. */
#include "cli/jg-cli.h"
#include "sim/jg-sim.h"

#include <stdio.h>
#include <stdlib.h>

static const JgCommand sim_cmd = {
  "sim", NULL,
  "Simulate a SpatialSceneQA split: procedural rooms with loudspeakers, RGB-D frames,\n"
  "FOA impulse responses (image sources + diffuse tail), speech, and the five HM3D\n"
  "manifests, in the release's layout. The same options give byte-identical output.\n"
  "Dry speech comes from espeak-ng, or --speech DIR with DIR/male/ and DIR/female/\n"
  "recordings (WAV, FLAC).",
  NULL
};

static void
progress (guint done, guint total, const char *sample, gpointer user_data)
{
  if (*(gboolean *) user_data)
    fprintf (stderr, "\r[%u/%u] %s   ", done, total, sample);
}

int
jg_cmd_sim (int argc, char **argv)
{
  g_autofree char *out = NULL, *split = NULL, *rt60 = NULL, *kinds = NULL, *convention = NULL;
  g_autofree char *speech = NULL, *prefix = NULL, *seed = NULL;
  int scenes = 1, speakers_max = 3, task1 = -1, task2 = -1, ism_order = -1;
  double speech_seconds = 0.0, max_distance = 0.0, noise_snr = G_MAXDOUBLE;
  gboolean no_audio = FALSE, quiet = FALSE, show = TRUE, occluders = FALSE;
  g_autoptr(GError) error = NULL;
  JgSimOptions o;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output folder (required)", "DIR" },
    { "scenes", 'n', 0, G_OPTION_ARG_INT, &scenes, "Number of rooms (default 1)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &seed, "Random seed (default 1)", "S" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Split folder and manifest suffix (default test)", "NAME" },
    { "rt60", 0, 0, G_OPTION_ARG_STRING, &rt60,
      "Reverberation time in s; 0 = direct path only like the released test split "
      "(default: drawn per room in 0.2-0.6)", "SECONDS" },
    { "speakers-max", 0, 0, G_OPTION_ARG_INT, &speakers_max, "Most loudspeakers per sample, 1-8 (default 3)", "N" },
    { "room-kinds", 0, 0, G_OPTION_ARG_STRING, &kinds, "shoebox, lshape or both (default shoebox,lshape)", "LIST" },
    { "convention", 0, 0, G_OPTION_ARG_STRING, &convention, "FOA convention: jaeger (default), ambix, fuma, n3d", "NAME" },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &no_audio, "Impulse responses only, no foa_ls.wav (like the release)", NULL },
    { "speech", 0, 0, G_OPTION_ARG_FILENAME, &speech, "Dry speech from DIR/male/ and DIR/female/ instead of espeak-ng", "DIR" },
    { "speech-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &speech_seconds, "Least length of synthesised speech (default 4)", "S" },
    { "path-prefix", 0, 0, G_OPTION_ARG_STRING, &prefix,
      "Manifest path prefix (default the release's /path/to/...; empty for paths relative to DIR)", "PREFIX" },
    { "task1", 0, 0, G_OPTION_ARG_INT, &task1, "task1 samples (one talker) per room (default 4)", "N" },
    { "task2", 0, 0, G_OPTION_ARG_INT, &task2, "task2 samples (two talkers) per room (default 3)", "N" },
    { "max-distance", 0, 0, G_OPTION_ARG_DOUBLE, &max_distance, "Farthest loudspeaker in m (default 4.1)", "M" },
    { "ism-order", 0, 0, G_OPTION_ARG_INT, &ism_order, "Image-source reflection order, 0-6 (default 3)", "N" },
    { "noise-snr", 0, 0, G_OPTION_ARG_DOUBLE, &noise_snr, "Add diffuse distractor noise this many dB below the speech (default none)", "DB" },
    { "occluders", 0, 0, G_OPTION_ARG_NONE, &occluders,
      "Partly hide one loudspeaker per sample behind a crate (seen, not heard)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress output", NULL },
    { NULL }
  };

  if (!jg_cli_parse (&sim_cmd, entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&sim_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  if (out == NULL)
    {
      jg_cli_error (&sim_cmd, "--out DIR is required");
      return JG_EXIT_USAGE;
    }
  jg_sim_options_init (&o);
  o.out_dir = out;
  if (scenes < 1)
    {
      jg_cli_error (&sim_cmd, "--scenes must be at least 1");
      return JG_EXIT_USAGE;
    }
  o.n_scenes = (guint) scenes;
  if (seed != NULL && !g_ascii_string_to_unsigned (seed, 10, 0, G_MAXUINT64, &o.seed, &error))
    {
      jg_cli_error (&sim_cmd, "--seed: %s", error->message);
      return JG_EXIT_USAGE;
    }
  if (split != NULL)
    o.split = split;
  if (rt60 != NULL)
    {
      char *end = NULL;
      o.rt60 = g_ascii_strtod (rt60, &end);
      if (end == rt60 || *end != '\0' || o.rt60 < 0.0)
        {
          jg_cli_error (&sim_cmd, "--rt60: '%s' is not a time in seconds >= 0", rt60);
          return JG_EXIT_USAGE;
        }
    }
  if (speakers_max < 1 || speakers_max > JG_SIM_MAX_SPEAKERS)
    {
      jg_cli_error (&sim_cmd, "--speakers-max must be 1-%d", JG_SIM_MAX_SPEAKERS);
      return JG_EXIT_USAGE;
    }
  o.speakers_max = (guint) speakers_max;
  if (kinds != NULL && !jg_sim_parse_room_kinds (kinds, &o, &error))
    {
      jg_cli_error (&sim_cmd, "--room-kinds: %s", error->message);
      return JG_EXIT_USAGE;
    }
  if (convention != NULL && !jg_foa_convention_from_string (convention, &o.convention, &error))
    {
      jg_cli_error (&sim_cmd, "--convention: %s", error->message);
      return JG_EXIT_USAGE;
    }
  o.no_audio = no_audio;
  o.speech_dir = speech;
  if (speech_seconds != 0.0)
    o.speech_seconds = speech_seconds;
  if (prefix != NULL)
    o.path_prefix = prefix;
  if (task1 >= 0)
    o.task1_per_scene = (guint) task1;
  if (task2 >= 0)
    o.task2_per_scene = (guint) task2;
  if (max_distance != 0.0)
    o.limits.max_distance = max_distance;
  if (ism_order >= 0)
    o.ism_order = ism_order;
  o.noise_snr_db = noise_snr;
  o.occluders = occluders;

  show = !quiet;
  if (!jg_sim_run (&o, progress, &show, &error))
    {
      if (show)
        fputc ('\n', stderr);
      jg_cli_error (&sim_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  if (show)
    fputc ('\n', stderr);
  return JG_EXIT_OK;
}
