/* jg-npy.c: the .npy format (numpy/lib/format.py's documented layout):
 * magic "\x93NUMPY", major, minor, header length (u16 in v1, u32 in v2/v3),
 * a Python dict literal with 'descr', 'fortran_order', 'shape', then data. */
#include "data/jg-npy.h"
#include "data/jg-read.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <math.h>
#include <string.h>

/* 1 GiB of float32: far beyond any impulse response, small enough to load. */
#define MAX_ELEMENTS (((gsize) 1) << 28)
#define MAX_FILE_BYTES (MAX_ELEMENTS * 8 + 65536)

typedef struct {
  const char *p, *end;
} Cursor;

static void
skip_ws (Cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
eat (Cursor *c, char ch)
{
  skip_ws (c);
  if (c->p < c->end && *c->p == ch)
    {
      c->p++;
      return TRUE;
    }
  return FALSE;
}

/* A quoted Python string without escapes ('descr' values never have any). */
static gboolean
read_string (Cursor *c, char *buf, gsize size)
{
  char q;
  gsize n = 0;

  skip_ws (c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return FALSE;
  q = *c->p++;
  while (c->p < c->end && *c->p != q)
    {
      if (*c->p == '\\' || n + 1 >= size)
        return FALSE;
      buf[n++] = *c->p++;
    }
  if (c->p >= c->end)
    return FALSE;
  c->p++;
  buf[n] = '\0';
  return TRUE;
}

static gboolean
read_word (Cursor *c, const char *word)
{
  gsize n = strlen (word);

  skip_ws (c);
  if ((gsize) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return FALSE;
  c->p += n;
  return TRUE;
}

static gboolean
read_shape (Cursor *c, guint *ndim, gsize shape[JG_NPY_MAX_DIMS], const char *name, GError **error)
{
  *ndim = 0;
  if (!eat (c, '('))
    goto bad;
  for (;;)
    {
      guint64 v = 0;
      gboolean digits = FALSE;

      skip_ws (c);
      if (c->p < c->end && *c->p == ')')
        break;
      while (c->p < c->end && g_ascii_isdigit (*c->p))
        {
          v = v * 10 + (guint64) (*c->p++ - '0');
          digits = TRUE;
          if (v > MAX_ELEMENTS)
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: a dimension of the shape is absurdly large", name);
              return FALSE;
            }
        }
      if (!digits)
        goto bad;
      if (*ndim == JG_NPY_MAX_DIMS)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                       "%s: more than %d dimensions are not supported", name, JG_NPY_MAX_DIMS);
          return FALSE;
        }
      shape[(*ndim)++] = (gsize) v;
      if (!eat (c, ','))
        {
          if (!eat (c, ')'))
            goto bad;
          return TRUE;
        }
    }
  c->p++;
  return TRUE;

bad:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: malformed 'shape' in the .npy header", name);
  return FALSE;
}

typedef struct {
  gboolean big_endian;
  guint itemsize;
  gboolean fortran;
  guint ndim;
  gsize shape[JG_NPY_MAX_DIMS];
} Header;

static gboolean
parse_header (const char *text, gsize len, Header *h, const char *name, GError **error)
{
  Cursor c = { text, text + len };
  gboolean have_descr = FALSE, have_order = FALSE, have_shape = FALSE;

  if (!eat (&c, '{'))
    goto bad;
  while (!eat (&c, '}'))
    {
      char key[32], descr[16];

      if (!read_string (&c, key, sizeof key) || !eat (&c, ':'))
        goto bad;
      if (strcmp (key, "descr") == 0)
        {
          if (!read_string (&c, descr, sizeof descr))
            goto bad;
          if (strlen (descr) != 3 || strchr ("<>=|", descr[0]) == NULL || descr[1] != 'f'
              || (descr[2] != '4' && descr[2] != '8'))
            {
              g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                           "%s: dtype '%s' is not supported (float32 or float64 only)", name, descr);
              return FALSE;
            }
          h->big_endian = descr[0] == '>' || (descr[0] == '=' && G_BYTE_ORDER == G_BIG_ENDIAN);
          h->itemsize = descr[2] == '4' ? 4 : 8;
          have_descr = TRUE;
        }
      else if (strcmp (key, "fortran_order") == 0)
        {
          if (read_word (&c, "True"))
            h->fortran = TRUE;
          else if (read_word (&c, "False"))
            h->fortran = FALSE;
          else
            goto bad;
          have_order = TRUE;
        }
      else if (strcmp (key, "shape") == 0)
        {
          if (!read_shape (&c, &h->ndim, h->shape, name, error))
            return FALSE;
          have_shape = TRUE;
        }
      else
        goto bad;
      if (!eat (&c, ','))
        {
          if (!eat (&c, '}'))
            goto bad;
          break;
        }
    }
  skip_ws (&c);
  if (c.p != c.end || !have_descr || !have_order || !have_shape)
    goto bad;
  return TRUE;

