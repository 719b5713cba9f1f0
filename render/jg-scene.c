#include "audio/jg-foa.h"
#include "render/jg-scene.h"

#include "core/jg-error.h"
#include "render/jg-pick.h"

#include <math.h>
#include <string.h>

#define DEFAULT_RAY_LENGTH 2.0
#define CONE_SEGMENTS 32
#define SKY_SEGMENTS 48
/* Translucent surfaces are drawn from their near side only (outward
 * winding, back faces culled): one layer instead of two halves the fill,
 * which is most of the overlays' cost on software GL. The alphas are
 * those of the two layers seen before, 1 - (1 - a)^2 of 0.18 and 0.15. */
#define FACE_ALPHA 0.33f
#define CONE_ALPHA 0.28f

struct _JgScene {
  /* cloud */
  JgIntrinsics k;
  gboolean has_k;
  guint n_points, capacity;
  guint lod_count[JG_SCENE_LOD_LEVELS];
  float *xyz;
  guint8 *rgba;
  guint *rgb_col;          /* colour column per depth column, kept */
  guint rgb_col_capacity;
  double lo[3], hi[3];
  guint cloud_serial;

  /* overlays */
  GArray *boxes[JG_N_SETS];   /* JgBox */
  GArray *doas[JG_N_SETS];    /* JgDoa */
  gboolean set_visible[JG_N_SETS];
  float color[JG_N_SETS][3];
  char set_label[JG_N_SETS][16];
  JgOverlayFlags flags;
  double sky_radius;
  guint overlay_serial;

  /* derived, rebuilt when overlay_serial moved past built_serial */
  guint built_serial;
  GArray *lines, *tris, *markers;   /* JgVertex */
  GArray *labels;                   /* JgLabelAnchor */
};

/* Serials are unique across scenes, so a renderer switched to another
 * scene never mistakes it for the one it uploaded. */
static guint
next_serial (void)
{
  static gint counter = 0;
  return (guint) g_atomic_int_add (&counter, 1) + 1;
}

static const char *const default_labels[JG_N_SETS] = { "GT", "Pred", "A", "B" };

static const float default_colors[JG_N_SETS][3] = {
  { 0.20f, 0.85f, 0.35f },   /* ground truth: green */
  { 1.00f, 0.50f, 0.10f },   /* prediction: orange */
  { 0.25f, 0.60f, 1.00f },   /* run A: blue */
  { 0.95f, 0.30f, 0.85f },   /* run B: magenta */
};

JgScene *
jg_scene_new (void)
{
  JgScene *s = g_new0 (JgScene, 1);

  for (int i = 0; i < JG_N_SETS; i++)
    {
      s->boxes[i] = g_array_new (FALSE, FALSE, sizeof (JgBox));
      s->doas[i] = g_array_new (FALSE, FALSE, sizeof (JgDoa));
      s->set_visible[i] = TRUE;
      memcpy (s->color[i], default_colors[i], sizeof s->color[i]);
      g_strlcpy (s->set_label[i], default_labels[i], sizeof s->set_label[i]);
    }
  s->flags = JG_OVERLAY_ALL;
  s->sky_radius = 1.0;
  s->lines = g_array_new (FALSE, FALSE, sizeof (JgVertex));
  s->tris = g_array_new (FALSE, FALSE, sizeof (JgVertex));
  s->markers = g_array_new (FALSE, FALSE, sizeof (JgVertex));
  s->labels = g_array_new (FALSE, FALSE, sizeof (JgLabelAnchor));
  s->overlay_serial = next_serial ();
  s->cloud_serial = next_serial ();
  return s;
}

void
jg_scene_free (JgScene *s)
{
  if (s == NULL)
    return;
  for (int i = 0; i < JG_N_SETS; i++)
    {
      g_array_unref (s->boxes[i]);
      g_array_unref (s->doas[i]);
    }
  g_array_unref (s->lines);
  g_array_unref (s->tris);
  g_array_unref (s->markers);
  g_array_unref (s->labels);
  g_free (s->xyz);
  g_free (s->rgba);
  g_free (s->rgb_col);
  g_free (s);
}

