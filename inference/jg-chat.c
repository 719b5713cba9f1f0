#include "inference/jg-chat.h"
#include "core/jg-error.h"

#include <string.h>

char *
jg_chat_format (const JgChatPrompt *p)
{
  GString *s = g_string_new ("<|im_start|>system\n");
  const char *nl = p->newline_after_media ? "\n" : "";

  g_string_append (s, p->system ? p->system : JG_CHAT_SYSTEM_OMNI);
  g_string_append (s, "<|im_end|>\n<|im_start|>user\n");
  if (p->image)
    g_string_append_printf (s, "<|vision_bos|><|IMAGE|><|vision_eos|>%s", nl);
  if (p->audio)
    g_string_append_printf (s, "<|audio_bos|><|AUDIO|><|audio_eos|>%s", nl);
  g_string_append (s, p->question ? p->question : "");
  g_string_append (s, "<|im_end|>\n<|im_start|>assistant\n");
  if (p->answer_prefix)
    g_string_append (s, p->answer_prefix);
  return g_string_free (s, FALSE);
}

gboolean
jg_chat_lookup_tokens (const JgTokenizer *tok, JgChatTokens *out, GError **error)
{
  static const char *const names[] = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<|vision_bos|>", "<|vision_eos|>", "<|IMAGE|>",
    "<|audio_bos|>", "<|audio_eos|>", "<|AUDIO|>",
  };
  guint32 *slots[] = {
    &out->endoftext, &out->im_start, &out->im_end,
    &out->vision_bos, &out->vision_eos, &out->image,
    &out->audio_bos, &out->audio_eos, &out->audio,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      int id = jg_tokenizer_token_to_id (tok, names[i]);
      if (id < 0 || !jg_tokenizer_is_added (tok, (guint) id))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                       "the tokenizer has no %s token: not a Qwen2.5-Omni tokenizer", names[i]);
          return FALSE;
        }
      *slots[i] = (guint32) id;
    }
  return TRUE;
}

gboolean
jg_chat_encode (JgTokenizer *tok,
                const JgChatPrompt *prompt,
                guint n_image,
                guint n_audio,
                GArray *ids,
                GError **error)
{
  g_autofree char *text = jg_chat_format (prompt);
  g_autoptr(GArray) raw = g_array_new (FALSE, FALSE, sizeof (guint32));
  JgChatTokens t;

  if (!jg_chat_lookup_tokens (tok, &t, error) || !jg_tokenizer_encode (tok, text, -1, raw, error))
    return FALSE;
  if ((prompt->image && n_image == 0) || (prompt->audio && n_audio == 0))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "a prompt with an %s block needs at least one placeholder token",
                   prompt->image && n_image == 0 ? "image" : "audio");
      return FALSE;
    }
  for (guint i = 0; i < raw->len; i++)
    {
      guint32 id = g_array_index (raw, guint32, i);
      guint reps = id == t.image ? n_image : id == t.audio ? n_audio : 1;
      for (guint r = 0; r < reps; r++)
        g_array_append_val (ids, id);
    }
  return TRUE;
}

gboolean
jg_chat_is_stop (const JgChatTokens *tokens, guint32 id)
{
  return id == tokens->endoftext || id == tokens->im_end;
}

const char *
jg_chat_answer_prefix (const char *task)
{
  if (task == NULL)
    return NULL;
  if (strcmp (task, "spatial_doa") == 0 || strcmp (task, "multi_spatial_doa") == 0
      || strcmp (task, "starss23") == 0)
    return "azimuth: ";
  if (strcmp (task, "visual_grounding") == 0)
    return "bbox_0=Bbox(speaker,";
  return NULL;
}
