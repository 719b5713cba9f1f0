/* JgWeights: a sharded Qwen2.5-Omni-style base ("thinker." keys) with a
 * JAEGER-style checkpoint on top (PEFT-prefixed LoRA pairs, replaced
 * tensors, a base_layer key), read back and checked against direct
 * computations. */
#include "core/jg-file-util.h"
#include "core/jg-error.h"
#include "inference/jg-weights.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

enum { OUT = 6, IN = 4, R = 2, VOCAB = 10 };

typedef struct {
  char *dir;
  char *base;
  char *adapter;
  float q[OUT * IN], up[OUT * IN], embed[VOCAB * IN], norm[IN];
  float a[R * IN], b[OUT * R], a2[R * IN], b2[OUT * R];
  float vis[IN], vis_new[IN], kbase[OUT * IN];
} Fixture;

static void
fill (GRand *r, float *v, int n)
{
  for (int i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, -1, 1);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GRand *r = g_rand_new_with_seed (21);
  g_autofree char *s1 = NULL, *s2 = NULL, *idx = NULL, *ad = NULL, *cfg = NULL;
  const char *index_json =
    "{\"metadata\": {}, \"weight_map\": {"
    "\"thinker.model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
    "\"thinker.model.layers.0.self_attn.q_proj.weight\": \"model-00001-of-00002.safetensors\","
    "\"thinker.model.layers.0.mlp.up_proj.weight\": \"model-00002-of-00002.safetensors\","
    "\"thinker.model.norm.weight\": \"model-00002-of-00002.safetensors\","
    "\"thinker.visual.merger.ln_q.weight\": \"model-00002-of-00002.safetensors\","
    "\"talker.model.norm.weight\": \"model-00002-of-00002.safetensors\"}}";

  fill (r, f->q, OUT * IN);
  fill (r, f->up, OUT * IN);
  fill (r, f->embed, VOCAB * IN);
  fill (r, f->norm, IN);
  fill (r, f->a, R * IN);
  fill (r, f->b, OUT * R);
  fill (r, f->a2, R * IN);
  fill (r, f->b2, OUT * R);
  fill (r, f->vis, IN);
  fill (r, f->vis_new, IN);
  fill (r, f->kbase, OUT * IN);
  g_rand_free (r);

  f->dir = g_dir_make_tmp ("jg-w-XXXXXX", NULL);
  f->base = g_build_filename (f->dir, "base", NULL);
  g_mkdir (f->base, 0700);
  s1 = g_build_filename (f->base, "model-00001-of-00002.safetensors", NULL);
  s2 = g_build_filename (f->base, "model-00002-of-00002.safetensors", NULL);
  idx = g_build_filename (f->base, "model.safetensors.index.json", NULL);
  {
    JgStWriteTensor t1[] = {
      { "thinker.model.embed_tokens.weight", JG_ST_F32, 2, { VOCAB, IN }, f->embed },
      { "thinker.model.layers.0.self_attn.q_proj.weight", JG_ST_F32, 2, { OUT, IN }, f->q },
    };
    JgStWriteTensor t2[] = {
      { "thinker.model.layers.0.mlp.up_proj.weight", JG_ST_F32, 2, { OUT, IN }, f->up },
      { "thinker.model.norm.weight", JG_ST_F32, 1, { IN }, f->norm },
      { "thinker.visual.merger.ln_q.weight", JG_ST_F32, 1, { IN }, f->vis },
      { "talker.model.norm.weight", JG_ST_F32, 1, { IN }, f->norm },
    };
    g_assert_true (jg_safetensors_write (s1, t1, G_N_ELEMENTS (t1), &error));
    g_assert_true (jg_safetensors_write (s2, t2, G_N_ELEMENTS (t2), &error));
    g_assert_true (g_file_set_contents (idx, index_json, -1, NULL));
  }
  ad = g_build_filename (f->dir, "ckpt", NULL);
  g_mkdir (ad, 0700);
  f->adapter = g_build_filename (ad, "model.safetensors", NULL);
  {
    JgStWriteTensor t[] = {
      { "model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", JG_ST_F32, 2, { R, IN }, f->a },
      { "model.base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight", JG_ST_F32, 2, { OUT, R }, f->b },
      { "model.base_model.model.model.layers.0.self_attn.k_proj.lora_A.default.weight", JG_ST_F32, 2, { R, IN }, f->a2 },
      { "model.base_model.model.model.layers.0.self_attn.k_proj.lora_B.default.weight", JG_ST_F32, 2, { OUT, R }, f->b2 },
      { "model.base_model.model.model.layers.0.self_attn.k_proj.base_layer.weight", JG_ST_F32, 2, { OUT, IN }, f->kbase },
      { "model.base_model.model.visual.merger.ln_q.weight", JG_ST_F32, 1, { IN }, f->vis_new },
    };
    g_assert_true (jg_safetensors_write (f->adapter, t, G_N_ELEMENTS (t), &error));
  }
  cfg = g_build_filename (ad, "adapter_config.json", NULL);
  g_assert_true (g_file_set_contents (cfg, "{\"r\": 2, \"lora_alpha\": 8}", -1, NULL));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  jg_file_remove_tree (f->dir, NULL);
  g_free (f->dir);
  g_free (f->base);
  g_free (f->adapter);
}

