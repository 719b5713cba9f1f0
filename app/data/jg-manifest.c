#include "data/jg-manifest.h"
#include "data/jg-read.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define PLACEHOLDER "/path/to/"
#define MAX_MANIFEST_BYTES ((gsize) 1 << 30)

struct _JgManifest {
  char *name;
  char *base_dir;             /* for relative paths when no root is given */
  char *root;
  int remap_depth;            /* leading folders dropped last time a path existed; -1 none */
  GPtrArray *entries;         /* JgManifestEntry */
  GPtrArray *problems;        /* char * */
  guint task_counts[JG_N_TASKS];
};

static void
entry_free (JgManifestEntry *e)
{
  g_free (e->path);
  g_free (e->original_path);
  g_free (e->text);
  jg_answer_free (e->answer);
  g_free (e->target_label);
  g_strfreev (e->obj_category);
  g_free (e);
}

void
jg_manifest_free (JgManifest *m)
{
  if (m == NULL)
    return;
  g_free (m->name);
  g_free (m->base_dir);
  g_free (m->root);
  g_ptr_array_unref (m->entries);
  g_ptr_array_unref (m->problems);
  g_free (m);
}

const char *
jg_gender_to_string (JgGender gender)
{
  return gender == JG_GENDER_MALE ? "male" : gender == JG_GENDER_FEMALE ? "female" : "";
}

/* @remap_depth: the depth that matched last time, -1 for none; updated. */
static char *
remap_path (const char *root, const char *base_dir, int *remap_depth, const char *path)
{
  g_auto(GStrv) parts = NULL;
  const char *rest = path;
  guint n;

  if (root == NULL)
    {
      if (g_path_is_absolute (path))
        return g_strdup (path);
      return g_build_filename (base_dir, path, NULL);
    }
  if (g_str_has_prefix (rest, PLACEHOLDER))
    rest += strlen (PLACEHOLDER);
  while (*rest == '/')
    rest++;
  parts = g_strsplit (rest, "/", -1);
  n = g_strv_length (parts);
  if (n == 0)
    return g_strdup (root);

  /* Try the depth that worked before first: a whole split shares it. */
  if (*remap_depth >= 0 && (guint) *remap_depth < n)
    {
      g_autofree char *tail = g_strjoinv ("/", parts + *remap_depth);
      char *cand = g_build_filename (root, tail, NULL);
      if (g_file_test (cand, G_FILE_TEST_EXISTS))
        return cand;
      g_free (cand);
    }
  for (guint d = 0; d < n; d++)
    {
      g_autofree char *tail = g_strjoinv ("/", parts + d);
      char *cand = g_build_filename (root, tail, NULL);
      if (g_file_test (cand, G_FILE_TEST_EXISTS))
        {
          *remap_depth = (int) d;
          return cand;
        }
      g_free (cand);
    }
  {
    g_autofree char *tail = g_strjoinv ("/", parts + (*remap_depth >= 0 && (guint) *remap_depth < n
                                                      ? *remap_depth : 0));
    return g_build_filename (root, tail, NULL);
  }
}

static char *
remap (JgManifest *m, const char *path)
{
  return remap_path (m->root, m->base_dir, &m->remap_depth, path);
}

char *
jg_manifest_resolve_path (const char *manifest_path, const char *root, const char *path)
{
  g_autofree char *base_dir = g_path_get_dirname (manifest_path);
  int depth = -1;

  return remap_path (root, base_dir, &depth, path);
}

