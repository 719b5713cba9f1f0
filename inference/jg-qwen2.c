#include "inference/jg-qwen2.h"
#include "inference/jg-vk-ops.h"
#include "inference/jg-vk-private.h"
#include "core/jg-error.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
  JgTensor *ln1, *q_b, *k_b, *v_b, *o_w, *ln2, *down;
  /* q, k and v weights one after another (one product when decoding), as
   * are gate and up; the single ones are row views of these. */
  JgTensor *qkv_w, *qkv_b, *gate_up;
  JgTensor q_w, k_w, v_w, gate, up;
  JgTensor *k_cache, *v_cache;
  /* 8-bit copies for decoding (with the q8 option): q|k|v, o, gate|up, down. */
  JgQ8Weights qkv8, o8, gu8, down8;
} Layer;

/* What a recorded decode step picks its token with. */
typedef struct {
  gboolean pick, sample;
  guint top_k;
  float top_p, temperature;
} PickKey;

/* One decoded step's recording and its own inputs and outputs: the token
 * it embeds (ids), its positions and cache row (step), the persistent
 * kernel's failure flag, the logits, the picked token and the sampler's
 * random number. Unpipelined decoding has one (the model's own tensors);
 * pipelined decoding a ring of them, each embedding the token the slot
 * before it picked, so that the next steps are submitted before this one
 * is done. */
typedef struct {
  JgVkGraph *graph;
  JgTensor *ids, *step, *fail, *logits, *token, *uniform;
  PickKey key;
  guint gen;                /* JgQwen2.graph_gen it was recorded at */
} Slot;

/* Steps in flight at most when pipelined; the ring has one slot more (the
 * last consumed step's logits stay readable during the callback). */
#define MAX_PIPELINE 4

struct _JgQwen2 {
  JgVkContext *ctx;
  JgQwen2Config cfg;
  guint max_ctx;
  guint n_past;
  double last_gpu_s;
  guint q_dim, kv_dim;
  guint sections[3];

  JgTensor *embed, *norm, *lm_head;   /* lm_head may be embed (tied) */
  guint q8_block;                     /* 0: no 8-bit copies */
  gboolean use_q8;                    /* decode with them */
  JgQ8Weights head8;
  Layer *layers;
  JgTensor *inv_freq;

  /* Activations for up to max_ctx tokens, and the step's inputs/outputs
   * in host-visible memory. */
  JgTensor *x, *xn, *q, *attn, *g, *u, *logits;
  /* With cooperative matrices, a prefill's RMSNorm and SwiGLU write f16
   * for the matmuls after them (which round to f16 anyway): half the bytes
   * they read. NULL without. */
  JgTensor *xn16, *g16;
  /* ...and then the prefill runs the fused forms: one q|k|v matmul writing
   * q and the cache rows, attention writing f16 (attn16), one gate|up
   * matmul with SwiGLU in its epilogue, o and down split over k into the
   * f32 g buffer (unused then). JAEGER_PREFILL=unfused turns this off. */
  gboolean fused, fused_ok;
  JgTensor *attn16;
  JgTensor *ids, *pos, *token, *uniform;
  JgTensor *attn_parts;               /* split-attention scratch for <= 8 queries */
  JgTensor *step;                     /* u32 [4]: the decoded token's positions and cache row */
  JgTensor *attn_counts;              /* u32 [n_heads], zeros: decode attention's merge counts */
  JgTensor *argmax_scratch;           /* u32, zeros: the greedy pick's slices and count */

  /* Decoding one token replays a recorded step (unless JAEGER_DECODE=percall). */
  gboolean replay;
  JgVkGraph *graph;
  Slot one;                           /* unpipelined: graph and the tensors above */
  JgQwen2Tuning tune;
  guint graph_gen;                    /* bumped when every recording is stale */
  /* Pipelined decoding (jg_qwen2_set_pipeline): steps in flight (< 2: off)
   * and the ring of depth + 1 slots; the logits the last token came from. */
  guint depth;
  Slot ring[MAX_PIPELINE + 1];
  JgTensor *cur_logits;
  /* The persistent layer kernel's workgroups (0: off) and threads, its
   * grid barrier (u32 [3], device) and failure flag (u32, host). */
  guint persist_wg, persist_threads;
  JgTensor *bar, *bar_zeros, *fail;
  /* All layers in one such dispatch (device addresses): on/off, the
   * layers' address table (u32 [n_layers][JG_DECODE_STACK_WORDS], device),
   * written before each recording. */
  gboolean persist_stack;
  guint persist_ks[2], persist_chunk, persist_merge;
  JgTensor *stack_table, *stack_g;      /* stack_g: f32 [n_layers][intermediate], each layer's g */

  /* Views rebuilt for each step without allocating. */
  JgTensor v_x, v_xn, v_q, v_attn, v_g, v_u, v_k, v_v, v_ids, v_pos, v_last, v_last_n;
  JgTensor v_xn16, v_g16, v_attn16;
};

/* Sends tensor @name to @dst: as stored when nothing needs its values on
 * the host (the converting upload reads the mapping directly), through
 * f32 when a LoRA merge or an 8-bit copy does. @buf_out, when given,
 * receives those f32 values. */
static gboolean
upload_weight (JgWeights *w, const char *name, JgTensor *dst, float **buf_out, GError **error)
{
  gint64 n = jg_tensor_get_n_elements (dst);
  g_autofree float *buf = NULL;

  if (buf_out == NULL && !jg_weights_has_lora (w, name))
    {
      const JgStTensor *t = jg_weights_require (w, name, dst->ndim, dst->shape, error);
      if (t == NULL)
        return FALSE;
      switch (t->dtype)
        {
        case JG_ST_BF16: return jg_tensor_upload_bf16 (dst, (const guint16 *) t->data, error);
        case JG_ST_F16: return jg_tensor_upload_f16 (dst, (const guint16 *) t->data, error);
        case JG_ST_F32: return jg_tensor_upload_f32 (dst, (const float *) t->data, error);
        default: break;   /* jg_weights_require admits float types only */
        }
    }
  buf = g_try_new (float, n);
  if (buf == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: out of memory converting %" G_GINT64_FORMAT " values",
                   name, n);
      return FALSE;
    }
  if (!jg_weights_read_f32 (w, name, dst->ndim, dst->shape, buf, error)
      || !jg_tensor_upload_f32 (dst, buf, error))
    return FALSE;
  if (buf_out != NULL)
    *buf_out = g_steal_pointer (&buf);
  return TRUE;
}

static JgTensor *
load (JgQwen2 *self, JgWeights *w, JgDType dtype, gint64 d0, gint64 d1, GError **error,
      const char *fmt, ...) G_GNUC_PRINTF (7, 8);

/* Reads a thinker-relative tensor through @w, so that a JAEGER/PEFT
 * adapter's replacements and LoRA merges land in what goes to the device. */
