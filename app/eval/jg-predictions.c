/* jg-predictions.c: see jg-predictions.h. */
#include "eval/jg-predictions.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

struct _JgPredictionSet {
  GArray *records;        /* JgPrediction; strings live in @strings */
  GStringChunk *strings;
  JgRunInfo run;
  gboolean have_run;
  guint n_skipped;
};

JgPredictionSet *
jg_prediction_set_new (void)
{
  JgPredictionSet *set = g_new0 (JgPredictionSet, 1);

  set->records = g_array_new (FALSE, FALSE, sizeof (JgPrediction));
  set->strings = g_string_chunk_new (64 * 1024);
  return set;
}

void
jg_prediction_set_free (JgPredictionSet *set)
{
  if (set == NULL)
    return;
  g_array_unref (set->records);
  g_string_chunk_free (set->strings);
  g_free (set);
}

guint
jg_prediction_set_get_n (const JgPredictionSet *set)
{
  return set->records->len;
}

const JgPrediction *
jg_prediction_set_get (const JgPredictionSet *set, guint i)
{
  g_return_val_if_fail (i < set->records->len, NULL);
  return &g_array_index (set->records, JgPrediction, i);
}

const JgRunInfo *
jg_prediction_set_get_run (const JgPredictionSet *set)
{
  return &set->run;
}

guint
jg_prediction_set_get_n_skipped (const JgPredictionSet *set)
{
  return set->n_skipped;
}

/* One file's worth of parsing; committed to the set only on success. */
typedef struct {
  JgPredictionSet *set;
  const char *name;
  GArray *records;
  guint n_skipped;
  JgRunInfo run;
  gboolean have_run;
} Load;

static const char *
intern (Load *ld, const char *s)
{
  return s ? g_string_chunk_insert_const (ld->set->strings, s) : NULL;
}

/* The members of a record this reader looks at, whatever parsed it. */
enum {
  F_PATH, F_TASK, F_PRED_TEXT, F_RAW_OUTPUT, F_ANSWER, F_GT_TEXT, F_TEXT,
  F_GENDER, F_QUESTION, F_UNITS, F_PRED_AZ, F_PRED_EL, F_GT_AZ, F_GT_EL, N_FIELDS
};

static const char *const field_names[N_FIELDS] = {
  "path", "task", "pred_text", "raw_output", "answer", "gt_text", "text",
  "gender", "question", "units", "pred_az", "pred_el", "gt_az", "gt_el",
};

typedef enum { V_ABSENT, V_NULL, V_STRING, V_NUMBER, V_OTHER } ValueKind;

typedef struct {
  ValueKind kind;
  const char *s;       /* V_STRING */
  double num;          /* V_NUMBER */
} FlatValue;

typedef struct {
  FlatValue v[N_FIELDS];
} FlatRecord;

static int
field_index (const char *key)
{
  for (int f = 0; f < N_FIELDS; f++)
    if (strcmp (key, field_names[f]) == 0)
      return f;
  return -1;
}

static void
flat_from_object (JsonObject *o, FlatRecord *r)
{
  for (int f = 0; f < N_FIELDS; f++)
    {
      JsonNode *n = json_object_get_member (o, field_names[f]);
      FlatValue *v = &r->v[f];
      GType t;

      v->kind = V_ABSENT;
      if (n == NULL)
        continue;
      if (JSON_NODE_HOLDS_NULL (n))
        {
          v->kind = V_NULL;
          continue;
        }
      v->kind = V_OTHER;
      if (!JSON_NODE_HOLDS_VALUE (n))
        continue;
      t = json_node_get_value_type (n);
      if (t == G_TYPE_STRING)
        {
          v->kind = V_STRING;
          v->s = json_node_get_string (n);
        }
      else if (t == G_TYPE_DOUBLE || t == G_TYPE_INT64)
        {
          v->kind = V_NUMBER;
          v->num = json_node_get_double (n);
        }
    }
}

