/* Qwen2.5-Omni thinker config.json (text part) in its three layouts,
 * checked against the published 7B / 3B shapes, and bad configs. */
#include "core/jg-error.h"
#include "inference/jg-model-config.h"

#include <glib/gstdio.h>
#include <string.h>

/* The language-model fields of Qwen2.5-Omni-7B's config.json, nested as
 * the release has them (other sub-configs trimmed). */
static const char omni7b[] =
  "{\"architectures\": [\"Qwen2_5OmniModel\"], \"enable_audio_output\": true,"
  " \"model_type\": \"qwen2_5_omni\","
  " \"talker_config\": {\"hidden_size\": 896, \"num_hidden_layers\": 24},"
  " \"thinker_config\": {"
  "   \"audio_config\": {\"d_model\": 1280, \"encoder_layers\": 32},"
  "   \"audio_token_index\": 151646, \"image_token_index\": 151655, \"video_token_index\": 151656,"
  "   \"model_type\": \"qwen2_5_omni_thinker\","
  "   \"text_config\": {"
  "     \"hidden_act\": \"silu\", \"hidden_size\": 3584, \"init_range\": 0.02,"
  "     \"intermediate_size\": 18944, \"max_position_embeddings\": 32768,"
  "     \"max_window_layers\": 28, \"model_type\": \"qwen2_5_omni_text\","
  "     \"num_attention_heads\": 28, \"num_hidden_layers\": 28, \"num_key_value_heads\": 4,"
  "     \"rms_norm_eps\": 1e-06,"
  "     \"rope_scaling\": {\"mrope_section\": [16, 24, 24], \"rope_type\": \"default\", \"type\": \"default\"},"
  "     \"rope_theta\": 1000000.0, \"sliding_window\": 32768, \"use_cache\": true,"
  "     \"use_sliding_window\": false, \"vocab_size\": 152064},"
  "   \"vision_config\": {\"depth\": 32, \"hidden_size\": 1280}"
  " },"
  " \"token2wav_config\": {}}";

/* A thinker saved on its own (Qwen2_5OmniThinkerConfig), 3B sizes,
 * transformers 5 style rope_parameters. */
static const char thinker3b[] =
  "{\"model_type\": \"qwen2_5_omni_thinker\", \"audio_token_id\": 151646, \"image_token_id\": 151655,"
  " \"text_config\": {\"hidden_size\": 2048, \"intermediate_size\": 11008,"
  "   \"num_attention_heads\": 16, \"num_hidden_layers\": 36, \"num_key_value_heads\": 2,"
  "   \"rms_norm_eps\": 1e-06, \"vocab_size\": 151936, \"tie_word_embeddings\": true,"
  "   \"rope_parameters\": {\"rope_theta\": 1000000.0, \"mrope_section\": [16, 24, 24], \"rope_type\": \"default\"}}}";

/* A plain Qwen2 config (Qwen2.5-0.5B-Instruct's shape). */
static const char flat[] =
  "{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\", \"hidden_size\": 896,"
  " \"intermediate_size\": 4864, \"num_attention_heads\": 14, \"num_hidden_layers\": 24,"
  " \"num_key_value_heads\": 2, \"rms_norm_eps\": 1e-06, \"rope_theta\": 1000000.0,"
  " \"tie_word_embeddings\": true, \"vocab_size\": 151936, \"max_position_embeddings\": 32768}";

