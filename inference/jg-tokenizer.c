#include "inference/jg-tokenizer.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The one pre-tokenizer implemented (Qwen2 / Qwen2.5 / Qwen3). */
static const char qwen2_pattern[] =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
  "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

enum { FLAG_VALID = 1, FLAG_ADDED = 2, FLAG_SPECIAL = 4 };

struct _JgTokenizer {
  GByteArray *blob;        /* raw bytes of every token, back to back */
  guint32 *off, *len;      /* per id, into blob */
  guint8 *flags;
  guint n_ids;

  guint32 *vhash;          /* base vocabulary by raw bytes: id + 1, 0 empty */
  guint vhash_mask;

  guint64 *mkey;           /* merges by (left << 32 | right): rank, result */
  guint32 *mrank, *mres;
  guint mhash_mask;
  guint n_merges;

  guint32 byte_id[256];
  GArray *added;           /* guint32 ids, longest content first */
  gboolean nfc;
  gboolean ignore_merges;

  gunichar byte_to_cp[256];
  gint16 cp_to_byte[512];
};

/* ---- GPT-2 byte <-> printable code point map ---- */

static void
init_byte_map (JgTokenizer *self)
{
  guint n = 0;

  for (int i = 0; i < 512; i++)
    self->cp_to_byte[i] = -1;
  for (int b = 0; b < 256; b++)
    {
      gboolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      self->byte_to_cp[b] = printable ? (gunichar) b : 256 + n++;
      self->cp_to_byte[self->byte_to_cp[b]] = (gint16) b;
    }
}

/* Byte-level text ("Ġthe") to raw bytes (" the"). FALSE if a code point
 * is outside the map. */
static gboolean
bytelevel_to_raw (const JgTokenizer *self, const char *s, gssize n, GByteArray *out)
{
  const char *end = n < 0 ? s + strlen (s) : s + n;

  g_byte_array_set_size (out, 0);
  while (s < end)
    {
      gunichar c = g_utf8_get_char_validated (s, end - s);
      guint8 b;
      if (c >= 512 || self->cp_to_byte[c] < 0)
        return FALSE;
      b = (guint8) self->cp_to_byte[c];
      g_byte_array_append (out, &b, 1);
      s = g_utf8_next_char (s);
    }
  return TRUE;
}

/* ---- hashing ---- */

static guint32
hash_bytes (const guint8 *p, gsize n)
{
  guint32 h = 2166136261u;
  for (gsize i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static guint32
hash_u64 (guint64 k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (guint32) k;
}

static guint
pow2_at_least (guint n)
{
  guint c = 16;
  while (c < n)
    c <<= 1;
  return c;
}

static int
vocab_find (const JgTokenizer *self, const guint8 *p, gsize n)
{
  guint i = hash_bytes (p, n) & self->vhash_mask;

  for (;;)
    {
      guint32 e = self->vhash[i];
      if (e == 0)
        return -1;
      e--;
      if (self->len[e] == n && memcmp (self->blob->data + self->off[e], p, n) == 0)
        return (int) e;
      i = (i + 1) & self->vhash_mask;
    }
}

static void
vocab_insert (JgTokenizer *self, guint32 id)
{
  guint i = hash_bytes (self->blob->data + self->off[id], self->len[id]) & self->vhash_mask;
  while (self->vhash[i] != 0)
    i = (i + 1) & self->vhash_mask;
  self->vhash[i] = id + 1;
}

static gboolean
merge_find (const JgTokenizer *self, guint32 a, guint32 b, guint32 *rank, guint32 *res)
{
  guint64 k = ((guint64) a << 32) | b;
  guint i = hash_u64 (k) & self->mhash_mask;

  for (;;)
    {
      if (self->mres[i] == G_MAXUINT32)
        return FALSE;
      if (self->mkey[i] == k)
        {
          *rank = self->mrank[i];
          *res = self->mres[i];
          return TRUE;
        }
      i = (i + 1) & self->mhash_mask;
    }
}

/* Keeps the first (best-ranked) occurrence of a pair. */
static void
merge_insert (JgTokenizer *self, guint32 a, guint32 b, guint32 rank, guint32 res)
{
  guint64 k = ((guint64) a << 32) | b;
  guint i = hash_u64 (k) & self->mhash_mask;

  while (self->mres[i] != G_MAXUINT32)
    {
      if (self->mkey[i] == k)
        return;
      i = (i + 1) & self->mhash_mask;
    }
  self->mkey[i] = k;
  self->mrank[i] = rank;
  self->mres[i] = res;
}

/* ---- building ---- */

static JgTokenizer *
tokenizer_alloc (guint n_ids)
{
  JgTokenizer *self = g_new0 (JgTokenizer, 1);

  init_byte_map (self);
  self->blob = g_byte_array_new ();
  self->n_ids = n_ids;
  self->off = g_new0 (guint32, n_ids);
  self->len = g_new0 (guint32, n_ids);
  self->flags = g_new0 (guint8, n_ids);
  self->added = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->nfc = TRUE;
  return self;
}

void
jg_tokenizer_free (JgTokenizer *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->blob);
  g_free (self->off);
  g_free (self->len);
  g_free (self->flags);
  g_free (self->vhash);
  g_free (self->mkey);
  g_free (self->mrank);
  g_free (self->mres);
  g_array_unref (self->added);
  g_free (self);
}

static void
grow_ids (JgTokenizer *self, guint n_ids)
{
  if (n_ids <= self->n_ids)
    return;
  self->off = g_renew (guint32, self->off, n_ids);
  self->len = g_renew (guint32, self->len, n_ids);
  self->flags = g_renew (guint8, self->flags, n_ids);
  memset (self->off + self->n_ids, 0, (n_ids - self->n_ids) * sizeof (guint32));
  memset (self->len + self->n_ids, 0, (n_ids - self->n_ids) * sizeof (guint32));
  memset (self->flags + self->n_ids, 0, n_ids - self->n_ids);
  self->n_ids = n_ids;
}

static void
set_token_bytes (JgTokenizer *self, guint32 id, const guint8 *p, gsize n, guint8 flags)
{
  self->off[id] = self->blob->len;
  self->len[id] = (guint32) n;
  self->flags[id] = flags;
  g_byte_array_append (self->blob, p, (guint) n);
}

static int
added_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const JgTokenizer *self = data;
  guint32 ia = *(const guint32 *) a, ib = *(const guint32 *) b;
  if (self->len[ia] != self->len[ib])
    return self->len[ia] > self->len[ib] ? -1 : 1;
  return ia < ib ? -1 : ia > ib;
}