static gboolean
get_opt_string (Load *ld, const FlatRecord *r, int f, const char *where, const char **out,
                GError **error)
{
  const FlatValue *v = &r->v[f];

  *out = NULL;
  if (v->kind == V_ABSENT || v->kind == V_NULL)
    return TRUE;
  if (v->kind != V_STRING)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s: \"%s\" is not a string",
                   ld->name, where, field_names[f]);
      return FALSE;
    }
  *out = v->s;
  return TRUE;
}

static gboolean
get_opt_number (const FlatRecord *r, int f, double *out)
{
  if (r->v[f].kind != V_NUMBER)
    return FALSE;
  *out = r->v[f].num;
  return TRUE;
}

/* "azimuth: A; elevation: E" from numbers, for files that carry angles
 * without the answer text. */
static const char *
doa_text (Load *ld, double az, double el)
{
  char a[G_ASCII_DTOSTR_BUF_SIZE], e[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *s = g_strdup_printf ("azimuth: %s; elevation: %s",
                                        g_ascii_formatd (a, sizeof a, "%.10g", az),
                                        g_ascii_formatd (e, sizeof e, "%.10g", el));
  return g_string_chunk_insert (ld->set->strings, s);
}

/* One record. @key_task is the "details" key it sat under, or NULL. */
static gboolean
add_flat_record (Load *ld, const FlatRecord *r, const char *key_task, const char *where,
                 GError **error)
{
  JgPrediction p = { 0 };
  const char *path, *task = NULL, *s, *units = NULL;
  double az, el;

  if (!get_opt_string (ld, r, F_PATH, where, &path, error)
      || !get_opt_string (ld, r, F_TASK, where, &task, error))
    return FALSE;
  if (path == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s has no \"path\"",
                   ld->name, where);
      return FALSE;
    }
  if (task == NULL)
    task = key_task;
  if (task == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s has no \"task\"",
                   ld->name, where);
      return FALSE;
    }
  if (!jg_task_from_string (task, &p.task, NULL))
    {
      ld->n_skipped++;
      return TRUE;
    }
  p.path = intern (ld, path);

  /* The answer under its names in the three writers, newest first. */
  if (!get_opt_string (ld, r, F_PRED_TEXT, where, &s, error))
    return FALSE;
  if (s == NULL && !get_opt_string (ld, r, F_RAW_OUTPUT, where, &s, error))
    return FALSE;
  if (s == NULL && !get_opt_string (ld, r, F_ANSWER, where, &s, error))
    return FALSE;
  if (s != NULL)
    p.pred_text = g_string_chunk_insert (ld->set->strings, s);
  else if (get_opt_number (r, F_PRED_AZ, &az) && get_opt_number (r, F_PRED_EL, &el))
    p.pred_text = doa_text (ld, az, el);

  if (!get_opt_string (ld, r, F_GT_TEXT, where, &s, error))
    return FALSE;
  if (s == NULL && !get_opt_string (ld, r, F_TEXT, where, &s, error))
    return FALSE;
  if (s != NULL)
    p.gt_text = intern (ld, s);
  else if (get_opt_number (r, F_GT_AZ, &az) && get_opt_number (r, F_GT_EL, &el))
    p.gt_text = doa_text (ld, az, el);

  if (!get_opt_string (ld, r, F_GENDER, where, &s, error))
    return FALSE;
  p.gender = intern (ld, s);
  if (!get_opt_string (ld, r, F_QUESTION, where, &s, error))
    return FALSE;
  p.question = intern (ld, s);

  /* Model answers give boxes in integer centimetres unless a writer says. */
  if (!get_opt_string (ld, r, F_UNITS, where, &units, error))
    return FALSE;
  if (units == NULL || strcmp (units, "cm") == 0)
    p.units = JG_UNITS_CENTIMETRES;
  else if (strcmp (units, "m") == 0)
    p.units = JG_UNITS_METRES;
  else
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %s: unknown units '%s' (expected \"cm\" or \"m\")", ld->name, where, units);
      return FALSE;
    }
  g_array_append_val (ld->records, p);
  return TRUE;
}