static JgTensor *
load (JgQwen2 *self, JgWeights *w, JgDType dtype, gint64 d0, gint64 d1, GError **error,
      const char *fmt, ...)
{
  char name[256];
  va_list ap;
  gint64 shape[2] = { d0, d1 };
  guint n_dims = d1 > 0 ? 2 : 1;
  g_autoptr(JgTensor) out = NULL;

  va_start (ap, fmt);
  g_vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  out = jg_tensor_new (self->ctx, dtype, n_dims, shape, JG_TENSOR_DEVICE, error);
  if (out == NULL || !upload_weight (w, name, out, NULL, error))
    {
      g_prefix_error (error, "%s: ", name);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* Reads a thinker-relative tensor through @w into dst (a row view of a
 * larger tensor, say), its shape checked against dst's. */
static gboolean
load_to (JgQwen2 *self, JgWeights *w, JgTensor *dst, const JgQ8Weights *q8, GError **error, const char *fmt,
         ...) G_GNUC_PRINTF (6, 7);

/* ... and, when q8 is given, quantized into it too (q8's views of rows). */
static gboolean
load_to (JgQwen2 *self, JgWeights *w, JgTensor *dst, const JgQ8Weights *q8, GError **error, const char *fmt,
         ...)
{
  char name[256];
  va_list ap;
  g_autofree float *buf = NULL;

  va_start (ap, fmt);
  g_vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  if (!upload_weight (w, name, dst, q8 != NULL ? &buf : NULL, error))
    {
      g_prefix_error (error, "%s: ", name);
      return FALSE;
    }
  if (q8 != NULL)
    {
      g_autoptr(JgQ8Matrix) m = jg_q8_quantize (buf, dst->shape[0], dst->shape[1], q8->block, error);
      if (m == NULL || !jg_q8_weights_upload (q8, m, error))
        {
          g_prefix_error (error, "%s: ", name);
          return FALSE;
        }
    }
  return TRUE;
}

static JgTensor *
activation (JgQwen2 *self, JgDType dtype, gint64 rows, gint64 cols, JgTensorFlags flags, GError **error)
{
  return jg_tensor_new_2d (self->ctx, dtype, rows, cols, flags, error);
}

/* 8-bit tensors for rows x cols weights (NULLs without the q8 option). */
static gboolean
q8_alloc (JgQwen2 *self, JgQ8Weights *q8, gint64 rows, gint64 cols, GError **error)
{
  q8->block = self->q8_block;
  if (self->q8_block == 0)
    return TRUE;
  if (cols % self->q8_block != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "qwen2: 8-bit blocks of %u do not divide %" G_GINT64_FORMAT
                   " columns", self->q8_block, cols);
      return FALSE;
    }
  return (q8->q = activation (self, JG_DTYPE_U32, rows, cols / 4, 0, error)) != NULL
         && (q8->scales = activation (self, JG_DTYPE_F16, rows, cols / self->q8_block, 0, error)) != NULL;
}

/* Rows [row0, row0 + n) of 8-bit weights, in views (nothing without q8). */
static gboolean
q8_view (JgQ8Weights *view, JgTensor *views, const JgQ8Weights *q8, gint64 row0, gint64 n, GError **error)
{
  if (q8->q == NULL)
    return TRUE;
  view->block = q8->block;
  view->q = &views[0];
  view->scales = &views[1];
  return jg_tensor_init_view (&views[0], q8->q, row0, n, error)
         && jg_tensor_init_view (&views[1], q8->scales, row0, n, error);
}

static void
q8_clear (JgQ8Weights *q8)
{
  g_clear_pointer (&q8->q, jg_tensor_free);
  g_clear_pointer (&q8->scales, jg_tensor_free);
}

JgQwen2 *
jg_qwen2_new (JgVkContext *ctx, const JgQwen2Config *cfg, JgWeights *w, guint max_ctx, GError **error)
{
  return jg_qwen2_new_with_options (ctx, cfg, w, max_ctx, NULL, error);
}

JgQwen2 *
jg_qwen2_new_with_options (JgVkContext *ctx, const JgQwen2Config *cfg, JgWeights *w, guint max_ctx,
                           const JgQwen2Options *options, GError **error)
{
  g_autoptr(JgQwen2) self = g_new0 (JgQwen2, 1);
  gint64 H = cfg->hidden_size, I = cfg->intermediate_size, V = cfg->vocab_size;
  g_autofree float *inv = NULL;

  self->ctx = ctx;
  self->cfg = *cfg;
  self->max_ctx = max_ctx;
  if (cfg->n_heads <= 0 || cfg->n_kv_heads <= 0 || cfg->n_heads % cfg->n_kv_heads != 0
      || cfg->head_dim <= 0 || cfg->head_dim % 8 != 0 || H % 16 != 0 || cfg->n_layers <= 0 || max_ctx == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "qwen2: unsupported shape (hidden %d, heads %d/%d, head_dim %d, layers %d)",
                   cfg->hidden_size, cfg->n_heads, cfg->n_kv_heads, cfg->head_dim, cfg->n_layers);
      return NULL;
    }
  self->q_dim = (guint) (cfg->n_heads * cfg->head_dim);
  self->kv_dim = (guint) (cfg->n_kv_heads * cfg->head_dim);
  /* Cache rows are bound one position at a time: keep them 64-byte aligned. */
  if (self->kv_dim % 16 != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "qwen2: KV width %u is not a multiple of 16", self->kv_dim);
      return NULL;
    }
  if (cfg->n_mrope > 0)
    for (guint i = 0; i < 3; i++)
      self->sections[i] = (guint) cfg->mrope_section[i];
  else
    self->sections[0] = (guint) cfg->head_dim / 2;
  if (self->sections[0] + self->sections[1] + self->sections[2] != (guint) cfg->head_dim / 2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "qwen2: mrope_section %u + %u + %u does not cover head_dim / 2 = %d",
                   self->sections[0], self->sections[1], self->sections[2], cfg->head_dim / 2);
      return NULL;
    }

  self->q8_block = options != NULL && options->q8 ? (options->q8_block ? options->q8_block : 32) : 0;
  self->use_q8 = self->q8_block > 0;
  if (self->q8_block % 16 != 0 || H % MAX (self->q8_block, 16) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "qwen2: 8-bit blocks of %u (a multiple of 16 dividing the hidden size %d)", self->q8_block,
                   cfg->hidden_size);
      return NULL;
    }
