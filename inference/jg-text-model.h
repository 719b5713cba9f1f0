/* jg-text-model.h: a model folder (config.json, tokenizer, safetensors)
 * loaded onto a Vulkan device as a Qwen2 language model, asked questions
 * with JAEGER's chat template. Text only: the image and audio encoders
 * are not part of this engine yet, so questions carry no scene. */
#pragma once

#include <gio/gio.h>

#include "inference/jg-qwen2.h"
#include "inference/jg-tokenizer.h"

G_BEGIN_DECLS

typedef struct _JgTextModel JgTextModel;

/* @adapter: NULL, or a JAEGER / PEFT checkpoint whose LoRA is merged at
 * load, with the lora_alpha of its adapter_config.json, or JAEGER's
 * (JG_JAEGER_LORA_ALPHA) when it has none. @device: index from `jaeger
 * devices`, or -1 for the best. @max_ctx bounds prompt + answer tokens
 * (the KV cache is sized for it). */
JgTextModel *jg_text_model_load (const char *dir, const char *adapter, int device, guint max_ctx,
                                 GError **error);
void         jg_text_model_free (JgTextModel *self);

const char  *jg_text_model_get_dir (JgTextModel *self);
const char  *jg_text_model_get_adapter (JgTextModel *self);   /* NULL without one */
const char  *jg_text_model_get_device_name (JgTextModel *self);

/* Called with each whole UTF-8 piece of the answer; FALSE stops. */
typedef gboolean (*JgTextFunc) (const char *text, gsize len, gpointer user_data);

/* A new conversation with @question (and an optional forced answer prefix,
 * which is not repeated to @callback): greedy decoding until a stop token,
 * @max_tokens, @callback's FALSE or @cancellable. */
gboolean jg_text_model_ask (JgTextModel *self, const char *question, const char *answer_prefix,
                            guint max_tokens, JgTextFunc callback, gpointer user_data,
                            GCancellable *cancellable, JgGenerateStats *stats, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgTextModel, jg_text_model_free)

G_END_DECLS