static gboolean
add_record (Load *ld, JsonNode *node, const char *key_task, const char *where,
            GError **error)
{
  FlatRecord r;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s is not an object",
                   ld->name, where);
      return FALSE;
    }
  flat_from_object (json_node_get_object (node), &r);
  return add_flat_record (ld, &r, key_task, where, error);
}

/* ---- the fast path for jaeger's own JSON lines ----
 * A record line is a flat object of strings, numbers, true/false/null.
 * Reading those directly is several times faster than building json-glib
 * nodes; a line with anything else (nesting, an invalid escape, bad UTF-8)
 * goes to json-glib, which then reads it or reports the error. */

typedef struct {
  GString *key;
  GString *val[N_FIELDS];
  GString *skip;
} FastScratch;

static const char *
skip_ws (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  return p;
}

static int
hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int c = p[i], d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* A JSON string at @p (on the opening quote) into @out; NULL on anything
 * this fast path does not take. */
static const char *
fast_string (const char *p, const char *end, GString *out)
{
  g_string_truncate (out, 0);
  p++;
  while (p < end)
    {
      const char *run = p;

      while (p < end && *p != '"' && *p != '\\' && (guchar) *p >= 0x20)
        p++;
      g_string_append_len (out, run, p - run);
      if (p >= end || (guchar) *p < 0x20)
        return NULL;
      if (*p == '"')
        return g_utf8_validate_len (out->str, out->len, NULL) ? p + 1 : NULL;
      /* An escape. */
      if (p + 1 >= end)
        return NULL;
      switch (p[1])
        {
        case '"': g_string_append_c (out, '"'); p += 2; break;
        case '\\': g_string_append_c (out, '\\'); p += 2; break;
        case '/': g_string_append_c (out, '/'); p += 2; break;
        case 'b': g_string_append_c (out, '\b'); p += 2; break;
        case 'f': g_string_append_c (out, '\f'); p += 2; break;
        case 'n': g_string_append_c (out, '\n'); p += 2; break;
        case 'r': g_string_append_c (out, '\r'); p += 2; break;
        case 't': g_string_append_c (out, '\t'); p += 2; break;
        case 'u':
          {
            int u = end - p >= 6 ? hex4 (p + 2) : -1;

            if (u < 0)
              return NULL;
            p += 6;
            if (u >= 0xd800 && u <= 0xdbff)
              {
                int lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4 (p + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                  return NULL;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
              }
            else if (u >= 0xdc00 && u <= 0xdfff)
              return NULL;
            /* json-glib stops strings at NUL: leave that case to it. */
            if (u == 0)
              return NULL;
            g_string_append_unichar (out, (gunichar) u);
          }
          break;
        default:
          return NULL;
        }
    }
  return NULL;
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *
fast_number (const char *p, const char *end, double *out)
{
  const char *s = p;
  char buf[64];

  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    return NULL;
  if (p < end && *p == '.')
    {
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if ((gsize) (p - s) >= sizeof buf)
    return NULL;
  memcpy (buf, s, p - s);
  buf[p - s] = '\0';
  *out = g_ascii_strtod (buf, NULL);
  return p;
}

/* One flat object spanning [p, end) exactly; FALSE: not for the fast path. */
static gboolean
fast_record (const char *p, const char *end, FastScratch *sc, FlatRecord *r)
{
  for (int f = 0; f < N_FIELDS; f++)
    r->v[f].kind = V_ABSENT;
  p = skip_ws (p, end);
  if (p >= end || *p != '{')
    return FALSE;
  p = skip_ws (p + 1, end);
  if (p < end && *p == '}')
    return skip_ws (p + 1, end) == end;
  for (;;)
    {
      int f;
      FlatValue v = { V_OTHER, NULL, 0 };

      if (p >= end || *p != '"' || (p = fast_string (p, end, sc->key)) == NULL)
        return FALSE;
      p = skip_ws (p, end);
      if (p >= end || *p != ':')
        return FALSE;
      p = skip_ws (p + 1, end);
      f = field_index (sc->key->str);
      if (p >= end)
        return FALSE;
      if (*p == '"')
        {
          GString *dst = f >= 0 ? sc->val[f] : sc->skip;
          if ((p = fast_string (p, end, dst)) == NULL)
            return FALSE;
          v.kind = V_STRING;
          v.s = dst->str;
        }
      else if (*p == '-' || g_ascii_isdigit (*p))
        {
          if ((p = fast_number (p, end, &v.num)) == NULL)
            return FALSE;
          v.kind = V_NUMBER;
        }
      else if (end - p >= 4 && memcmp (p, "null", 4) == 0)
        v.kind = V_NULL, p += 4;
      else if (end - p >= 4 && memcmp (p, "true", 4) == 0)
        p += 4;
      else if (end - p >= 5 && memcmp (p, "false", 5) == 0)
        p += 5;
      else
        return FALSE;
      /* A repeated member: the last one counts, as in json-glib. */
      if (f >= 0)
        r->v[f] = v;
      p = skip_ws (p, end);
      if (p < end && *p == ',')
        {
          p = skip_ws (p + 1, end);
          continue;
        }
      if (p < end && *p == '}')
        return skip_ws (p + 1, end) == end;
      return FALSE;
    }
}

static gboolean
add_list (Load *ld, JsonArray *arr, const char *key_task, GError **error)
{
  guint n = json_array_get_length (arr);

  for (guint i = 0; i < n; i++)
    {
      char where[96];

      if (key_task != NULL)
        g_snprintf (where, sizeof where, "details.%.40s[%u]", key_task, i);
      else
        g_snprintf (where, sizeof where, "record %u", i + 1);
      if (!add_record (ld, json_array_get_element (arr, i), key_task, where, error))
        return FALSE;
    }
  return TRUE;
}

static char *
node_to_text (JsonNode *n)
{
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  return json_to_string (n, FALSE);
}

static gboolean
get_member_string (Load *ld, JsonObject *o, const char *member, const char *where,
                   const char **out, GError **error)
{
  JsonNode *n = json_object_get_member (o, member);

  *out = NULL;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s: \"%s\" is not a string",
                   ld->name, where, member);
      return FALSE;
    }
  *out = json_node_get_string (n);
  return TRUE;
}

/* {"model", "checkpoint", "settings", "date"} of jaeger's files. */
static gboolean
read_run (Load *ld, JsonNode *node, GError **error)
{
  JsonObject *o;
  const char *s;
  JsonNode *settings;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: \"run\" is not an object",
                   ld->name);
      return FALSE;
    }
  o = json_node_get_object (node);
  if (!get_member_string (ld, o, "model", "run", &s, error))
    return FALSE;
  ld->run.model = intern (ld, s);
  if (!get_member_string (ld, o, "checkpoint", "run", &s, error))
    return FALSE;
  ld->run.checkpoint = intern (ld, s);
  if (!get_member_string (ld, o, "date", "run", &s, error))
    return FALSE;
  ld->run.date = intern (ld, s);
  settings = json_object_get_member (o, "settings");
  if (settings != NULL && !JSON_NODE_HOLDS_NULL (settings))
    {
      g_autofree char *text = node_to_text (settings);
      ld->run.settings = intern (ld, text);
    }
  ld->have_run = TRUE;
  return TRUE;
}