#define Q8(p) (self->q8_block ? (p) : NULL)
  self->norm = load (self, w, JG_DTYPE_F32, H, 0, error, "model.norm.weight");
  if (self->norm == NULL)
    return NULL;
  if ((self->embed = activation (self, JG_DTYPE_F16, V, H, 0, error)) == NULL)
    return NULL;
  if (cfg->tie_word_embeddings && jg_weights_lookup (w, "lm_head.weight") == NULL)
    {
      self->lm_head = self->embed;
      if (!q8_alloc (self, &self->head8, V, H, error)
          || !load_to (self, w, self->embed, Q8 (&self->head8), error, "model.embed_tokens.weight"))
        return NULL;
    }
  else if (!load_to (self, w, self->embed, NULL, error, "model.embed_tokens.weight")
           || (self->lm_head = activation (self, JG_DTYPE_F16, V, H, 0, error)) == NULL
           || !q8_alloc (self, &self->head8, V, H, error)
           || !load_to (self, w, self->lm_head, Q8 (&self->head8), error, "lm_head.weight"))
    return NULL;
  self->layers = g_new0 (Layer, cfg->n_layers);
  for (int l = 0; l < cfg->n_layers; l++)
    {
      Layer *L = &self->layers[l];
      const char *a = "self_attn", *m = "mlp";
      guint qkv_rows = self->q_dim + 2 * self->kv_dim;
      JgTensor views[5][2];
      JgQ8Weights vq = { 0 }, vk = { 0 }, vv = { 0 }, vg = { 0 }, vu = { 0 };
#define W(field, dtype, d0, d1, fmt, ...) \
      if ((L->field = load (self, w, dtype, d0, d1, error, "model.layers.%d." fmt, l, __VA_ARGS__)) == NULL) \
        return NULL
      W (ln1, JG_DTYPE_F32, H, 0, "%s.weight", "input_layernorm");
      W (q_b, JG_DTYPE_F32, self->q_dim, 0, "%s.q_proj.bias", a);
      W (k_b, JG_DTYPE_F32, self->kv_dim, 0, "%s.k_proj.bias", a);
      W (v_b, JG_DTYPE_F32, self->kv_dim, 0, "%s.v_proj.bias", a);
      W (ln2, JG_DTYPE_F32, H, 0, "%s.weight", "post_attention_layernorm");
#undef W
      if ((L->o_w = activation (self, JG_DTYPE_F16, H, self->q_dim, 0, error)) == NULL
          || !q8_alloc (self, &L->o8, H, self->q_dim, error)
          || !load_to (self, w, L->o_w, Q8 (&L->o8), error, "model.layers.%d.%s.o_proj.weight", l, a)
          || (L->down = activation (self, JG_DTYPE_F16, H, I, 0, error)) == NULL
          || !q8_alloc (self, &L->down8, H, I, error)
          || !load_to (self, w, L->down, Q8 (&L->down8), error, "model.layers.%d.%s.down_proj.weight", l, m)
          || (L->qkv_w = activation (self, JG_DTYPE_F16, qkv_rows, H, 0, error)) == NULL
          || (L->qkv_b = activation (self, JG_DTYPE_F32, 1, qkv_rows, 0, error)) == NULL
          || (L->gate_up = activation (self, JG_DTYPE_F16, 2 * I, H, 0, error)) == NULL
          || !q8_alloc (self, &L->qkv8, qkv_rows, H, error)
          || !q8_alloc (self, &L->gu8, 2 * I, H, error)
          || !jg_tensor_init_view (&L->q_w, L->qkv_w, 0, self->q_dim, error)
          || !jg_tensor_init_view (&L->k_w, L->qkv_w, self->q_dim, self->kv_dim, error)
          || !jg_tensor_init_view (&L->v_w, L->qkv_w, self->q_dim + self->kv_dim, self->kv_dim, error)
          || !jg_tensor_init_view (&L->gate, L->gate_up, 0, I, error)
          || !jg_tensor_init_view (&L->up, L->gate_up, I, I, error)
          || !q8_view (&vq, views[0], &L->qkv8, 0, self->q_dim, error)
          || !q8_view (&vk, views[1], &L->qkv8, self->q_dim, self->kv_dim, error)
          || !q8_view (&vv, views[2], &L->qkv8, self->q_dim + self->kv_dim, self->kv_dim, error)
          || !q8_view (&vg, views[3], &L->gu8, 0, I, error)
          || !q8_view (&vu, views[4], &L->gu8, I, I, error)
          || !load_to (self, w, &L->q_w, Q8 (&vq), error, "model.layers.%d.%s.q_proj.weight", l, a)
          || !load_to (self, w, &L->k_w, Q8 (&vk), error, "model.layers.%d.%s.k_proj.weight", l, a)
          || !load_to (self, w, &L->v_w, Q8 (&vv), error, "model.layers.%d.%s.v_proj.weight", l, a)
          || !load_to (self, w, &L->gate, Q8 (&vg), error, "model.layers.%d.%s.gate_proj.weight", l, m)
          || !load_to (self, w, &L->up, Q8 (&vu), error, "model.layers.%d.%s.up_proj.weight", l, m))
        return NULL;
      /* The biases side by side too, copied on the device. */
      {
        JgTensor *b[3] = { L->q_b, L->k_b, L->v_b };
        VkDeviceSize off = 0;
        for (guint i = 0; i < 3; i++)
          {
            if (!jg_vk_copy_now (ctx, b[i]->alloc.block->buffer, b[i]->alloc.offset + b[i]->view_offset,
                                 L->qkv_b->alloc.block->buffer,
                                 L->qkv_b->alloc.offset + L->qkv_b->view_offset + off, b[i]->nbytes, error))
              return NULL;
            off += b[i]->nbytes;
          }
      }
      if ((L->k_cache = activation (self, JG_DTYPE_F32, max_ctx, self->kv_dim, 0, error)) == NULL
          || (L->v_cache = activation (self, JG_DTYPE_F32, max_ctx, self->kv_dim, 0, error)) == NULL)
        return NULL;
    }