gboolean
jg_tokenizer_set_added_token (JgTokenizer *self,
                              guint id,
                              const char *content,
                              gboolean special,
                              GError **error)
{
  gsize n = strlen (content);

  if (n == 0 || !g_utf8_validate (content, -1, NULL))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "added token %u: empty or invalid UTF-8 content", id);
      return FALSE;
    }
  if (id >= (1u << 24))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "added token %s: id %u is out of range", content, id);
      return FALSE;
    }
  if (id < self->n_ids && (self->flags[id] & FLAG_VALID) && !(self->flags[id] & FLAG_ADDED))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "added token %s: id %u already belongs to the base vocabulary", content, id);
      return FALSE;
    }
  grow_ids (self, id + 1);
  if (!(self->flags[id] & FLAG_ADDED))
    g_array_append_val (self->added, id);
  set_token_bytes (self, id, (const guint8 *) content, n,
                   FLAG_VALID | FLAG_ADDED | (special ? FLAG_SPECIAL : 0));
  g_array_sort_with_data (self->added, added_cmp, self);
  return TRUE;
}

/* Vocabulary from a JSON object {token: id}. */
static gboolean
load_vocab (JgTokenizer **out, JsonObject *vocab, const char *origin, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (vocab);
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  gint64 max_id = -1;
  JgTokenizer *self;

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *n = json_object_get_member (vocab, l->data);
      gint64 id;
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
          || (id = json_node_get_int (n)) < 0 || id >= (1 << 24))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: vocabulary entry %s has no valid id", origin, (const char *) l->data);
          return FALSE;
        }
      max_id = MAX (max_id, id);
    }
  if (max_id < 255)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: the vocabulary is empty or too small", origin);
      return FALSE;
    }
  self = tokenizer_alloc ((guint) max_id + 1);
  *out = self;
  self->vhash_mask = pow2_at_least (2 * self->n_ids) - 1;
  self->vhash = g_new0 (guint32, self->vhash_mask + 1);
  for (GList *l = members; l; l = l->next)
    {
      guint32 id = (guint32) json_object_get_int_member (vocab, l->data);
      if (!bytelevel_to_raw (self, l->data, -1, raw))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                       "%s: vocabulary entry %s is not in the byte-level alphabet", origin, (const char *) l->data);
          return FALSE;
        }
      if (self->flags[id] & FLAG_VALID)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: id %u appears twice in the vocabulary", origin, id);
          return FALSE;
        }
      set_token_bytes (self, id, raw->data, raw->len, FLAG_VALID);
      if (vocab_find (self, raw->data, raw->len) >= 0)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: token %s appears twice", origin, (const char *) l->data);
          return FALSE;
        }
      vocab_insert (self, id);
    }
  for (int b = 0; b < 256; b++)
    {
      guint8 byte = (guint8) b;
      int id = vocab_find (self, &byte, 1);
      if (id < 0)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: the vocabulary lacks the single byte 0x%02x; not a byte-level BPE", origin, b);
          return FALSE;
        }
      self->byte_id[b] = (guint32) id;
    }
  return TRUE;
}

