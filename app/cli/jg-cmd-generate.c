/* `jaeger generate`: text in, the Qwen2 language model's continuation out,
 * printed as the tokens come, with prefill and decode speed on stderr. */
#include "cli/jg-cli.h"
#include "core/jg-file-util.h"
#include "inference/jg-chat.h"
#include "inference/jg-model-config.h"
#include "inference/jg-qwen2.h"
#include "inference/jg-safetensors.h"
#include "inference/jg-tokenizer.h"
#include "inference/jg-vk-context.h"

#include <stdio.h>

static char *gen_model;
static char *gen_prompt;
static int gen_max_tokens = 128;
static int gen_device = -1;
static double gen_temperature;
static int gen_top_k = 40;
static double gen_top_p = 0.95;
static gint64 gen_seed;
static gboolean gen_raw;
static gboolean gen_ids;
static char *gen_logits;
static char *gen_adapter;
static double gen_lora_alpha;
static gboolean gen_q8;

static const GOptionEntry generate_entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &gen_model, "Model folder (config.json, safetensors, tokenizer)", "DIR" },
  { "adapter", 0, 0, G_OPTION_ARG_FILENAME, &gen_adapter,
    "A JAEGER / PEFT checkpoint (safetensors file or folder) whose LoRA is merged at load", "PATH" },
  { "lora-alpha", 0, 0, G_OPTION_ARG_DOUBLE, &gen_lora_alpha,
    "The adapter's LoRA alpha (default: adapter_config.json beside it)", "A" },
  { "prompt", 'p', 0, G_OPTION_ARG_STRING, &gen_prompt, "The user's message", "TEXT" },
  { "max-tokens", 'n', 0, G_OPTION_ARG_INT, &gen_max_tokens, "Tokens to generate at most (128)", "N" },
  { "device", 'd', 0, G_OPTION_ARG_INT, &gen_device, "Vulkan device index (see `jaeger devices`)", "N" },
  { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &gen_temperature, "Sampling temperature (0: greedy, the default)", "T" },
  { "top-k", 0, 0, G_OPTION_ARG_INT, &gen_top_k, "Sample among the k most likely tokens (40, at most 64)", "K" },
  { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &gen_top_p, "Nucleus probability (0.95)", "P" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &gen_seed, "Random seed for sampling", "S" },
  { "q8", 0, 0, G_OPTION_ARG_NONE, &gen_q8,
    "Decode with 8-bit copies of the weights (half the bytes a token; see docs/WEIGHTS.md)", NULL },
  { "raw", 0, 0, G_OPTION_ARG_NONE, &gen_raw, "Encode the prompt as it is, without the chat template", NULL },
  { "ids", 0, 0, G_OPTION_ARG_NONE, &gen_ids, "Print token ids instead of text", NULL },
  { "logits", 0, 0, G_OPTION_ARG_FILENAME, &gen_logits,
    "Write the logits each token was chosen from (float32 LE, tokens x vocab)", "FILE" },
  { NULL }
};

static const JgCommand generate_cmd = {
  "generate", NULL, "Continue a prompt with the model's language model, streaming the tokens.", NULL
};

typedef struct {
  JgTokenizer *tok;
  GString *pending;   /* bytes of a character not yet complete */
  JgQwen2 *model;
  float *logits;      /* --logits: max_tokens rows of vocab floats, or NULL */
  gsize vocab;
  guint n_rows;
  GError *error;      /* a failed logits download */
} Printer;

static gboolean
print_token (guint32 token, gpointer data)
{
  Printer *p = data;
  gsize n = 0, ready;
  const guint8 *bytes;

  /* The model's logits buffer still holds the row this token came from. */
  if (p->logits != NULL)
    {
      if (!jg_qwen2_get_logits (p->model, p->logits + (gsize) p->n_rows * p->vocab, &p->error))
        return FALSE;
      p->n_rows++;
    }
  if (gen_ids)
    {
      printf ("%s%u", p->pending->len ? " " : "", token);
      fflush (stdout);
      g_string_assign (p->pending, " ");
      return TRUE;
    }
  bytes = jg_tokenizer_is_special (p->tok, token) ? NULL
                        : jg_tokenizer_token_bytes (p->tok, token, &n);

  if (bytes != NULL)
    g_string_append_len (p->pending, (const char *) bytes, (gssize) n);
  /* Print whole UTF-8 characters only; a character may span tokens. */
  ready = jg_utf8_complete_prefix (p->pending->str, p->pending->len);
  fwrite (p->pending->str, 1, ready, stdout);
  fflush (stdout);
  g_string_erase (p->pending, 0, (gssize) ready);
  return TRUE;
}

