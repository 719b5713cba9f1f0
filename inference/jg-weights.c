#include "inference/jg-weights.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

struct _JgWeights {
  JgSafetensors *base;
  JgSafetensors *adapter;   /* may be NULL */
  char *prefix;
  float alpha;
  GHashTable *overrides;    /* thinker-relative name -> const JgStTensor* of the adapter */
  GHashTable *lora;         /* module -> GINT_TO_POINTER (merged?) */
};

void
jg_weights_free (JgWeights *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->overrides, g_hash_table_unref);
  g_clear_pointer (&self->lora, g_hash_table_unref);
  g_clear_pointer (&self->adapter, jg_safetensors_free);
  g_clear_pointer (&self->base, jg_safetensors_free);
  g_free (self->prefix);
  g_free (self);
}

char *
jg_weights_adapter_config_path (const char *adapter)
{
  g_autofree char *dir = g_file_test (adapter, G_FILE_TEST_IS_DIR) ? g_strdup (adapter) : g_path_get_dirname (adapter);
  return g_build_filename (dir, "adapter_config.json", NULL);
}

static gboolean
read_alpha (const char *adapter, float *alpha, GError **error)
{
  g_autofree char *cfg = jg_weights_adapter_config_path (adapter);
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonNode *root, *a;

  if (!json_parser_load_from_file (p, cfg, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                   "%s: no LoRA alpha given and no readable adapter_config.json (%s)", adapter, local->message);
      return FALSE;
    }
  root = json_parser_get_root (p);
  a = root && JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "lora_alpha") : NULL;
  if (a == NULL || !JSON_NODE_HOLDS_VALUE (a) || json_node_get_double (a) <= 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: lora_alpha is missing or not positive", cfg);
      return FALSE;
    }
  *alpha = (float) json_node_get_double (a);
  return TRUE;
}

JgWeights *
jg_weights_open (const char *model, const char *adapter, float lora_alpha, GError **error)
{
  g_autoptr(JgWeights) self = g_new0 (JgWeights, 1);

  self->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->lora = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->base = jg_safetensors_open (model, error);
  if (self->base == NULL)
    return NULL;
  /* A full Qwen2.5-Omni checkpoint keeps the thinker under "thinker.". */
  self->prefix = g_strdup (jg_safetensors_lookup (self->base, "thinker.model.embed_tokens.weight") != NULL
                           ? "thinker." : "");
  if (adapter == NULL)
    return g_steal_pointer (&self);

  self->adapter = jg_safetensors_open (adapter, error);
  if (self->adapter == NULL)
    return NULL;
  self->alpha = lora_alpha;
  for (guint i = 0; i < jg_safetensors_get_n_tensors (self->adapter); i++)
    {
      const JgStTensor *t = jg_safetensors_get_tensor (self->adapter, i);
      g_autofree char *module = jg_lora_module_from_key (t->name, NULL);
      const char *name = jg_peft_strip_prefix (t->name);
      const char *bl;

      if (module != NULL)
        {
          g_hash_table_replace (self->lora, g_steal_pointer (&module), GINT_TO_POINTER (FALSE));
          continue;
        }
      /* PEFT renames a wrapped module's own weight to base_layer. */
      bl = strstr (name, ".base_layer.");
      if (bl != NULL)
        g_hash_table_replace (self->overrides,
                              g_strdup_printf ("%.*s%s", (int) (bl - name), name, bl + strlen (".base_layer")),
                              (gpointer) t);
      else
        g_hash_table_replace (self->overrides, g_strdup (name), (gpointer) t);
    }
  if (g_hash_table_size (self->lora) > 0 && self->alpha <= 0 && !read_alpha (adapter, &self->alpha, error))
    return NULL;
  return g_steal_pointer (&self);
}

const JgSafetensors *
jg_weights_get_base (const JgWeights *self)
{
  return self->base;
}

const char *
jg_weights_get_prefix (const JgWeights *self)
{
  return self->prefix;
}

