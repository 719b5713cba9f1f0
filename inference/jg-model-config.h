/* jg-model-config.h: the language-model part of a Qwen2.5-Omni thinker
 * config.json (nested thinker_config.text_config, a thinker-only
 * text_config, or a flat Qwen2 config). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  JG_CONFIG_LAYOUT_OMNI,      /* thinker_config.text_config */
  JG_CONFIG_LAYOUT_THINKER,   /* text_config at the top */
  JG_CONFIG_LAYOUT_FLAT,      /* a plain Qwen2 config */
} JgConfigLayout;

typedef struct {
  JgConfigLayout layout;
  int hidden_size;
  int n_layers;
  int n_heads;
  int n_kv_heads;
  int head_dim;
  int intermediate_size;
  int vocab_size;
  int max_position_embeddings;
  double rms_norm_eps;
  double rope_theta;
  gboolean tie_word_embeddings;
  /* M-RoPE sections over (temporal, height, width) in rotary pairs;
   * n_mrope = 0 for plain 1-D RoPE. */
  int n_mrope;
  int mrope_section[3];
  /* Multimodal placeholder ids from the thinker config, -1 if absent. */
  int audio_token_id;
  int image_token_id;
  int video_token_id;
} JgQwen2Config;

/* @path is a config.json or a folder holding one. */
gboolean jg_qwen2_config_load (const char *path, JgQwen2Config *out, GError **error);

/* @origin names the source in error messages. */
gboolean jg_qwen2_config_parse (const char *json,
                                gssize length,
                                const char *origin,
                                JgQwen2Config *out,
                                GError **error);

const char *jg_config_layout_name (JgConfigLayout layout);

G_END_DECLS