/* The reference scripts' {"config": {"model": {"ckpt": ...}}, ...}. */
static void
read_reference_config (Load *ld, JsonObject *root)
{
  JsonNode *config = json_object_get_member (root, "config");
  g_autofree char *text = NULL;

  if (config == NULL || JSON_NODE_HOLDS_NULL (config))
    return;
  text = json_to_string (config, FALSE);
  ld->run.settings = intern (ld, text);
  if (JSON_NODE_HOLDS_OBJECT (config))
    {
      JsonObject *c = json_node_get_object (config);
      JsonNode *model = json_object_get_member (c, "model");

      if (model != NULL && JSON_NODE_HOLDS_OBJECT (model))
        {
          JsonObject *m = json_node_get_object (model);
          const char *ckpt = NULL;

          if (json_object_has_member (m, "ckpt")
              && JSON_NODE_HOLDS_VALUE (json_object_get_member (m, "ckpt"))
              && json_node_get_value_type (json_object_get_member (m, "ckpt")) == G_TYPE_STRING)
            ckpt = json_object_get_string_member (m, "ckpt");
          ld->run.checkpoint = intern (ld, ckpt);
        }
    }
  ld->have_run = TRUE;
}

/* Which writer made a list of records, from the first record's keys. */
static const char *
list_format (JsonArray *arr)
{
  JsonNode *first;
  JsonObject *o;

  if (json_array_get_length (arr) == 0)
    return "jaeger-json";
  first = json_array_get_element (arr, 0);
  if (!JSON_NODE_HOLDS_OBJECT (first))
    return "jaeger-json";
  o = json_node_get_object (first);
  if (json_object_has_member (o, "raw_output"))
    return "reference-audio";
  if (json_object_has_member (o, "gt_text"))
    return "reference-av";
  if (json_object_has_member (o, "text") && json_object_has_member (o, "pred_text"))
    return "reference-visual";
  return "jaeger-json";
}