static guint
lod_level (guint u, guint v)
{
  if (u % 4 == 0 && v % 4 == 0)
    return 0;
  if (u % 2 == 0 && v % 2 == 0)
    return 1;
  return 2;
}

gboolean
jg_scene_set_cloud (JgScene *s, const guint8 *rgb, guint rgb_width, guint rgb_height,
                    const float *depth, const JgIntrinsics *k, GError **error)
{
  gsize total;
  guint n = 0;

  if (k == NULL || k->width == 0 || k->height == 0 || !(k->fx > 0) || !(k->fy > 0))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "point cloud: the intrinsics are empty or not positive");
      return FALSE;
    }
  if (rgb != NULL && (rgb_width == 0 || rgb_height == 0))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "point cloud: the colour image is %ux%u", rgb_width, rgb_height);
      return FALSE;
    }
  total = (gsize) k->width * k->height;
  if (total > G_MAXUINT / 4)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "point cloud: a %ux%u depth map is too large", k->width, k->height);
      return FALSE;
    }
  /* Reuse the arrays across samples of the same size. */
  if (total > s->capacity)
    {
      s->xyz = g_renew (float, s->xyz, total * 3);
      s->rgba = g_renew (guint8, s->rgba, total * 4);
      s->capacity = (guint) total;
    }
  for (int i = 0; i < 3; i++)
    {
      s->lo[i] = INFINITY;
      s->hi[i] = -INFINITY;
    }
  /* Level by level (every 4th pixel both ways, then every 2nd, then the
   * rest), so that the first jg_scene_get_lod_count() points of the
   * arrays are an even subsample: a point budget draws a prefix. */
  /* the colour image's column of each depth column, once, not a 64-bit
   * division per point */
  if (rgb != NULL)
    {
      if (k->width > s->rgb_col_capacity)
        {
          s->rgb_col = g_renew (guint, s->rgb_col, k->width);
          s->rgb_col_capacity = k->width;
        }
      for (guint u = 0; u < k->width; u++)
        s->rgb_col[u] = (guint) (((guint64) u * rgb_width) / k->width);
    }
  for (guint level = 0; level < JG_SCENE_LOD_LEVELS; level++)
    {
      for (guint v = 0; v < k->height; v++)
        {
          guint rv = rgb ? (guint) (((guint64) v * rgb_height) / k->height) : 0;
          /* level 0 and 1 rows are the even ones (every 4th for level 0) */
          if ((level == 0 && v % 4 != 0) || (level == 1 && v % 2 != 0))
            continue;
          for (guint u = 0; u < k->width; u++)
            {
              float d = depth[(gsize) v * k->width + u];
              double p[3];

              if (lod_level (u, v) != level || !(d > 0.0f) || !isfinite (d))
                continue;
              /* pixel centres: pixel u covers [u, u+1) */
              jg_intrinsics_unproject (k, u + 0.5, v + 0.5, d, p);
              for (int i = 0; i < 3; i++)
                {
                  s->xyz[3 * n + i] = (float) p[i];
                  s->lo[i] = MIN (s->lo[i], p[i]);
                  s->hi[i] = MAX (s->hi[i], p[i]);
                }
              if (rgb != NULL)
                {
                  const guint8 *c = rgb + 3 * ((gsize) rv * rgb_width + s->rgb_col[u]);
                  s->rgba[4 * n] = c[0];
                  s->rgba[4 * n + 1] = c[1];
                  s->rgba[4 * n + 2] = c[2];
                }
              else
                memset (s->rgba + 4 * n, 180, 3);
              s->rgba[4 * n + 3] = 255;
              n++;
            }
        }
      s->lod_count[level] = n;
    }
  s->n_points = n;
  s->k = *k;
  s->has_k = TRUE;
  s->cloud_serial = next_serial ();
  s->overlay_serial = next_serial ();   /* the frustum follows the intrinsics */
  return TRUE;
}

guint
jg_scene_get_n_points (const JgScene *s)
{
  return s->n_points;
}

guint
jg_scene_get_lod_count (const JgScene *s, guint level)
{
  return s->lod_count[MIN (level, JG_SCENE_LOD_LEVELS - 1)];
}

const float *
jg_scene_get_points (const JgScene *s)
{
  return s->xyz;
}