int
jg_cmd_generate (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgTokenizer) tok = NULL;
  g_autoptr(JgWeights) weights = NULL;
  g_autoptr(JgVkContext) ctx = NULL;
  g_autoptr(JgQwen2) model = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) pending = g_string_new (NULL);
  JgQwen2Config cfg;
  JgChatTokens special;
  guint32 stop[2];
  guint n_stop = 0;
  JgVkContextOptions vk = { .device = -1 };
  JgGenerateOptions opts = { 0 };
  JgGenerateStats stats = { 0 };
  Printer printer = { 0 };
  g_autofree float *logits = NULL;

  if (!jg_cli_parse (&generate_cmd, generate_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&generate_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  if (gen_model == NULL || gen_prompt == NULL)
    {
      jg_cli_error (&generate_cmd, "--model DIR and --prompt TEXT are required");
      return JG_EXIT_USAGE;
    }
  if (gen_max_tokens <= 0 || gen_top_k < 1 || gen_top_k > 64 || gen_temperature < 0
      || !(gen_top_p > 0 && gen_top_p <= 1))
    {
      jg_cli_error (&generate_cmd, "--max-tokens must be positive, --top-k 1..64, --top-p in (0, 1], "
                    "--temperature >= 0");
      return JG_EXIT_USAGE;
    }

  if (!jg_qwen2_config_load (gen_model, &cfg, &error)
      || (tok = jg_tokenizer_new_from_file (gen_model, &error)) == NULL
      || (weights = jg_weights_open (gen_model, gen_adapter, (float) gen_lora_alpha, &error)) == NULL)
    {
      jg_cli_error (&generate_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  if (gen_raw)
    {
      if (!jg_tokenizer_encode (tok, gen_prompt, -1, ids, &error))
        {
          jg_cli_error (&generate_cmd, "%s", error->message);
          return JG_EXIT_FAILURE;
        }
      /* Stop at the end-of-text tokens the vocabulary has, if any. */
      {
        const char *names[] = { "<|endoftext|>", "<|im_end|>" };
        for (guint i = 0; i < G_N_ELEMENTS (names); i++)
          {
            int id = jg_tokenizer_token_to_id (tok, names[i]);
            if (id >= 0)
              stop[n_stop++] = (guint32) id;
          }
      }
    }
  else
    {
      JgChatPrompt prompt = { .question = gen_prompt };
      if (!jg_chat_lookup_tokens (tok, &special, &error)
          || !jg_chat_encode (tok, &prompt, 0, 0, ids, &error))
        {
          jg_cli_error (&generate_cmd, "%s (try --raw)", error->message);
          return JG_EXIT_FAILURE;
        }
      stop[n_stop++] = special.endoftext;
      stop[n_stop++] = special.im_end;
    }
  if (ids->len == 0)
    {
      jg_cli_error (&generate_cmd, "the prompt encodes to no tokens");
      return JG_EXIT_USAGE;
    }

  vk.device = gen_device;
  ctx = jg_vk_context_new (&vk, &error);
  if (ctx == NULL
      || (model = jg_qwen2_new_with_options (ctx, &cfg, weights, ids->len + (guint) gen_max_tokens,
                                             &(JgQwen2Options) { .q8 = gen_q8 }, &error)) == NULL)
    {
      jg_cli_error (&generate_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  g_clear_pointer (&weights, jg_weights_free);   /* the weights are on the device now */

  opts.max_tokens = (guint) gen_max_tokens;
  opts.temperature = (float) gen_temperature;
  opts.top_k = (guint) gen_top_k;
  opts.top_p = (float) gen_top_p;
  opts.seed = (guint64) gen_seed;
  opts.stop = stop;
  opts.n_stop = n_stop;
  printer.tok = tok;
  printer.pending = pending;
  printer.model = model;
  if (gen_logits != NULL)
    {
      /* All rows up front: nothing is allocated per token. */
      printer.vocab = (gsize) cfg.vocab_size;
      logits = g_try_new (float, printer.vocab * (gsize) gen_max_tokens);
      if (logits == NULL)
        {
          jg_cli_error (&generate_cmd, "no memory for %d rows of %zu logits", gen_max_tokens, printer.vocab);
          return JG_EXIT_FAILURE;
        }
      printer.logits = logits;
    }
  if (!jg_qwen2_generate (model, (const guint32 *) ids->data, ids->len, &opts, print_token, &printer,
                          NULL, &stats, &error) || printer.error != NULL)
    {
      if (error == NULL)
        g_propagate_prefixed_error (&error, g_steal_pointer (&printer.error), "reading the logits: ");
      g_clear_error (&printer.error);
      printf ("\n");
      jg_cli_error (&generate_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  printf ("\n");
  fflush (stdout);
  if (gen_logits != NULL
      && !jg_file_write_atomic (gen_logits, logits, (gsize) printer.n_rows * printer.vocab * sizeof (float),
                                &error))
    {
      jg_cli_error (&generate_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  /* The first generated token comes out of the prefill; decode speed
   * counts the steps after it. */
  fprintf (stderr, "%s: prefill %u tokens in %.1f ms (%.1f tokens/s, GPU %.1f ms); decode %u tokens in "
           "%.1f ms (%.1f tokens/s, GPU %.2f ms/token)%s\n", jg_vk_context_get_info (ctx)->name,
           stats.n_prompt, stats.prefill_s * 1e3, stats.n_prompt / MAX (stats.prefill_s, 1e-9),
           stats.prefill_gpu_s * 1e3, stats.n_generated, stats.decode_s * 1e3,
           stats.n_generated > 1 ? (stats.n_generated - 1) / MAX (stats.decode_s, 1e-9) : 0.0,
           stats.n_generated > 1 ? stats.decode_gpu_s * 1e3 / (stats.n_generated - 1) : 0.0,
           stats.stopped ? ", ended at a stop token" : "");
  return JG_EXIT_OK;
}