static void
alloc_merges (JgTokenizer *self, guint n)
{
  self->mhash_mask = pow2_at_least (2 * n + 2) - 1;
  self->mkey = g_new0 (guint64, self->mhash_mask + 1);
  self->mrank = g_new0 (guint32, self->mhash_mask + 1);
  self->mres = g_new (guint32, self->mhash_mask + 1);
  memset (self->mres, 0xff, (self->mhash_mask + 1) * sizeof (guint32));
}

static gboolean
add_merge (JgTokenizer *self, const char *a, gssize na, const char *b, gssize nb,
           const char *origin, GByteArray *ra, GByteArray *rb)
{
  int ia, ib, ir;

  if (!bytelevel_to_raw (self, a, na, ra) || !bytelevel_to_raw (self, b, nb, rb))
    return FALSE;
  ia = vocab_find (self, ra->data, ra->len);
  ib = vocab_find (self, rb->data, rb->len);
  g_byte_array_append (ra, rb->data, rb->len);
  ir = vocab_find (self, ra->data, ra->len);
  if (ia < 0 || ib < 0 || ir < 0)
    return FALSE;
  merge_insert (self, (guint32) ia, (guint32) ib, self->n_merges++, (guint32) ir);
  return TRUE;
}

static gboolean
merge_error (const char *origin, guint index, const char *text, GError **error)
{
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "%s: merge %u (%s) uses a token that is not in the vocabulary", origin, index, text);
  return FALSE;
}

/* Merges as ["a", "b"] pairs (current format) or "a b" strings. */
static gboolean
load_merges_json (JgTokenizer *self, JsonArray *merges, const char *origin, GError **error)
{
  g_autoptr(GByteArray) ra = g_byte_array_new ();
  g_autoptr(GByteArray) rb = g_byte_array_new ();
  guint n = json_array_get_length (merges);

  alloc_merges (self, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *m = json_array_get_element (merges, i);
      if (JSON_NODE_HOLDS_ARRAY (m) && json_array_get_length (json_node_get_array (m)) == 2)
        {
          JsonArray *p = json_node_get_array (m);
          const char *a = json_array_get_string_element (p, 0), *b = json_array_get_string_element (p, 1);
          if (a == NULL || b == NULL || !add_merge (self, a, -1, b, -1, origin, ra, rb))
            return merge_error (origin, i, a ? a : "?", error);
        }
      else if (JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (m);
          const char *sp = strchr (s, ' ');
          if (sp == NULL || !add_merge (self, s, sp - s, sp + 1, -1, origin, ra, rb))
            return merge_error (origin, i, s, error);
        }
      else
        return merge_error (origin, i, "not a pair", error);
    }
  return TRUE;
}

static gboolean
add_added_token_json (JgTokenizer *self, gint64 id, JsonObject *t, const char *origin, GError **error)
{
  const char *content = json_object_has_member (t, "content") ? json_object_get_string_member (t, "content") : NULL;
  gboolean special = json_object_has_member (t, "special") && json_object_get_boolean_member (t, "special");

  if (content == NULL || id < 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: an added token lacks its id or content", origin);
      return FALSE;
    }
  /* An added token that repeats a vocabulary entry keeps its id and is
   * matched before pre-tokenization like the others. */
  if ((guint64) id < self->n_ids && (self->flags[id] & FLAG_VALID) && !(self->flags[id] & FLAG_ADDED))
    {
      if (self->len[id] == strlen (content) && memcmp (self->blob->data + self->off[id], content, self->len[id]) == 0)
        {
          self->flags[id] |= FLAG_ADDED | (special ? FLAG_SPECIAL : 0);
          g_array_append_val (self->added, id);
          g_array_sort_with_data (self->added, added_cmp, self);
          return TRUE;
        }
    }
  if (!jg_tokenizer_set_added_token (self, (guint) id, content, special, error))
    {
      g_prefix_error (error, "%s: ", origin);
      return FALSE;
    }
  return TRUE;
}