bad:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "%s: malformed .npy header (expected a dict with 'descr', 'fortran_order' and 'shape')",
               name);
  return FALSE;
}

static double
read_value (const guint8 *p, const Header *h)
{
  if (h->itemsize == 4)
    {
      guint32 u;
      float f;
      memcpy (&u, p, 4);
      u = h->big_endian ? GUINT32_FROM_BE (u) : GUINT32_FROM_LE (u);
      memcpy (&f, &u, 4);
      return f;
    }
  else
    {
      guint64 u;
      double d;
      memcpy (&u, p, 8);
      u = h->big_endian ? GUINT64_FROM_BE (u) : GUINT64_FROM_LE (u);
      memcpy (&d, &u, 8);
      return d;
    }
}

static char *
shape_string (guint ndim, const gsize *shape)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (s, i ? ", %" G_GSIZE_FORMAT : "%" G_GSIZE_FORMAT, shape[i]);
  g_string_append (s, ndim == 1 ? ",)" : ")");
  return g_string_free (s, FALSE);
}

JgNpyArray *
jg_npy_parse (const guint8 *bytes, gsize len, const char *name, GError **error)
{
  g_autoptr(JgNpyArray) a = NULL;
  Header h = { 0 };
  gsize hlen, offset, n = 1, idx[JG_NPY_MAX_DIMS] = { 0 };
  guint major;

  if (len < 10 || memcmp (bytes, "\x93NUMPY", 6) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not a .npy file (no \\x93NUMPY magic)", name);
      return NULL;
    }
  major = bytes[6];
  if (major == 1)
    {
      hlen = (gsize) bytes[8] | (gsize) bytes[9] << 8;
      offset = 10;
    }
  else if (major == 2 || major == 3)
    {
      if (len < 12)
        goto truncated;
      hlen = (gsize) bytes[8] | (gsize) bytes[9] << 8 | (gsize) bytes[10] << 16 | (gsize) bytes[11] << 24;
      offset = 12;
    }
  else
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: .npy format version %u.%u is not supported (1, 2 or 3)", name, major, bytes[7]);
      return NULL;
    }
  if (hlen > len - offset)
    goto truncated;
  if (!parse_header ((const char *) bytes + offset, hlen, &h, name, error))
    return NULL;
  offset += hlen;

  if (h.ndim == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s: a scalar, expected an array", name);
      return NULL;
    }
  for (guint i = 0; i < h.ndim; i++)
    {
      if (h.shape[i] != 0 && n > MAX_ELEMENTS / h.shape[i])
        {
          g_autofree char *s = shape_string (h.ndim, h.shape);
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: shape %s is absurdly large (over %" G_GSIZE_FORMAT " elements)",
                       name, s, MAX_ELEMENTS);
          return NULL;
        }
      n *= h.shape[i];
    }
  if (len - offset != n * h.itemsize)
    {
      g_autofree char *s = shape_string (h.ndim, h.shape);
      if (len - offset < n * h.itemsize)
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "%s: truncated: shape %s needs %" G_GSIZE_FORMAT " data bytes, the file has %"
                     G_GSIZE_FORMAT, name, s, n * h.itemsize, len - offset);
      else
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "%s: %" G_GSIZE_FORMAT " unexpected bytes after the data of shape %s",
                     name, len - offset - n * h.itemsize, s);
      return NULL;
    }

  a = g_new0 (JgNpyArray, 1);
  a->ndim = h.ndim;
  memcpy (a->shape, h.shape, sizeof h.shape);
  a->n_elements = n;
  a->data = g_new (float, MAX (n, 1));

  /* Walk the destination in C order; in Fortran order the source offset of
   * index (i0, .., ik) is i0 + s0 * (i1 + s1 * (...)). */
  for (gsize k = 0; k < n; k++)
    {
      gsize src = k;
      double v;

      if (h.fortran)
        {
          src = 0;
          for (guint d = h.ndim; d-- > 0;)
            src = src * h.shape[d] + idx[d];
          for (guint d = h.ndim; d-- > 0;)
            if (++idx[d] < h.shape[d])
              break;
            else
              idx[d] = 0;
        }
      v = read_value (bytes + offset + src * h.itemsize, &h);
      if (!isfinite (v) || fabs (v) > G_MAXFLOAT)
        {
          g_autofree char *s = shape_string (h.ndim, h.shape);
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: element %" G_GSIZE_FORMAT " of %s is %s", name, k, s,
                       isnan (v) ? "NaN" : isinf (v) ? "infinite" : "too large for float32");
          return NULL;
        }
      a->data[k] = (float) v;
    }
  return g_steal_pointer (&a);

