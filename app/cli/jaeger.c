/* jaeger: the headless command line over the display-free core. */
#include "cli/jg-cli.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

/* Keep sorted by name: `jaeger --help` lists them in this order. */
static const JgCommand commands[] = {
  { "ask", "--model DIR --manifest FILE --out FILE", "Ask the model a manifest's questions and write its answers as predictions", jg_cmd_ask },
  { "binaural", "IN.wav --out OUT.wav", "Decode FOA audio to binaural stereo (HRTF, head orientation)", jg_cmd_binaural },
  { "curate", NULL, "Tag, annotate and export the samples of a results store", jg_cmd_curate },
  { "devices", NULL, "List Vulkan devices and their compute features", jg_cmd_devices },
  { "doa", "IN.wav", "Direction of arrival of FOA audio (classical intensity vector)", jg_cmd_doa },
  { "eval", NULL, "Score predictions against manifests (per-task metrics, intervals)", jg_cmd_eval },
  { "generate", "--model DIR --prompt TEXT", "Continue a prompt with the language model, streaming tokens and speed", jg_cmd_generate },
  { "info", "PATH", "Summarise a sample directory or a manifest (counts, problems, missing files)", jg_cmd_info },
  { "prepare-audio", NULL, "Make foa_ls.wav for a manifest's samples from impulse responses and speech", jg_cmd_prepare_audio },
  { "render", "PATH --out FILE.png", "Render a sample's 3-D view with ground truth and predictions to a PNG (offscreen)", jg_cmd_render },
  { "sim", NULL, "Simulate a SpatialSceneQA split (rooms, RGB-D, FOA, manifests)", jg_cmd_sim },
  { "tokenize", "TEXT", "Show how a Qwen tokenizer encodes a text", jg_cmd_tokenize },
  { "version", NULL, "Print version information", jg_cmd_version },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: jaeger COMMAND [OPTIONS...]\n\n"
                "Jaeger Studio's headless tools for SpatialSceneQA scenes and the JAEGER model.\n\n"
                "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-16s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun `jaeger COMMAND --help` for the options of one command.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in files and output always use '.', whatever the locale. */
  setlocale (LC_NUMERIC, "C");
  bindtextdomain (GETTEXT_PACKAGE, JG_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  if (argc < 2)
    {
      print_usage (stderr);
      return JG_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return JG_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("jaeger %s\n", JG_VERSION);
      return JG_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "jaeger: unknown command '%s' (run `jaeger --help` for the list)\n", argv[1]);
  return JG_EXIT_USAGE;
}
