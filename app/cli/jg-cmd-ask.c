/* jaeger ask: the model answers a manifest's questions, as the reference
 * evaluation asks them (JAEGER's test prompts, the forced answer prefix),
 * and the answers go to a predictions file that `jaeger eval` scores and
 * the review window imports. Text only for now: the engine has no image
 * or audio encoder yet, so the model answers without the scene. */
#include "cli/jg-cli.h"
#include "data/jg-manifest.h"
#include "eval/jg-predictions.h"
#include "inference/jg-chat.h"
#include "inference/jg-text-model.h"
#include "sim/jg-sim.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

static char *ask_model;
static char *ask_adapter;
static char *ask_manifest;
static char *ask_root;
static char *ask_out;
static int ask_max_tokens = 64;
static int ask_limit;
static int ask_device = -1;

static const GOptionEntry ask_entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &ask_model, "Model folder (config.json, safetensors, tokenizer)", "DIR" },
  { "adapter", 0, 0, G_OPTION_ARG_FILENAME, &ask_adapter, "A JAEGER checkpoint whose LoRA is merged at load", "PATH" },
  { "manifest", 0, 0, G_OPTION_ARG_FILENAME, &ask_manifest, "The manifest whose questions are asked", "FILE" },
  { "root", 'r', 0, G_OPTION_ARG_FILENAME, &ask_root, "Where the dataset lives (remaps /path/to/)", "DIR" },
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &ask_out, "Predictions file to write (JSON lines, for jaeger eval)", "FILE" },
  { "max-tokens", 'n', 0, G_OPTION_ARG_INT, &ask_max_tokens, "Answer tokens at most (64)", "N" },
  { "limit", 0, 0, G_OPTION_ARG_INT, &ask_limit, "Ask only the first N entries", "N" },
  { "device", 'd', 0, G_OPTION_ARG_INT, &ask_device, "Vulkan device index (see `jaeger devices`)", "N" },
  { NULL }
};

static const JgCommand ask_cmd = {
  "ask", NULL,
  "Ask the model every question of a manifest and write its answers as predictions (text only: no image or "
  "audio encoder yet).",
  NULL
};

static gboolean
collect (const char *text, gsize len, gpointer data)
{
  g_string_append_len (data, text, (gssize) len);
  return TRUE;
}

/* The test prompt of @e's task with its placeholders filled, or NULL. */
static char *
question_for (const JgManifestEntry *e)
{
  const char *template = jg_sim_question (jg_task_to_string (e->task));
  g_autoptr(GString) q = NULL;

  if (template == NULL)
    return NULL;
  q = g_string_new (template);
  g_string_replace (q, "{gender}", e->gender == JG_GENDER_FEMALE ? "female" : "male", 0);
  g_string_replace (q, "{obj_category}", e->obj_category && e->obj_category[0] ? e->obj_category[0] : "speaker", 0);
  return g_string_free (g_steal_pointer (&q), FALSE);
}

int
jg_cmd_ask (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgManifest) manifest = NULL;
  g_autoptr(JgTextModel) model = NULL;
  g_autoptr(JgPredictionWriter) writer = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autofree char *settings = NULL;
  guint n, asked = 0;
  double gen_s = 0;

  if (!jg_cli_parse (&ask_cmd, ask_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&ask_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  if (ask_model == NULL || ask_manifest == NULL || ask_out == NULL)
    {
      jg_cli_error (&ask_cmd, "--model DIR, --manifest FILE and --out FILE are required");
      return JG_EXIT_USAGE;
    }
  if (ask_max_tokens <= 0 || ask_limit < 0)
    {
      jg_cli_error (&ask_cmd, "--max-tokens must be positive and --limit not negative");
      return JG_EXIT_USAGE;
    }
  if ((manifest = jg_manifest_load (ask_manifest, ask_root, &error)) == NULL
      || (model = jg_text_model_load (ask_model, ask_adapter, ask_device, 1024, &error)) == NULL)
    {
      jg_cli_error (&ask_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "text_only");
    json_builder_add_boolean_value (b, TRUE);
    json_builder_set_member_name (b, "max_tokens");
    json_builder_add_int_value (b, ask_max_tokens);
    json_builder_set_member_name (b, "manifest");
    json_builder_add_string_value (b, ask_manifest);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    settings = json_to_string (root, FALSE);
  }
  writer = jg_prediction_writer_new (ask_model, ask_adapter, settings);
  n = jg_manifest_get_n_entries (manifest);
  if (ask_limit > 0)
    n = MIN (n, (guint) ask_limit);
  fprintf (stderr, "jaeger ask: %u questions on %s (text only: the model does not see or hear the scenes)\n", n,
           jg_text_model_get_device_name (model));
  for (guint i = 0; i < n; i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (manifest, i);
      g_autofree char *question = question_for (e);
      const char *prefix = jg_chat_answer_prefix (jg_task_to_string (e->task));
      JgGenerateStats st = { 0 };

      if (question == NULL)
        {
          fprintf (stderr, "jaeger ask: %s: no test prompt for task %s, skipped\n", e->original_path,
                   jg_task_to_string (e->task));
          continue;
        }
      g_string_assign (answer, prefix ? prefix : "");
      if (!jg_text_model_ask (model, question, prefix, (guint) ask_max_tokens, collect, answer, NULL, &st, &error))
        {
          jg_cli_error (&ask_cmd, "%s: %s", e->original_path, error->message);
          return JG_EXIT_FAILURE;
        }
      gen_s += st.prefill_s + st.decode_s;
      jg_prediction_writer_add (writer, e->original_path, e->task, question,
                                e->gender == JG_GENDER_NONE ? NULL : jg_gender_to_string (e->gender), answer->str);
      printf ("%s\t%s\t%s\n", e->original_path, jg_task_to_string (e->task), answer->str);
      asked++;
    }
  if (!jg_prediction_writer_finish (writer, ask_out, &error))
    {
      jg_cli_error (&ask_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  fprintf (stderr, "jaeger ask: %u answers in %.2f s written to %s\n", asked, gen_s, ask_out);
  return JG_EXIT_OK;
}
