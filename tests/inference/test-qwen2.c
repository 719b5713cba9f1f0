/* The Qwen2 decoder on a tiny random-weight model of the real architecture
 * (q/k/v biases, grouped KV heads, SwiGLU, RMSNorm, M-RoPE sections,
 * untied lm_head), written as bf16 safetensors and loaded through the
 * weights module, against a plain-C forward pass built from the reference
 * ops (inference/jg-ops-ref.c) over the whole sequence without a cache:
 * prefill, decode with the KV cache, chunked prefill, explicit 3-axis
 * positions, greedy generation, stop tokens, cancellation, bad weights. */
#include "inference/jg-qwen2.h"
#include "inference/jg-ops-ref.h"
#include "inference/jg-vk-ops.h"
#include "inference/jg-q8.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define H 64
#define LAYERS 2
#define HEADS 4
#define KV_HEADS 2
#define HD 16
#define INTER 128
#define VOCAB 300
#define QD (HEADS * HD)
#define KVD (KV_HEADS * HD)
/* Against the f32 C reference. With cooperative matrices the prompt's
 * matmuls and attention take f16 inputs (about 4e-4 from the reference on
 * this model, and every later logit sees that cache), so main() loosens it
 * there; comparisons between two engine paths keep their own bounds. */
static double ref_tol = 1e-4;
#define TOL ref_tol

typedef struct {
  float *ln1, *q_w, *q_b, *k_w, *k_b, *v_w, *v_b, *o_w, *ln2, *gate, *up, *down;
} RefLayer;

typedef struct {
  JgQwen2Config cfg;
  float *embed, *norm, *lm_head;
  RefLayer layers[LAYERS];
  GPtrArray *keep;          /* every array, and the bf16 copies written */
  GArray *write;            /* JgStWriteTensor */
  char *dir, *path;
} Fixture;

static JgVkContext *ctx;

/* A random matrix stored as bf16 (then f16 on the device): the reference
 * sees the values the device will hold. */
static float *
add_tensor (Fixture *f, const char *name, gint64 d0, gint64 d1, double lo, double hi, gboolean matrix)
{
  gint64 n = d0 * (d1 > 0 ? d1 : 1);
  float *v = g_new (float, n);
  JgStWriteTensor w = { .name = g_strdup (name), .n_dims = d1 > 0 ? 2 : 1, .shape = { d0, d1 } };

  for (gint64 i = 0; i < n; i++)
    v[i] = (float) g_test_rand_double_range (lo, hi);
  if (matrix)
    {
      guint16 *b = g_new (guint16, n);
      for (gint64 i = 0; i < n; i++)
        {
          b[i] = jg_f32_to_bf16 (v[i]);
          v[i] = jg_f16_to_f32 (jg_f32_to_f16 (jg_bf16_to_f32 (b[i])));
        }
      w.dtype = JG_ST_BF16;
      w.data = b;
      g_ptr_array_add (f->keep, b);
    }
  else
    {
      w.dtype = JG_ST_F32;
      w.data = v;
    }
  g_ptr_array_add (f->keep, (gpointer) w.name);
  g_ptr_array_add (f->keep, v);
  g_array_append_val (f->write, w);
  return v;
}

static void
fixture_init (Fixture *f, const char *skip)
{
  g_autoptr(GError) error = NULL;
  JgQwen2Config c = {
    .layout = JG_CONFIG_LAYOUT_FLAT, .hidden_size = H, .n_layers = LAYERS, .n_heads = HEADS,
    .n_kv_heads = KV_HEADS, .head_dim = HD, .intermediate_size = INTER, .vocab_size = VOCAB,
    .max_position_embeddings = 4096, .rms_norm_eps = 1e-6, .rope_theta = 10000.0,
    .n_mrope = 3, .mrope_section = { 2, 3, 3 },
  };

  memset (f, 0, sizeof *f);
  f->cfg = c;
  f->keep = g_ptr_array_new_with_free_func (g_free);
  f->write = g_array_new (FALSE, FALSE, sizeof (JgStWriteTensor));
  f->embed = add_tensor (f, "model.embed_tokens.weight", VOCAB, H, -1, 1, TRUE);
  for (int l = 0; l < LAYERS; l++)
    {
      RefLayer *L = &f->layers[l];
      char n[128];
#define T(field, suffix, d0, d1, lo, hi, m) \
      g_snprintf (n, sizeof n, "model.layers.%d.%s", l, suffix); \
      L->field = add_tensor (f, n, d0, d1, lo, hi, m)
      T (ln1, "input_layernorm.weight", H, 0, 0.8, 1.2, FALSE);
      T (q_w, "self_attn.q_proj.weight", QD, H, -0.25, 0.25, TRUE);
      T (q_b, "self_attn.q_proj.bias", QD, 0, -0.5, 0.5, FALSE);
      T (k_w, "self_attn.k_proj.weight", KVD, H, -0.25, 0.25, TRUE);
      T (k_b, "self_attn.k_proj.bias", KVD, 0, -0.5, 0.5, FALSE);
      T (v_w, "self_attn.v_proj.weight", KVD, H, -0.25, 0.25, TRUE);
      T (v_b, "self_attn.v_proj.bias", KVD, 0, -0.5, 0.5, FALSE);
      T (o_w, "self_attn.o_proj.weight", H, QD, -0.15, 0.15, TRUE);
      T (ln2, "post_attention_layernorm.weight", H, 0, 0.8, 1.2, FALSE);
      T (gate, "mlp.gate_proj.weight", INTER, H, -0.25, 0.25, TRUE);
      T (up, "mlp.up_proj.weight", INTER, H, -0.25, 0.25, TRUE);
      T (down, "mlp.down_proj.weight", H, INTER, -0.15, 0.15, TRUE);
#undef T
    }
  f->norm = add_tensor (f, "model.norm.weight", H, 0, 0.8, 1.2, FALSE);
  f->lm_head = add_tensor (f, "lm_head.weight", VOCAB, H, -0.5, 0.5, TRUE);

  if (skip != NULL)
    for (guint i = 0; i < f->write->len; i++)
      if (strcmp (g_array_index (f->write, JgStWriteTensor, i).name, skip) == 0)
        g_array_remove_index (f->write, i--);
  f->dir = g_dir_make_tmp ("jg-qwen2-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "model.safetensors", NULL);
  g_assert_true (jg_safetensors_write (f->path, (const JgStWriteTensor *) f->write->data, f->write->len,
                                       &error));
  g_assert_no_error (error);
}

static void
fixture_clear (Fixture *f)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_array_unref (f->write);
  g_ptr_array_unref (f->keep);
}