static gboolean
load_json (Load *ld, JsonNode *root, GError **error)
{
  JsonObject *o;
  JsonNode *n;

  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      ld->run.format = list_format (json_node_get_array (root));
      return add_list (ld, json_node_get_array (root), NULL, error);
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    goto not_predictions;
  o = json_node_get_object (root);

  if ((n = json_object_get_member (o, "predictions")) != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (n))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: \"predictions\" is not a list", ld->name);
          return FALSE;
        }
      ld->run.format = "jaeger-json";
      if ((n = json_object_get_member (o, "run")) != NULL && !read_run (ld, n, error))
        return FALSE;
      return add_list (ld, json_object_get_array_member (o, "predictions"), NULL, error);
    }

  if ((n = json_object_get_member (o, "details")) != NULL)
    {
      JsonObject *details;
      g_autoptr(GList) keys = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: \"details\" is not an object of task lists", ld->name);
          return FALSE;
        }
      details = json_node_get_object (n);
      read_reference_config (ld, o);
      ld->run.format = NULL;
      keys = json_object_get_members (details);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          const char *task = l->data;
          JsonNode *list = json_object_get_member (details, task);

          if (!JSON_NODE_HOLDS_ARRAY (list))
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: details.%s is not a list", ld->name, task);
              return FALSE;
            }
          if (ld->run.format == NULL && json_array_get_length (json_node_get_array (list)) > 0)
            ld->run.format = list_format (json_node_get_array (list));
          if (!add_list (ld, json_node_get_array (list), task, error))
            return FALSE;
        }
      if (ld->run.format == NULL)
        ld->run.format = "reference-audio";
      return TRUE;
    }

  if (json_object_has_member (o, "run") && json_object_get_size (o) == 1)
    {
      /* The header line of a JSON-lines run that produced no answers. */
      ld->run.format = "jaeger-jsonl";
      return read_run (ld, json_object_get_member (o, "run"), error);
    }

  if (json_object_has_member (o, "path"))
    {
      /* A JSONL file of one line. */
      ld->run.format = "jaeger-jsonl";
      return add_record (ld, root, NULL, "record 1", error);
    }

not_predictions:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "%s: not a prediction file (expected a list of records, "
               "{\"predictions\": [...]}, {\"details\": {TASK: [...]}} or JSON lines)",
               ld->name);
  return FALSE;
}