static JsonParser *
parse_json_file (const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? JG_ERROR_NOT_FOUND : JG_ERROR_INVALID_DATA,
                   "%s: %s", path, local->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not a JSON object", path);
      return NULL;
    }
  return g_steal_pointer (&parser);
}

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* Accepts no normalizer, NFC, or a Sequence of NFC. */
static gboolean
check_normalizer (JgTokenizer *self, JsonObject *root, const char *origin, GError **error)
{
  JsonObject *norm = member_object (root, "normalizer");
  const char *type;

  self->nfc = FALSE;
  if (norm == NULL)
    return TRUE;
  type = json_object_get_string_member_with_default (norm, "type", "");
  if (strcmp (type, "NFC") == 0)
    {
      self->nfc = TRUE;
      return TRUE;
    }
  if (strcmp (type, "Sequence") == 0 && json_object_has_member (norm, "normalizers"))
    {
      JsonArray *seq = json_object_get_array_member (norm, "normalizers");
      gboolean ok = TRUE;
      for (guint i = 0; i < json_array_get_length (seq); i++)
        {
          JsonObject *n = json_array_get_object_element (seq, i);
          if (n && strcmp (json_object_get_string_member_with_default (n, "type", ""), "NFC") == 0)
            self->nfc = TRUE;
          else
            ok = FALSE;
        }
      if (ok)
        return TRUE;
    }
  g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
               "%s: normalizer %s is not supported (only NFC)", origin, type);
  return FALSE;
}

/* The pre-tokenizer must be Qwen2's split pattern with byte-level mapping. */
static gboolean
check_pre_tokenizer (JsonObject *root, const char *origin, GError **error)
{
  JsonObject *pre = member_object (root, "pre_tokenizer");
  JsonArray *seq;

  if (pre != NULL && json_object_has_member (pre, "pretokenizers")
      && (seq = json_object_get_array_member (pre, "pretokenizers")) != NULL)
    for (guint i = 0; i < json_array_get_length (seq); i++)
      {
        JsonObject *p = json_array_get_object_element (seq, i);
        JsonObject *pat = member_object (p, "pattern");
        const char *re = pat ? json_object_get_string_member_with_default (pat, "Regex", NULL) : NULL;
        if (re && strcmp (re, qwen2_pattern) == 0)
          return TRUE;
      }
  g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
               "%s: the pre-tokenizer is not Qwen2's byte-level split pattern, the only one implemented",
               origin);
  return FALSE;
}

static JgTokenizer *
load_tokenizer_json (const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = parse_json_file (path, error);
  g_autoptr(JgTokenizer) self = NULL;
  JsonObject *root, *model, *vocab;
  JsonNode *merges, *added;
  const char *type;

  if (parser == NULL)
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  model = member_object (root, "model");
  type = model ? json_object_get_string_member_with_default (model, "type", "BPE") : NULL;
  if (model == NULL || strcmp (type, "BPE") != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s: model %s is not supported (only BPE)",
                   path, model ? type : "(none)");
      return NULL;
    }
  vocab = member_object (model, "vocab");
  merges = json_object_get_member (model, "merges");
  if (vocab == NULL || merges == NULL || !JSON_NODE_HOLDS_ARRAY (merges))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: the BPE model lacks its vocab or merges", path);
      return NULL;
    }
  if (!load_vocab (&self, vocab, path, error))
    return NULL;
  if (!check_normalizer (self, root, path, error) || !check_pre_tokenizer (root, path, error))
    return NULL;
  self->ignore_merges = json_object_get_boolean_member_with_default (model, "ignore_merges", FALSE);
  if (!load_merges_json (self, json_node_get_array (merges), path, error))
    return NULL;
  added = json_object_get_member (root, "added_tokens");
  if (added && JSON_NODE_HOLDS_ARRAY (added))
    {
      JsonArray *a = json_node_get_array (added);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *t = json_array_get_object_element (a, i);
          if (t == NULL || !add_added_token_json (self, json_object_get_int_member_with_default (t, "id", -1), t, path, error))
            {
              if (t == NULL)
                g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: added token %u is not an object", path, i);
              return NULL;
            }
        }
    }
  return g_steal_pointer (&self);
}

