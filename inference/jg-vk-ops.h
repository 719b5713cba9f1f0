/* jg-vk-ops.h: the compute ops of the inference engine. Each records one
 * or a few dispatches (into the current recording, or runs at once). All
 * activations are f32 and contiguous, row-major; weights are f16 or f32.
 * Shapes are checked; a mismatch is a JG_ERROR_INVALID_DATA naming the op. */
#pragma once

#include "inference/jg-tensor.h"
#include "inference/jg-q8.h"

G_BEGIN_DECLS

typedef enum {
  JG_LINEAR_AUTO,      /* matvec for up to 8 rows of x, else coopmat if on, else tiled */
  JG_LINEAR_MATVEC,    /* one pass over the weights for up to 8 rows of x */
  JG_LINEAR_TILED,     /* shared-memory tiles, scalar FMA */
  JG_LINEAR_COOPMAT,   /* VK_NV_cooperative_matrix (f16 weights only) */
} JgLinearPath;

typedef struct {
  JgLinearPath path;
  guint matvec_rows;   /* weight rows per workgroup (0: default) */
  guint matvec_wg;     /* threads per workgroup (0: default) */
  guint coopmat_tile;  /* 0: chosen by shape, else 1 + an index of jg_linear_coopmat_tiles */
  /* Cooperative-matrix path: split k over split_k slices (partial products
   * in scratch, then a summing pass) so that shapes with few output tiles
   * fill the GPU. 0 with a scratch: chosen by shape; 1: never. scratch is
   * f32 with room for split_k * n * m values (fewer slices if short). */
  guint split_k;
  JgTensor *scratch;
  /* Cooperative-matrix path: launch the workgroups features-fastest (the
   * plain order, as before) instead of token blocks first; benches. */
  gboolean plain_order;
  /* Benches only: a diagnostic build of the tile's shader (matmul_cm.comp's
   * DIAG, e.g. "diag1"), whose results are wrong by design. */
  const char *bench_variant;
} JgLinearOptions;

/* The cooperative-matrix matmul's workgroup tiles: tokens x features per
 * workgroup, threads, shared-memory stages (for benches and tests). */
typedef struct {
  const char *name;
  guint bn, bm, threads, stages;
} JgCoopmatTile;
const JgCoopmatTile *jg_linear_coopmat_tiles (guint *n_tiles);
/* The tile (1 + index) the cooperative-matrix path picks for n x m outputs. */
guint jg_linear_coopmat_pick (JgVkContext *ctx, gint64 n, gint64 m);

/* y[n][m] = x[n][k] w[m][k]^T (+ bias[m]) (+ y[n][m] if accumulate). k must
 * be a multiple of 8. bias may be NULL. x is f32, or f16 on the
 * cooperative-matrix path (which rounds f32 activations to f16 anyway, so
 * an op before it can write f16 and halve what the matmul reads). */
gboolean jg_op_linear (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *w, JgTensor *bias,
                       gboolean accumulate, GError **error);
gboolean jg_op_linear_ex (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *w, JgTensor *bias,
                          gboolean accumulate, const JgLinearOptions *options, GError **error);

/* Prefill forms of the cooperative-matrix matmul with fused epilogues
 * (f16 x, f16 weights; JG_ERROR_UNSUPPORTED without cooperative matrices).
 * options may be NULL or force a tile (split_k is ignored).
 * out [n][I] (f16) = silu(g) * u where [g; u] = x w^T, w = [gate; up] of [2I][k]. */
gboolean jg_op_linear_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *w,
                              const JgLinearOptions *options, GError **error);
/* [q | k | v] = x w^T + bias with w of [mq + mk + mv][k]: columns go to q
 * [n][mq], k [n][mk] and v [n][mv] (e.g. the cache rows); mq and mq + mk
 * must be multiples of 16. bias may be NULL. */
gboolean jg_op_linear_qkv (JgVkContext *ctx, JgTensor *q, JgTensor *k, JgTensor *v, JgTensor *x,
                           JgTensor *w, JgTensor *bias, const JgLinearOptions *options, GError **error);

/* Rows of x (last dimension n): RMSNorm with weight (may be NULL), LayerNorm
 * with weight and bias (either may be NULL). y may be x. RMSNorm's y may be
 * f16 (16-bit storage): the input of a cooperative-matrix linear. */
