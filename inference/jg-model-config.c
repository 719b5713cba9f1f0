#include "inference/jg-model-config.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

const char *
jg_config_layout_name (JgConfigLayout layout)
{
  switch (layout)
    {
    case JG_CONFIG_LAYOUT_OMNI: return "thinker_config.text_config";
    case JG_CONFIG_LAYOUT_THINKER: return "text_config";
    case JG_CONFIG_LAYOUT_FLAT: return "flat Qwen2";
    default: return "?";
    }
}

static JsonObject *
get_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* Reads integer @name; FALSE (with an error) when it is there but not a
 * positive integer, or when it is required and absent. */
static gboolean
get_int (JsonObject *o, const char *name, gboolean required, int *out,
         const char *origin, const char *where, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);
  gint64 v;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      if (!required)
        return TRUE;
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s lacks \"%s\"", origin, where, name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || (v = json_node_get_int (n)) <= 0 || v > G_MAXINT)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %s.%s must be a positive integer", origin, where, name);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

static gboolean
get_double (JsonObject *o, const char *name, double *out,
            const char *origin, const char *where, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  GType t;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_INVALID;
  if ((t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) || !(json_node_get_double (n) > 0)
      || !isfinite (json_node_get_double (n)))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %s.%s must be a positive number", origin, where, name);
      return FALSE;
    }
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
get_bool (JsonObject *o, const char *name, gboolean *out)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
get_mrope (JsonObject *rope, JgQwen2Config *c, const char *origin, const char *where, GError **error)
{
  JsonNode *n = rope ? json_object_get_member (rope, "mrope_section") : NULL;
  JsonArray *a;

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (a = json_node_get_array (n)) != 3)
    goto bad;
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64
          || json_node_get_int (e) < 0 || json_node_get_int (e) > 4096)
        goto bad;
      c->mrope_section[i] = (int) json_node_get_int (e);
    }
  c->n_mrope = 3;
  return TRUE;
bad:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "%s: %s mrope_section must be three non-negative integers", origin, where);
  return FALSE;
}

static void
get_token_id (JsonObject *o, const char *const *names, int *out)
{
  for (int i = 0; names[i]; i++)
    {
      JsonNode *n = o ? json_object_get_member (o, names[i]) : NULL;
      if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        {
          *out = (int) json_node_get_int (n);
          return;
        }
    }
}

