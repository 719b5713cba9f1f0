#include "inference/jg-text-model.h"

#include "core/jg-error.h"
#include "inference/jg-chat.h"
#include "inference/jg-model-config.h"

struct _JgTextModel {
  char *dir;
  char *adapter;
  guint max_ctx;
  JgTokenizer *tok;
  JgChatTokens special;
  JgVkContext *ctx;
  JgQwen2 *model;
};

JgTextModel *
jg_text_model_load (const char *dir, const char *adapter, int device, guint max_ctx, GError **error)
{
  g_autoptr(JgWeights) weights = NULL;
  JgTextModel *self = g_new0 (JgTextModel, 1);
  JgVkContextOptions vk = { .device = device };
  JgQwen2Config cfg;
  float alpha = 0.0f;

  self->dir = g_strdup (dir);
  self->adapter = g_strdup (adapter);
  if (adapter != NULL)
    {
      g_autofree char *config_path = jg_weights_adapter_config_path (adapter);
      alpha = g_file_test (config_path, G_FILE_TEST_EXISTS) ? 0.0f : JG_JAEGER_LORA_ALPHA;
    }
  self->max_ctx = max_ctx;
  if (!jg_qwen2_config_load (dir, &cfg, error)
      || (self->tok = jg_tokenizer_new_from_file (dir, error)) == NULL
      || !jg_chat_lookup_tokens (self->tok, &self->special, error)
      || (weights = jg_weights_open (dir, adapter, alpha, error)) == NULL
      || (self->ctx = jg_vk_context_new (&vk, error)) == NULL
      || (self->model = jg_qwen2_new (self->ctx, &cfg, weights, max_ctx, error)) == NULL)
    {
      jg_text_model_free (self);
      return NULL;
    }
  return self;
}

void
jg_text_model_free (JgTextModel *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->model, jg_qwen2_free);
  g_clear_pointer (&self->ctx, jg_vk_context_free);
  g_clear_pointer (&self->tok, jg_tokenizer_free);
  g_free (self->dir);
  g_free (self->adapter);
  g_free (self);
}

const char *
jg_text_model_get_dir (JgTextModel *self)
{
  return self->dir;
}

const char *
jg_text_model_get_adapter (JgTextModel *self)
{
  return self->adapter;
}

const char *
jg_text_model_get_device_name (JgTextModel *self)
{
  return jg_vk_context_get_info (self->ctx)->name;
}

typedef struct {
  JgTextModel *self;
  GString *pending;   /* bytes of a character that spans tokens */
  GString *valid;     /* what goes out: valid UTF-8 */
  JgTextFunc callback;
  gpointer user_data;
} Stream;

static gboolean
stream_token (guint32 token, gpointer data)
{
  Stream *s = data;
  gsize n = 0, ready;
  const guint8 *bytes;

  if (jg_tokenizer_is_special (s->self->tok, token))
    return TRUE;
  bytes = jg_tokenizer_token_bytes (s->self->tok, token, &n);
  g_string_truncate (s->valid, 0);
  if (bytes == NULL)
    {
      /* An id past the tokenizer (the embedding table is larger) prints as
       * U+FFFD, after what was pending, as the tokenizer's decoding does. */
      jg_utf8_append_lossy (s->valid, s->pending->str, s->pending->len);
      g_string_truncate (s->pending, 0);
      g_string_append (s->valid, "\xef\xbf\xbd");
    }
  else
    {
      g_string_append_len (s->pending, (const char *) bytes, (gssize) n);
      ready = jg_utf8_complete_prefix (s->pending->str, s->pending->len);
      jg_utf8_append_lossy (s->valid, s->pending->str, ready);
      g_string_erase (s->pending, 0, (gssize) ready);
    }
  return s->valid->len == 0 || s->callback (s->valid->str, s->valid->len, s->user_data);
}

gboolean
jg_text_model_ask (JgTextModel *self, const char *question, const char *answer_prefix,
                   guint max_tokens, JgTextFunc callback, gpointer user_data,
                   GCancellable *cancellable, JgGenerateStats *stats, GError **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autoptr(GString) valid = g_string_sized_new (64);
  JgChatPrompt prompt = { .question = question, .answer_prefix = answer_prefix };
  guint32 stop[2] = { self->special.endoftext, self->special.im_end };
  JgGenerateOptions opts = { .max_tokens = max_tokens, .stop = stop, .n_stop = 2, .top_k = 1, .top_p = 1.0f };
  Stream stream = { self, pending, valid, callback, user_data };

  if (!jg_chat_encode (self->tok, &prompt, 0, 0, ids, error))
    return FALSE;
  if (ids->len + max_tokens > self->max_ctx)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "the question is %u tokens: with %u answer tokens that exceeds the %u-token context",
                   ids->len, max_tokens, self->max_ctx);
      return FALSE;
    }
  jg_qwen2_reset (self->model);
  if (!jg_qwen2_generate (self->model, (const guint32 *) ids->data, ids->len, &opts, stream_token, &stream,
                          cancellable, stats, error))
    return FALSE;
  /* A character the answer ended in the middle of comes out as U+FFFD. */
  if (pending->len > 0)
    {
      g_string_truncate (valid, 0);
      jg_utf8_append_lossy (valid, pending->str, pending->len);
      callback (valid->str, valid->len, user_data);
    }
  return TRUE;
}
