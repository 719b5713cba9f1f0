/* Model loading: a random Qwen2 in bf16 (the release's dtype) written as
 * safetensors, then jg_qwen2_new() timed: mapping, bf16 -> f16 conversion,
 * upload. Usage: bench-load [HIDDEN LAYERS FFN VOCAB] [--repeat N]; the
 * default (1536, 6, 8960, 32000: 0.76 GB of bf16) suits lavapipe. */
#include "core/jg-file-util.h"
#include "inference/jg-qwen2.h"
#include "inference/jg-safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static guint16 *
random_bf16 (GRand *rand, gsize n)
{
  guint16 *v = g_new (guint16, n);
  for (gsize i = 0; i < n; i++)
    v[i] = jg_f32_to_bf16 ((float) g_rand_double_range (rand, -0.05, 0.05));
  return v;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(GArray) write = g_array_new (FALSE, FALSE, sizeof (JgStWriteTensor));
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_dir_make_tmp ("jg-bench-load-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(JgVkContext) ctx = NULL;
  int hidden = 1536, layers = 6, ffn = 8960, vocab = 32000, repeat = 3;
  JgQwen2Config c;
  gsize bytes = 0;

  if (argc >= 5)
    {
      hidden = atoi (argv[1]);
      layers = atoi (argv[2]);
      ffn = atoi (argv[3]);
      vocab = atoi (argv[4]);
    }
  for (int a = 1; a < argc - 1; a++)
    if (strcmp (argv[a], "--repeat") == 0)
      repeat = atoi (argv[a + 1]);
  c = (JgQwen2Config) {
    .layout = JG_CONFIG_LAYOUT_FLAT, .hidden_size = hidden, .n_layers = layers, .n_heads = hidden / 128,
    .n_kv_heads = 2, .head_dim = 128, .intermediate_size = ffn, .vocab_size = vocab,
    .max_position_embeddings = 4096, .rms_norm_eps = 1e-6, .rope_theta = 1e6, .n_mrope = 3,
    .mrope_section = { 16, 24, 24 },
  };

#define ADD(rows, cols, fmt, ...) G_STMT_START {                                        \
    JgStWriteTensor t = { .dtype = JG_ST_BF16, .n_dims = (cols) > 0 ? 2 : 1,               \
                          .shape = { rows, cols } };                                     \
    gsize n = (gsize) (rows) * ((cols) > 0 ? (cols) : 1);                                 \
    t.name = g_strdup_printf (fmt, __VA_ARGS__);                                         \
    t.data = random_bf16 (rand, n);                                                      \
    g_ptr_array_add (keep, (gpointer) t.name);                                           \
    g_ptr_array_add (keep, (gpointer) t.data);                                           \
    g_array_append_val (write, t);                                                       \
    bytes += 2 * n;                                                                      \
  } G_STMT_END
  ADD (vocab, hidden, "%s", "model.embed_tokens.weight");
  ADD (hidden, 0, "%s", "model.norm.weight");
  ADD (vocab, hidden, "%s", "lm_head.weight");
  for (int l = 0; l < layers; l++)
    {
      ADD (hidden, 0, "model.layers.%d.input_layernorm.weight", l);
      ADD (hidden, 0, "model.layers.%d.post_attention_layernorm.weight", l);
      ADD (hidden, hidden, "model.layers.%d.self_attn.q_proj.weight", l);
      ADD (hidden, 0, "model.layers.%d.self_attn.q_proj.bias", l);
      ADD (256, hidden, "model.layers.%d.self_attn.k_proj.weight", l);
      ADD (256, 0, "model.layers.%d.self_attn.k_proj.bias", l);
      ADD (256, hidden, "model.layers.%d.self_attn.v_proj.weight", l);
      ADD (256, 0, "model.layers.%d.self_attn.v_proj.bias", l);
      ADD (hidden, hidden, "model.layers.%d.self_attn.o_proj.weight", l);
      ADD (ffn, hidden, "model.layers.%d.mlp.gate_proj.weight", l);
      ADD (ffn, hidden, "model.layers.%d.mlp.up_proj.weight", l);
      ADD (hidden, ffn, "model.layers.%d.mlp.down_proj.weight", l);
    }
#undef ADD
  if (!jg_safetensors_write (path, (const JgStWriteTensor *) write->data, write->len, &error))
    {
      fprintf (stderr, "bench-load: %s\n", error->message);
      return 1;
    }
  g_ptr_array_set_size (keep, 0);
  ctx = jg_vk_context_new (NULL, &error);
  if (ctx == NULL)
    {
      fprintf (stderr, "bench-load: %s\n", error->message);
      return 1;
    }
  printf ("bench-load: %d layers, hidden %d, FFN %d, vocab %d: %.2f GB of bf16 on %s, %u CPUs\n", layers,
          hidden, ffn, vocab, bytes * 1e-9, jg_vk_context_get_info (ctx)->name, g_get_num_processors ());
  for (int r = 0; r < repeat; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double cpu0 = (double) clock () / CLOCKS_PER_SEC;
      g_autoptr(JgWeights) w = jg_weights_open (path, NULL, 0, &error);
      g_autoptr(JgQwen2) m = w ? jg_qwen2_new (ctx, &c, w, 64, &error) : NULL;
      double s = (g_get_monotonic_time () - t0) * 1e-6, cpu = (double) clock () / CLOCKS_PER_SEC - cpu0;

      if (m == NULL)
        {
          fprintf (stderr, "bench-load: %s\n", error->message);
          return 1;
        }
      printf ("load %d: %.3f s wall (%.2f GB/s of bf16), %.3f s CPU\n", r, s, bytes * 1e-9 / s, cpu);
    }
  jg_file_remove_tree (dir, NULL);
  return 0;
}