#undef Q8
  /* An adapter made for another model would otherwise load silently. */
  {
    g_autoptr(GPtrArray) unused = jg_weights_unused_lora (w);
    if (unused->len > 0)
      {
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "qwen2: the adapter has LoRA for %u module(s) this model does not use, e.g. %s",
                     unused->len, (const char *) g_ptr_array_index (unused, 0));
        return NULL;
      }
  }

  inv = g_new (float, cfg->head_dim / 2);
  jg_rope_inv_freq (cfg->rope_theta, (guint) cfg->head_dim, inv);
  if ((self->inv_freq = activation (self, JG_DTYPE_F32, 1, cfg->head_dim / 2, 0, error)) == NULL
      || !jg_tensor_upload_f32 (self->inv_freq, inv, error)
      || (self->x = activation (self, JG_DTYPE_F32, max_ctx, H, 0, error)) == NULL
      || (self->xn = activation (self, JG_DTYPE_F32, max_ctx, H, 0, error)) == NULL
      || (self->q = activation (self, JG_DTYPE_F32, max_ctx, self->q_dim, 0, error)) == NULL
      || (self->attn = activation (self, JG_DTYPE_F32, max_ctx, self->q_dim, 0, error)) == NULL
      || (self->g = activation (self, JG_DTYPE_F32, max_ctx, I, 0, error)) == NULL
      || (self->u = activation (self, JG_DTYPE_F32, max_ctx, I, 0, error)) == NULL
      || (self->logits = activation (self, JG_DTYPE_F32, 1, V, 0, error)) == NULL
      || (self->attn_parts = activation (self, JG_DTYPE_F32, 8 * 64 * (gint64) cfg->n_heads,
                                         cfg->head_dim + 2, 0, error)) == NULL
      || (self->ids = activation (self, JG_DTYPE_U32, max_ctx, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->pos = activation (self, JG_DTYPE_U32, 3 * (gint64) max_ctx, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->token = activation (self, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->uniform = activation (self, JG_DTYPE_F32, 1, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->step = activation (self, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->attn_counts = activation (self, JG_DTYPE_U32, cfg->n_heads, 1, 0, error)) == NULL
      || (self->argmax_scratch = activation (self, JG_DTYPE_U32, JG_ARGMAX_WIDE_SCRATCH, 1, 0, error)) == NULL
      || (self->bar = activation (self, JG_DTYPE_U32, 4, 1, 0, error)) == NULL
      || (self->bar_zeros = activation (self, JG_DTYPE_U32, 4, 1, 0, error)) == NULL
      || (self->fail = activation (self, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, error)) == NULL
      || (self->stack_table = activation (self, JG_DTYPE_U32, cfg->n_layers, JG_DECODE_STACK_WORDS, 0, error)) == NULL
      || (self->stack_g = activation (self, JG_DTYPE_F32, cfg->n_layers, I, 0, error)) == NULL
      || (self->graph = jg_vk_graph_new (ctx, error)) == NULL)
    return NULL;
  self->one = (Slot) { self->graph, self->ids, self->step, self->fail, self->logits, self->token, self->uniform };
  self->cur_logits = self->logits;
  self->graph_gen = 1;
  for (guint i = 0; i <= MAX_PIPELINE; i++)
    {
      Slot *sl = &self->ring[i];
      if ((sl->graph = jg_vk_graph_new (ctx, error)) == NULL
          || (sl->step = activation (self, JG_DTYPE_U32, 4, 1, JG_TENSOR_HOST, error)) == NULL
          || (sl->fail = activation (self, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, error)) == NULL
          || (sl->logits = activation (self, JG_DTYPE_F32, 1, V, 0, error)) == NULL
          || (sl->token = activation (self, JG_DTYPE_U32, 1, 1, JG_TENSOR_HOST, error)) == NULL
          || (sl->uniform = activation (self, JG_DTYPE_F32, 1, 1, JG_TENSOR_HOST, error)) == NULL)
        return NULL;
      *(guint32 *) jg_tensor_get_mapped (sl->fail) = 0;
      *(guint32 *) jg_tensor_get_mapped (sl->token) = 0;
    }
  if ((jg_vk_context_get_features (ctx) & JG_VK_FEATURE_COOPMAT)
      && ((self->xn16 = activation (self, JG_DTYPE_F16, max_ctx, H, 0, error)) == NULL
          || (self->g16 = activation (self, JG_DTYPE_F16, max_ctx, I, 0, error)) == NULL
          || (self->attn16 = activation (self, JG_DTYPE_F16, max_ctx, self->q_dim, 0, error)) == NULL))
    return NULL;
  {
    g_autofree guint32 *zeros = g_new0 (guint32, MAX (cfg->n_heads, JG_ARGMAX_WIDE_SCRATCH));
    if (!jg_tensor_upload_u32 (self->attn_counts, zeros, error)
        || !jg_tensor_upload_u32 (self->argmax_scratch, zeros, error)
        || !jg_tensor_upload_u32 (self->bar, zeros, error)
        || !jg_tensor_upload_u32 (self->bar_zeros, zeros, error))
      return NULL;
    *(guint32 *) jg_tensor_get_mapped (self->fail) = 0;
  }
  jg_qwen2_set_tuning (self, NULL);
  {
    const char *depth = g_getenv ("JAEGER_DECODE_PIPELINE");
    guint64 d = 2;
    if (depth != NULL && *depth != '\0'
        && (!g_ascii_string_to_unsigned (depth, 10, 0, MAX_PIPELINE, &d, NULL)))
      {
        g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                     "JAEGER_DECODE_PIPELINE: '%s' is not a number of steps in flight from 0 to %d", depth,
                     MAX_PIPELINE);
        return NULL;
      }
    jg_qwen2_set_pipeline (self, (guint) d);
  }
  {
    const char *path = g_getenv ("JAEGER_DECODE");
    if (path == NULL || *path == '\0')
      {
        /* The persistent step where the device says how many workgroups
         * stay resident (NVIDIA), all layers in one dispatch where the
         * device has buffer addresses; measured faster than the five
         * kernels per layer on an H100 (docs/PERFORMANCE.md). */
        self->replay = TRUE;
        jg_qwen2_set_persistent (self, JG_QWEN2_PERSISTENT_AUTO, 0);
        jg_qwen2_set_persistent_stack (self, TRUE);
      }
    else if (strcmp (path, "replay") == 0)
      self->replay = TRUE;
    else if (strcmp (path, "persistent") == 0 || strcmp (path, "stack") == 0)
      {
        self->replay = TRUE;
        if (jg_qwen2_set_persistent (self, JG_QWEN2_PERSISTENT_AUTO, 0) == 0)
          jg_qwen2_set_persistent (self, 1, 0);
        jg_qwen2_set_persistent_stack (self, path[0] == 's');
      }
    else if (strcmp (path, "percall") != 0)
      {
        g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                     "JAEGER_DECODE: unknown decode path '%s' (known: replay, persistent, stack, percall)", path);
        return NULL;
      }
  }
  {
    const char *path = g_getenv ("JAEGER_PREFILL");
    if (path != NULL && *path != '\0' && strcmp (path, "fused") != 0 && strcmp (path, "unfused") != 0)
      {
        g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                     "JAEGER_PREFILL: unknown prefill path '%s' (known: fused, unfused)", path);
        return NULL;
      }
    /* The q|k|v split needs q and k columns in whole 16-column fragments. */
    self->fused_ok = self->xn16 != NULL && self->q_dim % 16 == 0 && self->kv_dim % 16 == 0;
    self->fused = self->fused_ok && (path == NULL || strcmp (path, "unfused") != 0);
  }
  return g_steal_pointer (&self);
}

gboolean
jg_qwen2_set_fused_prefill (JgQwen2 *self, gboolean fused)
{
  self->fused = fused && self->fused_ok;
  return self->fused;
}

double
jg_qwen2_get_last_gpu_seconds (JgQwen2 *self)
{
  return self->last_gpu_s;
}

void
jg_qwen2_free (JgQwen2 *self)
{
  if (self == NULL)
    return;
  if (self->layers)
    for (int l = 0; l < self->cfg.n_layers; l++)
      {
        Layer *L = &self->layers[l];
        JgTensor **all[] = { &L->ln1, &L->q_b, &L->k_b, &L->v_b, &L->o_w, &L->ln2, &L->down,
                             &L->qkv_w, &L->qkv_b, &L->gate_up, &L->k_cache, &L->v_cache };
        for (guint i = 0; i < G_N_ELEMENTS (all); i++)
          g_clear_pointer (all[i], jg_tensor_free);
        q8_clear (&L->qkv8);
        q8_clear (&L->o8);
        q8_clear (&L->gu8);
        q8_clear (&L->down8);
      }
  g_free (self->layers);
  if (self->lm_head != self->embed)
    jg_tensor_free (self->lm_head);
  jg_tensor_free (self->embed);
  q8_clear (&self->head8);
  jg_tensor_free (self->norm);
  jg_tensor_free (self->inv_freq);
  jg_tensor_free (self->x);
  jg_tensor_free (self->xn);
  jg_tensor_free (self->xn16);
  jg_tensor_free (self->g16);
  jg_tensor_free (self->attn16);
  jg_tensor_free (self->q);
  jg_tensor_free (self->attn);
  jg_tensor_free (self->g);
  jg_tensor_free (self->u);
  jg_tensor_free (self->logits);
  jg_tensor_free (self->attn_parts);
  jg_tensor_free (self->ids);
  jg_tensor_free (self->pos);
  jg_tensor_free (self->token);
  jg_tensor_free (self->uniform);
  jg_tensor_free (self->step);
  jg_tensor_free (self->attn_counts);
  jg_tensor_free (self->argmax_scratch);
  jg_tensor_free (self->bar);
  jg_tensor_free (self->stack_table);
  jg_tensor_free (self->stack_g);
  jg_tensor_free (self->bar_zeros);
  jg_tensor_free (self->fail);
  jg_vk_graph_free (self->graph);
  for (guint i = 0; i <= MAX_PIPELINE; i++)
    {
      Slot *sl = &self->ring[i];
      jg_vk_graph_free (sl->graph);
      jg_tensor_free (sl->step);
      jg_tensor_free (sl->fail);
      jg_tensor_free (sl->logits);
      jg_tensor_free (sl->token);
      jg_tensor_free (sl->uniform);
    }
  g_free (self);
}

void
jg_qwen2_set_replay (JgQwen2 *self, gboolean replay)
{
  self->replay = replay;
}

void
jg_qwen2_set_tuning (JgQwen2 *self, const JgQwen2Tuning *tuning)
{
  /* The fastest whole decode step of bench-qwen2's sweep on an H100
   * (docs/PERFORMANCE.md): one row (pair) per workgroup throughout. */
  static const JgQwen2Tuning defaults = {
    .qkv = { 1, 128 }, .gate_up = { 1, 256 }, .head = { 2, 256 },
    .o = { JG_LINEAR_MATVEC, 1, 256 }, .down = { JG_LINEAR_MATVEC, 1, 256 },
  };

  self->tune = tuning ? *tuning : defaults;
  self->tune.o.path = self->tune.down.path = JG_LINEAR_MATVEC;
  self->graph_gen++;   /* recorded again at the next token */
}

guint
jg_qwen2_set_persistent (JgQwen2 *self, guint n_workgroups, guint threads)
{
  const JgQwen2Config *c = &self->cfg;
  guint n = n_workgroups == JG_QWEN2_PERSISTENT_AUTO ? jg_decode_layer_resident (self->ctx) : n_workgroups;
  guint staged = MAX ((guint) c->hidden_size, self->q_dim);
  guint32 max_shared = jg_vk_context_get_info (self->ctx)->max_shared_memory;
  guint th = threads ? threads : 512;

  /* What jg_op_decode_layer would refuse, refused here so that a model it
   * cannot take keeps the replayed kernels. */
  if (!(jg_vk_context_get_features (self->ctx) & JG_VK_FEATURE_SUBGROUP)
      || jg_vk_context_get_n_bindings (self->ctx) < 20 || c->head_dim % 8 != 0 || c->head_dim > 256
      || c->intermediate_size % 8 != 0 || (guint64) staged * 4 + 4 * th + 256 > max_shared)
    n = 0;
  if (n != self->persist_wg || th != self->persist_threads)
    self->graph_gen++;
  self->persist_wg = n;
  self->persist_threads = th;
  return n;
}

guint
jg_qwen2_get_persistent (JgQwen2 *self)
{
  return self->use_q8 ? 0 : self->persist_wg;
}

gboolean
jg_qwen2_set_persistent_stack (JgQwen2 *self, gboolean stack)
{
  stack = stack && (jg_vk_context_get_features (self->ctx) & JG_VK_FEATURE_DEVICE_ADDRESS) != 0;
  if (stack != self->persist_stack)
    self->graph_gen++;
  self->persist_stack = stack;
  return stack;
}

gboolean
jg_qwen2_get_persistent_stack (JgQwen2 *self)
{
  return jg_qwen2_get_persistent (self) > 0 && self->persist_stack;
}

void
jg_qwen2_set_persistent_split (JgQwen2 *self, guint ks_qkvo, guint ks_down, guint chunk, guint merge)
{
  self->persist_ks[0] = MIN (ks_qkvo, 8);
  self->persist_ks[1] = MIN (ks_down, 8);
  self->persist_chunk = chunk / 8 * 8;
  self->persist_merge = MIN (merge, 16);
  self->graph_gen++;
}

/* The layers' tensors as the persistent kernel takes them (x, q, attn and
 * g: the step's views). */
static void
decode_layer_of (JgQwen2 *self, const Slot *sl, int l, JgTensor *x, JgTensor *q, JgTensor *attn, JgTensor *g,
                 JgDecodeLayer *dl)
{
  Layer *L = &self->layers[l];

  *dl = (JgDecodeLayer) {
    .x = x, .ln1 = L->ln1, .qkv_w = L->qkv_w, .qkv_b = L->qkv_b, .inv_freq = self->inv_freq,
    .step = sl->step, .q = q, .k_cache = L->k_cache, .v_cache = L->v_cache, .parts = self->attn_parts,
    .counts = self->attn_counts, .attn = attn, .o_w = L->o_w, .ln2 = L->ln2, .gate_up = L->gate_up,
    .g = g, .down = L->down, .barrier = self->bar, .fail = sl->fail,
    .ks_qkvo = self->persist_ks[0], .ks_down = self->persist_ks[1], .chunk = self->persist_chunk,
    .merge = self->persist_merge,
  };
}

/* Writes the layers' addresses for the stacked step (outside a recording). */
static gboolean
write_stack_table (JgQwen2 *self, GError **error)
{
  int n = self->cfg.n_layers;
  g_autofree JgDecodeLayer *dl = g_new (JgDecodeLayer, n);
  g_autofree guint32 *words = g_new (guint32, (gsize) n * JG_DECODE_STACK_WORDS);

  for (int l = 0; l < n; l++)
    decode_layer_of (self, &self->one, l, self->x, self->q, self->attn, self->g, &dl[l]);
  return jg_decode_stack_table (dl, (guint) n, words, error) && jg_tensor_upload_u32 (self->stack_table, words, error);
}

gboolean
jg_qwen2_set_q8 (JgQwen2 *self, gboolean q8)
{
  if (q8 && self->q8_block == 0)
    return FALSE;
  if (q8 != self->use_q8)
    self->graph_gen++;
  self->use_q8 = q8;
  return TRUE;
}

void
jg_qwen2_reset (JgQwen2 *self)
{
  self->n_past = 0;
}

guint
jg_qwen2_get_n_past (JgQwen2 *self)
{
  return self->n_past;
}

/* Writes the step's ids and positions into host-visible memory. */
static gboolean
stage_inputs (JgQwen2 *self, const guint32 *ids, guint n, const guint32 *positions, GError **error)
{
  guint32 *id_map = jg_tensor_get_mapped (self->ids);
  guint32 *pos_map = jg_tensor_get_mapped (self->pos);

  if (n == 0 || self->n_past + n > self->max_ctx)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "qwen2: %u + %u tokens do not fit the context of %u", self->n_past, n, self->max_ctx);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (ids[i] >= (guint32) self->cfg.vocab_size)
      {
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "qwen2: token id %u is outside the vocabulary of %d", ids[i], self->cfg.vocab_size);
        return FALSE;
      }
  memcpy (id_map, ids, n * sizeof *ids);
  for (guint a = 0; a < 3; a++)
    for (guint i = 0; i < n; i++)
      pos_map[a * n + i] = positions ? positions[a * n + i] : self->n_past + i;
  return jg_tensor_init_view (&self->v_ids, self->ids, 0, n, error)
         && jg_tensor_init_view (&self->v_pos, self->pos, 0, 3 * (gint64) n, error);
}