const guint8 *
jg_scene_get_colors (const JgScene *s)
{
  return s->rgba;
}

const JgIntrinsics *
jg_scene_get_intrinsics (const JgScene *s)
{
  return s->has_k ? &s->k : NULL;
}

gboolean
jg_scene_get_bounds (const JgScene *s, double lo[3], double hi[3])
{
  gboolean any = s->n_points > 0;

  for (int i = 0; i < 3; i++)
    {
      lo[i] = any ? s->lo[i] : INFINITY;
      hi[i] = any ? s->hi[i] : -INFINITY;
    }
  for (int set = 0; set < JG_N_SETS; set++)
    for (guint j = 0; j < s->boxes[set]->len; j++)
      {
        const JgBox *b = &g_array_index (s->boxes[set], JgBox, j);
        for (int i = 0; i < 3; i++)
          {
            lo[i] = MIN (lo[i], b->center[i] - b->size[i] / 2.0);
            hi[i] = MAX (hi[i], b->center[i] + b->size[i] / 2.0);
          }
        any = TRUE;
      }
  return any;
}

void
jg_scene_set_boxes (JgScene *s, JgOverlaySet set, const JgBox *boxes, guint n)
{
  g_return_if_fail (set < JG_N_SETS);
  g_array_set_size (s->boxes[set], 0);
  if (n > 0)
    g_array_append_vals (s->boxes[set], boxes, n);
  s->overlay_serial = next_serial ();
}

void
jg_scene_set_doas (JgScene *s, JgOverlaySet set, const JgDoa *doas, guint n)
{
  g_return_if_fail (set < JG_N_SETS);
  g_array_set_size (s->doas[set], 0);
  if (n > 0)
    g_array_append_vals (s->doas[set], doas, n);
  s->overlay_serial = next_serial ();
}

guint
jg_scene_get_boxes (const JgScene *s, JgOverlaySet set, const JgBox **boxes)
{
  *boxes = (const JgBox *) s->boxes[set]->data;
  return s->boxes[set]->len;
}

guint
jg_scene_get_doas (const JgScene *s, JgOverlaySet set, const JgDoa **doas)
{
  *doas = (const JgDoa *) s->doas[set]->data;
  return s->doas[set]->len;
}

void
jg_scene_set_overlays (JgScene *s, JgOverlayFlags flags)
{
  if (s->flags != flags)
    {
      s->flags = flags;
      s->overlay_serial = next_serial ();
    }
}

JgOverlayFlags
jg_scene_get_overlays (const JgScene *s)
{
  return s->flags;
}

void
jg_scene_set_set_visible (JgScene *s, JgOverlaySet set, gboolean visible)
{
  g_return_if_fail (set < JG_N_SETS);
  s->set_visible[set] = visible;
  s->overlay_serial = next_serial ();
}

void
jg_scene_set_set_color (JgScene *s, JgOverlaySet set, const float rgb[3])
{
  g_return_if_fail (set < JG_N_SETS);
  memcpy (s->color[set], rgb, sizeof s->color[set]);
  s->overlay_serial = next_serial ();
}

void
jg_scene_get_set_color (const JgScene *s, JgOverlaySet set, float rgb[3])
{
  memcpy (rgb, s->color[set], sizeof s->color[set]);
}

void
jg_scene_set_set_label (JgScene *s, JgOverlaySet set, const char *label)
{
  g_strlcpy (s->set_label[set], label, sizeof s->set_label[set]);
}

const char *
jg_scene_get_set_label (const JgScene *s, JgOverlaySet set)
{
  return s->set_label[set];
}

void
jg_scene_set_sky_radius (JgScene *s, double radius)
{
  if (radius > 0)
    {
      s->sky_radius = radius;
      s->overlay_serial = next_serial ();
    }
}

guint
jg_scene_get_cloud_serial (const JgScene *s)
{
  return s->cloud_serial;
}

guint
jg_scene_get_overlay_serial (const JgScene *s)
{
  return s->overlay_serial;
}

/* ---- geometry ---- */