static const char *
get_string (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
get_number (JsonObject *o, const char *key, double *out)
{
  JsonNode *n = json_object_get_member (o, key);
  GType t;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    *out = (double) json_node_get_int (n);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (n);
  else
    return FALSE;
  return isfinite (*out);
}

static gboolean
parse_gender (const char *s, JgGender *out)
{
  if (g_ascii_strcasecmp (s, "M") == 0 || g_ascii_strcasecmp (s, "male") == 0)
    *out = JG_GENDER_MALE;
  else if (g_ascii_strcasecmp (s, "F") == 0 || g_ascii_strcasecmp (s, "female") == 0)
    *out = JG_GENDER_FEMALE;
  else
    return FALSE;
  return TRUE;
}

/* Checks one entry; returns NULL with *problem set when it is bad. */
static JgManifestEntry *
read_entry (JgManifest *m, JsonNode *node, guint index, char **problem)
{
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  const char *path, *task_name, *text, *s;
  JgManifestEntry *e;
  double v;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      *problem = g_strdup_printf ("entry %u: not a JSON object", index);
      return NULL;
    }
  o = json_node_get_object (node);
  path = get_string (o, "path");
  if (path == NULL || *path == '\0')
    {
      *problem = g_strdup_printf ("entry %u: no \"path\" string", index);
      return NULL;
    }
  e = g_new0 (JgManifestEntry, 1);
  e->index = index;
  e->original_path = g_strdup (path);

#define BAD(...) G_STMT_START {                                               \
    g_autofree char *why_ = g_strdup_printf (__VA_ARGS__);                    \
    *problem = g_strdup_printf ("entry %u (%s): %s", index, path, why_);      \
    entry_free (e);                                                           \
    return NULL;                                                              \
  } G_STMT_END

  task_name = get_string (o, "task");
  if (task_name == NULL)
    BAD ("no \"task\" string");
  if (!jg_task_from_string (task_name, &e->task, &error))
    BAD ("%s", error->message);
  text = get_string (o, "text");
  if (text == NULL)
    BAD ("no \"text\" (answer) string");
  e->text = g_strdup (text);
  e->answer = jg_answer_parse (e->task, text, JG_UNITS_METRES);
  if (e->answer->kind == JG_ANSWER_UNPARSED)
    BAD ("answer \"%.60s\" is not a valid %s answer", text, task_name);

  switch (e->answer->kind)
    {
    case JG_ANSWER_DOA:
      if (fabs (e->answer->az_deg) > 180.0 || fabs (e->answer->el_deg) > 90.0)
        BAD ("direction (%g, %g) is outside azimuth [-180, 180], elevation [-90, 90]",
             e->answer->az_deg, e->answer->el_deg);
      break;
    case JG_ANSWER_BOXES:
      for (guint b = 0; b < e->answer->boxes->len; b++)
        {
          const JgBox *box = &g_array_index (e->answer->boxes, JgBox, b);
          if (box->size[0] <= 0 || box->size[1] <= 0 || box->size[2] <= 0)
            BAD ("bbox_%d has a size that is not positive", box->index);
        }
      break;
    default:
      break;
    }

  if ((s = get_string (o, "gender")) != NULL && !parse_gender (s, &e->gender))
    BAD ("gender \"%s\" is not M, F, male or female", s);
  if (json_object_has_member (o, "num_speakers"))
    {
      if (!get_number (o, "num_speakers", &v) || v != floor (v) || v < 1 || v > 64)
        BAD ("\"num_speakers\" is not a count between 1 and 64");
      e->num_speakers = (guint) v;
      if (e->answer->kind == JG_ANSWER_SIDE && e->num_speakers == 2 && e->answer->side == JG_SIDE_CENTER)
        BAD ("answer Center with only 2 loudspeakers");
    }
  if ((s = get_string (o, "target_label")) != NULL)
    e->target_label = g_strdup (s);
  if (json_object_has_member (o, "obj_category"))
    {
      JsonNode *n = json_object_get_member (o, "obj_category");
      JsonArray *a = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
      guint len = a ? json_array_get_length (a) : 0;

      if (a == NULL)
        BAD ("\"obj_category\" is not a list");
      e->obj_category = g_new0 (char *, len + 1);
      for (guint i = 0; i < len; i++)
        {
          JsonNode *c = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_VALUE (c) || json_node_get_value_type (c) != G_TYPE_STRING)
            BAD ("\"obj_category\" item %u is not a string", i);
          e->obj_category[i] = g_strdup (json_node_get_string (c));
        }
    }
  if (json_object_has_member (o, "hfov") || json_object_has_member (o, "vfov"))
    {
      if (!get_number (o, "hfov", &e->hfov_deg) || !get_number (o, "vfov", &e->vfov_deg)
          || e->hfov_deg <= 0 || e->hfov_deg >= 180 || e->vfov_deg <= 0 || e->vfov_deg >= 180)
        BAD ("\"hfov\" and \"vfov\" must both be degrees in (0, 180)");
    }