gboolean
jg_qwen2_config_parse (const char *json,
                       gssize length,
                       const char *origin,
                       JgQwen2Config *out,
                       GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;
  JsonObject *top, *thinker, *text, *rope_scaling, *rope_params;
  const char *where;
  JgQwen2Config c = { 0 };

  if (!json_parser_load_from_data (parser, json, length, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not valid JSON: %s", origin, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not a JSON object", origin);
      return FALSE;
    }
  top = json_node_get_object (root);
  thinker = get_object (top, "thinker_config");
  if (thinker && get_object (thinker, "text_config"))
    {
      c.layout = JG_CONFIG_LAYOUT_OMNI;
      text = get_object (thinker, "text_config");
      where = "thinker_config.text_config";
    }
  else if (get_object (top, "text_config"))
    {
      c.layout = JG_CONFIG_LAYOUT_THINKER;
      thinker = top;
      text = get_object (top, "text_config");
      where = "text_config";
    }
  else if (json_object_has_member (top, "hidden_size"))
    {
      c.layout = JG_CONFIG_LAYOUT_FLAT;
      thinker = NULL;
      text = top;
      where = "config";
    }
  else
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: no language-model settings: expected thinker_config.text_config, "
                   "text_config or a flat Qwen2 config with hidden_size", origin);
      return FALSE;
    }

  if (!get_int (text, "hidden_size", TRUE, &c.hidden_size, origin, where, error)
      || !get_int (text, "num_hidden_layers", TRUE, &c.n_layers, origin, where, error)
      || !get_int (text, "num_attention_heads", TRUE, &c.n_heads, origin, where, error)
      || !get_int (text, "intermediate_size", TRUE, &c.intermediate_size, origin, where, error)
      || !get_int (text, "vocab_size", TRUE, &c.vocab_size, origin, where, error))
    return FALSE;
  /* Transformers' defaults where a field may be left out. */
  c.n_kv_heads = c.n_heads;
  c.head_dim = c.hidden_size / c.n_heads;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = c.layout == JG_CONFIG_LAYOUT_FLAT ? 10000.0 : 1000000.0;
  c.max_position_embeddings = 32768;
  c.audio_token_id = c.image_token_id = c.video_token_id = -1;
  if (!get_int (text, "num_key_value_heads", FALSE, &c.n_kv_heads, origin, where, error)
      || !get_int (text, "head_dim", FALSE, &c.head_dim, origin, where, error)
      || !get_int (text, "max_position_embeddings", FALSE, &c.max_position_embeddings, origin, where, error)
      || !get_double (text, "rms_norm_eps", &c.rms_norm_eps, origin, where, error)
      || !get_double (text, "rope_theta", &c.rope_theta, origin, where, error))
    return FALSE;
  /* Newer transformers keep θ and the sections in rope_parameters. */
  rope_scaling = get_object (text, "rope_scaling");
  rope_params = get_object (text, "rope_parameters");
  if (!get_double (rope_params, "rope_theta", &c.rope_theta, origin, where, error)
      || !get_mrope (rope_scaling, &c, origin, where, error)
      || !get_mrope (rope_params, &c, origin, where, error))
    return FALSE;
  /* Untied unless a level says otherwise (transformers' default). */
  if (!get_bool (text, "tie_word_embeddings", &c.tie_word_embeddings))
    get_bool (thinker, "tie_word_embeddings", &c.tie_word_embeddings);
  get_token_id (thinker, (const char *[]) { "audio_token_index", "audio_token_id", NULL }, &c.audio_token_id);
  get_token_id (thinker, (const char *[]) { "image_token_index", "image_token_id", NULL }, &c.image_token_id);
  get_token_id (thinker, (const char *[]) { "video_token_index", "video_token_id", NULL }, &c.video_token_id);

  if (c.n_heads % c.n_kv_heads != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: num_attention_heads (%d) is not a multiple of num_key_value_heads (%d)",
                   origin, c.n_heads, c.n_kv_heads);
      return FALSE;
    }
  if (c.head_dim % 2 != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: head size %d is odd; rotary embeddings need an even one", origin, c.head_dim);
      return FALSE;
    }
  if (!json_object_has_member (text, "head_dim") && c.hidden_size % c.n_heads != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: hidden_size (%d) is not a multiple of num_attention_heads (%d)",
                   origin, c.hidden_size, c.n_heads);
      return FALSE;
    }
  if (c.n_mrope == 3 && 2 * (c.mrope_section[0] + c.mrope_section[1] + c.mrope_section[2]) != c.head_dim)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: mrope_section [%d, %d, %d] covers %d rotary pairs, the head size %d has %d",
                   origin, c.mrope_section[0], c.mrope_section[1], c.mrope_section[2],
                   c.mrope_section[0] + c.mrope_section[1] + c.mrope_section[2], c.head_dim, c.head_dim / 2);
      return FALSE;
    }
  *out = c;
  return TRUE;
}

gboolean
jg_qwen2_config_load (const char *path, JgQwen2Config *out, GError **error)
{
  g_autofree char *file = g_file_test (path, G_FILE_TEST_IS_DIR)
    ? g_build_filename (path, "config.json", NULL) : g_strdup (path);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;

  if (!g_file_get_contents (file, &text, &len, &local))
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? JG_ERROR_NOT_FOUND : JG_ERROR_IO,
                   "%s", local->message);
      return FALSE;
    }
  return jg_qwen2_config_parse (text, (gssize) len, file, out, error);
}