JgTokenizer *
jg_tokenizer_new_from_vocab_merges (const char *vocab_json,
                                    const char *merges_txt,
                                    const char *config,
                                    GError **error)
{
  g_autoptr(JsonParser) parser = parse_json_file (vocab_json, error);
  g_autoptr(JgTokenizer) self = NULL;
  g_autoptr(GByteArray) ra = g_byte_array_new ();
  g_autoptr(GByteArray) rb = g_byte_array_new ();
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;

  if (parser == NULL || !load_vocab (&self, json_node_get_object (json_parser_get_root (parser)), vocab_json, error))
    return NULL;
  if (!g_file_get_contents (merges_txt, &text, NULL, &local))
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? JG_ERROR_NOT_FOUND : JG_ERROR_IO,
                   "%s", local->message);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  n_lines = g_strv_length (lines);
  alloc_merges (self, n_lines);
  for (guint i = 0; i < n_lines; i++)
    {
      char *l = lines[i];
      char *sp;
      gsize n = strlen (l);
      if (n > 0 && l[n - 1] == '\r')
        l[--n] = '\0';
      if (n == 0 || g_str_has_prefix (l, "#version"))
        continue;
      sp = strchr (l, ' ');
      if (sp == NULL || !add_merge (self, l, sp - l, sp + 1, -1, merges_txt, ra, rb))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s:%u: merge \"%s\" uses a token that is not in %s", merges_txt, i + 1, l, vocab_json);
          return NULL;
        }
    }
  if (config != NULL)
    {
      g_autoptr(JsonParser) cp = parse_json_file (config, error);
      JsonObject *decoder;
      g_autoptr(GList) ids = NULL;
      if (cp == NULL)
        return NULL;
      decoder = member_object (json_node_get_object (json_parser_get_root (cp)), "added_tokens_decoder");
      ids = decoder ? json_object_get_members (decoder) : NULL;
      for (GList *l = ids; l; l = l->next)
        {
          JsonObject *t = member_object (decoder, l->data);
          char *end;
          gint64 id = g_ascii_strtoll (l->data, &end, 10);
          if (t == NULL || *end != '\0')
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: added_tokens_decoder entry %s is malformed", config, (const char *) l->data);
              return NULL;
            }
          if (!add_added_token_json (self, id, t, config, error))
            return NULL;
        }
    }
  return g_steal_pointer (&self);
}

JgTokenizer *
jg_tokenizer_new_from_file (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *tj = g_build_filename (path, "tokenizer.json", NULL);
      g_autofree char *vj = g_build_filename (path, "vocab.json", NULL);
      g_autofree char *mt = g_build_filename (path, "merges.txt", NULL);
      g_autofree char *cf = g_build_filename (path, "tokenizer_config.json", NULL);
      if (g_file_test (tj, G_FILE_TEST_EXISTS))
        return load_tokenizer_json (tj, error);
      if (g_file_test (vj, G_FILE_TEST_EXISTS) && g_file_test (mt, G_FILE_TEST_EXISTS))
        return jg_tokenizer_new_from_vocab_merges (vj, mt, g_file_test (cf, G_FILE_TEST_EXISTS) ? cf : NULL, error);
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                   "%s: no tokenizer.json, nor vocab.json with merges.txt, in this folder", path);
      return NULL;
    }
  return load_tokenizer_json (path, error);
}

/* ---- queries ---- */

guint
jg_tokenizer_get_n_ids (const JgTokenizer *self)
{
  return self->n_ids;
}

guint
jg_tokenizer_get_n_merges (const JgTokenizer *self)
{
  return self->n_merges;
}

int
jg_tokenizer_token_to_id (const JgTokenizer *self, const char *token)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  gsize n = strlen (token);

  for (guint i = 0; i < self->added->len; i++)
    {
      guint32 id = g_array_index (self->added, guint32, i);
      if (self->len[id] == n && memcmp (self->blob->data + self->off[id], token, n) == 0)
        return (int) id;
    }
  if (!bytelevel_to_raw (self, token, -1, raw))
    return -1;
  return vocab_find (self, raw->data, raw->len);
}

gboolean
jg_tokenizer_is_special (const JgTokenizer *self, guint id)
{
  return id < self->n_ids && (self->flags[id] & FLAG_SPECIAL);
}

gboolean
jg_tokenizer_is_added (const JgTokenizer *self, guint id)
{
  return id < self->n_ids && (self->flags[id] & FLAG_ADDED);
}

const guint8 *
jg_tokenizer_token_bytes (const JgTokenizer *self, guint id, gsize *length)
{
  if (id >= self->n_ids || !(self->flags[id] & FLAG_VALID))
    {
      *length = 0;
      return NULL;
    }
  *length = self->len[id];
  return self->blob->data + self->off[id];
}

/* ---- encoding ---- */

enum { C_L = 1, C_N = 2, C_WS = 4, C_NL = 8 };

/* Unicode White_Space, what the reference (Rust/Oniguruma) \s means. */
static gboolean
is_white_space (gunichar c)
{
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680
    || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f
    || c == 0x3000;
}