const JgStTensor *
jg_weights_lookup (const JgWeights *self, const char *name)
{
  const JgStTensor *t = g_hash_table_lookup (self->overrides, name);
  g_autofree char *full = NULL;

  if (t != NULL)
    return t;
  full = g_strconcat (self->prefix, name, NULL);
  return jg_safetensors_lookup (self->base, full);
}

/* "X.weight" -> module "X" when the adapter has LoRA for it. */
static char *
lora_module_of (const JgWeights *self, const char *name)
{
  if (!g_str_has_suffix (name, ".weight") || g_hash_table_size (self->lora) == 0)
    return NULL;
  {
    char *module = g_strndup (name, strlen (name) - strlen (".weight"));
    if (g_hash_table_contains (self->lora, module))
      return module;
    g_free (module);
  }
  return NULL;
}

gboolean
jg_weights_has_lora (const JgWeights *self, const char *name)
{
  g_autofree char *m = lora_module_of (self, name);
  return m != NULL;
}

const JgStTensor *
jg_weights_require (JgWeights *self, const char *name, guint n_dims, const gint64 *shape, GError **error)
{
  const JgStTensor *t = jg_weights_lookup (self, name);
  g_autofree char *full = NULL;

  if (t == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: missing tensor %s%s%s",
                   jg_safetensors_get_path (self->base), self->prefix, name,
                   self->adapter ? " (not in the adapter either)" : "");
      return NULL;
    }
  /* Re-check through the store that holds it, for its error message. */
  if (g_hash_table_lookup (self->overrides, name) == t)
    return jg_safetensors_require (self->adapter, t->name, JG_ST_MASK_FLOAT, n_dims, shape, error);
  full = g_strconcat (self->prefix, name, NULL);
  return jg_safetensors_require (self->base, full, JG_ST_MASK_FLOAT, n_dims, shape, error);
}

static gboolean
merge_lora (JgWeights *self, const char *name, const JgStTensor *t, float *w, GError **error)
{
  g_autofree char *module = lora_module_of (self, name);

  if (module == NULL)
    return TRUE;
  if (t->n_dims != 2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: LoRA targets %s, which is not a matrix", jg_safetensors_get_path (self->adapter), name);
      return FALSE;
    }
  if (!jg_lora_merge (self->adapter, module, self->alpha, w, t->shape[0], t->shape[1], error))
    return FALSE;
  g_hash_table_replace (self->lora, g_strdup (module), GINT_TO_POINTER (TRUE));
  return TRUE;
}

gboolean
jg_weights_read_f32 (JgWeights *self, const char *name, guint n_dims, const gint64 *shape,
                     float *out, GError **error)
{
  const JgStTensor *t = jg_weights_require (self, name, n_dims, shape, error);

  if (t == NULL || !jg_st_tensor_to_f32 (t, out, error))
    return FALSE;
  return merge_lora (self, name, t, out, error);
}

gboolean
jg_weights_read_f16 (JgWeights *self, const char *name, guint n_dims, const gint64 *shape,
                     guint16 *out, GError **error)
{
  const JgStTensor *t = jg_weights_require (self, name, n_dims, shape, error);
  g_autofree float *tmp = NULL;

  if (t == NULL)
    return FALSE;
  if (!jg_weights_has_lora (self, name))
    return jg_st_tensor_to_f16 (t, out, error);
  /* Merge in f32, round once. */
  tmp = g_new (float, t->n_elements);
  if (!jg_st_tensor_to_f32 (t, tmp, error) || !merge_lora (self, name, t, tmp, error))
    return FALSE;
  for (gint64 i = 0; i < t->n_elements; i++)
    out[i] = jg_f32_to_f16 (tmp[i]);
  return TRUE;
}

static int
str_ptr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
jg_weights_unused_lora (const JgWeights *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer key, merged;

  g_hash_table_iter_init (&it, self->lora);
  while (g_hash_table_iter_next (&it, &key, &merged))
    if (!GPOINTER_TO_INT (merged))
      g_ptr_array_add (out, g_strdup (key));
  g_ptr_array_sort (out, str_ptr_cmp);
  return out;
}