static JgQwen2 *
load_model (Fixture *f, guint max_ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgWeights) w = jg_weights_open (f->path, NULL, 0, &error);
  JgQwen2 *m;

  g_assert_no_error (error);
  m = jg_qwen2_new (ctx, &f->cfg, w, max_ctx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

/* The whole sequence at once, no cache; logits of every position. */
static void
ref_forward (Fixture *f, const guint32 *ids, guint n, const guint32 *pos, float *logits)
{
  g_autofree float *x = g_new (float, n * H), *xn = g_new (float, n * H);
  g_autofree float *q = g_new (float, n * QD), *k = g_new (float, n * KVD), *v = g_new (float, n * KVD);
  g_autofree float *att = g_new (float, n * QD), *g = g_new (float, n * INTER), *u = g_new (float, n * INTER);
  g_autofree guint32 *p = g_new (guint32, 3 * n);
  float inv[HD / 2];
  const guint sections[3] = { 2, 3, 3 };

  for (guint a = 0; a < 3; a++)
    for (guint i = 0; i < n; i++)
      p[a * n + i] = pos ? pos[a * n + i] : i;
  jg_rope_inv_freq (f->cfg.rope_theta, HD, inv);
  jg_ref_embed (x, f->embed, VOCAB, H, ids, n);
  for (int l = 0; l < LAYERS; l++)
    {
      RefLayer *L = &f->layers[l];
      jg_ref_rmsnorm (xn, x, L->ln1, n, H, 1e-6f);
      jg_ref_linear (q, xn, L->q_w, L->q_b, n, QD, H, FALSE);
      jg_ref_linear (k, xn, L->k_w, L->k_b, n, KVD, H, FALSE);
      jg_ref_linear (v, xn, L->v_w, L->v_b, n, KVD, H, FALSE);
      jg_ref_rope (q, n, HEADS, HD, p, inv, sections);
      jg_ref_rope (k, n, KV_HEADS, HD, p, inv, sections);
      jg_ref_attention (att, q, k, v, n, n, 0, HEADS, KV_HEADS, HD, TRUE, 1.0f / sqrtf (HD));
      jg_ref_linear (x, att, L->o_w, NULL, n, H, QD, TRUE);
      jg_ref_rmsnorm (xn, x, L->ln2, n, H, 1e-6f);
      jg_ref_linear (g, xn, L->gate, NULL, n, INTER, H, FALSE);
      jg_ref_linear (u, xn, L->up, NULL, n, INTER, H, FALSE);
      jg_ref_swiglu (g, g, u, n * INTER);
      jg_ref_linear (x, g, L->down, NULL, n, H, INTER, TRUE);
    }
  jg_ref_rmsnorm (xn, x, f->norm, n, H, 1e-6f);
  jg_ref_linear (logits, xn, f->lm_head, NULL, n, VOCAB, H, FALSE);
}

static void
assert_logits (const char *what, const float *got, const float *want)
{
  double err = jg_ref_rel_error (got, want, VOCAB);
  g_test_message ("%s: normalised logit error %.3g", what, err);
  g_assert_cmpfloat (err, <, TOL);
}

static void
random_ids (guint32 *ids, guint n)
{
  for (guint i = 0; i < n; i++)
    ids[i] = (guint32) g_test_rand_int_range (0, VOCAB);
}

static void
test_prefill_and_decode (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { N = 10, P = 7 };
  guint32 ids[N];
  g_autofree float *ref = g_new (float, N * VOCAB);
  float got[VOCAB];

  fixture_init (&f, NULL);
  m = load_model (&f, 32);
  random_ids (ids, N);
  ref_forward (&f, ids, N, NULL, ref);

  /* Prefill 7, then decode 3 one by one through the cache. */
  g_assert_true (jg_qwen2_forward (m, ids, P, NULL, got, &error));
  g_assert_no_error (error);
  assert_logits ("prefill of 7", got, ref + (P - 1) * VOCAB);
  for (guint i = P; i < N; i++)
    {
      g_autofree char *what = g_strdup_printf ("decode at %u", i);
      g_assert_true (jg_qwen2_forward (m, ids + i, 1, NULL, got, &error));
      g_assert_no_error (error);
      assert_logits (what, got, ref + i * VOCAB);
    }
  g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, N);

  /* Chunked prefill: 4 then 6 after a reset. */
  jg_qwen2_reset (m);
  g_assert_true (jg_qwen2_forward (m, ids, 4, NULL, NULL, &error));
  g_assert_true (jg_qwen2_forward (m, ids + 4, 6, NULL, got, &error));
  g_assert_no_error (error);
  assert_logits ("prefill 4 + 6", got, ref + (N - 1) * VOCAB);

  /* Past the context, and outside the vocabulary: errors, not crashes. */
  jg_qwen2_reset (m);
  {
    guint32 big[33] = { 0 }, bad = VOCAB;
    g_assert_false (jg_qwen2_forward (m, big, 33, NULL, NULL, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (jg_qwen2_forward (m, &bad, 1, NULL, NULL, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  }
  fixture_clear (&f);
}

/* A prompt of more than 8 tokens with cooperative matrices runs the fused
 * prefill (q|k|v in one matmul, gate|up with SwiGLU, o and down split over
 * k) or, switched off, the separate ops: both against the C forward pass
 * (f16 activations into the matmuls there: 3e-3). Without cooperative
 * matrices the switch must report the fused path off. */
static void
test_prefill_fused (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { N = 21 };
  guint32 ids[N];
  g_autofree float *ref = g_new (float, N * VOCAB);
  float got[VOCAB];
  gboolean cm = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT) != 0;

  fixture_init (&f, NULL);
  m = load_model (&f, 32);
  random_ids (ids, N);
  ref_forward (&f, ids, N, NULL, ref);
  g_assert_true (jg_qwen2_set_fused_prefill (m, TRUE) == cm);
  for (int fused = 1; fused >= 0; fused--)
    {
      double err;
      jg_qwen2_set_fused_prefill (m, fused);
      jg_qwen2_reset (m);
      g_assert_true (jg_qwen2_forward (m, ids, N, NULL, got, &error));
      g_assert_no_error (error);
      err = jg_ref_rel_error (got, ref + (N - 1) * VOCAB, VOCAB);
      g_test_message ("prefill of %d, %s: normalised logit error %.3g", N, fused && cm ? "fused" : "separate ops", err);
      g_assert_cmpfloat (err, <, TOL);
    }
  fixture_clear (&f);
  if (!cm)
    g_test_skip ("the fused prefill needs VK_NV_cooperative_matrix (ran the separate ops only)");
}

static void
test_mrope_positions (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { N = 6 };
  guint32 ids[N];
  /* Text, then a 2x2 "image" block (t fixed, h and w vary), then text at max + 1. */
  const guint32 pos[3 * N] = {
    0, 1, 1, 1, 1, 3,     /* temporal */
    0, 1, 1, 2, 2, 3,     /* height */
    0, 1, 2, 1, 2, 3,     /* width */
  };
  g_autofree float *ref = g_new (float, N * VOCAB);
  float got[VOCAB];

  fixture_init (&f, NULL);
  m = load_model (&f, 16);
  random_ids (ids, N);
  ref_forward (&f, ids, N, pos, ref);
  g_assert_true (jg_qwen2_forward (m, ids, N, pos, got, &error));
  g_assert_no_error (error);
  assert_logits ("3-axis positions", got, ref + (N - 1) * VOCAB);
  fixture_clear (&f);
}

typedef struct {
  guint32 tokens[64];
  guint n;
  GCancellable *cancel_after_first;
} Collect;

static gboolean
collect (guint32 token, gpointer data)
{
  Collect *c = data;
  c->tokens[c->n++] = token;
  if (c->cancel_after_first)
    g_cancellable_cancel (c->cancel_after_first);
  return TRUE;
}

/* The reference's logits after the @n tokens of @seq, and a check that the
 * engine's greedy pick @got is their argmax or, at a near tie that f32
 * rounding may decide either way, a token within the tie of it. Callers then
 * follow the engine's pick, so every generated token gets compared. */
static const float *
ref_check_greedy (Fixture *f, const guint32 *seq, guint n, float *ref, guint32 got)
{
  const float *row;
  guint32 best;

  ref_forward (f, seq, n, NULL, ref);
  row = ref + (n - 1) * VOCAB;
  best = jg_ref_argmax (row, VOCAB);
  g_assert_cmpuint (got, <, VOCAB);
  if (got != best)
    {
      g_test_message ("near tie at %u: engine %u, reference %u (%g vs %g)", n, got, best, row[got], row[best]);
      g_assert_cmpfloat (row[best] - row[got], <, 1e-4 * fabsf (row[best]));
    }
  return row;
}

static void
test_greedy_generate (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { P = 5, GEN = 8 };
  guint32 seq[P + GEN];
  g_autofree float *ref = g_new (float, (P + GEN) * VOCAB);
  Collect c = { .n = 0 };
  JgGenerateOptions o = { .max_tokens = GEN };
  JgGenerateStats stats;

  fixture_init (&f, NULL);
  m = load_model (&f, 32);
  random_ids (seq, P);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, collect, &c, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, GEN);
  g_assert_cmpuint (stats.n_generated, ==, GEN);
  g_assert_cmpuint (stats.n_prompt, ==, P);
  g_assert_false (stats.stopped);

  /* The reference's greedy continuation, position by position. */
  for (guint i = 0; i < GEN; i++)
    {
      ref_check_greedy (&f, seq, P + i, ref, c.tokens[i]);
      seq[P + i] = c.tokens[i];
    }

  /* A stop token ends generation without being emitted. */
  {
    Collect c2 = { .n = 0 };
    guint32 stop = c.tokens[2];
    guint first = 0;
    while (c.tokens[first] != stop)
      first++;
    o.stop = &stop;
    o.n_stop = 1;
    jg_qwen2_reset (m);
    g_assert_true (jg_qwen2_generate (m, seq, P, &o, collect, &c2, NULL, &stats, &error));
    g_assert_true (stats.stopped);
    g_assert_cmpuint (c2.n, ==, first);
    g_assert_cmpmem (c2.tokens, first * 4, c.tokens, first * 4);
  }

  /* Cancellation (from the callback here; any thread may cancel). */
  {
    g_autoptr(GCancellable) cancel = g_cancellable_new ();
    Collect c3 = { .n = 0, .cancel_after_first = cancel };
    JgGenerateOptions o3 = { .max_tokens = GEN };
    jg_qwen2_reset (m);
    g_assert_true (jg_qwen2_generate (m, seq, P, &o3, collect, &c3, cancel, &stats, &error));
    g_assert_true (stats.cancelled);
    g_assert_cmpuint (c3.n, ==, 1);
  }

  /* Sampling at a temperature: reproducible for a seed, in the vocabulary. */
  {
    Collect s1 = { .n = 0 }, s2 = { .n = 0 };
    JgGenerateOptions os = { .max_tokens = GEN, .temperature = 1.0f, .top_k = 20, .top_p = 0.95f, .seed = 7 };
    jg_qwen2_reset (m);
    g_assert_true (jg_qwen2_generate (m, seq, P, &os, collect, &s1, NULL, NULL, &error));
    jg_qwen2_reset (m);
    g_assert_true (jg_qwen2_generate (m, seq, P, &os, collect, &s2, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (s1.n, ==, GEN);
    g_assert_cmpmem (s1.tokens, GEN * 4, s2.tokens, GEN * 4);
    for (guint i = 0; i < GEN; i++)
      g_assert_cmpuint (s1.tokens[i], <, VOCAB);
  }
  fixture_clear (&f);
}

static void
test_missing_weight (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  g_autoptr(JgWeights) w = NULL;
  JgQwen2 *m;

  fixture_init (&f, "model.layers.1.mlp.up_proj.weight");
  w = jg_weights_open (f.path, NULL, 0, &error);
  g_assert_no_error (error);
  m = jg_qwen2_new (ctx, &f.cfg, w, 8, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "model.layers.1.mlp.up_proj.weight"));
  fixture_clear (&f);
}

/* A PEFT adapter (JAEGER's checkpoint layout: "base_model.model."-prefixed
 * lora_A / lora_B pairs) on layer 0's q_proj and layer 1's down_proj. The
 * reference merges W + (alpha / r) B A itself, in double, and rounds to
 * the f16 the device holds; the engine must load the adapter and agree. */
#define LORA_R 4
#define LORA_ALPHA 8.0

static void
lora_pair (GArray *write, GPtrArray *keep, const char *module, gint64 out, gint64 in, float *w_ref)
{
  float *a = g_new (float, LORA_R * in), *b = g_new (float, out * LORA_R);
  JgStWriteTensor ta = { .dtype = JG_ST_F32, .n_dims = 2, .shape = { LORA_R, in }, .data = a };
  JgStWriteTensor tb = { .dtype = JG_ST_F32, .n_dims = 2, .shape = { out, LORA_R }, .data = b };

  for (gint64 i = 0; i < LORA_R * in; i++)
    a[i] = (float) g_test_rand_double_range (-0.3, 0.3);
  for (gint64 i = 0; i < out * LORA_R; i++)
    b[i] = (float) g_test_rand_double_range (-0.3, 0.3);
  ta.name = g_strdup_printf ("base_model.model.%s.lora_A.weight", module);
  tb.name = g_strdup_printf ("base_model.model.%s.lora_B.weight", module);
  for (gint64 o = 0; o < out; o++)
    for (gint64 i = 0; i < in; i++)
      {
        double d = 0;
        for (int r = 0; r < LORA_R; r++)
          d += (double) b[o * LORA_R + r] * a[r * in + i];
        w_ref[o * in + i] = jg_f16_to_f32 (jg_f32_to_f16 ((float) (w_ref[o * in + i] + LORA_ALPHA / LORA_R * d)));
      }
  g_array_append_val (write, ta);
  g_array_append_val (write, tb);
  g_ptr_array_add (keep, a);
  g_ptr_array_add (keep, b);
  g_ptr_array_add (keep, (gpointer) ta.name);
  g_ptr_array_add (keep, (gpointer) tb.name);
}

static void
test_lora_adapter (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) write = g_array_new (FALSE, FALSE, sizeof (JgStWriteTensor));
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *adapter = NULL, *stray = NULL;
  g_autofree float *ref = NULL, *base_ref = NULL;
  enum { N = 9 };
  guint32 ids[N];
  float got[VOCAB];

  fixture_init (&f, NULL);
  random_ids (ids, N);
  base_ref = g_new (float, N * VOCAB);
  ref_forward (&f, ids, N, NULL, base_ref);
  lora_pair (write, keep, "model.layers.0.self_attn.q_proj", QD, H, f.layers[0].q_w);
  lora_pair (write, keep, "model.layers.1.mlp.down_proj", H, INTER, f.layers[1].down);
  ref = g_new (float, N * VOCAB);
  ref_forward (&f, ids, N, NULL, ref);
  /* The adapter must matter, or agreeing with the reference proves nothing. */
  g_assert_cmpfloat (jg_ref_rel_error (ref + (N - 1) * VOCAB, base_ref + (N - 1) * VOCAB, VOCAB), >, 1e-2);

  adapter = g_build_filename (f.dir, "adapter_model.safetensors", NULL);
  g_assert_true (jg_safetensors_write (adapter, (const JgStWriteTensor *) write->data, write->len, &error));
  g_assert_no_error (error);
  {
    g_autoptr(JgWeights) w = jg_weights_open (f.path, adapter, LORA_ALPHA, &error);
    g_autoptr(JgQwen2) m = NULL;
    g_assert_no_error (error);
    m = jg_qwen2_new (ctx, &f.cfg, w, 16, &error);
    g_assert_no_error (error);
    g_assert_true (jg_qwen2_forward (m, ids, N - 2, NULL, got, &error));
    g_assert_no_error (error);
    assert_logits ("LoRA prefill", got, ref + (N - 3) * VOCAB);
    g_assert_true (jg_qwen2_forward (m, ids + N - 2, 1, NULL, NULL, &error)
                   && jg_qwen2_forward (m, ids + N - 1, 1, NULL, got, &error));
    g_assert_no_error (error);
    assert_logits ("LoRA decode", got, ref + (N - 1) * VOCAB);
  }

  /* An adapter for a module this model lacks is refused by name. */
  {
    g_autofree float *scratch = g_new0 (float, QD * H);
    lora_pair (write, keep, "model.layers.7.self_attn.q_proj", QD, H, scratch);
  }
  stray = g_build_filename (f.dir, "stray.safetensors", NULL);
  g_assert_true (jg_safetensors_write (stray, (const JgStWriteTensor *) write->data, write->len, &error));
  {
    g_autoptr(JgWeights) w = jg_weights_open (f.path, stray, LORA_ALPHA, &error);
    g_assert_no_error (error);
    g_assert_null (jg_qwen2_new (ctx, &f.cfg, w, 16, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "model.layers.7.self_attn.q_proj"));
  }
  g_unlink (adapter);
  g_unlink (stray);
  fixture_clear (&f);
}

/* `jaeger generate` on a model folder: config.json, the safetensors, and a
 * byte-level vocabulary (vocab.json + merges.txt, id = byte value). Its
 * greedy ids must be the reference's. */
static char *
bytelevel_vocab_json (void)
{
  g_autoptr(GString) s = g_string_new ("{");
  int extra = 0;

  for (int b = 0; b < 256; b++)
    {
      gboolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      gunichar u = printable ? (gunichar) b : (gunichar) (256 + extra++);
      char utf8[8] = { 0 };
      g_unichar_to_utf8 (u, utf8);
      g_string_append_printf (s, "%s\"%s%s\": %d", b ? ", " : "", u == '"' || u == '\\' ? "\\" : "", utf8, b);
    }
  g_string_append (s, "}");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_cli_generate (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("JAEGER_CLI");
  g_autofree char *vocab = bytelevel_vocab_json ();
  g_autofree char *vocab_path = NULL, *merges_path = NULL, *config_path = NULL, *logits_path = NULL;
  g_autofree char *out = NULL, *err = NULL, *logits = NULL;
  gsize logits_len = 0;
  g_autofree float *ref = g_new (float, 16 * VOCAB);
  g_auto(GStrv) got = NULL;
  const char *config =
    "{\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
    "\"num_key_value_heads\": 2, \"intermediate_size\": 128, \"vocab_size\": 300, "
    "\"rms_norm_eps\": 1e-6, \"rope_theta\": 10000.0, \"tie_word_embeddings\": false, "
    "\"rope_scaling\": {\"type\": \"mrope\", \"mrope_section\": [2, 3, 3]}}";
  guint32 seq[16] = { 'h', 'e', 'l', 'l', 'o' };
  const guint P = 5, GEN = 6;
  int status = 0;

  g_assert_nonnull (cli);
  fixture_init (&f, NULL);
  vocab_path = g_build_filename (f.dir, "vocab.json", NULL);
  merges_path = g_build_filename (f.dir, "merges.txt", NULL);
  config_path = g_build_filename (f.dir, "config.json", NULL);
  logits_path = g_build_filename (f.dir, "logits.f32", NULL);
  g_assert_true (g_file_set_contents (vocab_path, vocab, -1, &error));
  g_assert_true (g_file_set_contents (merges_path, "#version: 0.2\n", -1, &error));
  g_assert_true (g_file_set_contents (config_path, config, -1, &error));
  {
    const char *argv[] = { cli, "generate", "--model", f.dir, "--prompt", "hello", "--raw", "--ids",
                           "--max-tokens", "6", "--logits", logits_path, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
    g_assert_no_error (error);
  }
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_nonnull (strstr (err, "prefill 5 tokens"));
  g_assert_nonnull (strstr (err, "tokens/s"));
  got = g_strsplit (g_strstrip (out), " ", -1);
  g_assert_cmpuint (g_strv_length (got), ==, GEN);
  /* --logits: one float32 row per printed token, whose argmax is that token. */
  g_assert_true (g_file_get_contents (logits_path, &logits, &logits_len, &error));
  g_assert_cmpuint (logits_len, ==, (gsize) GEN * VOCAB * sizeof (float));
  for (guint i = 0; i < GEN; i++)
    g_assert_cmpuint (jg_ref_argmax ((const float *) logits + i * VOCAB, VOCAB), ==,
                      g_ascii_strtoull (got[i], NULL, 10));
  for (guint i = 0; i < GEN; i++)
    {
      guint32 id = (guint32) g_ascii_strtoull (got[i], NULL, 10);
      const float *row = ref_check_greedy (&f, seq, P + i, ref, id);
      /* The written row is the C reference's logits at that position. */
      assert_logits ("--logits row", (const float *) logits + i * VOCAB, row);
      seq[P + i] = id;
    }
  /* --q8: the first row comes from the f16 prefill (the reference's); the
   * decoded ones from the 8-bit copies, about 1 % off. */
  {
    const char *argv[] = { cli, "generate", "--model", f.dir, "--prompt", "hello", "--raw", "--ids", "--q8",
                           "--max-tokens", "6", "--logits", logits_path, NULL };
    g_autofree char *out8 = NULL, *err8 = NULL, *logits8 = NULL;
    g_auto(GStrv) got8 = NULL;
    gsize len8 = 0;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out8, &err8,
                                 &status, &error));
    g_assert_no_error (error);
    g_test_message ("--q8 stdout: %s\nstderr: %s", out8, err8);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    got8 = g_strsplit (g_strstrip (out8), " ", -1);
    g_assert_cmpuint (g_strv_length (got8), ==, GEN);
    g_assert_true (g_file_get_contents (logits_path, &logits8, &len8, &error));
    g_assert_cmpuint (len8, ==, (gsize) GEN * VOCAB * sizeof (float));
    g_assert_cmpfloat (jg_ref_rel_error ((const float *) logits8, (const float *) logits, VOCAB), <, TOL);
    for (guint i = 0; i < GEN; i++)
      g_assert_cmpuint (jg_ref_argmax ((const float *) logits8 + i * VOCAB, VOCAB), ==,
                        g_ascii_strtoull (got8[i], NULL, 10));
    if (strcmp (got8[0], got[0]) == 0)
      {
        double e = jg_ref_rel_error ((const float *) logits8 + VOCAB, (const float *) logits + VOCAB, VOCAB);
        g_test_message ("--q8: first decoded row %.3g from f16's", e);
        g_assert_cmpfloat (e, >, 1e-3);
        g_assert_cmpfloat (e, <, 5e-2);
      }
  }
  g_unlink (vocab_path);
  g_unlink (merges_path);
  g_unlink (config_path);
  g_unlink (logits_path);
  fixture_clear (&f);
}

/* Decoding replays one recorded step (fused kernels reading the token, its
 * positions and the cache length from buffers); the per-call path records
 * the unfused ops for every token. Both must give the reference's logits
 * over a greedy run, the same tokens, and logits within f32 rounding of
 * each other; and explicit 3-axis positions must reach the replayed step. */
typedef struct {
  JgQwen2 *m;
  guint n;
  guint32 tokens[16];
  float logits[16][VOCAB];
} Trace;

static gboolean
trace (guint32 token, gpointer data)
{
  Trace *t = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (jg_qwen2_get_logits (t->m, t->logits[t->n], &error));
  g_assert_no_error (error);
  t->tokens[t->n++] = token;
  return TRUE;
}

static void
test_replay_matches_percall (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { P = 5, GEN = 12 };
  guint32 seq[P + GEN];
  g_autofree Trace *rep = g_new0 (Trace, 1), *per = g_new0 (Trace, 1), *tuned = g_new0 (Trace, 1);
  /* Other workgroup shapes, partial workgroups included. */
  const JgQwen2Tuning shapes = {
    .qkv = { 3, 64 }, .gate_up = { 2, 256 }, .head = { 4, 32 },
    .o = { JG_LINEAR_MATVEC, 2, 64 }, .down = { JG_LINEAR_MATVEC, 3, 128 },
  };
  g_autofree float *ref = g_new (float, (P + GEN) * VOCAB);
  JgGenerateOptions o = { .max_tokens = GEN };

  fixture_init (&f, NULL);
  m = load_model (&f, 40);
  random_ids (seq, P);
  rep->m = per->m = tuned->m = m;
  jg_qwen2_set_replay (m, TRUE);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, rep, NULL, NULL, &error));
  g_assert_no_error (error);
  jg_qwen2_set_replay (m, FALSE);
  jg_qwen2_reset (m);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, per, NULL, NULL, &error));
  g_assert_no_error (error);
  jg_qwen2_set_replay (m, TRUE);
  jg_qwen2_set_tuning (m, &shapes);
  jg_qwen2_reset (m);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, tuned, NULL, NULL, &error));
  g_assert_no_error (error);
  jg_qwen2_set_tuning (m, NULL);
  g_assert_cmpuint (rep->n, ==, GEN);
  g_assert_cmpuint (per->n, ==, GEN);
  g_assert_cmpuint (tuned->n, ==, GEN);
  g_assert_cmpmem (rep->tokens, GEN * 4, tuned->tokens, GEN * 4);
  g_assert_cmpmem (rep->tokens, GEN * 4, per->tokens, GEN * 4);
  memcpy (seq + P, rep->tokens, GEN * 4);
  ref_forward (&f, seq, P + GEN - 1, NULL, ref);
  for (guint i = 0; i < GEN; i++)
    {
      double between = jg_ref_rel_error (rep->logits[i], per->logits[i], VOCAB);
      g_autofree char *what = g_strdup_printf ("replayed step %u", i);
      g_test_message ("step %u: replay vs per-call %.3g", i, between);
      g_assert_cmpfloat (between, <, 1e-5);
      g_assert_cmpfloat (jg_ref_rel_error (tuned->logits[i], per->logits[i], VOCAB), <, 1e-5);
      assert_logits (what, rep->logits[i], ref + (P + i - 1) * VOCAB);
    }

  /* A 2x2 image block, then text decoded one token at a time with
   * explicit positions, on both paths. */
  {
    enum { N = 6, D = 3 };
    guint32 ids[N + D];
    const guint32 pos[3 * N] = { 0, 1, 1, 1, 1, 3,  0, 1, 1, 2, 2, 3,  0, 1, 2, 1, 2, 3 };
    guint32 all_pos[3 * (N + D)];
    float got[VOCAB];

    random_ids (ids, N + D);
    for (guint a = 0; a < 3; a++)
      for (guint i = 0; i < N + D; i++)
        all_pos[a * (N + D) + i] = i < N ? pos[a * N + i] : i - 2;
    ref_forward (&f, ids, N + D, all_pos, ref);
    for (int replay = 0; replay < 2; replay++)
      {
        jg_qwen2_set_replay (m, replay);
        jg_qwen2_reset (m);
        g_assert_true (jg_qwen2_forward (m, ids, N, pos, NULL, &error));
        for (guint i = N; i < N + D; i++)
          {
            const guint32 p1[3] = { i - 2, i - 2, i - 2 };
            g_autofree char *what = g_strdup_printf ("%s decode at 3-axis position %u",
                                                     replay ? "replayed" : "per-call", i - 2);
            g_assert_true (jg_qwen2_forward (m, ids + i, 1, p1, got, &error));
            g_assert_no_error (error);
            assert_logits (what, got, ref + i * VOCAB);
          }
      }
  }
  fixture_clear (&f);
}

