/* JgTextModel (what the chat panel runs): a model folder with config.json,
 * tokenizer.json and random safetensors weights written here (the
 * embedding table is larger than the tokenizer, as in Qwen2.5-Omni). Its streamed
 * answer must be exactly the text of the tokens the decoder generates for
 * the same chat-template prompt when driven directly, and it must report
 * bad folders, context overflow and cancellation. */
#include "core/jg-file-util.h"
#include "eval/jg-predictions.h"
#include "inference/jg-chat.h"
#include "inference/jg-text-model.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <string.h>

#define H 32
#define HEADS 2
#define KV_HEADS 1
#define HD 16
#define INTER 64
#define VOCAB 272

static const char *const specials[] = {
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
  "<|vision_bos|>", "<|vision_eos|>", "<|IMAGE|>",
};

/* GPT-2's printable form of byte @b, JSON-ready. */
static void
append_byte_token (GString *s, guint8 b)
{
  int n = 0, code = b;
  gboolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;

  if (!printable)
    {
      for (int i = 0; i < b; i++)
        if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || i >= 174))
          n++;
      code = 256 + n;
    }
  if (code == '"' || code == '\\')
    g_string_append_c (s, '\\');
  g_string_append_unichar (s, (gunichar) code);
}

static void
write_folder (const char *dir)
{
  g_autoptr(GString) tok = g_string_new ("{\"version\": \"1.0\", \"normalizer\": {\"type\": \"NFC\"}, ");
  g_autofree char *tok_path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *cfg_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *st_path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) tensors = g_array_new (FALSE, FALSE, sizeof (JgStWriteTensor));
  g_autoptr(GError) error = NULL;
  const char *cfg =
    "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 32, \"num_hidden_layers\": 1,"
    " \"num_attention_heads\": 2, \"num_key_value_heads\": 1, \"intermediate_size\": 64,"
    " \"vocab_size\": 272, \"rms_norm_eps\": 1e-6, \"rope_theta\": 10000.0,"
    " \"max_position_embeddings\": 4096, \"tie_word_embeddings\": false,"
    " \"rope_scaling\": {\"type\": \"mrope\", \"mrope_section\": [2, 3, 3]}}";
  struct { const char *name; gint64 d0, d1; } shapes[] = {
    { "model.embed_tokens.weight", VOCAB, H },
    { "model.layers.0.input_layernorm.weight", H, 0 },
    { "model.layers.0.self_attn.q_proj.weight", HEADS * HD, H },
    { "model.layers.0.self_attn.q_proj.bias", HEADS * HD, 0 },
    { "model.layers.0.self_attn.k_proj.weight", KV_HEADS * HD, H },
    { "model.layers.0.self_attn.k_proj.bias", KV_HEADS * HD, 0 },
    { "model.layers.0.self_attn.v_proj.weight", KV_HEADS * HD, H },
    { "model.layers.0.self_attn.v_proj.bias", KV_HEADS * HD, 0 },
    { "model.layers.0.self_attn.o_proj.weight", H, HEADS * HD },
    { "model.layers.0.post_attention_layernorm.weight", H, 0 },
    { "model.layers.0.mlp.gate_proj.weight", INTER, H },
    { "model.layers.0.mlp.up_proj.weight", INTER, H },
    { "model.layers.0.mlp.down_proj.weight", H, INTER },
    { "model.norm.weight", H, 0 },
    { "lm_head.weight", VOCAB, H },
  };

  /* Qwen2's pre-tokenizer, JSON-escaped: the one the tokenizer implements. */
  g_string_append (tok, "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
                        "{\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| "
                        "?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, "
                        "\"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"use_regex\": false}]}, "
                        "\"added_tokens\": [");
  for (gsize i = 0; i < G_N_ELEMENTS (specials); i++)
    g_string_append_printf (tok, "%s{\"id\": %d, \"content\": \"%s\", \"special\": true}",
                            i ? ", " : "", (int) (256 + i), specials[i]);
  g_string_append (tok, "], \"model\": {\"type\": \"BPE\", \"merges\": [], \"vocab\": {");
  for (int b = 0; b < 256; b++)
    {
      g_string_append (tok, b ? ", \"" : "\"");
      append_byte_token (tok, (guint8) b);
      g_string_append_printf (tok, "\": %d", b);
    }
  g_string_append (tok, "}}}");
  g_assert_true (g_file_set_contents (tok_path, tok->str, -1, NULL));
  g_assert_true (g_file_set_contents (cfg_path, cfg, -1, NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      gint64 n = shapes[i].d0 * (shapes[i].d1 ? shapes[i].d1 : 1);
      float *v = g_new (float, n);
      gboolean norm = strstr (shapes[i].name, "norm") != NULL;
      JgStWriteTensor t = { shapes[i].name, JG_ST_F32, shapes[i].d1 ? 2 : 1, { shapes[i].d0, shapes[i].d1 }, v };

      for (gint64 k = 0; k < n; k++)
        v[k] = norm ? 1.0f : (float) g_test_rand_double_range (-0.5, 0.5);
      g_ptr_array_add (keep, v);
      g_array_append_val (tensors, t);
    }
  g_assert_true (jg_safetensors_write (st_path, (const JgStWriteTensor *) tensors->data, tensors->len, &error));
  g_assert_no_error (error);
}