static void
test_base_only (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgWeights) w = jg_weights_open (f->base, NULL, 0, &error);
  float got[VOCAB * IN];
  guint16 h[OUT * IN];

  g_assert_no_error (error);
  g_assert_cmpstr (jg_weights_get_prefix (w), ==, "thinker.");
  g_assert_true (jg_weights_read_f32 (w, "model.embed_tokens.weight", 2, (gint64[]) { VOCAB, IN }, got, &error));
  g_assert_cmpmem (got, sizeof (f->embed), f->embed, sizeof (f->embed));
  g_assert_true (jg_weights_read_f16 (w, "model.layers.0.self_attn.q_proj.weight", 2, (gint64[]) { OUT, -1 }, h, &error));
  for (int i = 0; i < OUT * IN; i++)
    g_assert_cmpuint (h[i], ==, jg_f32_to_f16 (f->q[i]));

  /* Errors name the full key and the model. */
  g_assert_false (jg_weights_read_f32 (w, "lm_head.weight", 2, (gint64[]) { VOCAB, IN }, got, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing tensor thinker.lm_head.weight"));
  g_clear_error (&error);
  g_assert_false (jg_weights_read_f32 (w, "model.norm.weight", 1, (gint64[]) { IN + 1 }, got, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "thinker.model.norm.weight is F32 [4], expected F32/F16/BF16 [5]"));
  g_clear_error (&error);
}

static void
test_adapter (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  /* Alpha from adapter_config.json: 8, r 2 -> scale 4. */
  g_autoptr(JgWeights) w = jg_weights_open (f->base, f->adapter, 0, &error);
  g_autoptr(GPtrArray) unused = NULL;
  float got[OUT * IN];
  guint16 h[OUT * IN];
  const float scale = 8.0f / R;
  double max_err = 0;

  g_assert_no_error (error);
  g_assert_true (jg_weights_has_lora (w, "model.layers.0.self_attn.q_proj.weight"));
  g_assert_false (jg_weights_has_lora (w, "model.layers.0.mlp.up_proj.weight"));
  unused = jg_weights_unused_lora (w);
  g_assert_cmpuint (unused->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (unused, 0), ==, "model.layers.0.self_attn.k_proj");
  g_clear_pointer (&unused, g_ptr_array_unref);

  g_assert_true (jg_weights_read_f32 (w, "model.layers.0.self_attn.q_proj.weight", 2, (gint64[]) { OUT, IN }, got, &error));
  g_assert_no_error (error);
  for (int o = 0; o < OUT; o++)
    for (int i = 0; i < IN; i++)
      {
        double ref = f->q[o * IN + i];
        for (int k = 0; k < R; k++)
          ref += (double) scale * f->b[o * R + k] * f->a[k * IN + i];
        max_err = MAX (max_err, fabs (ref - got[o * IN + i]));
      }
  g_assert_cmpfloat (max_err, <, 1e-5);

  /* The k_proj weight comes from the adapter's base_layer copy, merged. */
  g_assert_true (jg_weights_read_f16 (w, "model.layers.0.self_attn.k_proj.weight", 2, (gint64[]) { OUT, IN }, h, &error));
  g_assert_no_error (error);
  for (int o = 0; o < OUT; o++)
    for (int i = 0; i < IN; i++)
      {
        float ref = f->kbase[o * IN + i];
        for (int k = 0; k < R; k++)
          ref += scale * f->b2[o * R + k] * f->a2[k * IN + i];
        g_assert_cmpfloat (fabs (jg_f16_to_f32 (h[o * IN + i]) - ref), <=, fabs (ref) * 1e-3 + 1e-6);
      }
  unused = jg_weights_unused_lora (w);
  g_assert_cmpuint (unused->len, ==, 0);

  /* Replaced tensors come from the adapter; the rest from the base. */
  g_assert_true (jg_weights_read_f32 (w, "visual.merger.ln_q.weight", 1, (gint64[]) { IN }, got, &error));
  g_assert_cmpmem (got, sizeof (f->vis_new), f->vis_new, sizeof (f->vis_new));
  g_assert_true (jg_weights_read_f32 (w, "model.layers.0.mlp.up_proj.weight", 2, (gint64[]) { OUT, IN }, got, &error));
  g_assert_cmpmem (got, sizeof (f->up), f->up, sizeof (f->up));
}

static void
test_alpha (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (f->adapter);
  g_autofree char *cfg = g_build_filename (dir, "adapter_config.json", NULL);
  float got[OUT * IN];

  /* An explicit alpha wins over the file: 2 / r 2 -> scale 1. */
  {
    g_autoptr(JgWeights) w = jg_weights_open (f->base, f->adapter, 2.0f, &error);
    g_assert_no_error (error);
    g_assert_true (jg_weights_read_f32 (w, "model.layers.0.self_attn.q_proj.weight", 2, (gint64[]) { OUT, IN }, got, &error));
    {
      double ref = f->q[0];
      for (int k = 0; k < R; k++)
        ref += (double) f->b[k] * f->a[k * IN];
      g_assert_cmpfloat (fabs (ref - got[0]), <, 1e-5);
    }
  }
  g_unlink (cfg);
  g_assert_null (jg_weights_open (f->base, f->adapter, 0, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "adapter_config.json"));
  g_clear_error (&error);
  g_assert_null (jg_weights_open (f->base, "/nonexistent-jg/model.safetensors", 0, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/weights/base-only", Fixture, NULL, setup, test_base_only, teardown);
  g_test_add ("/weights/adapter", Fixture, NULL, setup, test_adapter, teardown);
  g_test_add ("/weights/alpha", Fixture, NULL, setup, test_alpha, teardown);
  return g_test_run ();
}