gboolean jg_op_rmsnorm (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *weight, float eps,
                        GError **error);
gboolean jg_op_layernorm (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *weight,
                          JgTensor *bias, float eps, GError **error);

/* Rotary embedding in place on x [n_tok][n_heads * head_dim]. pos is u32
 * [3][n_tok] (temporal, height, width); sections[3] split the head_dim/2
 * frequencies between the axes ({head_dim/2, 0, 0} is plain RoPE, Qwen2.5-
 * Omni uses {16, 24, 24}). inv_freq is f32 [head_dim/2] (jg_rope_inv_freq). */
gboolean jg_op_rope (JgVkContext *ctx, JgTensor *x, guint n_heads, guint head_dim, JgTensor *pos,
                     JgTensor *inv_freq, const guint sections[3], GError **error);
void     jg_rope_inv_freq (double theta, guint head_dim, float *out);

/* o [n_q][n_heads * head_dim] = softmax(q k^T * scale) v over the first
 * n_kv rows of k, v [>= n_kv][n_kv_heads * head_dim]; causal: query i is at
 * position q_pos0 + i and sees keys up to there. */
typedef struct {
  guint n_q, n_kv, q_pos0;
  guint n_heads, n_kv_heads, head_dim;
  gboolean causal;
  float scale;
  /* Optional f32 scratch for splitting long key ranges over several
   * workgroups per head (flash-decoding, for few queries): room for
   * n_q * n_heads * splits * (head_dim + 2) values; up to 64 splits. */
  JgTensor *split_scratch;
  /* Many queries (prefill) on a device with cooperative matrices and
   * head_dim 64 or 128 take the tensor-core kernel (attention_cm.comp)
   * unless this is set; it forces one workgroup per query (tests, benches).
   * Only that kernel may write an f16 o (for the o projection to read). */
  gboolean scalar;
  /* The tensor-core kernel in two passes over the keys, as with
   * JAEGER_VK_DISABLE=attn1pass (benches compare). */
  gboolean cm_two_pass;
} JgAttentionShape;

gboolean jg_op_attention (JgVkContext *ctx, JgTensor *o, JgTensor *q, JgTensor *k, JgTensor *v,
                          const JgAttentionShape *shape, GError **error);

/* Elementwise: out = a + b, a * b (b's size must divide a's: it repeats),
 * silu(gate) * up, gelu(a) (erf), silu(a). out may be a. SwiGLU's out may
 * be f16, as RMSNorm's. */
gboolean jg_op_add (JgVkContext *ctx, JgTensor *out, JgTensor *a, JgTensor *b, GError **error);
gboolean jg_op_mul (JgVkContext *ctx, JgTensor *out, JgTensor *a, JgTensor *b, GError **error);
gboolean jg_op_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *gate, JgTensor *up, GError **error);
gboolean jg_op_gelu (JgVkContext *ctx, JgTensor *out, JgTensor *a, GError **error);
gboolean jg_op_silu (JgVkContext *ctx, JgTensor *out, JgTensor *a, GError **error);

/* out [n_ids][dim] = table [vocab][dim] rows at ids (u32 [n_ids]); ids
 * outside the table give zero rows. */
gboolean jg_op_embed (JgVkContext *ctx, JgTensor *out, JgTensor *table, JgTensor *ids, GError **error);

/* Rows: softmax(x * scale); argmax (u32 per row); top-k/top-p sampling
 * (k <= 64) with one uniform number in [0, 1) per row (f32 tensor u). */
gboolean jg_op_softmax (JgVkContext *ctx, JgTensor *y, JgTensor *x, float scale, GError **error);
gboolean jg_op_argmax (JgVkContext *ctx, JgTensor *out, JgTensor *x, GError **error);
#define JG_SAMPLE_MAX_K 64
gboolean jg_op_sample (JgVkContext *ctx, JgTensor *out, JgTensor *logits, JgTensor *u, guint k,
                       float top_p, float temperature, GError **error);

/* dst = src (same byte size, a multiple of 16): the bandwidth yardstick. */
gboolean jg_op_copy (JgVkContext *ctx, JgTensor *dst, JgTensor *src, GError **error);