static guint8
char_class (gunichar c)
{
  if (c < 0x80)
    {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return C_L;
      if (c >= '0' && c <= '9')
        return C_N;
      if (c == '\r' || c == '\n')
        return C_WS | C_NL;
      return is_white_space (c) ? C_WS : 0;
    }
  if (is_white_space (c))
    return C_WS;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
      return C_L;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return C_N;
    default:
      return 0;
    }
}

#define IS_OTHER(k) (((k) & (C_WS | C_L | C_N)) == 0)

/* Length in code points of the pattern's match at @i (always >= 1). */
static guint
pretoken_length (const gunichar *cp, const guint8 *cls, guint i, guint n)
{
  guint j, last;

  /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
  if (cp[i] == '\'' && i + 1 < n)
    {
      gunichar a = g_ascii_tolower (cp[i + 1] < 0x80 ? (char) cp[i + 1] : 0);
      gunichar b = i + 2 < n && cp[i + 2] < 0x80 ? g_ascii_tolower ((char) cp[i + 2]) : 0;
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    }
  /* [^\r\n\p{L}\p{N}]?\p{L}+ */
  if (cls[i] & C_L)
    {
      for (j = i + 1; j < n && (cls[j] & C_L); j++)
        ;
      return j - i;
    }
  if (!(cls[i] & (C_NL | C_L | C_N)) && i + 1 < n && (cls[i + 1] & C_L))
    {
      for (j = i + 2; j < n && (cls[j] & C_L); j++)
        ;
      return j - i;
    }
  /* \p{N} */
  if (cls[i] & C_N)
    return 1;
  /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
  j = (cp[i] == ' ' && i + 1 < n && IS_OTHER (cls[i + 1])) ? i + 1 : i;
  if (IS_OTHER (cls[j]))
    {
      while (j < n && IS_OTHER (cls[j]))
        j++;
      while (j < n && (cls[j] & C_NL))
        j++;
      return j - i;
    }
  /* Whitespace from here on. \s*[\r\n]+ ends after the run's last line break. */
  last = G_MAXUINT;
  for (j = i; j < n && (cls[j] & C_WS); j++)
    if (cls[j] & C_NL)
      last = j;
  if (last != G_MAXUINT)
    return last + 1 - i;
  /* \s+(?!\S): leave the last space to the word that follows. */
  if (j == n || j - i == 1)
    return j - i;
  return j - 1 - i;
}

typedef struct {
  guint32 rank;
  guint32 pos;
  guint32 left, right;
} HeapItem;

static gboolean
heap_less (const HeapItem *a, const HeapItem *b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void
heap_push (GArray *h, HeapItem it)
{
  HeapItem *d;
  guint i;

  g_array_append_val (h, it);
  d = (HeapItem *) h->data;
  for (i = h->len - 1; i > 0; )
    {
      guint p = (i - 1) / 2;
      if (!heap_less (&d[i], &d[p]))
        break;
      HeapItem t = d[i]; d[i] = d[p]; d[p] = t;
      i = p;
    }
}

static HeapItem
heap_pop (GArray *h)
{
  HeapItem *d = (HeapItem *) h->data;
  HeapItem top = d[0];
  guint n = h->len - 1, i = 0;

  d[0] = d[n];
  g_array_set_size (h, n);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && heap_less (&d[l], &d[m]))
        m = l;
      if (r < n && heap_less (&d[r], &d[m]))
        m = r;
      if (m == i)
        break;
      HeapItem t = d[i]; d[i] = d[m]; d[m] = t;
      i = m;
    }
  return top;
}

typedef struct {
  GArray *sym;    /* guint32 id per byte position, G_MAXUINT32 once merged away */
  GArray *next;   /* gint32 */
  GArray *prev;   /* gint32 */
  GArray *heap;   /* HeapItem */
} BpeScratch;

static void
push_pair (const JgTokenizer *self, BpeScratch *s, gint32 pos)
{
  gint32 nx;
  guint32 a, b, rank, res;

  if (pos < 0 || (nx = g_array_index (s->next, gint32, pos)) < 0)
    return;
  a = g_array_index (s->sym, guint32, pos);
  b = g_array_index (s->sym, guint32, nx);
  if (merge_find (self, a, b, &rank, &res))
    heap_push (s->heap, (HeapItem) { rank, (guint32) pos, a, b });
}

/* Merges the bytes of one pre-token by rank, lowest first (leftmost on
 * ties), and appends the resulting ids. */