/* Records the forward pass of n staged tokens, ending with the last
 * token's logits in self->logits. */
static gboolean
record_forward (JgQwen2 *self, guint n, GError **error)
{
  JgVkContext *ctx = self->ctx;
  const JgQwen2Config *c = &self->cfg;
  guint p0 = self->n_past;
  JgAttentionShape as = {
    .n_q = n, .n_kv = p0 + n, .q_pos0 = p0,
    .n_heads = (guint) c->n_heads, .n_kv_heads = (guint) c->n_kv_heads, .head_dim = (guint) c->head_dim,
    .causal = TRUE, .scale = 1.0f / sqrtf ((float) c->head_dim),
    /* Few queries (decode): split the keys so that every head fills SMs. */
    .split_scratch = n <= 8 ? self->attn_parts : NULL,
  };
  gboolean half = self->xn16 != NULL && n > 8;
  JgTensor *xn = half ? &self->v_xn16 : &self->v_xn, *g = half ? &self->v_g16 : &self->v_g;

  if (!jg_tensor_init_view (&self->v_x, self->x, 0, n, error)
      || !jg_tensor_init_view (&self->v_xn, self->xn, 0, n, error)
      || !jg_tensor_init_view (&self->v_q, self->q, 0, n, error)
      || !jg_tensor_init_view (&self->v_attn, self->attn, 0, n, error)
      || !jg_tensor_init_view (&self->v_g, self->g, 0, n, error)
      || !jg_tensor_init_view (&self->v_u, self->u, 0, n, error)
      || !jg_tensor_init_view (&self->v_last, self->x, n - 1, 1, error)
      || !jg_tensor_init_view (&self->v_last_n, self->xn, n - 1, 1, error))
    return FALSE;
  /* Many tokens: the matmuls take f16 inputs (see xn16). */
  if (half
      && (!jg_tensor_init_view (&self->v_xn16, self->xn16, 0, n, error)
          || !jg_tensor_init_view (&self->v_g16, self->g16, 0, n, error)))
    return FALSE;
  if (!jg_op_embed (ctx, &self->v_x, self->embed, &self->v_ids, error))
    return FALSE;
  if (half && self->fused)
    {
      JgLinearOptions split = { .path = JG_LINEAR_COOPMAT, .scratch = &self->v_g };
      /* Only the tensor-core attention (head_dim 64, 128) writes f16. */
      gboolean attn_half = c->head_dim == 64 || c->head_dim == 128;
      JgTensor *attn = attn_half ? &self->v_attn16 : &self->v_attn;
      if (!jg_tensor_init_view (&self->v_attn16, self->attn16, 0, n, error))
        return FALSE;
      for (int l = 0; l < c->n_layers; l++)
        {
          Layer *L = &self->layers[l];
          if (!jg_tensor_init_view (&self->v_k, L->k_cache, p0, n, error)
              || !jg_tensor_init_view (&self->v_v, L->v_cache, p0, n, error)
              || !jg_op_rmsnorm (ctx, xn, &self->v_x, L->ln1, (float) c->rms_norm_eps, error)
              || !jg_op_linear_qkv (ctx, &self->v_q, &self->v_k, &self->v_v, xn, L->qkv_w, L->qkv_b, NULL, error)
              || !jg_op_rope (ctx, &self->v_q, as.n_heads, as.head_dim, &self->v_pos, self->inv_freq,
                              self->sections, error)
              || !jg_op_rope (ctx, &self->v_k, as.n_kv_heads, as.head_dim, &self->v_pos, self->inv_freq,
                              self->sections, error)
              || !jg_op_attention (ctx, attn, &self->v_q, L->k_cache, L->v_cache, &as, error)
              || !jg_op_linear_ex (ctx, &self->v_x, attn, L->o_w, NULL, TRUE, &split, error)
              || !jg_op_rmsnorm (ctx, xn, &self->v_x, L->ln2, (float) c->rms_norm_eps, error)
              || !jg_op_linear_swiglu (ctx, g, xn, L->gate_up, NULL, error)
              || !jg_op_linear_ex (ctx, &self->v_x, g, L->down, NULL, TRUE, &split, error))
            return FALSE;
        }
    }
  for (int l = 0; !(half && self->fused) && l < c->n_layers; l++)
    {
      Layer *L = &self->layers[l];
      /* New keys and values go straight into the cache rows p0.. */
      if (!jg_tensor_init_view (&self->v_k, L->k_cache, p0, n, error)
          || !jg_tensor_init_view (&self->v_v, L->v_cache, p0, n, error)
          || !jg_op_rmsnorm (ctx, xn, &self->v_x, L->ln1, (float) c->rms_norm_eps, error)
          || !jg_op_linear (ctx, &self->v_q, xn, &L->q_w, L->q_b, FALSE, error)
          || !jg_op_linear (ctx, &self->v_k, xn, &L->k_w, L->k_b, FALSE, error)
          || !jg_op_linear (ctx, &self->v_v, xn, &L->v_w, L->v_b, FALSE, error)
          || !jg_op_rope (ctx, &self->v_q, as.n_heads, as.head_dim, &self->v_pos, self->inv_freq,
                          self->sections, error)
          || !jg_op_rope (ctx, &self->v_k, as.n_kv_heads, as.head_dim, &self->v_pos, self->inv_freq,
                          self->sections, error)
          || !jg_op_attention (ctx, &self->v_attn, &self->v_q, L->k_cache, L->v_cache, &as, error)
          /* o_proj adds onto the residual stream; so does down_proj. */
          || !jg_op_linear (ctx, &self->v_x, &self->v_attn, L->o_w, NULL, TRUE, error)
          || !jg_op_rmsnorm (ctx, xn, &self->v_x, L->ln2, (float) c->rms_norm_eps, error)
          || !jg_op_linear (ctx, &self->v_g, xn, &L->gate, NULL, FALSE, error)
          || !jg_op_linear (ctx, &self->v_u, xn, &L->up, NULL, FALSE, error)
          || !jg_op_swiglu (ctx, g, &self->v_g, &self->v_u, error)
          || !jg_op_linear (ctx, &self->v_x, g, L->down, NULL, TRUE, error))
        return FALSE;
    }
  return jg_op_rmsnorm (ctx, &self->v_last_n, &self->v_last, self->norm, (float) c->rms_norm_eps, error)
         && jg_op_linear (ctx, self->logits, &self->v_last_n, self->lm_head, NULL, FALSE, error);
}