static void
test_omni7b (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-cfg-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  JgQwen2Config c;

  g_assert_true (g_file_set_contents (path, omni7b, -1, NULL));
  /* Through the folder, as a model directory is given. */
  g_assert_true (jg_qwen2_config_load (dir, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.layout, ==, JG_CONFIG_LAYOUT_OMNI);
  g_assert_cmpint (c.hidden_size, ==, 3584);
  g_assert_cmpint (c.n_layers, ==, 28);
  g_assert_cmpint (c.n_heads, ==, 28);
  g_assert_cmpint (c.n_kv_heads, ==, 4);
  g_assert_cmpint (c.head_dim, ==, 128);
  g_assert_cmpint (c.intermediate_size, ==, 18944);
  g_assert_cmpint (c.vocab_size, ==, 152064);
  g_assert_cmpfloat (c.rms_norm_eps, ==, 1e-6);
  g_assert_cmpfloat (c.rope_theta, ==, 1e6);
  g_assert_cmpint (c.n_mrope, ==, 3);
  g_assert_cmpint (c.mrope_section[0], ==, 16);
  g_assert_cmpint (c.mrope_section[1], ==, 24);
  g_assert_cmpint (c.mrope_section[2], ==, 24);
  g_assert_false (c.tie_word_embeddings);
  g_assert_cmpint (c.audio_token_id, ==, 151646);
  g_assert_cmpint (c.image_token_id, ==, 151655);
  g_assert_cmpint (c.video_token_id, ==, 151656);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_thinker3b (void)
{
  g_autoptr(GError) error = NULL;
  JgQwen2Config c;

  g_assert_true (jg_qwen2_config_parse (thinker3b, -1, "3b", &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.layout, ==, JG_CONFIG_LAYOUT_THINKER);
  g_assert_cmpint (c.hidden_size, ==, 2048);
  g_assert_cmpint (c.n_layers, ==, 36);
  g_assert_cmpint (c.n_heads, ==, 16);
  g_assert_cmpint (c.n_kv_heads, ==, 2);
  g_assert_cmpint (c.head_dim, ==, 128);
  g_assert_cmpint (c.intermediate_size, ==, 11008);
  g_assert_cmpint (c.vocab_size, ==, 151936);
  g_assert_cmpfloat (c.rope_theta, ==, 1e6);
  g_assert_cmpint (c.n_mrope, ==, 3);
  g_assert_true (c.tie_word_embeddings);
  g_assert_cmpint (c.audio_token_id, ==, 151646);
  g_assert_cmpint (c.image_token_id, ==, 151655);
  g_assert_cmpint (c.video_token_id, ==, -1);
}

static void
test_flat (void)
{
  g_autoptr(GError) error = NULL;
  JgQwen2Config c;

  g_assert_true (jg_qwen2_config_parse (flat, -1, "flat", &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.layout, ==, JG_CONFIG_LAYOUT_FLAT);
  g_assert_cmpint (c.hidden_size, ==, 896);
  g_assert_cmpint (c.head_dim, ==, 64);
  g_assert_cmpint (c.n_kv_heads, ==, 2);
  g_assert_cmpint (c.n_mrope, ==, 0);
  g_assert_true (c.tie_word_embeddings);
  g_assert_cmpint (c.image_token_id, ==, -1);

  /* Defaults: KV heads = heads, θ 10000 for plain Qwen2, eps 1e-6. */
  g_assert_true (jg_qwen2_config_parse ("{\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                                        " \"intermediate_size\": 128, \"vocab_size\": 300}", -1, "min", &c, &error));
  g_assert_cmpint (c.n_kv_heads, ==, 4);
  g_assert_cmpint (c.head_dim, ==, 16);
  g_assert_cmpfloat (c.rope_theta, ==, 10000.0);
  g_assert_cmpfloat (c.rms_norm_eps, ==, 1e-6);
}

static void
expect_error (const char *json, int code, const char *const *needles)
{
  g_autoptr(GError) error = NULL;
  JgQwen2Config c;

  g_assert_false (jg_qwen2_config_parse (json, -1, "cfg.json", &c, &error));
  g_assert_error (error, JG_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "cfg.json: "));
  for (int i = 0; needles[i]; i++)
    if (strstr (error->message, needles[i]) == NULL)
      g_error ("error \"%s\" lacks \"%s\"", error->message, needles[i]);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  JgQwen2Config c;

  expect_error ("{\"hidden_size\": ", JG_ERROR_INVALID_DATA, (const char *[]) { "not valid JSON", NULL });
  expect_error ("[]", JG_ERROR_INVALID_DATA, (const char *[]) { "not a JSON object", NULL });
  expect_error ("{\"model_type\": \"whisper\"}", JG_ERROR_INVALID_DATA,
                (const char *[]) { "no language-model settings", NULL });
  expect_error ("{\"thinker_config\": {\"text_config\": {\"hidden_size\": 64, \"num_hidden_layers\": 2,"
                " \"intermediate_size\": 128, \"vocab_size\": 300}}}", JG_ERROR_INVALID_DATA,
                (const char *[]) { "thinker_config.text_config lacks \"num_attention_heads\"", NULL });
  expect_error ("{\"hidden_size\": \"64\", \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                " \"intermediate_size\": 128, \"vocab_size\": 300}", JG_ERROR_INVALID_DATA,
                (const char *[]) { "config.hidden_size must be a positive integer", NULL });
  expect_error ("{\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                " \"num_key_value_heads\": 3, \"intermediate_size\": 128, \"vocab_size\": 300}",
                JG_ERROR_INVALID_DATA, (const char *[]) { "(4)", "num_key_value_heads (3)", NULL });
  expect_error ("{\"hidden_size\": 66, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                " \"intermediate_size\": 128, \"vocab_size\": 300}",
                JG_ERROR_INVALID_DATA, (const char *[]) { "hidden_size (66)", NULL });
  expect_error ("{\"text_config\": {\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                " \"intermediate_size\": 128, \"vocab_size\": 300, \"rope_scaling\": {\"mrope_section\": [2, 3, 4]}}}",
                JG_ERROR_INVALID_DATA, (const char *[]) { "mrope_section [2, 3, 4]", "head size 16", NULL });
  expect_error ("{\"text_config\": {\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                " \"intermediate_size\": 128, \"vocab_size\": 300, \"rms_norm_eps\": -1}}",
                JG_ERROR_INVALID_DATA, (const char *[]) { "text_config.rms_norm_eps", NULL });

  g_assert_false (jg_qwen2_config_load ("/nonexistent-jg/config.json", &c, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent-jg/config.json"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/omni-7b-nested", test_omni7b);
  g_test_add_func ("/config/thinker-3b", test_thinker3b);
  g_test_add_func ("/config/flat-qwen2", test_flat);
  g_test_add_func ("/config/errors", test_errors);
  return g_test_run ();
}