static void
put (GArray *a, const double p[3], const float c[3], float alpha)
{
  JgVertex v;

  for (int i = 0; i < 3; i++)
    {
      v.xyz[i] = (float) p[i];
      v.rgba[i] = (guint8) CLAMP (c[i] * 255.0f + 0.5f, 0.0f, 255.0f);
    }
  v.rgba[3] = (guint8) CLAMP (alpha * 255.0f + 0.5f, 0.0f, 255.0f);
  g_array_append_val (a, v);
}

static void
line (GArray *a, const double p[3], const double q[3], const float c[3], float alpha)
{
  put (a, p, c, alpha);
  put (a, q, c, alpha);
}

static void
box_corner (const JgBox *b, int bits, double p[3])
{
  for (int i = 0; i < 3; i++)
    p[i] = b->center[i] + ((bits >> i) & 1 ? 0.5 : -0.5) * b->size[i];
}

static void
add_box (JgScene *s, const JgBox *b, const float c[3])
{
  /* corners by bit pattern (x, y, z); edges join corners one bit apart */
  if (s->flags & JG_OVERLAY_BOXES)
    for (int a = 0; a < 8; a++)
      for (int bit = 0; bit < 3; bit++)
        if (!(a & (1 << bit)))
          {
            double p[3], q[3];
            box_corner (b, a, p);
            box_corner (b, a | (1 << bit), q);
            line (s->lines, p, q, c, 1.0f);
          }
  if (s->flags & JG_OVERLAY_BOX_FACES)
    for (int axis = 0; axis < 3; axis++)
      for (int side = 0; side < 2; side++)
        {
          int u = 1 << ((axis + 1) % 3), v = 1 << ((axis + 2) % 3), base = side << axis;
          /* counter-clockwise seen from outside: u x v is +axis */
          int quad[4] = { base, base | u, base | u | v, base | v };
          if (side == 0)
            {
              quad[1] = base | v;
              quad[3] = base | u;
            }
          double p[4][3];
          for (int i = 0; i < 4; i++)
            box_corner (b, quad[i], p[i]);
          put (s->tris, p[0], c, FACE_ALPHA);
          put (s->tris, p[1], c, FACE_ALPHA);
          put (s->tris, p[2], c, FACE_ALPHA);
          put (s->tris, p[0], c, FACE_ALPHA);
          put (s->tris, p[2], c, FACE_ALPHA);
          put (s->tris, p[3], c, FACE_ALPHA);
        }
}