/* Records the choice of the next token from self->logits. */
static gboolean
record_pick (JgQwen2 *self, const Slot *sl, const JgGenerateOptions *pick, GError **error)
{
  if (pick == NULL)
    return TRUE;
  if (pick->temperature <= 0.0f)
    return jg_op_argmax_wide (self->ctx, sl->token, sl->logits, self->argmax_scratch, error);
  return jg_op_sample (self->ctx, sl->token, sl->logits, sl->uniform,
                       pick->top_k ? pick->top_k : 40, pick->top_p > 0 ? pick->top_p : 1.0f,
                       pick->temperature, error);
}

/* Records the forward pass of one token for replay: every kernel reads
 * the token id (ids[0]), its positions and its cache row (step) from
 * host-visible buffers written before each run, so the recording serves
 * every position. RMSNorm is folded into the products that follow it,
 * RoPE and the cache writes into the q/k/v product, SwiGLU into the
 * gate/up product: five dependent kernels per layer (six with the
 * attention's combine pass). */
static gboolean
record_decode (JgQwen2 *self, const Slot *sl, GError **error)
{
  JgVkContext *ctx = self->ctx;
  const JgQwen2Config *c = &self->cfg;
  float eps = (float) c->rms_norm_eps;
  JgTensor x, q, attn, g, ids;
  JgAttentionShape as = {
    .n_heads = (guint) c->n_heads, .n_kv_heads = (guint) c->n_kv_heads, .head_dim = (guint) c->head_dim,
    .scale = 1.0f / sqrtf ((float) c->head_dim), .split_scratch = self->attn_parts,
  };
  JgQkvShape qs = {
    .n_heads = as.n_heads, .n_kv_heads = as.n_kv_heads, .head_dim = as.head_dim,
    .sections = { self->sections[0], self->sections[1], self->sections[2] }, .eps = eps,
  };

  /* Descriptors keep the buffers and offsets, so stack views will do. */
  if (!jg_tensor_init_view (&x, self->x, 0, 1, error) || !jg_tensor_init_view (&q, self->q, 0, 1, error)
      || !jg_tensor_init_view (&attn, self->attn, 0, 1, error)
      || !jg_tensor_init_view (&g, self->g, 0, 1, error) || !jg_tensor_init_view (&ids, sl->ids, 0, 1, error)
      || !jg_op_embed (ctx, &x, self->embed, &ids, error))
    return FALSE;
  for (int l = 0; l < c->n_layers && self->use_q8; l++)
    {
      Layer *L = &self->layers[l];
      const JgDecodeTuning o = { self->tune.o.matvec_rows, self->tune.o.matvec_wg };
      const JgDecodeTuning down = { self->tune.down.matvec_rows, self->tune.down.matvec_wg };
      if (!jg_op_norm_qkv_rope_q8 (ctx, &q, L->k_cache, L->v_cache, &x, L->ln1, &L->qkv8, L->qkv_b, sl->step,
                                   self->inv_freq, &qs, &self->tune.qkv, error)
          || !jg_op_attention_decode (ctx, &attn, &q, L->k_cache, L->v_cache, sl->step, self->attn_counts, &as,
                                      error)
          || !jg_op_norm_linear_q8 (ctx, &x, &attn, NULL, 0, &L->o8, NULL, TRUE, &o, error)
          || !jg_op_norm_swiglu_q8 (ctx, &g, &x, L->ln2, eps, &L->gu8, &self->tune.gate_up, error)
          || !jg_op_norm_linear_q8 (ctx, &x, &g, NULL, 0, &L->down8, NULL, TRUE, &down, error))
        return FALSE;
    }
  if (self->use_q8)
    return jg_op_norm_linear_q8 (ctx, sl->logits, &x, self->norm, eps, &self->head8, NULL, FALSE,
                                 &self->tune.head, error);
  /* The persistent layers' grid barrier counts from zero in every step. */
  if (self->persist_wg > 0 && !jg_op_copy (ctx, self->bar, self->bar_zeros, error))
    return FALSE;
  if (self->persist_wg > 0 && self->persist_stack)
    {
      JgDecodeLayer dl;
      decode_layer_of (self, sl, 0, &x, &q, &attn, self->stack_g, &dl);
      if (!jg_op_decode_stack (ctx, &dl, self->stack_table, (guint) c->n_layers, &qs, as.scale, self->persist_wg,
                               self->persist_threads, error))
        return FALSE;
    }
  for (int l = 0; l < c->n_layers && self->persist_wg > 0 && !self->persist_stack; l++)
    {
      JgDecodeLayer dl;
      decode_layer_of (self, sl, l, &x, &q, &attn, &g, &dl);
      if (!jg_op_decode_layer (ctx, &dl, &qs, as.scale, self->persist_wg, self->persist_threads, error))
        return FALSE;
    }
  for (int l = 0; l < c->n_layers && self->persist_wg == 0; l++)
    {
      Layer *L = &self->layers[l];
      if (!jg_op_norm_qkv_rope (ctx, &q, L->k_cache, L->v_cache, &x, L->ln1, L->qkv_w, L->qkv_b, sl->step,
                                self->inv_freq, &qs, &self->tune.qkv, error)
          || !jg_op_attention_decode (ctx, &attn, &q, L->k_cache, L->v_cache, sl->step, self->attn_counts, &as,
                                      error)
          || !jg_op_linear_ex (ctx, &x, &attn, L->o_w, NULL, TRUE, &self->tune.o, error)
          || !jg_op_norm_swiglu (ctx, &g, &x, L->ln2, eps, L->gate_up, &self->tune.gate_up, error)
          || !jg_op_linear_ex (ctx, &x, &g, L->down, NULL, TRUE, &self->tune.down, error))
        return FALSE;
    }
  return jg_op_norm_linear (ctx, sl->logits, &x, self->norm, eps, self->lm_head, NULL, FALSE, &self->tune.head,
                            error);
}