truncated:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: truncated inside the .npy header", name);
  return NULL;
}

JgNpyArray *
jg_npy_load (const char *path, GError **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize len;

  if (!jg_read_file (path, MAX_FILE_BYTES, &bytes, &len, error))
    return NULL;
  return jg_npy_parse (bytes, len, path, error);
}

void
jg_npy_array_free (JgNpyArray *array)
{
  if (array == NULL)
    return;
  g_free (array->data);
  g_free (array);
}

static float *
to_foa (JgNpyArray *a, const char *name, gsize *n_frames, GError **error)
{
  g_autofree char *s = shape_string (a->ndim, a->shape);
  float *out;
  gsize n;

  if (a->ndim != 2 || (a->shape[0] != 4 && a->shape[1] != 4))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: shape %s, expected 4 FOA channels as (4, N) or (N, 4)", name, s);
      return NULL;
    }
  n = a->shape[0] == 4 ? a->shape[1] : a->shape[0];
  if (n == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: shape %s holds no samples", name, s);
      return NULL;
    }
  if (a->shape[0] == 4)
    out = g_steal_pointer (&a->data);
  else
    {
      out = g_new (float, 4 * n);
      for (gsize i = 0; i < n; i++)
        for (int ch = 0; ch < 4; ch++)
          out[ch * n + i] = a->data[i * 4 + ch];
    }
  *n_frames = n;
  return out;
}

float *
jg_npy_parse_foa (const guint8 *bytes, gsize len, const char *name, gsize *n_frames, GError **error)
{
  g_autoptr(JgNpyArray) a = jg_npy_parse (bytes, len, name, error);

  return a ? to_foa (a, name, n_frames, error) : NULL;
}

float *
jg_npy_load_foa (const char *path, gsize *n_frames, GError **error)
{
  g_autoptr(JgNpyArray) a = jg_npy_load (path, error);

  return a ? to_foa (a, path, n_frames, error) : NULL;
}

gboolean
jg_npy_write_f32 (const char *path, const float *data, guint ndim, const gsize *shape, GError **error)
{
  g_autofree char *s = NULL;
  g_autofree char *dict = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize n = 1, hlen, pad, offset;
  guint8 pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0 };

  g_return_val_if_fail (ndim >= 1 && ndim <= JG_NPY_MAX_DIMS, FALSE);
  for (guint i = 0; i < ndim; i++)
    n *= shape[i];
  if (n > MAX_ELEMENTS)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: array too large to write", path);
      return FALSE;
    }
  for (gsize k = 0; k < n; k++)
    if (!isfinite (data[k]))
      {
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "%s: refusing to write a non-finite value at element %" G_GSIZE_FORMAT, path, k);
        return FALSE;
      }

  s = shape_string (ndim, shape);
  dict = g_strdup_printf ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", s);
  /* numpy pads the header with spaces and a final '\n' to a multiple of 64. */
  hlen = strlen (dict) + 1;
  pad = (64 - (sizeof pre + hlen) % 64) % 64;
  hlen += pad;
  pre[8] = (guint8) (hlen & 0xff);
  pre[9] = (guint8) (hlen >> 8);
  g_byte_array_append (out, pre, sizeof pre);
  g_byte_array_append (out, (const guint8 *) dict, (guint) strlen (dict));
  for (gsize i = 0; i < pad; i++)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  g_byte_array_append (out, (const guint8 *) "\n", 1);
  offset = out->len;
  g_byte_array_set_size (out, (guint) (offset + n * 4));
  for (gsize k = 0; k < n; k++)
    {
      guint32 u;
      memcpy (&u, &data[k], 4);
      u = GUINT32_TO_LE (u);
      memcpy (out->data + offset + k * 4, &u, 4);
    }
  return jg_file_write_atomic (path, out->data, out->len, error);
}
