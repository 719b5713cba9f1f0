/* jg-chat.h: JAEGER's prompt layout on Qwen2.5-Omni's chat template
 * (JAEGER.md section 2): system turn, user turn with optional image and
 * audio blocks, the assistant turn and a forced answer prefix. */
#pragma once

#include "inference/jg-tokenizer.h"

#include <glib.h>

G_BEGIN_DECLS

/* The system prompt of the reference evaluation, and the one training used. */
#define JG_CHAT_SYSTEM_OMNI "You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, " \
  "capable of perceiving auditory and visual inputs, as well as generating text and speech."
#define JG_CHAT_SYSTEM_TRAIN "You are a helpful assistant."

typedef struct {
  const char *system;            /* NULL: JG_CHAT_SYSTEM_OMNI */
  const char *question;
  gboolean image;
  gboolean audio;
  gboolean newline_after_media;  /* training layout: "\n" after each modality block */
  const char *answer_prefix;     /* forced start of the answer, or NULL */
} JgChatPrompt;

/* The special tokens the prompt and decoding need, looked up by name. */
typedef struct {
  guint32 endoftext, im_start, im_end;
  guint32 vision_bos, vision_eos, image;
  guint32 audio_bos, audio_eos, audio;
} JgChatTokens;

/* The prompt as text, with one <|IMAGE|> / <|AUDIO|> placeholder each. */
char *jg_chat_format (const JgChatPrompt *prompt);

/* Fails, naming the token, when @tok lacks one of Qwen2.5-Omni's special
 * tokens (e.g. a Qwen2 text-only tokenizer). */
gboolean jg_chat_lookup_tokens (const JgTokenizer *tok, JgChatTokens *out, GError **error);

/* Encodes the prompt and repeats the image / audio placeholder token
 * @n_image / @n_audio times, one per image patch group / audio frame
 * the encoders produce. */
gboolean jg_chat_encode (JgTokenizer *tok,
                         const JgChatPrompt *prompt,
                         guint n_image,
                         guint n_audio,
                         GArray *ids,
                         GError **error);

/* Greedy decoding stops at <|endoftext|> or <|im_end|>. */
gboolean jg_chat_is_stop (const JgChatTokens *tokens, guint32 id);

/* The forced answer prefix of a JAEGER task ("azimuth: " for the DoA
 * tasks, "bbox_0=Bbox(speaker," for grounding), or NULL. */
const char *jg_chat_answer_prefix (const char *task);

G_END_DECLS