/* The persistent step (one dispatch per layer, grid barriers between its
 * products) must decode as the replayed kernels do: the same tokens, logits
 * within f32 rounding of theirs and within TOL of the reference, with the
 * keys split into several merged parts (prompt of 30: up to 42 keys).
 * Workgroup counts: one (safe anywhere; the barrier's count and generation
 * run, but no workgroup waits for another), in shapes with several rows and
 * key blocks per subgroup and with idle subgroups; and, where the device
 * says how many stay resident (NVIDIA), that many; each also with all
 * layers in one dispatch (the stacked kernel, where the device has buffer
 * addresses) where marked. */
static void
test_persistent_matches_replay (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { P = 30, GEN = 12 };
  guint32 seq[P + GEN];
  g_autofree Trace *rep = g_new0 (Trace, 1), *got = g_new0 (Trace, 1);
  g_autofree float *ref = g_new (float, (P + GEN) * VOCAB);
  JgGenerateOptions o = { .max_tokens = GEN };
  guint resident = jg_decode_layer_resident (ctx);
  struct { guint wg, threads; gboolean stack; } runs[] = {
    { 1, 64, FALSE }, { 1, 256, FALSE }, { 1, 0, FALSE }, { 1, 64, TRUE },
    { JG_QWEN2_PERSISTENT_AUTO, 0, FALSE }, { JG_QWEN2_PERSISTENT_AUTO, 0, TRUE },
  };
  gboolean have_stack = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_DEVICE_ADDRESS) != 0;

  if (!(jg_vk_context_get_features (ctx) & JG_VK_FEATURE_SUBGROUP))
    {
      g_test_skip ("the persistent decode kernel needs subgroup arithmetic (JAEGER_VK_DISABLE=subgroup)");
      return;
    }
  fixture_init (&f, NULL);
  m = load_model (&f, 64);
  random_ids (seq, P);
  rep->m = m;
  g_assert_cmpuint (jg_qwen2_set_persistent (m, 0, 0), ==, 0);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, rep, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rep->n, ==, GEN);
  memcpy (seq + P, rep->tokens, GEN * 4);
  ref_forward (&f, seq, P + GEN - 1, NULL, ref);
  if (resident == 0)
    g_printerr ("persistent decode: %s gives no resident-workgroup count (no VK_NV_shader_sm_builtins), so "
                "the kernel runs here with ONE workgroup only; waits between workgroups at its grid barriers "
                "are checked only where this test runs on an NVIDIA GPU\n",
                jg_vk_context_get_info (ctx)->name);
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      guint want = runs[r].wg == JG_QWEN2_PERSISTENT_AUTO ? resident : runs[r].wg;
      guint n;
      if (want == 0 || (runs[r].stack && !have_stack))
        continue;
      jg_qwen2_reset (m);
      n = jg_qwen2_set_persistent (m, runs[r].wg, runs[r].threads);
      g_assert_cmpuint (n, ==, want);
      g_assert_true (jg_qwen2_set_persistent_stack (m, runs[r].stack) == runs[r].stack);
      g_assert_true (jg_qwen2_get_persistent_stack (m) == runs[r].stack);
      memset (got, 0, sizeof *got);
      got->m = m;
      g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, got, NULL, NULL, &error));
      g_assert_no_error (error);
      /* It did not fall back to the replayed kernels. */
      g_assert_cmpuint (jg_qwen2_get_persistent (m), ==, want);
      g_assert_cmpuint (got->n, ==, GEN);
      g_assert_cmpmem (got->tokens, GEN * 4, rep->tokens, GEN * 4);
      for (guint i = 0; i < GEN; i++)
        {
          double between = jg_ref_rel_error (got->logits[i], rep->logits[i], VOCAB);
          g_autofree char *what = g_strdup_printf ("persistent%s (%u x %u threads) step %u",
                                                   runs[r].stack ? ", stacked" : "", n,
                                                   runs[r].threads ? runs[r].threads : 512, i);
          double err = jg_ref_rel_error (got->logits[i], ref + (P + i - 1) * VOCAB, VOCAB);
          g_test_message ("%s: vs replayed %.3g, vs the reference %.3g", what, between, err);
          g_assert_cmpfloat (between, <, 1e-5);
          g_assert_cmpfloat (err, <, ref_tol);
        }
      g_printerr ("persistent decode%s with %u workgroup(s) of %u threads on %s: tokens as replayed\n",
                  runs[r].stack ? " (all layers in one dispatch)" : "", n,
                  runs[r].threads ? runs[r].threads : 512, jg_vk_context_get_info (ctx)->name);
    }
  if (!have_stack)
    g_printerr ("persistent decode: %s has no buffer device addresses: the stacked kernel NOT CHECKED\n",
                jg_vk_context_get_info (ctx)->name);
  fixture_clear (&f);
}