/* ---- Decode: one token, recorded once and replayed (jg-qwen2.c) ----
 * RMSNorm is folded into the matrix-vector products: each workgroup sums
 * x^2 over the x it multiplies and scales its dot products by 1/rms, so
 * xn = x / sqrt(mean(x^2) + eps) * norm_w is never written. Weights are
 * f16 [m][k] (k a multiple of 8), x is one f32 row of k. What changes from
 * token to token is read from step, a u32 [4] tensor: the three rotary
 * positions (temporal, height, width) and the cache row of the new token
 * (the attention then sees rows 0..step[3]). */
typedef struct {
  guint rows;          /* rows (or row pairs) per workgroup; 0: 1 */
  guint wg;            /* threads per workgroup, a power of two; 0: 128 */
} JgDecodeTuning;

/* y [m] = W xn (+ bias) (+ y if accumulate); norm_w NULL: y = W x. */
gboolean jg_op_norm_linear (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *norm_w, float eps,
                            JgTensor *w, JgTensor *bias, gboolean accumulate, const JgDecodeTuning *tune,
                            GError **error);
/* out [I] = silu(g) * u where [g; u] = W xn, W = [gate; up] of [2I][k]. */
gboolean jg_op_norm_swiglu (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *norm_w, float eps,
                            JgTensor *w, const JgDecodeTuning *tune, GError **error);

typedef struct {
  guint n_heads, n_kv_heads, head_dim;
  guint sections[3];   /* rotary sections, as jg_op_rope */
  float eps;
} JgQkvShape;

/* [q; k; v] = W xn + bias with W = [q; k; v] of [(n_heads + 2 n_kv_heads)
 * head_dim][k]; RoPE at positions step[0..2] on q and k; q goes to q
 * [n_heads head_dim], k and v to row step[3] of k_cache and v_cache
 * ([rows][n_kv_heads head_dim]). inv_freq as for jg_op_rope. */
gboolean jg_op_norm_qkv_rope (JgVkContext *ctx, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache,
                              JgTensor *x, JgTensor *norm_w, JgTensor *w, JgTensor *bias, JgTensor *step,
                              JgTensor *inv_freq, const JgQkvShape *shape, const JgDecodeTuning *tune,
                              GError **error);

/* o [n_heads head_dim] = attention of the one query q over rows 0..step[3]
 * of k_cache, v_cache (causal: the query is the last of them). The keys
 * are split over workgroups sized for the caches' capacity, whose parts
 * the last one of each head merges; counts is u32 [n_heads], zeros before
 * and after. shape gives heads, head_dim, scale and split_scratch
 * (required; n_q, n_kv, q_pos0 and causal are ignored). One dispatch. */
gboolean jg_op_attention_decode (JgVkContext *ctx, JgTensor *o, JgTensor *q, JgTensor *k_cache,
                                 JgTensor *v_cache, JgTensor *step, JgTensor *counts,
                                 const JgAttentionShape *shape, GError **error);

/* One whole decoder layer of a decoded token in one dispatch whose
 * workgroups stay resident and pass grid-wide barriers between the
 * layer's phases (decode_layer.comp): RMSNorm, q|k|v with bias, RoPE and
 * the cache rows (as jg_op_norm_qkv_rope), attention over rows 0..step[3]
 * (as jg_op_attention_decode; counts u32 [n_heads] zeros, parts f32 of at
 * least n_heads (head_dim + 2) values), x += o attn, RMSNorm, g =
 * SwiGLU(gate|up) (as jg_op_norm_swiglu), x += down g. f16 weights only.
 * barrier is u32 [4] (device-local): its count must be zero or a multiple of
 * n_workgroups when the dispatch starts (it grows by 4 n_workgroups; a
 * step resets it, jg_op_copy from zeros, before its first layer); fail u32 [1]
 * (host-visible): set non-zero when a grid barrier gave up waiting (the
 * workgroups were not all resident) or the subgroup size was not the
 * device's; the results are then garbage. All n_workgroups must be able to
 * run at once: 1 is safe anywhere, jg_decode_layer_resident () where it is
 * known. threads: per workgroup (0: 512). */