static PickKey
pick_key (const JgGenerateOptions *pick)
{
  PickKey k = { .pick = pick != NULL };

  if (pick != NULL && pick->temperature > 0.0f)
    {
      k.sample = TRUE;
      k.top_k = pick->top_k;
      k.top_p = pick->top_p;
      k.temperature = pick->temperature;
    }
  return k;
}

/* Records slot @sl's step unless its recording is current (the way of
 * picking the token, tuning and paths unchanged). Nothing may be in
 * flight: the stacked kernel's table is uploaded first. */
static gboolean
ensure_recorded (JgQwen2 *self, Slot *sl, const JgGenerateOptions *pick, GError **error)
{
  PickKey key = pick_key (pick);
  gboolean ok;

  if (jg_vk_graph_is_ready (sl->graph) && sl->gen == self->graph_gen && memcmp (&key, &sl->key, sizeof key) == 0)
    return TRUE;
  if (self->persist_wg > 0 && self->persist_stack && !self->use_q8 && !write_stack_table (self, error))
    return FALSE;
  jg_vk_graph_begin (self->ctx, sl->graph);
  jg_vk_mark_start (self->ctx);
  ok = record_decode (self, sl, error) && record_pick (self, sl, pick, error);
  jg_vk_mark_end (self->ctx);
  /* End even after a recording error, so the context is usable again. */
  if (!jg_vk_graph_end (self->ctx, ok ? error : NULL) || !ok)
    return FALSE;
  sl->key = key;
  sl->gen = self->graph_gen;
  return TRUE;
}

/* Whether @sl's persistent kernel failed (a grid barrier gave up, the
 * workgroups were not all resident, or it met another subgroup size: its
 * results are garbage). Then the persistent path is turned off for good,
 * every recording made stale and every failure flag cleared; the caller
 * decodes the token again with the replayed kernels, which rewrite the
 * same cache rows. Nothing may be in flight. */
static gboolean
persistent_failed (JgQwen2 *self, Slot *sl, GError **error)
{
  guint32 *fail = jg_tensor_get_mapped (sl->fail);
  guint32 zeros[4] = { 0 };

  if (self->persist_wg == 0 || self->use_q8 || *fail == 0)
    return FALSE;
  g_printerr ("jaeger: the persistent decode kernel failed (%s) with %u workgroups; "
              "decoding with the replayed kernels from now on\n",
              *fail == 2 ? "subgroup size" : "grid barrier timed out", self->persist_wg);
  *(guint32 *) jg_tensor_get_mapped (self->one.fail) = 0;
  for (guint i = 0; i <= MAX_PIPELINE; i++)
    *(guint32 *) jg_tensor_get_mapped (self->ring[i].fail) = 0;
  self->persist_wg = 0;
  self->graph_gen++;
  /* An upload error here surfaces when the token is decoded again. */
  jg_tensor_upload_u32 (self->bar, zeros, error);
  return TRUE;
}

/* One token through the recorded step, unpipelined: per token, the CPU
 * writes five numbers, submits and waits. */
static gboolean
run_decode (JgQwen2 *self, const guint32 *id, const guint32 *positions, const JgGenerateOptions *pick,
            GRand *rand, GError **error)
{
  guint32 *step = jg_tensor_get_mapped (self->step);
  const guint32 *pos = jg_tensor_get_mapped (self->pos);
  gboolean sample = pick_key (pick).sample;
  float u = sample ? (float) g_rand_double (rand) : 0.0f;

  if (!stage_inputs (self, id, 1, positions, error))
    return FALSE;
  step[0] = pos[0];
  step[1] = pos[1];
  step[2] = pos[2];
  step[3] = self->n_past;
  *(float *) jg_tensor_get_mapped (self->uniform) = u;
  for (;;)
    {
      if (!ensure_recorded (self, &self->one, pick, error)
          || !jg_vk_graph_run (self->ctx, self->graph, error))
        return FALSE;
      if (!persistent_failed (self, &self->one, error))
        break;
      if (error != NULL && *error != NULL)
        return FALSE;
    }
  self->last_gpu_s = jg_vk_marked_ns (self->ctx) * 1e-9;
  self->cur_logits = self->logits;
  self->n_past++;
  return TRUE;
}

/* Records, runs and waits for one step; the cache then holds n more tokens. */
static gboolean
run_step (JgQwen2 *self, const guint32 *ids, guint n, const guint32 *positions,
          const JgGenerateOptions *pick, GRand *rand, GError **error)
{
  gboolean ok;

  if (n == 1 && self->replay)
    return run_decode (self, ids, positions, pick, rand, error);
  if (!stage_inputs (self, ids, n, positions, error))
    return FALSE;
  jg_vk_begin (self->ctx);
  jg_vk_mark_start (self->ctx);
  ok = record_forward (self, n, error);
  if (ok && pick != NULL && pick->temperature > 0.0f)
    *(float *) jg_tensor_get_mapped (self->uniform) = (float) g_rand_double (rand);
  ok = ok && record_pick (self, &self->one, pick, error);
  jg_vk_mark_end (self->ctx);
  /* Submit even after a recording error, so the context is usable again. */
  if (!jg_vk_submit (self->ctx, ok ? error : NULL) || !ok)
    return FALSE;
  self->last_gpu_s = jg_vk_marked_ns (self->ctx) * 1e-9;
  self->cur_logits = self->logits;
  self->n_past += n;
  return TRUE;
}

gboolean
jg_qwen2_forward (JgQwen2 *self, const guint32 *ids, guint n, const guint32 *positions, float *logits,
                  GError **error)
{
  if (!run_step (self, ids, n, positions, NULL, NULL, error))
    return FALSE;
  return logits == NULL || jg_tensor_download_f32 (self->logits, logits, error);
}