/* More workgroups than can be resident at once (one more per SM than its
 * thread slots hold at 1024 threads): a grid barrier must give up instead of
 * hanging, and the model decode that token again with the replayed kernels
 * and stay with them; tokens and logits are the replayed ones. Needs a
 * device that says how many stay resident: llvmpipe runs as many
 * workgroups at once as it has threads (and more, wrongly, at times), so
 * there this cannot be set up reliably. Per layer, then with all layers in
 * one dispatch where the device has buffer addresses. */
static void
test_persistent_fallback (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  enum { P = 6, GEN = 4 };
  guint32 seq[P];
  g_autofree Trace *rep = g_new0 (Trace, 1), *got = g_new0 (Trace, 1);
  JgGenerateOptions o = { .max_tokens = GEN };
  guint resident = jg_decode_layer_resident (ctx);
  const JgVkDeviceInfo *info = jg_vk_context_get_info (ctx);
  /* More 1024-thread workgroups than the SMs have thread slots for, so
   * some cannot be resident whatever registers the compiler gives them. */
  guint over = info->sm_count * (info->warps_per_sm * 32 / 1024 + 1);

  if (resident == 0)
    {
      g_printerr ("persistent decode fallback: NOT CHECKED on %s (no resident-workgroup count); "
                  "it runs where this test runs on an NVIDIA GPU\n", jg_vk_context_get_info (ctx)->name);
      g_test_skip ("needs a device that reports how many workgroups stay resident (VK_NV_shader_sm_builtins)");
      return;
    }
  fixture_init (&f, NULL);
  m = load_model (&f, 16);
  random_ids (seq, P);
  rep->m = got->m = m;
  g_assert_cmpuint (jg_qwen2_set_persistent (m, 0, 0), ==, 0);
  g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, rep, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int stack = 0; stack < 2; stack++)
    {
      if (jg_qwen2_set_persistent_stack (m, stack) != stack)
        continue;
      jg_qwen2_reset (m);
      memset (got, 0, sizeof *got);
      got->m = m;
      g_assert_cmpuint (jg_qwen2_set_persistent (m, over, 1024), ==, over);
      g_assert_true (jg_qwen2_generate (m, seq, P, &o, trace, got, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (jg_qwen2_get_persistent (m), ==, 0);
      g_assert_cmpuint (got->n, ==, GEN);
      g_assert_cmpmem (got->tokens, GEN * 4, rep->tokens, GEN * 4);
      for (guint i = 0; i < GEN; i++)
        g_assert_cmpfloat (jg_ref_rel_error (got->logits[i], rep->logits[i], VOCAB), <, 1e-5);
      g_printerr ("persistent decode%s with %u workgroups (%u resident) on %s: a grid barrier gave up, "
                  "the replayed kernels took over, tokens as replayed\n", stack ? " (all layers)" : "",
                  over, resident, info->name);
    }
  fixture_clear (&f);
}

/* ---- pipelined decoding ---- */

/* A generate call's tokens and, for each, the logits jg_qwen2_get_logits
 * gives inside the callback; the callback can return FALSE at token
 * stop_at, or have another thread cancel at token cancel_at (joined before
 * it returns, so the stop is at a known token). */
typedef struct {
  JgQwen2 *m;
  guint n, stop_at, cancel_at;
  gboolean greedy;
  GCancellable *cancel;
  guint32 tokens[24];
  float logits[24][VOCAB];
} PTrace;

static gpointer
cancel_thread (gpointer data)
{
  g_cancellable_cancel (data);
  return NULL;
}

static gboolean
ptrace (guint32 token, gpointer data)
{
  PTrace *t = data;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (t->n, <, G_N_ELEMENTS (t->tokens));
  g_assert_true (jg_qwen2_get_logits (t->m, t->logits[t->n], &error));
  g_assert_no_error (error);
  /* The logits in the callback are the ones this token was picked from. */
  if (t->greedy)
    g_assert_cmpuint (token, ==, jg_ref_argmax (t->logits[t->n], VOCAB));
  t->tokens[t->n++] = token;
  if (t->n == t->cancel_at)
    g_thread_join (g_thread_new ("cancel", cancel_thread, t->cancel));
  return t->n != t->stop_at;
}

static void
pipe_generate (JgQwen2 *m, guint depth, const guint32 *prompt, guint n, const JgGenerateOptions *o, PTrace *t,
               JgGenerateStats *st)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (jg_qwen2_set_pipeline (m, depth), ==, depth < 2 ? 0 : depth);
  jg_qwen2_reset (m);
  t->m = m;
  t->n = 0;
  t->greedy = o->temperature <= 0.0f;
  if (t->cancel != NULL)
    g_cancellable_reset (t->cancel);
  g_assert_true (jg_qwen2_generate (m, prompt, n, o, ptrace, t, t->cancel, st, &error));
  g_assert_no_error (error);
}

