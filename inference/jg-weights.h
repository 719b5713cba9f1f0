/* jg-weights.h: a model's weights as the engine reads them: the base
 * safetensors (a Qwen2.5-Omni folder with "thinker."-prefixed keys, a
 * thinker, or a plain Qwen2 model) and optionally a JAEGER / PEFT
 * checkpoint on top, whose plain tensors replace the base ones and whose
 * LoRA pairs are merged at read time: W + (alpha / r) · B · A. Names are
 * thinker-relative ("model.layers.0.self_attn.q_proj.weight"). */
#pragma once

#include "inference/jg-safetensors.h"

#include <glib.h>

G_BEGIN_DECLS

/* JAEGER's LoRA: r 64, alpha 128 (its checkpoints carry no adapter_config.json). */
#define JG_JAEGER_LORA_ALPHA 128.0f

typedef struct _JgWeights JgWeights;

/* @adapter may be NULL. @lora_alpha <= 0 reads "lora_alpha" from an
 * adapter_config.json beside @adapter (an error if there is none). */
JgWeights *jg_weights_open (const char *model,
                            const char *adapter,
                            float lora_alpha,
                            GError **error);
void       jg_weights_free (JgWeights *self);

/* Where a PEFT adapter keeps its lora_alpha: adapter_config.json beside
 * @adapter (a checkpoint file, or in it, a folder). */
char      *jg_weights_adapter_config_path (const char *adapter);

const JgSafetensors *jg_weights_get_base (const JgWeights *self);
const char          *jg_weights_get_prefix (const JgWeights *self);   /* "thinker." or "" */

/* The tensor stored under @name (the adapter's copy first), or NULL. */
const JgStTensor *jg_weights_lookup (const JgWeights *self, const char *name);
gboolean          jg_weights_has_lora (const JgWeights *self, const char *name);

/* Reads float tensor @name, checking it against @shape (-1: any size),
 * with its LoRA merged when the adapter has one. */
/* Tensor @name as stored (the adapter's copy first), checked against
 * @shape and for a float dtype; its LoRA, if any, is NOT merged: use it
 * only where jg_weights_has_lora() is false. */
const JgStTensor *jg_weights_require (JgWeights *self, const char *name, guint n_dims, const gint64 *shape,
                                      GError **error);

gboolean jg_weights_read_f32 (JgWeights *self, const char *name, guint n_dims, const gint64 *shape,
                              float *out, GError **error);
gboolean jg_weights_read_f16 (JgWeights *self, const char *name, guint n_dims, const gint64 *shape,
                              guint16 *out, GError **error);

/* LoRA modules that no read has merged yet; a loader checks this is
 * empty at the end to catch an adapter made for another model. */
GPtrArray *jg_weights_unused_lora (const JgWeights *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgWeights, jg_weights_free)

G_END_DECLS