static gboolean
collect (const char *text, gsize len, gpointer data)
{
  g_string_append_len (data, text, (gssize) len);
  return TRUE;
}

typedef struct {
  GArray *ids;
} Tokens;

static gboolean
collect_ids (guint32 token, gpointer data)
{
  g_array_append_val (((Tokens *) data)->ids, token);
  return TRUE;
}

static void
test_answer_matches_decoder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-text-model-XXXXXX", NULL);
  g_autoptr(JgTextModel) model = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  JgGenerateStats stats = { 0 };
  const char *question = "Where is the voice coming from?";

  write_folder (dir);
  model = jg_text_model_load (dir, NULL, -1, 256, &error);
  g_assert_no_error (error);
  g_assert_true (jg_text_model_ask (model, question, NULL, 16, collect, answer, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.n_generated, >, 0);
  g_assert_cmpuint (stats.n_generated, <=, 16);

  /* The same prompt through the tokenizer, template and decoder directly. */
  {
    g_autoptr(JgTokenizer) tok = jg_tokenizer_new_from_file (dir, &error);
    g_autoptr(JgWeights) w = jg_weights_open (dir, NULL, 0, &error);
    JgVkContextOptions vk = { .device = -1 };
    g_autoptr(JgVkContext) ctx = jg_vk_context_new (&vk, &error);
    JgQwen2Config cfg;
    g_autoptr(JgQwen2) qwen = NULL;
    g_autoptr(GArray) prompt = g_array_new (FALSE, FALSE, sizeof (guint32));
    Tokens out = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
    g_autoptr(GString) text = g_string_new (NULL);
    JgChatPrompt p = { .question = question };
    JgChatTokens sp;
    guint32 stop[2];
    JgGenerateOptions o = { .max_tokens = 16, .top_k = 1, .top_p = 1.0f, .stop = stop, .n_stop = 2 };
    JgGenerateStats s2 = { 0 };

    g_assert_no_error (error);
    g_assert_true (jg_qwen2_config_load (dir, &cfg, &error));
    qwen = jg_qwen2_new (ctx, &cfg, w, 256, &error);
    g_assert_no_error (error);
    g_assert_true (jg_chat_lookup_tokens (tok, &sp, &error));
    stop[0] = sp.endoftext, stop[1] = sp.im_end;
    g_assert_true (jg_chat_encode (tok, &p, 0, 0, prompt, &error));
    g_assert_true (jg_qwen2_generate (qwen, (const guint32 *) prompt->data, prompt->len, &o, collect_ids, &out,
                                      NULL, &s2, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (s2.n_prompt, ==, stats.n_prompt);
    g_assert_cmpuint (out.ids->len, ==, stats.n_generated);
    jg_tokenizer_decode (tok, (const guint32 *) out.ids->data, out.ids->len, TRUE, text);
    g_test_message ("%u answer tokens: '%s'", out.ids->len, answer->str);

    g_assert_cmpstr (answer->str, ==, text->str);
    g_array_unref (out.ids);
  }

  /* A question longer than the context is refused before any decoding. */
  {
    g_autoptr(GString) longq = g_string_new (NULL);
    g_autoptr(GString) none = g_string_new (NULL);
    for (int i = 0; i < 300; i++)
      g_string_append (longq, "x");
    g_assert_false (jg_text_model_ask (model, longq->str, NULL, 16, collect, none, NULL, &stats, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "context"));
    g_clear_error (&error);
  }

  /* Cancelled before it starts: no answer, and not an error. */
  {
    g_autoptr(GCancellable) c = g_cancellable_new ();
    g_autoptr(GString) none = g_string_new (NULL);
    g_cancellable_cancel (c);
    g_assert_true (jg_text_model_ask (model, question, NULL, 16, collect, none, c, &stats, &error));
    g_assert_no_error (error);
    g_assert_true (stats.cancelled);
    g_assert_cmpuint (stats.n_generated, <=, 1);
  }
}

/* A checkpoint goes through to the weights: one without adapter_config.json
 * loads with JAEGER's alpha, and LoRA for a module the model lacks is
 * refused by name (the wiring, not the merge: /qwen2/lora-adapter checks
 * that). */
static void
test_adapter (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-text-model-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir, "checkpoint.safetensors", NULL);
  static const float a[4 * 8] = { 0 }, b[8 * 4] = { 0 };
  const JgStWriteTensor lora[2] = {
    { "base_model.model.model.layers.99.self_attn.q_proj.lora_A.weight", JG_ST_F32, 2, { 4, 8 }, a },
    { "base_model.model.model.layers.99.self_attn.q_proj.lora_B.weight", JG_ST_F32, 2, { 8, 4 }, b },
  };

  write_folder (dir);
  g_assert_true (jg_safetensors_write (ckpt, lora, 2, &error));
  g_assert_no_error (error);
  g_assert_null (jg_text_model_load (dir, ckpt, -1, 256, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "model.layers.99.self_attn.q_proj"));
  jg_file_remove_tree (dir, NULL);
}

/* `jaeger ask` over a small manifest: one answer per entry, each starting
 * with its task's forced prefix, written as a predictions file that the
 * eval module reads back (run metadata included) and `jaeger eval` scores. */
static void
test_cli_ask (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-text-model-XXXXXX", NULL);
  g_autofree char *manifest = g_build_filename (dir, "m.json", NULL);
  g_autofree char *preds = g_build_filename (dir, "preds.jsonl", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JgPredictionSet) set = NULL;
  const char *cli = g_getenv ("JAEGER_CLI");
  int status;
  const char *json =
    "{\"annotation\": ["
    "{\"path\": \"test/s/task1_00000\", \"text\": \"azimuth: -38; elevation: -11\", \"task\": \"spatial_doa\", \"gender\": \"F\"},"
    "{\"path\": \"test/s/task1_00000\", \"num_speakers\": 2, \"text\": \"Right\", \"task\": \"single_source\"},"
    "{\"path\": \"test/s/task1_00000\", \"task\": \"visual_grounding\","
    " \"text\": \"bbox_0=Bbox(speaker, -2.24, -1.18, -3.19, 0.27, 0.71, 0.28)\", \"obj_category\": [\"speaker\"]}]}";

  g_assert_nonnull (cli);
  write_folder (dir);
  g_assert_true (g_file_set_contents (manifest, json, -1, NULL));
  {
    const char *argv[] = { cli, "ask", "--model", dir, "--manifest", manifest, "--out", preds, "--max-tokens", "6",
                           NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                                 &error));
  }
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_nonnull (strstr (err, "text only"));
  g_assert_nonnull (strstr (err, "3 answers"));

  set = jg_prediction_set_new ();
  g_assert_true (jg_prediction_set_add_file (set, preds, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 3);
  g_assert_cmpstr (jg_prediction_set_get_run (set)->model, ==, dir);
  for (guint i = 0; i < 3; i++)
    {
      const JgPrediction *p = jg_prediction_set_get (set, i);
      const char *prefix = jg_chat_answer_prefix (jg_task_to_string (p->task));
      g_assert_nonnull (p->pred_text);
      if (prefix != NULL)
        g_assert_true (g_str_has_prefix (p->pred_text, prefix));
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { cli, "eval", "--manifest", manifest, "--predictions", preds, "--json", "--bootstrap", "0",
                           NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                                 &error));
  }
  g_test_message ("eval: %s%s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  jg_file_remove_tree (dir, NULL);
}

static void
test_bad_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-text-model-XXXXXX", NULL);

  g_assert_null (jg_text_model_load (dir, NULL, -1, 256, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "config.json"));
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text-model/answer", test_answer_matches_decoder);
  g_test_add_func ("/text-model/adapter", test_adapter);
  g_test_add_func ("/text-model/cli-ask", test_cli_ask);
  g_test_add_func ("/text-model/bad-folder", test_bad_folder);
  return g_test_run ();
}