/* json-glib says "<data>:LINE:COL: msg"; name the file and, for JSON lines,
 * the line in the file. */
static void
set_parse_error (GError **error, const char *name, guint line, const GError *local)
{
  const char *m = local->message;
  guint l = 0, c = 0;
  int used = 0;

  if (sscanf (m, "<data>:%u:%u: %n", &l, &c, &used) == 2 && used > 0)
    g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s:%u:%u: %s", name,
                 line > 0 ? line : l, c, m + used);
  else if (line > 0)
    g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: line %u: %s", name, line, m);
  else
    g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s", name, m);
}

/* JSON lines; fails at the first bad line, naming it. */
static gboolean
load_jsonl (Load *ld, JsonParser *parser, const char *data, gsize len, GError **error)
{
  const char *p = data, *end = data + len;
  guint line = 0, n_records = 0;
  FastScratch sc;
  FlatRecord fr;
  gboolean ok = FALSE;

  sc.key = g_string_new (NULL);
  sc.skip = g_string_new (NULL);
  for (int f = 0; f < N_FIELDS; f++)
    sc.val[f] = g_string_new (NULL);
  ld->run.format = "jaeger-jsonl";
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *le = nl ? nl : end;
      const char *q = p;
      g_autoptr(GError) local = NULL;
      JsonNode *root;
      char where[32];

      line++;
      while (q < le && g_ascii_isspace (*q))
        q++;
      if (q == le)
        {
          p = le + 1;
          continue;
        }
      if (n_records > 0 && fast_record (q, le, &sc, &fr))
        {
          g_snprintf (where, sizeof where, "line %u", line);
          if (!add_flat_record (ld, &fr, NULL, where, error))
            goto fail;
          n_records++;
          p = le + 1;
          continue;
        }
      if (!json_parser_load_from_data (parser, q, le - q, &local))
        {
          set_parse_error (error, ld->name, line, local);
          goto fail;
        }
      root = json_parser_get_root (parser);
      if (n_records == 0 && JSON_NODE_HOLDS_OBJECT (root)
          && json_object_has_member (json_node_get_object (root), "run")
          && !json_object_has_member (json_node_get_object (root), "path"))
        {
          if (!read_run (ld, json_object_get_member (json_node_get_object (root), "run"), error))
            goto fail;
        }
      else
        {
          g_snprintf (where, sizeof where, "line %u", line);
          if (!add_record (ld, root, NULL, where, error))
            goto fail;
        }
      n_records++;
      p = le + 1;
    }
  ok = TRUE;

fail:
  g_string_free (sc.key, TRUE);
  g_string_free (sc.skip, TRUE);
  for (int f = 0; f < N_FIELDS; f++)
    g_string_free (sc.val[f], TRUE);
  return ok;
}

/* JSON lines when the first line is a whole JSON value and more follows:
 * json-glib stops quietly after the first value, so this is decided up
 * front rather than from a failed parse. */
static gboolean
looks_like_jsonl (JsonParser *parser, const char *data, gsize n)
{
  const char *nl = memchr (data, '\n', n);

  if (nl == NULL)
    return FALSE;
  for (const char *q = nl; q < data + n; q++)
    if (!g_ascii_isspace (*q))
      return json_parser_load_from_data (parser, data, nl - data, NULL);
  return FALSE;
}

gboolean
jg_prediction_set_add_data (JgPredictionSet *set, const char *data, gssize len,
                            const char *name, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (JgPrediction));
  Load ld = { set, name, records, 0, { 0 }, FALSE };
  gsize n = len < 0 ? strlen (data) : (gsize) len;

  if (looks_like_jsonl (parser, data, n))
    {
      if (!load_jsonl (&ld, parser, data, n, error))
        return FALSE;
    }
  else if (!json_parser_load_from_data (parser, data, n, &local))
    {
      set_parse_error (error, name, 0, local);
      return FALSE;
    }
  else if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: the file is empty", name);
      return FALSE;
    }
  else if (!load_json (&ld, json_parser_get_root (parser), error))
    return FALSE;

  g_array_append_vals (set->records, records->data, records->len);
  set->n_skipped += ld.n_skipped;
  if (!set->have_run)
    {
      set->run = ld.run;
      set->have_run = TRUE;
    }
  return TRUE;
}