typedef struct {
  JgTensor *x, *ln1, *qkv_w, *qkv_b, *inv_freq, *step, *q, *k_cache, *v_cache;
  JgTensor *parts, *counts, *attn, *o_w, *ln2, *gate_up, *g, *down;
  JgTensor *barrier, *fail;
  guint skip_phases;   /* benches: bit i leaves phase i out (0 q|k|v, 1 attention, 2 o, 3 gate|up, 4 down) */
  /* Parts of a row's k (one subgroup each) in q|k|v and o, and in down:
   * 1..8, 0: 4. */
  guint ks_qkvo, ks_down;
  /* Attention: keys per part (a multiple of 8; 0: 32), parts merged at
   * once (1..16; 0: 8). */
  guint chunk, merge;
} JgDecodeLayer;

gboolean jg_op_decode_layer (JgVkContext *ctx, const JgDecodeLayer *l, const JgQkvShape *shape, float scale,
                             guint n_workgroups, guint threads, GError **error);
/* How many decode_layer workgroups (of up to 1024 threads) the device keeps
 * resident at once: one per SM where VK_NV_shader_sm_builtins tells the
 * count (and the device allows the bindings and subgroups the kernel
 * needs), else 0: unknown. */
guint    jg_decode_layer_resident (JgVkContext *ctx);

/* All n_layers layers of the step in ONE such dispatch (no dispatch
 * boundary between layers; each layer's first weights load during the
 * layer before's last barrier). l: layer 0, for the shapes and the
 * tensors all layers share (x, inv_freq, step, q, parts, counts, attn, g,
 * barrier, fail; g holds n_layers x intermediate values: each layer its
 * own); table: u32 [n_layers][JG_DECODE_STACK_WORDS], each
 * layer's q|k|v, o, gate|up, down, ln1, ln2, q|k|v bias, k cache and v cache
 * addresses (low word first) as jg_decode_stack_table writes them. Needs
 * JG_VK_FEATURE_DEVICE_ADDRESS; the barrier count grows by 5 n_layers - 1
 * times n_workgroups. */
#define JG_DECODE_STACK_WORDS 18
gboolean jg_op_decode_stack (JgVkContext *ctx, const JgDecodeLayer *l, JgTensor *table, guint n_layers,
                             const JgQkvShape *shape, float scale, guint n_workgroups, guint threads,
                             GError **error);
/* Fills words (n_layers * JG_DECODE_STACK_WORDS) from the layers' tensors;
 * an error where one has no device address or is shaped unlike layer 0's. */
gboolean jg_decode_stack_table (const JgDecodeLayer *layers, guint n_layers, guint32 *words, GError **error);

/* out[0] (u32) = the index of the largest value of x (one row; the first
 * among equals) by up to 256 workgroups in one dispatch; scratch is u32
 * [JG_ARGMAX_WIDE_SCRATCH], zeros before and after. */
#define JG_ARGMAX_WIDE_SCRATCH (2 * 256 + 1)

gboolean jg_op_argmax_wide (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *scratch, GError **error);

/* 8-bit weights for the decode products (inference/jg-q8.h): q is u32
 * [rows][cols / 4] holding the int8 values four to a word (lowest byte
 * first), scales f16 [rows][cols / block]; block a multiple of 16. */
typedef struct {
  JgTensor *q, *scales;
  guint block;
} JgQ8Weights;

gboolean jg_q8_weights_upload (const JgQ8Weights *dst, const JgQ8Matrix *m, GError **error);

/* The decode products above with 8-bit weights; norm_w may be NULL in
 * jg_op_norm_linear_q8 (no norm: y = W x). */
gboolean jg_op_norm_linear_q8 (JgVkContext *ctx, JgTensor *y, JgTensor *x, JgTensor *norm_w, float eps,
                               const JgQ8Weights *w, JgTensor *bias, gboolean accumulate,
                               const JgDecodeTuning *tune, GError **error);
gboolean jg_op_norm_swiglu_q8 (JgVkContext *ctx, JgTensor *out, JgTensor *x, JgTensor *norm_w, float eps,
                               const JgQ8Weights *w, const JgDecodeTuning *tune, GError **error);
gboolean jg_op_norm_qkv_rope_q8 (JgVkContext *ctx, JgTensor *q, JgTensor *k_cache, JgTensor *v_cache,
                                 JgTensor *x, JgTensor *norm_w, const JgQ8Weights *w, JgTensor *bias,
                                 JgTensor *step, JgTensor *inv_freq, const JgQkvShape *shape,
                                 const JgDecodeTuning *tune, GError **error);

G_END_DECLS