static void
bpe_word (const JgTokenizer *self, BpeScratch *s, const guint8 *p, guint n, GArray *ids)
{
  guint32 *sym;
  gint32 *next, *prev;

  if (self->ignore_merges)
    {
      int whole = vocab_find (self, p, n);
      if (whole >= 0)
        {
          guint32 w = (guint32) whole;
          g_array_append_val (ids, w);
          return;
        }
    }
  g_array_set_size (s->sym, n);
  g_array_set_size (s->next, n);
  g_array_set_size (s->prev, n);
  g_array_set_size (s->heap, 0);
  sym = (guint32 *) s->sym->data;
  next = (gint32 *) s->next->data;
  prev = (gint32 *) s->prev->data;
  for (guint i = 0; i < n; i++)
    {
      sym[i] = self->byte_id[p[i]];
      next[i] = i + 1 < n ? (gint32) i + 1 : -1;
      prev[i] = (gint32) i - 1;
    }
  for (guint i = 0; i + 1 < n; i++)
    push_pair (self, s, (gint32) i);
  while (s->heap->len > 0)
    {
      HeapItem it = heap_pop (s->heap);
      gint32 r = next[it.pos];
      guint32 rank, res;
      /* Stale entries: the pair changed since it was queued. */
      if (sym[it.pos] != it.left || r < 0 || sym[r] != it.right)
        continue;
      merge_find (self, it.left, it.right, &rank, &res);
      sym[it.pos] = res;
      sym[r] = G_MAXUINT32;
      next[it.pos] = next[r];
      if (next[r] >= 0)
        prev[next[r]] = (gint32) it.pos;
      push_pair (self, s, prev[it.pos]);
      push_pair (self, s, (gint32) it.pos);
    }
  for (gint32 i = 0; i >= 0; i = next[i])
    g_array_append_val (ids, sym[i]);
}

static void
encode_segment (JgTokenizer *self, const char *text, gsize length, BpeScratch *s,
                GArray *cps, GArray *cls, GArray *offs, GArray *ids)
{
  g_autofree char *normalized = NULL;
  const char *p = text, *end;
  gboolean ascii = TRUE;
  guint n;

  if (length == 0)
    return;
  for (gsize i = 0; i < length && ascii; i++)
    ascii = (guchar) text[i] < 0x80;
  /* NFC leaves ASCII alone; skip the copy for it. */
  if (self->nfc && !ascii)
    {
      normalized = g_utf8_normalize (text, (gssize) length, G_NORMALIZE_NFC);
      p = text = normalized;
      length = strlen (normalized);
    }
  end = text + length;
  g_array_set_size (cps, 0);
  g_array_set_size (cls, 0);
  g_array_set_size (offs, 0);
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      guint8 k = char_class (c);
      guint32 o = (guint32) (p - text);
      g_array_append_val (cps, c);
      g_array_append_val (cls, k);
      g_array_append_val (offs, o);
      p = g_utf8_next_char (p);
    }
  n = cps->len;
  {
    guint32 o = (guint32) length;
    g_array_append_val (offs, o);
  }
  for (guint i = 0; i < n; )
    {
      guint m = pretoken_length ((const gunichar *) cps->data, (const guint8 *) cls->data, i, n);
      guint32 b0 = g_array_index (offs, guint32, i), b1 = g_array_index (offs, guint32, i + m);
      bpe_word (self, s, (const guint8 *) text + b0, b1 - b0, ids);
      i += m;
    }
}

char **
jg_qwen2_pretokenize (const char *text, gssize length)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  g_autoptr(GArray) cps = g_array_new (FALSE, FALSE, sizeof (gunichar));
  g_autoptr(GArray) cls = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autoptr(GArray) offs = g_array_new (FALSE, FALSE, sizeof (guint32));
  const char *end = text + (length < 0 ? strlen (text) : (gsize) length);

  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint8 k = char_class (c);
      guint32 o = (guint32) (p - text);
      g_array_append_val (cps, c);
      g_array_append_val (cls, k);
      g_array_append_val (offs, o);
    }
  {
    guint32 o = (guint32) (end - text);
    g_array_append_val (offs, o);
  }
  for (guint i = 0; i < cps->len; )
    {
      guint m = pretoken_length ((const gunichar *) cps->data, (const guint8 *) cls->data, i, cps->len);
      guint32 b0 = g_array_index (offs, guint32, i), b1 = g_array_index (offs, guint32, i + m);
      g_ptr_array_add (out, g_strndup (text + b0, b1 - b0));
      i += m;
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_steal (out, NULL);
}

/* The longest added token starting at @p, or -1. */
static int
match_added (const JgTokenizer *self, const char *p, gsize left)
{
  for (guint i = 0; i < self->added->len; i++)
    {
      guint32 id = g_array_index (self->added, guint32, i);
      guint32 n = self->len[id];
      const guint8 *c = self->blob->data + self->off[id];
      if (n <= left && (guint8) p[0] == c[0] && memcmp (p, c, n) == 0)
        return (int) id;
    }
  return -1;
}

