/* jg-tokenizer.h: Qwen2's byte-level BPE tokenizer, read from a
 * tokenizer.json or from vocab.json + merges.txt (+ tokenizer_config.json
 * for the added tokens). Encoding: added tokens are split off first, the
 * rest is NFC-normalised, cut by the Qwen2 pre-tokenizer pattern and
 * merged by rank. Decoding maps tokens back to raw bytes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgTokenizer JgTokenizer;

/* @path: a tokenizer.json, or a folder with tokenizer.json or with
 * vocab.json + merges.txt. */
JgTokenizer *jg_tokenizer_new_from_file (const char *path, GError **error);
/* @config (optional) is a tokenizer_config.json whose added_tokens_decoder
 * lists the added tokens. */
JgTokenizer *jg_tokenizer_new_from_vocab_merges (const char *vocab_json,
                                                 const char *merges_txt,
                                                 const char *config,
                                                 GError **error);
void         jg_tokenizer_free (JgTokenizer *self);

/* Ids run from 0 to get_n_ids () - 1 (base vocabulary and added tokens). */
guint        jg_tokenizer_get_n_ids (const JgTokenizer *self);
guint        jg_tokenizer_get_n_merges (const JgTokenizer *self);

/* Looks a token up by its text: an added token's content, or a
 * vocabulary entry in its byte-level form ("Ġthe"). -1 when unknown. */
int          jg_tokenizer_token_to_id (const JgTokenizer *self, const char *token);
gboolean     jg_tokenizer_is_special (const JgTokenizer *self, guint id);
gboolean     jg_tokenizer_is_added (const JgTokenizer *self, guint id);

/* Adds an added token, or renames the added token @id (models that reuse
 * a base vocabulary name their placeholders differently). */
gboolean     jg_tokenizer_set_added_token (JgTokenizer *self,
                                           guint id,
                                           const char *content,
                                           gboolean special,
                                           GError **error);

/* Appends the ids of @text (UTF-8, @length bytes or -1) to @ids (guint32).
 * Added and special tokens written in the text are recognised. Fails
 * only on invalid UTF-8. */
gboolean     jg_tokenizer_encode (JgTokenizer *self,
                                  const char *text,
                                  gssize length,
                                  GArray *ids,
                                  GError **error);

/* The raw bytes a token stands for (not NUL-terminated; a token may hold
 * part of a UTF-8 character). NULL for an id out of range. */
const guint8 *jg_tokenizer_token_bytes (const JgTokenizer *self, guint id, gsize *length);

/* Appends the text of @ids to @out; byte sequences that are not valid
 * UTF-8 become U+FFFD. @skip_special drops special tokens. */
void         jg_tokenizer_decode (const JgTokenizer *self,
                                  const guint32 *ids,
                                  gsize n_ids,
                                  gboolean skip_special,
                                  GString *out);

/* The Qwen2 pre-tokenizer pattern alone (no normalisation, no added
 * tokens): the pieces BPE sees, for debugging and tests. */
char       **jg_qwen2_pretokenize (const char *text, gssize length);

/* For streaming: how many bytes of @buf can be printed now, leaving out a
 * UTF-8 character whose remaining bytes have not arrived yet. */
gsize        jg_utf8_complete_prefix (const char *buf, gsize length);
/* Appends @n bytes of @text, replacing each ill-formed subsequence (a bad
 * lead byte and the continuation bytes that follow it) with one U+FFFD,
 * as jg_tokenizer_decode () does. */
void         jg_utf8_append_lossy (GString *out, const char *text, gsize n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgTokenizer, jg_tokenizer_free)

G_END_DECLS