gboolean
jg_prediction_set_add_file (JgPredictionSet *set, const char *filename, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;
  gboolean first = !set->have_run;

  if (!g_file_get_contents (filename, &data, &len, &local))
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                     ? JG_ERROR_NOT_FOUND : JG_ERROR_IO,
                   "%s", local->message);
      return FALSE;
    }
  if (!jg_prediction_set_add_data (set, data, (gssize) len, filename, error))
    return FALSE;

  /* Reference files carry no date: the file's modification time is when
   * the run wrote it. */
  if (first && set->run.date == NULL)
    {
      g_autoptr(GFile) f = g_file_new_for_path (filename);
      g_autoptr(GFileInfo) info = g_file_query_info (f, G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                                     G_FILE_QUERY_INFO_NONE, NULL, NULL);
      if (info != NULL)
        {
          g_autoptr(GDateTime) dt = g_file_info_get_modification_date_time (info);
          g_autofree char *iso = dt ? g_date_time_format_iso8601 (dt) : NULL;
          set->run.date = iso ? g_string_chunk_insert (set->strings, iso) : NULL;
        }
    }
  return TRUE;
}

/* ---- writer ---- */

struct _JgPredictionWriter {
  GString *out;
  JsonGenerator *gen;
};

static void
append_node (JgPredictionWriter *w, JsonNode *node)
{
  gsize len;
  g_autofree char *text = NULL;

  json_generator_set_root (w->gen, node);
  text = json_generator_to_data (w->gen, &len);
  g_string_append_len (w->out, text, (gssize) len);
  g_string_append_c (w->out, '\n');
}

JgPredictionWriter *
jg_prediction_writer_new (const char *model, const char *checkpoint, const char *settings_json)
{
  JgPredictionWriter *w = g_new0 (JgPredictionWriter, 1);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format_iso8601 (now);

  w->out = g_string_new (NULL);
  w->gen = json_generator_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "run");
  json_builder_begin_object (b);
  if (model != NULL)
    {
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model);
    }
  if (checkpoint != NULL)
    {
      json_builder_set_member_name (b, "checkpoint");
      json_builder_add_string_value (b, checkpoint);
    }
  if (settings_json != NULL)
    {
      g_autoptr(JsonNode) settings = json_from_string (settings_json, NULL);
      json_builder_set_member_name (b, "settings");
      /* Settings that are not JSON are kept as text. */
      if (settings != NULL)
        json_builder_add_value (b, g_steal_pointer (&settings));
      else
        json_builder_add_string_value (b, settings_json);
    }
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, date);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  append_node (w, root);
  return w;
}

void
jg_prediction_writer_add (JgPredictionWriter *w, const char *path, JgTask task,
                          const char *question, const char *gender, const char *pred_text)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, jg_task_to_string (task));
  if (question != NULL)
    {
      json_builder_set_member_name (b, "question");
      json_builder_add_string_value (b, question);
    }
  if (gender != NULL)
    {
      json_builder_set_member_name (b, "gender");
      json_builder_add_string_value (b, gender);
    }
  json_builder_set_member_name (b, "pred_text");
  if (pred_text != NULL)
    json_builder_add_string_value (b, pred_text);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  append_node (w, root);
}

gboolean
jg_prediction_writer_finish (JgPredictionWriter *w, const char *filename, GError **error)
{
  return jg_file_write_atomic (filename, w->out->str, w->out->len, error);
}

void
jg_prediction_writer_free (JgPredictionWriter *w)
{
  if (w == NULL)
    return;
  g_string_free (w->out, TRUE);
  g_object_unref (w->gen);
  g_free (w);
}