gboolean
jg_tokenizer_encode (JgTokenizer *self,
                     const char *text,
                     gssize length,
                     GArray *ids,
                     GError **error)
{
  gsize n = length < 0 ? strlen (text) : (gsize) length;
  gsize seg = 0, i = 0;
  BpeScratch s = {
    g_array_new (FALSE, FALSE, sizeof (guint32)), g_array_new (FALSE, FALSE, sizeof (gint32)),
    g_array_new (FALSE, FALSE, sizeof (gint32)), g_array_new (FALSE, FALSE, sizeof (HeapItem)),
  };
  g_autoptr(GArray) cps = g_array_new (FALSE, FALSE, sizeof (gunichar));
  g_autoptr(GArray) cls = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autoptr(GArray) offs = g_array_new (FALSE, FALSE, sizeof (guint32));
  const char *bad;

  if (!g_utf8_validate_len (text, n, &bad))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "text is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")", (gsize) (bad - text));
      g_array_unref (s.sym); g_array_unref (s.next); g_array_unref (s.prev); g_array_unref (s.heap);
      return FALSE;
    }
  while (i < n)
    {
      int id = self->added->len ? match_added (self, text + i, n - i) : -1;
      if (id < 0)
        {
          i++;
          continue;
        }
      encode_segment (self, text + seg, i - seg, &s, cps, cls, offs, ids);
      {
        guint32 u = (guint32) id;
        g_array_append_val (ids, u);
      }
      i += self->len[id];
      seg = i;
    }
  encode_segment (self, text + seg, n - seg, &s, cps, cls, offs, ids);
  g_array_unref (s.sym); g_array_unref (s.next); g_array_unref (s.prev); g_array_unref (s.heap);
  return TRUE;
}

/* ---- decoding ---- */

void
jg_utf8_append_lossy (GString *out, const char *text, gsize n)
{
  const guint8 *p = (const guint8 *) text;

  while (n > 0)
    {
      const char *end;
      guint need, k;
      if (g_utf8_validate_len ((const char *) p, n, &end))
        {
          g_string_append_len (out, (const char *) p, (gssize) n);
          return;
        }
      k = (guint) ((const guint8 *) end - p);
      g_string_append_len (out, (const char *) p, k);
      p += k;
      n -= k;
      g_string_append (out, "\xef\xbf\xbd");
      /* Skip the lead byte and the continuation bytes that belong to it. */
      need = p[0] >= 0xf0 && p[0] <= 0xf4 ? 3 : p[0] >= 0xe0 && p[0] <= 0xef ? 2 : p[0] >= 0xc2 && p[0] <= 0xdf ? 1 : 0;
      p++;
      n--;
      while (need-- > 0 && n > 0 && (p[0] & 0xc0) == 0x80)
        {
          p++;
          n--;
        }
    }
}

void
jg_tokenizer_decode (const JgTokenizer *self,
                     const guint32 *ids,
                     gsize n_ids,
                     gboolean skip_special,
                     GString *out)
{
  g_autoptr(GString) raw = g_string_new (NULL);

  for (gsize i = 0; i < n_ids; i++)
    {
      gsize n;
      const guint8 *p;
      if (skip_special && jg_tokenizer_is_special (self, ids[i]))
        continue;
      p = jg_tokenizer_token_bytes (self, ids[i], &n);
      if (p == NULL)
        {
          /* An id outside the vocabulary prints as U+FFFD, never crashes. */
          jg_utf8_append_lossy (out, raw->str, raw->len);
          g_string_truncate (raw, 0);
          g_string_append (out, "\xef\xbf\xbd");
          continue;
        }
      g_string_append_len (raw, (const char *) p, (gssize) n);
    }
  jg_utf8_append_lossy (out, raw->str, raw->len);
}

gsize
jg_utf8_complete_prefix (const char *buf, gsize length)
{
  const guint8 *p = (const guint8 *) buf;
  gsize k = length;
  guint back = 0;
  guint need;

  while (k > 0 && back < 3 && (p[k - 1] & 0xc0) == 0x80)
    {
      k--;
      back++;
    }
  if (k == 0)
    return length;
  need = p[k - 1] >= 0xf0 ? 4 : p[k - 1] >= 0xe0 ? 3 : p[k - 1] >= 0xc0 ? 2 : 1;
  /* The lead byte at k-1 waits for more continuation bytes. */
  if (need > 1 && length - (k - 1) < need)
    return k - 1;
  return length;
}
