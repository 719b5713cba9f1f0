/* jg-qwen2.h: the Qwen2 decoder (the language model of the Qwen2.5-Omni
 * thinker) on the compute runtime: f16 weights, f32 activations and KV
 * cache, 3-axis rotary positions, prefill of a whole prompt in one
 * submission, and one replay of a recorded step per decoded token. */
#pragma once

#include <gio/gio.h>

#include "inference/jg-model-config.h"
#include "inference/jg-weights.h"
#include "inference/jg-vk-context.h"
#include "inference/jg-vk-ops.h"

G_BEGIN_DECLS

typedef struct _JgQwen2 JgQwen2;

/* Weights read through @weights (keys `model.*` and `lm_head.weight`, or
 * the same under `thinker.`, with an adapter's LoRA merged), shapes
 * checked against @config; bf16/f32 weights become f16 on the device.
 * An adapter LoRA module the model never reads is an error. @max_ctx
 * bounds prompt + generated tokens. */
JgQwen2 *jg_qwen2_new (JgVkContext *ctx, const JgQwen2Config *config, JgWeights *weights,
                       guint max_ctx, GError **error);
void     jg_qwen2_free (JgQwen2 *self);

typedef struct {
  /* Also keep 8-bit copies of the large matrices (inference/jg-q8.h, one
   * f16 scale per q8_block columns; 0: 32) and decode with them: about half
   * the bytes per token, at the accuracy cost docs/WEIGHTS.md gives. The
   * prompt still runs on the f16 weights. */
  gboolean q8;
  guint q8_block;
} JgQwen2Options;

JgQwen2 *jg_qwen2_new_with_options (JgVkContext *ctx, const JgQwen2Config *config, JgWeights *weights,
                                    guint max_ctx, const JgQwen2Options *options, GError **error);

/* Decode with the 8-bit copies (TRUE) or the f16 weights; FALSE if the
 * model was made without 8-bit copies. */
gboolean jg_qwen2_set_q8 (JgQwen2 *self, gboolean q8);

/* Decoding one token replays a step recorded once (fused kernels that read
 * the token, its positions and the cache length from buffers), unless
 * replay is off, or JAEGER_DECODE=percall was set when the model was made:
 * then every token records the same ops as a prompt does. */
void     jg_qwen2_set_replay (JgQwen2 *self, gboolean replay);

/* The replayed step with one persistent kernel per layer (jg_op_decode_layer:
 * resident workgroups passing grid barriers between the layer's products)
 * instead of five kernels. n_workgroups: 0 turns it off,
 * JG_QWEN2_PERSISTENT_AUTO takes as many as the device is known to keep
 * resident (NVIDIA: one per SM) and is off where that is unknown; any other
 * count is used as given (1 is safe on every device, only slow). threads:
 * per workgroup, 0: 512. Off with the 8-bit copies or shapes the kernel
 * does not take. Returns the workgroups in use (0: off). Should a grid
 * barrier ever give up waiting (workgroups not resident), the token is
 * decoded again by the replayed kernels and the path stays off. A model
 * starts with AUTO (so: on with NVIDIA drivers, off elsewhere);
 * JAEGER_DECODE=replay at model creation starts it off,
 * JAEGER_DECODE=persistent asks for AUTO, else 1 (slow, for checks). */
#define JG_QWEN2_PERSISTENT_AUTO G_MAXUINT
guint    jg_qwen2_set_persistent (JgQwen2 *self, guint n_workgroups, guint threads);
guint    jg_qwen2_get_persistent (JgQwen2 *self);
/* With the persistent step on: all layers in ONE dispatch
 * (jg_op_decode_stack) instead of one per layer, where the device has
 * buffer device addresses (else it stays per layer). Returns whether the
 * stacked kernel will be used when the persistent step is. A model starts
 * with it on (JAEGER_DECODE=persistent: off, =stack: on). */
gboolean jg_qwen2_set_persistent_stack (JgQwen2 *self, gboolean stack);
/* Whether decoding now runs the stacked kernel. */
gboolean jg_qwen2_get_persistent_stack (JgQwen2 *self);
/* The persistent kernels' shapes (benches): parts of a row's k, one
 * subgroup each, in q|k|v and o, and in down (1..8; 0: the default, 4);
 * the attention's keys per part (a multiple of 8; 0: 32) and parts merged
 * at once (1..16; 0: 8). */
