/* jg-answer.c: answer strings of SpatialSceneQA <-> typed answers.
 *
 * The scanners are hand-written rather than GRegex so that they accept
 * exactly the reference patterns (JAEGER.md §2) and nothing locale- or
 * strtod-specific: no "inf", "nan", hex or exponents sneak in as numbers. */
#include "data/jg-answer.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

static const struct {
  const char *name;
  const char *label;
} task_names[JG_N_TASKS] = {
  [JG_TASK_SPATIAL_DOA] = { "spatial_doa", "Single-source DoA" },
  [JG_TASK_MULTI_SPATIAL_DOA] = { "multi_spatial_doa", "Overlapping-source DoA" },
  [JG_TASK_VISUAL_GROUNDING] = { "visual_grounding", "Visual grounding" },
  [JG_TASK_SINGLE_SOURCE] = { "single_source", "Which loudspeaker talks" },
  [JG_TASK_DUAL_SOURCE] = { "dual_source", "Which loudspeaker has the voice" },
  [JG_TASK_STARSS23] = { "starss23", "STARSS23 DoA (real recordings)" },
};

gboolean
jg_task_from_string (const char *name, JgTask *out, GError **error)
{
  for (int t = 0; t < JG_N_TASKS; t++)
    if (name != NULL && strcmp (name, task_names[t].name) == 0)
      {
        *out = (JgTask) t;
        return TRUE;
      }
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "unknown task '%s' (expected spatial_doa, multi_spatial_doa, visual_grounding, "
               "single_source, dual_source or starss23)", name ? name : "(null)");
  return FALSE;
}

const char *
jg_task_to_string (JgTask task)
{
  g_return_val_if_fail (task >= 0 && task < JG_N_TASKS, "unknown");
  return task_names[task].name;
}

const char *
jg_task_label (JgTask task)
{
  g_return_val_if_fail (task >= 0 && task < JG_N_TASKS, "Unknown task");
  return task_names[task].label;
}

/* A decimal number [+-]?(\d+(\.\d*)?|\.\d+) at @p. At most 100 integer
 * digits and 127 characters: nobody writes more, and the formatted value
 * (two decimals) must still scan back. */
static gboolean
scan_number (const char *p, const char **end, double *out)
{
  const char *s = p;
  char buf[128];
  gsize len, int_digits = 0;
  gboolean digits = FALSE;
  double v;

  if (*s == '+' || *s == '-')
    s++;
  while (g_ascii_isdigit (*s))
    s++, digits = TRUE, int_digits++;
  if (*s == '.')
    {
      s++;
      while (g_ascii_isdigit (*s))
        s++, digits = TRUE;
    }
  if (!digits || int_digits > 100)
    return FALSE;
  len = (gsize) (s - p);
  if (len >= sizeof buf)
    return FALSE;
  memcpy (buf, p, len);
  buf[len] = '\0';
  v = g_ascii_strtod (buf, NULL);
  if (!isfinite (v))
    return FALSE;
  *out = v;
  *end = s;
  return TRUE;
}

static const char *
skip_space (const char *p)
{
  while (g_ascii_isspace (*p))
    p++;
  return p;
}

/* First match of /KEY[:\s]+(number)/i in @text, like Python's re.search. */
static gboolean
find_keyed_number (const char *text, const char *key, double *out)
{
  gsize klen = strlen (key);

  for (const char *p = text; *p; p++)
    {
      const char *q, *end;

      if (g_ascii_strncasecmp (p, key, klen) != 0)
        continue;
      q = p + klen;
      if (*q != ':' && !g_ascii_isspace (*q))
        continue;
      while (*q == ':' || g_ascii_isspace (*q))
        q++;
      if (scan_number (q, &end, out))
        return TRUE;
    }
  return FALSE;
}

/* One box /bbox_(\d+)\s*=\s*Bbox\(([^,)\n]+)(,\s*number){6}\s*\)/i at @p. */
static gboolean
scan_box (const char *p, const char **end, JgBox *box)
{
  const char *q = p + 5, *cat, *cat_end;
  guint64 index = 0;
  double v[6];

  if (g_ascii_strncasecmp (p, "bbox_", 5) != 0 || !g_ascii_isdigit (*q))
    return FALSE;
  while (g_ascii_isdigit (*q))
    {
      index = index * 10 + (guint64) (*q++ - '0');
      if (index > G_MAXINT)
        return FALSE;
    }
  q = skip_space (q);
  if (*q++ != '=')
    return FALSE;
  q = skip_space (q);
  if (g_ascii_strncasecmp (q, "bbox(", 5) != 0)
    return FALSE;
  q = skip_space (q + 5);
  cat = q;
  while (*q && *q != ',' && *q != ')' && *q != '\n')
    q++;
  cat_end = q;
  while (cat_end > cat && g_ascii_isspace (cat_end[-1]))
    cat_end--;
  if (cat_end == cat)
    return FALSE;
  for (int i = 0; i < 6; i++)
    {
      q = skip_space (q);
      if (*q++ != ',')
        return FALSE;
      q = skip_space (q);
      if (!scan_number (q, &q, &v[i]))
        return FALSE;
    }
  q = skip_space (q);
  if (*q++ != ')')
    return FALSE;

  memset (box, 0, sizeof *box);
  box->index = (int) index;
  for (int i = 0; i < 3; i++)
    {
      box->center[i] = v[i];
      box->size[i] = v[3 + i];
    }
  memcpy (box->category, cat, MIN ((gsize) (cat_end - cat), sizeof box->category - 1));
  *end = q;
  return TRUE;
}