/* Same tokens, in the same order, and logits within 1e-6 (relative). */
static void
assert_same_run (const char *what, const PTrace *got, const PTrace *want)
{
  double worst = 0;

  g_assert_cmpuint (got->n, ==, want->n);
  g_assert_cmpmem (got->tokens, got->n * 4, want->tokens, want->n * 4);
  for (guint i = 0; i < got->n; i++)
    worst = MAX (worst, jg_ref_rel_error (got->logits[i], want->logits[i], VOCAB));
  g_test_message ("%s: %u tokens as unpipelined, logits within %.3g", what, got->n, worst);
  g_assert_cmpfloat (worst, <=, 1e-6);
}

/* Pipelined decoding (steps submitted before the one before them is done,
 * each embedding the token the step before picked on the GPU) against the
 * unpipelined loop, on every decode path this device runs (replayed;
 * persistent per layer and stacked, one workgroup; the 8-bit copies'
 * step): the same tokens and
 * logits for 2, 3 and 4 steps in flight, greedy and sampled with a seed;
 * the same end and model length at max_tokens, a stop token mid-stream,
 * the callback's FALSE and cancellation from another thread; after a stop,
 * a follow-up prompt continues from the kept length as a fresh run of the
 * whole sequence does. */
static void
test_pipelined_matches_unpipelined (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  enum { P = 5, GEN = 20, FOLLOW = 3 };
  guint32 prompt[P], follow[FOLLOW], all[P + GEN + FOLLOW];
  g_autofree PTrace *want = g_new0 (PTrace, 1), *got = g_new0 (PTrace, 1);
  JgGenerateOptions greedy = { .max_tokens = GEN };
  JgGenerateOptions sampled = { .max_tokens = GEN, .temperature = 0.8f, .top_k = 20, .top_p = 0.9f, .seed = 11 };
  JgGenerateStats st;
  gboolean subgroup = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_SUBGROUP) != 0;
  gboolean stack = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_DEVICE_ADDRESS) != 0;
  struct { const char *name; guint wg; gboolean stack, run; } paths[] = {
    { "replayed", 0, FALSE, TRUE }, { "persistent", 1, FALSE, subgroup }, { "stacked", 1, TRUE, subgroup && stack },
  };
  const guint depths[] = { 2, 3, 4 };

  fixture_init (&f, NULL);
  m = load_model (&f, 64);
  random_ids (prompt, P);
  random_ids (follow, FOLLOW);
  want->cancel = got->cancel = cancel;
  for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
    {
      float want_follow[VOCAB], got_follow[VOCAB], fresh[VOCAB];
      guint32 stop;
      guint first = 0;

      if (!paths[p].run)
        {
          g_printerr ("pipelined decode: the %s path NOT CHECKED on %s\n", paths[p].name,
                      jg_vk_context_get_info (ctx)->name);
          continue;
        }
      g_assert_cmpuint (jg_qwen2_set_persistent (m, paths[p].wg, 64), ==, paths[p].wg);
      jg_qwen2_set_persistent_stack (m, paths[p].stack);
      g_assert_true (jg_qwen2_get_persistent_stack (m) == paths[p].stack);

      /* max_tokens reached: the same tokens, and the same model length. */
      pipe_generate (m, 0, prompt, P, &greedy, want, &st);
      g_assert_cmpuint (want->n, ==, GEN);
      g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, P + GEN - 1);
      for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
        {
          g_autofree char *what = g_strdup_printf ("%s, %u in flight, greedy", paths[p].name, depths[d]);
          memset (got->tokens, 0, sizeof got->tokens);
          pipe_generate (m, depths[d], prompt, P, &greedy, got, &st);
          assert_same_run (what, got, want);
          g_assert_cmpuint (st.n_generated, ==, GEN);
          g_assert_false (st.stopped || st.cancelled);
          g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, P + GEN - 1);
          /* It did not fall back to the replayed kernels. */
          g_assert_cmpuint (jg_qwen2_get_persistent (m), ==, paths[p].wg);
        }

      /* A stop token in the middle (steps past it were in flight), then a
       * follow-up prompt from the kept length. */
      stop = want->tokens[GEN / 2];
      while (want->tokens[first] != stop)
        first++;
      greedy.stop = &stop;
      greedy.n_stop = 1;
      pipe_generate (m, 0, prompt, P, &greedy, want, &st);
      g_assert_true (st.stopped);
      g_assert_cmpuint (want->n, ==, first);
      g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, P + first);
      g_assert_true (jg_qwen2_forward (m, follow, FOLLOW, NULL, want_follow, &error));
      g_assert_no_error (error);
      for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
        {
          g_autofree char *what = g_strdup_printf ("%s, %u in flight, stop token after %u", paths[p].name,
                                                   depths[d], first);
          double err;
          pipe_generate (m, depths[d], prompt, P, &greedy, got, &st);
          assert_same_run (what, got, want);
          g_assert_true (st.stopped);
          g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, P + first);
          g_assert_true (jg_qwen2_forward (m, follow, FOLLOW, NULL, got_follow, &error));
          g_assert_no_error (error);
          err = jg_ref_rel_error (got_follow, want_follow, VOCAB);
          g_test_message ("%s: follow-up logits within %.3g of unpipelined", what, err);
          g_assert_cmpfloat (err, <=, 1e-6);
        }
      /* ...and as a fresh model given the whole sequence as one prompt. */
      memcpy (all, prompt, sizeof prompt);
      memcpy (all + P, want->tokens, first * 4);
      memcpy (all + P + first, follow, sizeof follow);
      jg_qwen2_reset (m);
      g_assert_true (jg_qwen2_forward (m, all, P + first + FOLLOW, NULL, fresh, &error));
      g_assert_no_error (error);
      assert_logits ("follow-up after a pipelined stop vs a fresh prefill", got_follow, fresh);
      greedy.stop = NULL;
      greedy.n_stop = 0;

      /* The callback's FALSE at token 4; another thread cancelling at 3. */
      for (int how = 0; how < 2; how++)
        {
          guint at = how ? 3 : 4;
          want->stop_at = got->stop_at = how ? 0 : at;
          want->cancel_at = got->cancel_at = how ? at : 0;
          pipe_generate (m, 0, prompt, P, &greedy, want, &st);
          g_assert_cmpuint (want->n, ==, at);
          g_assert_true (st.cancelled == how);
          for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
            {
              g_autofree char *what = g_strdup_printf ("%s, %u in flight, %s at %u", paths[p].name, depths[d],
                                                       how ? "cancelled" : "callback stop", at);
              pipe_generate (m, depths[d], prompt, P, &greedy, got, &st);
              assert_same_run (what, got, want);
              g_assert_true (st.cancelled == how);
              g_assert_cmpuint (jg_qwen2_get_n_past (m), ==, P + at - 1);
            }
        }
      want->stop_at = got->stop_at = want->cancel_at = got->cancel_at = 0;

      /* Sampling with a seed: the same numbers drawn for the same steps. */
      pipe_generate (m, 0, prompt, P, &sampled, want, &st);
      g_assert_cmpuint (want->n, ==, GEN);
      for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
        {
          g_autofree char *what = g_strdup_printf ("%s, %u in flight, sampled", paths[p].name, depths[d]);
          pipe_generate (m, depths[d], prompt, P, &sampled, got, &st);
          assert_same_run (what, got, want);
        }
      g_printerr ("pipelined decode (%s path) on %s: tokens and logits as unpipelined\n", paths[p].name,
                  jg_vk_context_get_info (ctx)->name);
    }

  /* The 8-bit copies' step (its own kernels, recorded per slot too). */
  {
    g_autoptr(JgWeights) w = jg_weights_open (f.path, NULL, 0, &error);
    g_autoptr(JgQwen2) q8 = NULL;
    g_assert_no_error (error);
    q8 = jg_qwen2_new_with_options (ctx, &f.cfg, w, 64, &(JgQwen2Options) { .q8 = TRUE }, &error);
    g_assert_no_error (error);
    g_assert_true (jg_qwen2_set_q8 (q8, TRUE));
    pipe_generate (q8, 0, prompt, P, &greedy, want, &st);
    for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
      {
        g_autofree char *what = g_strdup_printf ("8-bit, %u in flight, greedy", depths[d]);
        pipe_generate (q8, depths[d], prompt, P, &greedy, got, &st);
        assert_same_run (what, got, want);
      }
  }

  /* The end of the context: the last step may not run past it. */
  {
    g_autoptr(JgQwen2) small = load_model (&f, P + 8);
    pipe_generate (small, 0, prompt, P, &greedy, want, &st);
    g_assert_cmpuint (want->n, ==, 9);
    g_assert_cmpuint (jg_qwen2_get_n_past (small), ==, P + 8);
    pipe_generate (small, 3, prompt, P, &greedy, got, &st);
    assert_same_run ("3 in flight up to the end of the context", got, want);
    g_assert_cmpuint (jg_qwen2_get_n_past (small), ==, P + 8);
  }
  fixture_clear (&f);
}