#undef BAD

  e->path = remap (m, path);
  return e;
}

/* json-glib's parser recurses once per nesting level; a forged file of
 * nested brackets would overflow the stack. Manifests nest 4 levels. */
static gboolean
nesting_ok (const char *data, gsize len)
{
  int depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > 64)
        return FALSE;
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

JgManifest *
jg_manifest_parse (const char *data, gsize len, const char *name, const char *root, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(JgManifest) m = NULL;
  JsonNode *top;
  JsonArray *arr;

  if (!nesting_ok (data, len))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: JSON nested more than 64 levels deep, not a manifest", name);
      return NULL;
    }
  if (len > G_MAXSSIZE || !json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not valid JSON: %s", name,
                   local ? local->message : "too large");
      return NULL;
    }
  top = json_parser_get_root (parser);
  if (top == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: empty file, expected {\"annotation\": [...]}", name);
      return NULL;
    }
  /* The reference loader also takes a bare list (data.get("annotation", data)). */
  if (top != NULL && JSON_NODE_HOLDS_OBJECT (top))
    {
      JsonNode *a = json_object_get_member (json_node_get_object (top), "annotation");
      if (a == NULL || !JSON_NODE_HOLDS_ARRAY (a))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: no \"annotation\" list (is this a SpatialSceneQA manifest?)", name);
          return NULL;
        }
      arr = json_node_get_array (a);
    }
  else if (top != NULL && JSON_NODE_HOLDS_ARRAY (top))
    arr = json_node_get_array (top);
  else
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: expected {\"annotation\": [...]}, found no object", name);
      return NULL;
    }

  m = g_new0 (JgManifest, 1);
  m->name = g_strdup (name);
  m->base_dir = g_path_get_dirname (name);
  m->root = g_strdup (root);
  m->remap_depth = -1;
  m->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  m->problems = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      char *problem = NULL;
      JgManifestEntry *e = read_entry (m, json_array_get_element (arr, i), i, &problem);

      if (e != NULL)
        {
          g_ptr_array_add (m->entries, e);
          m->task_counts[e->task]++;
        }
      else
        g_ptr_array_add (m->problems, problem);
    }
  return g_steal_pointer (&m);
}

JgManifest *
jg_manifest_load (const char *path, const char *root, GError **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize len;

  if (!jg_read_file (path, MAX_MANIFEST_BYTES, &bytes, &len, error))
    return NULL;
  return jg_manifest_parse ((const char *) bytes, len, path, root, error);
}

const char *
jg_manifest_get_name (JgManifest *m)
{
  return m->name;
}

guint
jg_manifest_get_n_entries (JgManifest *m)
{
  return m->entries->len;
}

const JgManifestEntry *
jg_manifest_get_entry (JgManifest *m, guint i)
{
  g_return_val_if_fail (i < m->entries->len, NULL);
  return g_ptr_array_index (m->entries, i);
}

guint
jg_manifest_count_task (JgManifest *m, JgTask task)
{
  g_return_val_if_fail (task >= 0 && task < JG_N_TASKS, 0);
  return m->task_counts[task];
}

guint
jg_manifest_get_n_problems (JgManifest *m)
{
  return m->problems->len;
}

const char *
jg_manifest_get_problem (JgManifest *m, guint i)
{
  g_return_val_if_fail (i < m->problems->len, NULL);
  return g_ptr_array_index (m->problems, i);
}