/* All non-overlapping boxes, like re.findall: truncated or garbled ones
 * (a generation cut off mid-box) are skipped, the complete ones kept. */
static GArray *
scan_boxes (const char *text, JgUnits units)
{
  g_autoptr(GArray) boxes = g_array_new (FALSE, FALSE, sizeof (JgBox));
  double scale = units == JG_UNITS_CENTIMETRES ? 0.01 : 1.0;
  const char *p = text;

  while (*p)
    {
      JgBox box;
      const char *end;

      if (!scan_box (p, &end, &box))
        {
          p++;
          continue;
        }
      for (int i = 0; i < 3; i++)
        {
          box.center[i] *= scale;
          box.size[i] *= scale;
        }
      g_array_append_val (boxes, box);
      p = end;
    }
  if (boxes->len == 0)
    return NULL;
  return g_steal_pointer (&boxes);
}

JgAnswer *
jg_answer_parse (JgTask task, const char *text, JgUnits units)
{
  JgAnswer *a = g_new0 (JgAnswer, 1);

  a->kind = JG_ANSWER_UNPARSED;
  a->task = task;
  a->raw = g_strdup (text);
  if (text == NULL)
    return a;

  switch (task)
    {
    case JG_TASK_SPATIAL_DOA:
    case JG_TASK_MULTI_SPATIAL_DOA:
    case JG_TASK_STARSS23:
      if (find_keyed_number (text, "azimuth", &a->az_deg)
          && find_keyed_number (text, "elevation", &a->el_deg))
        a->kind = JG_ANSWER_DOA;
      else
        a->az_deg = a->el_deg = 0.0;
      break;

    case JG_TASK_VISUAL_GROUNDING:
      {
        const char *s = skip_space (text);

        /* A generation without its forced prefix "bbox_0=Bbox(speaker,"
         * starts right at the first number: put the prefix back. */
        if (*s == '-' || *s == '+' || *s == '.' || g_ascii_isdigit (*s))
          {
            g_autofree char *full = g_strconcat ("bbox_0=Bbox(speaker,", s, NULL);
            a->boxes = scan_boxes (full, units);
          }
        else
          a->boxes = scan_boxes (text, units);
        if (a->boxes != NULL)
          a->kind = JG_ANSWER_BOXES;
      }
      break;

    case JG_TASK_SINGLE_SOURCE:
    case JG_TASK_DUAL_SOURCE:
      {
        g_autofree char *norm = g_ascii_strdown (text, -1);
        gsize n;

        g_strstrip (norm);
        n = strlen (norm);
        while (n > 0 && norm[n - 1] == '.')
          norm[--n] = '\0';
        g_strchomp (norm);
        if (strcmp (norm, "left") == 0)
          a->side = JG_SIDE_LEFT, a->kind = JG_ANSWER_SIDE;
        else if (strcmp (norm, "center") == 0)
          a->side = JG_SIDE_CENTER, a->kind = JG_ANSWER_SIDE;
        else if (strcmp (norm, "right") == 0)
          a->side = JG_SIDE_RIGHT, a->kind = JG_ANSWER_SIDE;
      }
      break;

    case JG_N_TASKS:
    default:
      break;
    }
  return a;
}

void
jg_answer_free (JgAnswer *answer)
{
  if (answer == NULL)
    return;
  if (answer->boxes != NULL)
    g_array_unref (answer->boxes);
  g_free (answer->raw);
  g_free (answer);
}

static void
append_number (GString *s, double v, const char *fmt)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, g_ascii_formatd (buf, sizeof buf, fmt, v));
}

char *
jg_answer_format (const JgAnswer *answer, JgUnits units)
{
  GString *s;

  g_return_val_if_fail (answer != NULL, g_strdup (""));
  s = g_string_new (NULL);

  switch (answer->kind)
    {
    case JG_ANSWER_DOA:
      {
        /* HM3D labels are integers; STARSS23 ones keep one decimal. */
        const char *fmt = answer->task == JG_TASK_STARSS23 ? "%.1f" : "%.10g";

        g_string_append (s, "azimuth: ");
        append_number (s, answer->az_deg, fmt);
        g_string_append (s, "; elevation: ");
        append_number (s, answer->el_deg, fmt);
      }
      break;

    case JG_ANSWER_BOXES:
      for (guint i = 0; i < answer->boxes->len; i++)
        {
          const JgBox *b = &g_array_index (answer->boxes, JgBox, i);

          if (i > 0)
            g_string_append_c (s, '\n');
          g_string_append_printf (s, "bbox_%d=Bbox(%s", b->index,
                                  b->category[0] ? b->category : "speaker");
          for (int k = 0; k < 6; k++)
            {
              double v = k < 3 ? b->center[k] : b->size[k - 3];

              g_string_append (s, ", ");
              if (units == JG_UNITS_CENTIMETRES)
                /* int(v * 100) like the reference's training targets:
                 * truncation toward zero, so 0.29 m becomes 28. */
                g_string_append_printf (s, "%d", (int) CLAMP (v * 100.0, G_MININT, G_MAXINT));
              else
                append_number (s, v, "%.2f");
            }
          g_string_append_c (s, ')');
        }
      break;

    case JG_ANSWER_SIDE:
      g_string_append (s, answer->side == JG_SIDE_LEFT ? "Left"
                          : answer->side == JG_SIDE_CENTER ? "Center" : "Right");
      break;

    case JG_ANSWER_UNPARSED:
    default:
      g_string_append (s, answer->raw ? answer->raw : "");
      break;
    }
  return g_string_free (s, FALSE);
}