/* ---- 8-bit decode ---- */

/* The layer weights a reference step uses. */
typedef struct {
  RefLayer layers[LAYERS];
  float *lm_head;
} RefSet;

static float *
q8_round_trip (const float *w, gint64 rows, gint64 cols, GPtrArray *keep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgQ8Matrix) q = jg_q8_quantize (w, rows, cols, 32, &error);
  float *out = g_new (float, rows * cols);

  g_assert_no_error (error);
  jg_q8_dequantize (q, out);
  g_ptr_array_add (keep, out);
  return out;
}

/* One token through the reference with a KV cache (kc, vc [ctx][KVD] per
 * layer): the prompt runs on one weight set, decoding on another, as the
 * engine's f16 prefill and 8-bit decode do. */
static void
ref_step (Fixture *f, const RefSet *w, guint32 id, guint pos, float *kc, float *vc, guint cap, float *logits)
{
  float x[H], xn[H], q[QD], att[QD], g[INTER], u[INTER], inv[HD / 2];
  const guint sections[3] = { 2, 3, 3 };
  const guint32 p3[3] = { pos, pos, pos };

  jg_rope_inv_freq (f->cfg.rope_theta, HD, inv);
  jg_ref_embed (x, f->embed, VOCAB, H, &id, 1);
  for (int l = 0; l < LAYERS; l++)
    {
      const RefLayer *L = &w->layers[l];
      float *k = kc + ((gsize) l * cap + pos) * KVD, *v = vc + ((gsize) l * cap + pos) * KVD;
      jg_ref_rmsnorm (xn, x, f->layers[l].ln1, 1, H, 1e-6f);
      jg_ref_linear (q, xn, L->q_w, f->layers[l].q_b, 1, QD, H, FALSE);
      jg_ref_linear (k, xn, L->k_w, f->layers[l].k_b, 1, KVD, H, FALSE);
      jg_ref_linear (v, xn, L->v_w, f->layers[l].v_b, 1, KVD, H, FALSE);
      jg_ref_rope (q, 1, HEADS, HD, p3, inv, sections);
      jg_ref_rope (k, 1, KV_HEADS, HD, p3, inv, sections);
      jg_ref_attention (att, q, kc + (gsize) l * cap * KVD, vc + (gsize) l * cap * KVD, 1, pos + 1, pos, HEADS,
                        KV_HEADS, HD, TRUE, 1.0f / sqrtf (HD));
      jg_ref_linear (x, att, L->o_w, NULL, 1, H, QD, TRUE);
      jg_ref_rmsnorm (xn, x, f->layers[l].ln2, 1, H, 1e-6f);
      jg_ref_linear (g, xn, L->gate, NULL, 1, INTER, H, FALSE);
      jg_ref_linear (u, xn, L->up, NULL, 1, INTER, H, FALSE);
      jg_ref_swiglu (g, g, u, INTER);
      jg_ref_linear (x, g, L->down, NULL, 1, H, INTER, TRUE);
    }
  jg_ref_rmsnorm (xn, x, f->norm, 1, H, 1e-6f);
  jg_ref_linear (logits, xn, w->lm_head, NULL, 1, VOCAB, H, FALSE);
}