/* Two unit vectors completing @d to an orthonormal basis. */
static void
basis (const double d[3], double e1[3], double e2[3])
{
  double a[3] = { 0, 1, 0 }, n;

  if (fabs (d[1]) > 0.9)
    {
      a[0] = 1;
      a[1] = 0;
    }
  e1[0] = a[1] * d[2] - a[2] * d[1];
  e1[1] = a[2] * d[0] - a[0] * d[2];
  e1[2] = a[0] * d[1] - a[1] * d[0];
  n = sqrt (e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (int i = 0; i < 3; i++)
    e1[i] /= n;
  e2[0] = d[1] * e1[2] - d[2] * e1[1];
  e2[1] = d[2] * e1[0] - d[0] * e1[2];
  e2[2] = d[0] * e1[1] - d[1] * e1[0];
}

static double
ray_length (const JgDoa *doa)
{
  return doa->length > 0 ? doa->length : DEFAULT_RAY_LENGTH;
}

static void
add_doa (JgScene *s, const JgDoa *doa, const float c[3])
{
  static const double origin[3] = { 0, 0, 0 };
  double d[3], end[3], len = ray_length (doa);

  jg_doa_to_camera (doa->az_deg, doa->el_deg, d);
  for (int i = 0; i < 3; i++)
    end[i] = d[i] * len;
  if (s->flags & JG_OVERLAY_DOA)
    {
      line (s->lines, origin, end, c, 1.0f);
      put (s->markers, end, c, 1.0f);
    }
  if ((s->flags & JG_OVERLAY_CONES) && doa->error_deg > 0)
    {
      double e1[3], e2[3], ring[CONE_SEGMENTS + 1][3];
      double half = MIN (doa->error_deg, 89.0) * G_PI / 180.0;
      double r = len * sin (half), h = len * cos (half);

      basis (d, e1, e2);
      for (int j = 0; j <= CONE_SEGMENTS; j++)
        {
          double a = 2.0 * G_PI * j / CONE_SEGMENTS;
          for (int i = 0; i < 3; i++)
            ring[j][i] = d[i] * h + r * (cos (a) * e1[i] + sin (a) * e2[i]);
        }
      /* (e1, e2, d) is right-handed, so (apex, ring[j + 1], ring[j]) is
       * counter-clockwise seen from outside the cone */
      for (int j = 0; j < CONE_SEGMENTS; j++)
        {
          put (s->tris, origin, c, CONE_ALPHA);
          put (s->tris, ring[j + 1], c, CONE_ALPHA);
          put (s->tris, ring[j], c, CONE_ALPHA);
          line (s->lines, ring[j], ring[j + 1], c, 0.8f);
        }
      for (int j = 0; j < CONE_SEGMENTS; j += CONE_SEGMENTS / 4)
        line (s->lines, origin, ring[j], c, 0.5f);
    }
  if (s->flags & JG_OVERLAY_SKY)
    {
      double p[3];
      for (int i = 0; i < 3; i++)
        p[i] = d[i] * s->sky_radius;
      put (s->markers, p, c, 1.0f);
    }
}

static void
add_sky (JgScene *s)
{
  static const float grey[3] = { 0.75f, 0.78f, 0.85f };
  double r = s->sky_radius;

  /* parallels every 30 degrees (the horizon stronger), meridians every 30 */
  for (int el = -60; el <= 60; el += 30)
    for (int j = 0; j < SKY_SEGMENTS; j++)
      {
        double p[3], q[3];
        jg_doa_to_camera (360.0 * j / SKY_SEGMENTS, el, p);
        jg_doa_to_camera (360.0 * (j + 1) / SKY_SEGMENTS, el, q);
        for (int i = 0; i < 3; i++)
          {
            p[i] *= r;
            q[i] *= r;
          }
        line (s->lines, p, q, grey, el == 0 ? 0.6f : 0.25f);
      }
  for (int az = 0; az < 360; az += 30)
    for (int j = 0; j < SKY_SEGMENTS / 2; j++)
      {
        double p[3], q[3];
        jg_doa_to_camera (az, -90.0 + 360.0 * j / SKY_SEGMENTS, p);
        jg_doa_to_camera (az, -90.0 + 360.0 * (j + 1) / SKY_SEGMENTS, q);
        for (int i = 0; i < 3; i++)
          {
            p[i] *= r;
            q[i] *= r;
          }
        line (s->lines, p, q, grey, az == 0 ? 0.6f : 0.25f);
      }
}

static void
add_sensor (JgScene *s)
{
  static const double o[3] = { 0, 0, 0 };
  static const float white[3] = { 0.9f, 0.9f, 0.9f };
  static const float axis_color[3][3] = { { 1, 0.2f, 0.2f }, { 0.2f, 1, 0.2f }, { 0.3f, 0.4f, 1 } };

  if (s->flags & JG_OVERLAY_AXES)
    for (int a = 0; a < 3; a++)
      {
        double e[3] = { 0, 0, 0 };
        e[a] = 0.3;
        line (s->lines, o, e, axis_color[a], 1.0f);
      }
  if (s->flags & JG_OVERLAY_FRUSTUM)
    {
      JgIntrinsics k;
      double c[4][3];
      const double uv[4][2] = { { 0, 0 }, { 1, 0 }, { 1, 1 }, { 0, 1 } };

      if (s->has_k)
        k = s->k;
      else
        jg_intrinsics_from_fov (&k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
      for (int i = 0; i < 4; i++)
        jg_intrinsics_unproject (&k, uv[i][0] * k.width, uv[i][1] * k.height, 0.5, c[i]);
      for (int i = 0; i < 4; i++)
        {
          line (s->lines, o, c[i], white, 0.7f);
          line (s->lines, c[i], c[(i + 1) % 4], white, 0.7f);
        }
    }
}

static void
rebuild (JgScene *s)
{
  if (s->built_serial == s->overlay_serial)
    return;
  g_array_set_size (s->lines, 0);
  g_array_set_size (s->tris, 0);
  g_array_set_size (s->markers, 0);
  g_array_set_size (s->labels, 0);
  add_sensor (s);
  if (s->flags & JG_OVERLAY_SKY)
    add_sky (s);
  for (int set = 0; set < JG_N_SETS; set++)
    {
      if (!s->set_visible[set])
        continue;
      for (guint j = 0; j < s->boxes[set]->len; j++)
        {
          const JgBox *b = &g_array_index (s->boxes[set], JgBox, j);
          add_box (s, b, s->color[set]);
          if (s->flags & (JG_OVERLAY_BOXES | JG_OVERLAY_BOX_FACES))
            {
              JgLabelAnchor l = { JG_LABEL_BOX, set, j, { b->center[0],
                                  b->center[1] + b->size[1] / 2.0, b->center[2] }, 0, 0, FALSE };
              g_array_append_val (s->labels, l);
            }
        }
      for (guint j = 0; j < s->doas[set]->len; j++)
        {
          const JgDoa *d = &g_array_index (s->doas[set], JgDoa, j);
          add_doa (s, d, s->color[set]);
          if (s->flags & JG_OVERLAY_DOA)
            {
              JgLabelAnchor l = { JG_LABEL_DOA, set, j, { 0 }, 0, 0, FALSE };
              jg_doa_to_camera (d->az_deg, d->el_deg, l.xyz);
              for (int i = 0; i < 3; i++)
                l.xyz[i] *= ray_length (d);
              g_array_append_val (s->labels, l);
            }
        }
    }
  s->built_serial = s->overlay_serial;
}

void
jg_scene_get_geometry (JgScene *s, const JgVertex **lines, guint *n_lines,
                       const JgVertex **tris, guint *n_tris,
                       const JgVertex **markers, guint *n_markers)
{
  rebuild (s);
  *lines = (const JgVertex *) s->lines->data;
  *n_lines = s->lines->len;
  *tris = (const JgVertex *) s->tris->data;
  *n_tris = s->tris->len;
  *markers = (const JgVertex *) s->markers->data;
  *n_markers = s->markers->len;
}

guint
jg_scene_get_labels (JgScene *s, const JgLabelAnchor **anchors)
{
  rebuild (s);
  *anchors = (const JgLabelAnchor *) s->labels->data;
  return s->labels->len;
}

/* Puts @l on the viewport's border where the straight screen line from the
 * centre towards its point leaves the view. Clip coordinates keep the
 * side right for points behind the eye too: x and y follow the view-space
 * offset whatever the sign of w. */
static void
place_on_border (const JgCamera *cam, guint width, guint height, JgLabelAnchor *l)
{
  mat4 vp;
  vec4 p = { (float) l->xyz[0], (float) l->xyz[1], (float) l->xyz[2], 1.0f }, c;
  double dx, dy;
  const double inset = 0.98;

  jg_camera_view_proj (cam, (double) width / height, vp);
  glm_mat4_mulv (vp, p, c);
  /* In pixels from the centre (screen y down). */
  dx = c[0] * 0.5 * width;
  dy = -c[1] * 0.5 * height;
  if (c[3] > 1e-9f)
    {
      dx /= c[3];
      dy /= c[3];
    }
  jg_viewport_border_point (width, height, inset, &dx, &dy, &l->u, &l->v);
  l->edge_dx = dx;
  l->edge_dy = dy;
  l->off_screen = TRUE;
}

void
jg_viewport_border_point (double width, double height, double inset, double *dx, double *dy,
                          double *u, double *v)
{
  double n = hypot (*dx, *dy), scale;

  if (n < 1e-12)
    {
      /* Straight behind: point down, towards "turn around". */
      *dx = 0;
      *dy = 1;
      n = 1;
    }
  *dx /= n;
  *dy /= n;
  scale = MIN (fabs (*dx) > 1e-12 ? 0.5 * width / fabs (*dx) : INFINITY,
               fabs (*dy) > 1e-12 ? 0.5 * height / fabs (*dy) : INFINITY) * inset;
  *u = 0.5 * width + *dx * scale;
  *v = 0.5 * height + *dy * scale;
}

void
jg_scene_project_labels (JgScene *s, const JgCamera *cam, guint width, guint height)
{
  rebuild (s);
  for (guint i = 0; i < s->labels->len; i++)
    {
      JgLabelAnchor *l = &g_array_index (s->labels, JgLabelAnchor, i);
      l->visible = jg_camera_project (cam, width, height, l->xyz, &l->u, &l->v)
                   && l->u >= 0 && l->v >= 0 && l->u < width && l->v < height;
      l->off_screen = FALSE;
      if (!l->visible && l->kind == JG_LABEL_DOA && width > 0 && height > 0)
        place_on_border (cam, width, height, l);
    }
}

/* ---- picking ---- */

static void
fill_hit (JgPickHit *hit, JgPickKind kind, JgOverlaySet set, guint index, const double p[3])
{
  hit->kind = kind;
  hit->set = set;
  hit->index = index;
  memcpy (hit->xyz, p, sizeof hit->xyz);
  hit->distance = sqrt (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
  jg_camera_to_doa (p, &hit->az_deg, &hit->el_deg);
}

gboolean
jg_scene_pick (JgScene *s, const double origin[3], const double dir[3], double tan_tol,
               JgPickHit *hit)
{
  static const double o[3] = { 0, 0, 0 };
  double best_t = INFINITY, p[3], t;
  gsize pi;

  memset (hit, 0, sizeof *hit);
  /* 1. thin items drawn over the cloud: rays and box edges */
  for (int set = 0; set < JG_N_SETS; set++)
    {
      if (!s->set_visible[set])
        continue;
      if (s->flags & JG_OVERLAY_DOA)
        for (guint j = 0; j < s->doas[set]->len; j++)
          {
            const JgDoa *d = &g_array_index (s->doas[set], JgDoa, j);
            double end[3];
            jg_doa_to_camera (d->az_deg, d->el_deg, end);
            for (int i = 0; i < 3; i++)
              end[i] *= ray_length (d);
            double dist = jg_pick_ray_segment (origin, dir, o, end, &t);
            if (t > 0 && dist <= tan_tol * t && t < best_t)
              {
                best_t = t;
                for (int i = 0; i < 3; i++)
                  p[i] = origin[i] + t * dir[i];
                fill_hit (hit, JG_PICK_DOA, set, j, p);
              }
          }
      if (s->flags & JG_OVERLAY_BOXES)
        for (guint j = 0; j < s->boxes[set]->len; j++)
          {
            const JgBox *b = &g_array_index (s->boxes[set], JgBox, j);
            for (int a = 0; a < 8; a++)
              for (int bit = 0; bit < 3; bit++)
                if (!(a & (1 << bit)))
                  {
                    double ca[3], cb[3];
                    box_corner (b, a, ca);
                    box_corner (b, a | (1 << bit), cb);
                    double dist = jg_pick_ray_segment (origin, dir, ca, cb, &t);
                    if (t > 0 && dist <= tan_tol * t && t < best_t)
                      {
                        best_t = t;
                        for (int i = 0; i < 3; i++)
                          p[i] = origin[i] + t * dir[i];
                        fill_hit (hit, JG_PICK_BOX, set, j, p);
                      }
                  }
          }
    }
  if (hit->kind != JG_PICK_NONE)
    return TRUE;
  /* 2. the cloud */
  if (jg_pick_ray_points (origin, dir, s->xyz, s->n_points, tan_tol, &pi, &t))
    {
      for (int i = 0; i < 3; i++)
        p[i] = s->xyz[3 * pi + i];
      fill_hit (hit, JG_PICK_POINT, JG_SET_GT, (guint) pi, p);
      return TRUE;
    }
  /* 3. inside a box's silhouette */
  if (s->flags & (JG_OVERLAY_BOXES | JG_OVERLAY_BOX_FACES))
    for (int set = 0; set < JG_N_SETS; set++)
      if (s->set_visible[set])
        for (guint j = 0; j < s->boxes[set]->len; j++)
          {
            const JgBox *b = &g_array_index (s->boxes[set], JgBox, j);
            if (jg_pick_ray_box (origin, dir, b->center, b->size, &t) && t < best_t)
              {
                best_t = t;
                for (int i = 0; i < 3; i++)
                  p[i] = origin[i] + t * dir[i];
                fill_hit (hit, JG_PICK_BOX, set, j, p);
              }
          }
  return hit->kind != JG_PICK_NONE;
}