gboolean
jg_qwen2_get_logits (JgQwen2 *self, float *logits, GError **error)
{
  return jg_tensor_download_f32 (self->cur_logits, logits, error);
}

static gboolean
is_stop (const JgGenerateOptions *o, guint32 t)
{
  for (guint i = 0; i < o->n_stop; i++)
    if (o->stop[i] == t)
      return TRUE;
  return FALSE;
}

/* Pipelined decoding: the state of one generate call. Step i embeds the
 * (i+1)-th generated token at cache row base + i and picks the next; it
 * runs in ring slot i % n_slots. Steps [consumed, submitted) are in
 * flight. */
typedef struct {
  const JgGenerateOptions *o;
  GRand *rand;
  guint n_slots, base, limit;     /* limit: steps that may ever be needed */
  guint submitted, consumed, drawn;
  guint restart;                  /* the step whose input token the host writes */
  guint32 restart_token;
  float u[MAX_PIPELINE + 1];      /* the sampler's numbers of steps [drawn - n_slots, drawn) */
} Pipe;

static gboolean
pipe_submit (JgQwen2 *self, Pipe *p, GError **error)
{
  guint i = p->submitted;
  Slot *sl = &self->ring[i % p->n_slots];
  guint32 *step = jg_tensor_get_mapped (sl->step);

  /* One number per step, drawn in step order as the unpipelined loop
   * does; a step submitted again (after a fallback) keeps its number. */
  if (i == p->drawn)
    {
      p->u[i % p->n_slots] = pick_key (p->o).sample ? (float) g_rand_double (p->rand) : 0.0f;
      p->drawn++;
    }
  if (i == p->restart)
    *(guint32 *) jg_tensor_get_mapped (self->ring[(i + p->n_slots - 1) % p->n_slots].token) = p->restart_token;
  step[0] = step[1] = step[2] = step[3] = p->base + i;
  *(float *) jg_tensor_get_mapped (sl->uniform) = p->u[i % p->n_slots];
  if (!jg_vk_graph_submit (self->ctx, sl->graph, error))
    return FALSE;
  p->submitted++;
  return TRUE;
}

/* Waits for every step in flight; their results are dropped. */
static gboolean
pipe_drain (JgQwen2 *self, Pipe *p, GError **error)
{
  gboolean ok = TRUE;

  for (guint i = p->consumed; i < p->submitted; i++)
    ok = jg_vk_graph_wait (self->ctx, self->ring[i % p->n_slots].graph, ok ? error : NULL) && ok;
  p->submitted = p->consumed;
  return ok;
}

/* Makes sure step p->consumed is submitted (with up to depth steps after
 * it in flight), waits for it and returns its token; the model then holds
 * one more token. Should the persistent kernel fail in it, the steps after
 * it are dropped and it runs again with the replayed kernels. */
static gboolean
pipe_next (JgQwen2 *self, Pipe *p, guint32 input, guint32 *token, GError **error)
{
  for (;;)
    {
      Slot *sl = &self->ring[p->consumed % p->n_slots];
      /* The slot of the last consumed step keeps its logits for
       * jg_qwen2_get_logits: at most n_slots - 1 steps in flight. */
      while (p->submitted < p->limit && p->submitted < p->consumed + p->n_slots - 1)
        if (!pipe_submit (self, p, error))
          return FALSE;
      if (!jg_vk_graph_wait (self->ctx, sl->graph, error))
        return FALSE;
      self->last_gpu_s = jg_vk_marked_ns (self->ctx) * 1e-9;
      if (self->persist_wg > 0 && !self->use_q8 && *(guint32 *) jg_tensor_get_mapped (sl->fail) != 0)
        {
          p->consumed++;        /* drain the steps after it, then run it again */
          if (!pipe_drain (self, p, error))
            return FALSE;
          p->consumed--;
          p->submitted = p->consumed;
          persistent_failed (self, sl, error);
          if (error != NULL && *error != NULL)
            return FALSE;
          p->restart = p->consumed;
          p->restart_token = input;
          for (guint i = 0; i < p->n_slots; i++)
            if (!ensure_recorded (self, &self->ring[i], p->o, error))
              return FALSE;
          continue;
        }
      *token = *(const guint32 *) jg_tensor_get_mapped (sl->token);
      self->cur_logits = sl->logits;
      self->n_past++;
      p->consumed++;
      return TRUE;
    }
}

gboolean
jg_qwen2_generate (JgQwen2 *self, const guint32 *prompt, guint n_prompt, const JgGenerateOptions *o,
                   JgTokenFunc callback, gpointer user_data, GCancellable *cancel, JgGenerateStats *stats,
                   GError **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) (o->seed ^ (o->seed >> 32)));
  JgGenerateStats st = { .n_prompt = n_prompt };
  gint64 t0, t1;
  guint32 tok;
  gboolean ok = TRUE, pipelined = FALSE;
  Pipe pipe;

  if (o->top_k > JG_SAMPLE_MAX_K)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "top-k %u is above %d", o->top_k, JG_SAMPLE_MAX_K);
      return FALSE;
    }
  t0 = g_get_monotonic_time ();
  if (!run_step (self, prompt, n_prompt, NULL, o, rand, error))
    return FALSE;
  t1 = g_get_monotonic_time ();
  st.prefill_s = (t1 - t0) * 1e-6;
  st.prefill_gpu_s = self->last_gpu_s;
  tok = *(const guint32 *) jg_tensor_get_mapped (self->token);
  if (self->replay && self->depth >= 2)
    {
      /* Step i may run only where the unpipelined loop would run it: at
       * most max_tokens - 1 steps, and only inside the context. */
      pipe = (Pipe) {
        .o = o, .rand = rand, .n_slots = self->depth + 1, .base = self->n_past,
        .limit = MIN (o->max_tokens > 1 ? o->max_tokens - 1 : 0, self->max_ctx - self->n_past),
        .restart_token = tok,
      };
      for (guint i = 0; i < pipe.n_slots; i++)
        if (!ensure_recorded (self, &self->ring[i], o, error))
          return FALSE;
      pipelined = TRUE;
    }
  for (;;)
    {
      if (is_stop (o, tok))
        {
          st.stopped = TRUE;
          break;
        }
      st.n_generated++;
      if (callback != NULL && !callback (tok, user_data))
        break;
      if (st.n_generated >= o->max_tokens || self->n_past >= self->max_ctx)
        break;
      if (g_cancellable_is_cancelled (cancel))
        {
          st.cancelled = TRUE;
          break;
        }
      if (pipelined)
        ok = pipe_next (self, &pipe, tok, &tok, error);
      else if ((ok = run_step (self, &tok, 1, NULL, o, rand, error)))
        tok = *(const guint32 *) jg_tensor_get_mapped (self->token);
      if (!ok)
        break;
      st.decode_gpu_s += self->last_gpu_s;
    }
  /* Steps submitted past the end are dropped: their cache rows lie beyond
   * n_past and are written again by whatever comes next. */
  if (pipelined && !pipe_drain (self, &pipe, ok ? error : NULL))
    ok = FALSE;
  st.decode_s = (g_get_monotonic_time () - t1) * 1e-6;
  if (stats != NULL)
    *stats = st;
  return ok;
}

guint
jg_qwen2_set_pipeline (JgQwen2 *self, guint depth)
{
  self->depth = depth >= 2 ? MIN (depth, MAX_PIPELINE) : 0;
  /* Each slot embeds the token of the slot before it in a ring of depth + 1. */
  for (guint i = 0; i <= MAX_PIPELINE; i++)
    self->ring[i].ids = self->ring[(i + self->depth) % (self->depth + 1)].token;
  self->graph_gen++;
  return self->depth;
}

guint
jg_qwen2_get_pipeline (JgQwen2 *self)
{
  return self->depth;
}