static void
test_q8_decode (void)
{
  Fixture f;
  g_autoptr(JgQwen2) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  enum { P = 6, GEN = 6, CAP = 16 };
  const JgQwen2Options opts = { .q8 = TRUE };
  RefSet f16w, q8w;
  guint32 seq[P + GEN];
  g_autofree float *kc = g_new0 (float, LAYERS * CAP * KVD), *vc = g_new0 (float, LAYERS * CAP * KVD);
  float want[VOCAB], got[VOCAB], f16_logits[VOCAB];
  double worst = 0, cost = 0;

  fixture_init (&f, NULL);
  {
    g_autoptr(JgWeights) w = jg_weights_open (f.path, NULL, 0, &error);
    g_assert_no_error (error);
    m = jg_qwen2_new_with_options (ctx, &f.cfg, w, CAP, &opts, &error);
    g_assert_no_error (error);
  }
  for (int l = 0; l < LAYERS; l++)
    {
      RefLayer *L = &f.layers[l], *Q = &q8w.layers[l];
      f16w.layers[l] = *L;
      *Q = *L;
      Q->q_w = q8_round_trip (L->q_w, QD, H, keep);
      Q->k_w = q8_round_trip (L->k_w, KVD, H, keep);
      Q->v_w = q8_round_trip (L->v_w, KVD, H, keep);
      Q->o_w = q8_round_trip (L->o_w, H, QD, keep);
      Q->gate = q8_round_trip (L->gate, INTER, H, keep);
      Q->up = q8_round_trip (L->up, INTER, H, keep);
      Q->down = q8_round_trip (L->down, H, INTER, keep);
    }
  f16w.lm_head = f.lm_head;
  q8w.lm_head = q8_round_trip (f.lm_head, VOCAB, H, keep);

  /* The prompt on the f16 weights (engine and reference alike). */
  random_ids (seq, P + GEN);
  g_assert_true (jg_qwen2_forward (m, seq, P, NULL, got, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < P; i++)
    ref_step (&f, &f16w, seq[i], i, kc, vc, CAP, want);
  assert_logits ("q8 model, f16 prefill", got, want);
  /* Each decoded token on the 8-bit copies: the reference with the same
   * dequantized weights, and how far that is from f16. */
  for (guint i = P; i < P + GEN; i++)
    {
      g_autofree float *kc2 = g_memdup2 (kc, LAYERS * CAP * KVD * sizeof (float));
      g_autofree float *vc2 = g_memdup2 (vc, LAYERS * CAP * KVD * sizeof (float));
      double err;
      g_assert_true (jg_qwen2_forward (m, seq + i, 1, NULL, got, &error));
      g_assert_no_error (error);
      ref_step (&f, &f16w, seq[i], i, kc2, vc2, CAP, f16_logits);
      ref_step (&f, &q8w, seq[i], i, kc, vc, CAP, want);
      err = jg_ref_rel_error (got, want, VOCAB);
      worst = MAX (worst, err);
      cost = MAX (cost, jg_ref_rel_error (got, f16_logits, VOCAB));
      g_assert_cmpfloat (err, <, TOL);
    }
  g_test_message ("8-bit decode: normalised logit error %.3g against the reference with the same 8-bit "
                  "weights; %.3g against the f16 weights (the format's cost)", worst, cost);
  /* The cost is real (the 8-bit copies were used) and near WEIGHTS.md's. */
  g_assert_cmpfloat (cost, >, 1e-3);
  g_assert_cmpfloat (cost, <, 5e-2);

  /* Switched back to f16, decoding matches the f16 reference again. */
  g_assert_true (jg_qwen2_set_q8 (m, FALSE));
  jg_qwen2_reset (m);
  memset (kc, 0, LAYERS * CAP * KVD * sizeof (float));
  memset (vc, 0, LAYERS * CAP * KVD * sizeof (float));
  g_assert_true (jg_qwen2_forward (m, seq, P, NULL, NULL, &error));
  g_assert_true (jg_qwen2_forward (m, seq + P, 1, NULL, got, &error));
  g_assert_no_error (error);
  for (guint i = 0; i <= P; i++)
    ref_step (&f, &f16w, seq[i], i, kc, vc, CAP, want);
  assert_logits ("q8 model switched to f16 decode", got, want);
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  ctx = jg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  if (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT)
    ref_tol = 3e-3;
  g_test_add_func ("/qwen2/prefill-and-decode", test_prefill_and_decode);
  g_test_add_func ("/qwen2/prefill-fused", test_prefill_fused);
  g_test_add_func ("/qwen2/mrope-positions", test_mrope_positions);
  g_test_add_func ("/qwen2/greedy-generate", test_greedy_generate);
  g_test_add_func ("/qwen2/missing-weight", test_missing_weight);
  g_test_add_func ("/qwen2/lora-adapter", test_lora_adapter);
  g_test_add_func ("/qwen2/cli-generate", test_cli_generate);
  g_test_add_func ("/qwen2/replay-matches-percall", test_replay_matches_percall);
  g_test_add_func ("/qwen2/q8-decode", test_q8_decode);
  g_test_add_func ("/qwen2/persistent-matches-replay", test_persistent_matches_replay);
  g_test_add_func ("/qwen2/persistent-fallback", test_persistent_fallback);
  g_test_add_func ("/qwen2/pipelined-matches-unpipelined", test_pipelined_matches_unpipelined);
  rc = g_test_run ();
  jg_vk_context_free (ctx);
  return rc;
}