void     jg_qwen2_set_persistent_split (JgQwen2 *self, guint ks_qkvo, guint ks_down, guint chunk, guint merge);

/* Pipelined decoding in jg_qwen2_generate (replayed steps only): up to
 * @depth steps (2..4) in flight, each embedding the token the step before
 * it picked on the GPU, so that the GPU does not wait for the host between
 * tokens; steps submitted past a stop token, max_tokens, the callback's
 * FALSE or cancellation are dropped (the model's length is as without).
 * Tokens, logits and sampling (same seed, same tokens) are those of the
 * unpipelined loop. 0 or 1: off (one step, submitted and waited for).
 * Returns the depth in use. A model starts with JAEGER_DECODE_PIPELINE
 * (0..4), else 2. */
guint    jg_qwen2_set_pipeline (JgQwen2 *self, guint depth);
guint    jg_qwen2_get_pipeline (JgQwen2 *self);

/* Workgroup shapes of the replayed step's kernels, for benchmarks (NULL:
 * the measured defaults; a zero field: the op's own default). The step is
 * recorded again at the next token. */
typedef struct {
  JgDecodeTuning qkv, gate_up, head;    /* norm-folded products */
  JgLinearOptions o, down;              /* matrix-vector products */
} JgQwen2Tuning;
void     jg_qwen2_set_tuning (JgQwen2 *self, const JgQwen2Tuning *tuning);

/* With cooperative matrices a prompt runs the fused prefill kernels (one
 * q|k|v matmul, gate|up with SwiGLU, o and down split over k, attention
 * writing f16) unless JAEGER_PREFILL=unfused was set when the model was
 * made or this turns them off (benches). Returns whether they are on. */
gboolean jg_qwen2_set_fused_prefill (JgQwen2 *self, gboolean fused);
/* GPU seconds of the last submission (a prompt or a decoded token). */
double   jg_qwen2_get_last_gpu_seconds (JgQwen2 *self);

/* Forgets the KV cache (a new conversation). */
void     jg_qwen2_reset (JgQwen2 *self);
guint    jg_qwen2_get_n_past (JgQwen2 *self);

/* Runs n tokens after the cached ones (positions: u32 [3][n], temporal /
 * height / width, or NULL for text: n_past + i on all axes) and, when
 * logits is not NULL, copies the last token's logits (vocab floats). */
gboolean jg_qwen2_forward (JgQwen2 *self, const guint32 *ids, guint n, const guint32 *positions,
                           float *logits, GError **error);

/* Copies the logits (vocab floats) of the last step run: the prefill's
 * last position, or the last decoded token. In a JgTokenFunc these are
 * the logits the token was chosen from. */
gboolean jg_qwen2_get_logits (JgQwen2 *self, float *logits, GError **error);

typedef struct {
  guint max_tokens;
  float temperature;            /* 0: greedy */
  guint top_k;                  /* 1..64 */
  float top_p;
  guint64 seed;
  const guint32 *stop;          /* stop tokens (not emitted) */
  guint n_stop;
} JgGenerateOptions;

typedef struct {
  guint n_prompt, n_generated;
  double prefill_s, decode_s;
  double prefill_gpu_s, decode_gpu_s;   /* GPU time of the same (timestamps; 0 if none) */
  gboolean stopped;             /* a stop token ended it */
  gboolean cancelled;
} JgGenerateStats;

/* Called with each new token as it is decoded; return FALSE to stop. */
typedef gboolean (*JgTokenFunc) (guint32 token, gpointer user_data);

/* Prefill of the prompt, then greedy or temperature/top-k/top-p decoding
 * until max_tokens, a stop token, the callback's FALSE or @cancel (which
 * another thread may trigger). Cancellation is not an error: stats say. */
gboolean jg_qwen2_generate (JgQwen2 *self, const guint32 *prompt, guint n_prompt,
                            const JgGenerateOptions *options, JgTokenFunc callback, gpointer user_data,
                            GCancellable *cancel, JgGenerateStats *stats, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgQwen2, jg_qwen2_free)

G_END_DECLS
