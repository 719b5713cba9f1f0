#include "sim/jg-sim-render.h"

#include <math.h>
#include <string.h>

#define NEAR_PLANE 0.02
#define EMPTY_OBJECT (JG_SIM_OBJECT_ROOM - 1)
#define SRGB_LUT_SIZE 4096

struct _JgSimRaster {
  JgIntrinsics k;
  float *depth;
  int *quad;                /* index of the quad seen, -1 for none */
  int *object;
  guint8 *rgb;
  guint8 srgb[SRGB_LUT_SIZE + 1];
};

/* ---- scene to quads ---------------------------------------------------- */

static void
set3 (double d[3], double x, double y, double z)
{
  d[0] = x; d[1] = y; d[2] = z;
}

static JgSimQuad *
push_quad (GArray *quads)
{
  g_array_set_size (quads, quads->len + 1);
  return &g_array_index (quads, JgSimQuad, quads->len - 1);
}

/* A face of an axis-aligned box given in some frame; @to_world maps it. */
static void
box_face (GArray *quads, const double mn[3], const double mx[3], int axis, int sign,
          const JgSimPose *pose, JgSimStyle style, const float color[3], int object)
{
  int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
  double corner[4][3], n[3] = { 0, 0, 0 };
  JgSimQuad *q;

  /* Texture axes: horizontal first, so grain and speaker cones stay upright. */
  if (axis == 0)
    { a1 = 2; a2 = 1; }
  else if (axis == 2)
    { a1 = 0; a2 = 1; }
  else
    { a1 = 0; a2 = 2; }
  for (int c = 0; c < 4; c++)
    {
      corner[c][axis] = sign > 0 ? mx[axis] : mn[axis];
      corner[c][a1] = (c == 1 || c == 2) ? mx[a1] : mn[a1];
      corner[c][a2] = (c >= 2) ? mx[a2] : mn[a2];
    }
  n[axis] = sign;
  q = push_quad (quads);
  memset (q, 0, sizeof *q);
  for (int c = 0; c < 4; c++)
    {
      if (pose != NULL)
        jg_sim_pose_to_world (pose, corner[c], q->v[c], TRUE);
      else
        memcpy (q->v[c], corner[c], sizeof corner[c]);
    }
  {
    double tu[3] = { 0, 0, 0 }, tv[3] = { 0, 0, 0 };
    tu[a1] = 1.0; tv[a2] = 1.0;
    if (pose != NULL)
      {
        jg_sim_pose_to_world (pose, n, q->n, FALSE);
        jg_sim_pose_to_world (pose, tu, q->tu, FALSE);
        jg_sim_pose_to_world (pose, tv, q->tv, FALSE);
      }
    else
      {
        memcpy (q->n, n, sizeof n);
        memcpy (q->tu, tu, sizeof tu);
        memcpy (q->tv, tv, sizeof tv);
      }
  }
  memcpy (q->origin, q->v[0], sizeof q->origin);
  q->su = mx[a1] - mn[a1];
  q->sv = mx[a2] - mn[a2];
  memcpy (q->color, color, sizeof q->color);
  q->style = style;
  q->object = object;
}

static void
floor_rect (GArray *quads, const JgSimRoom *room, double x0, double z0, double x1, double z1,
            gboolean ceiling)
{
  JgSimQuad *q = push_quad (quads);
  double y = ceiling ? room->height : 0.0;

  memset (q, 0, sizeof *q);
  set3 (q->v[0], x0, y, z0);
  set3 (q->v[1], x1, y, z0);
  set3 (q->v[2], x1, y, z1);
  set3 (q->v[3], x0, y, z1);
  set3 (q->n, 0, ceiling ? -1 : 1, 0);
  set3 (q->origin, 0, y, 0);
  set3 (q->tu, 1, 0, 0);
  set3 (q->tv, 0, 0, 1);
  q->su = x1 - x0;
  q->sv = z1 - z0;
  memcpy (q->color, ceiling ? room->ceiling_color : room->floor_color, sizeof q->color);
  q->style = ceiling ? JG_SIM_STYLE_CEILING : room->floor_style;
  q->object = JG_SIM_OBJECT_ROOM;
}

void
jg_sim_scene_quads (const JgSimRoom *room, const JgSimPose *pose,
                    const JgSimSpeaker *speakers, int n,
                    const JgSimFurniture *extra, int n_extra, GArray *quads)
{
  double split_z = room->kind == JG_SIM_ROOM_LSHAPE ? room->depth - room->notch_d : room->depth;

  for (int c = 0; c < 2; c++)
    {
      floor_rect (quads, room, 0, 0, room->width, split_z, c == 1);
      if (room->kind == JG_SIM_ROOM_LSHAPE)
        floor_rect (quads, room, 0, split_z, room->width - room->notch_w, room->depth, c == 1);
    }
  for (int i = 0; i < room->n_walls; i++)
    {
      const JgSimWall *w = &room->walls[i];
      JgSimQuad *q = push_quad (quads);
      double len = hypot (w->b[0] - w->a[0], w->b[1] - w->a[1]);

      memset (q, 0, sizeof *q);
      set3 (q->v[0], w->a[0], 0, w->a[1]);
      set3 (q->v[1], w->b[0], 0, w->b[1]);
      set3 (q->v[2], w->b[0], room->height, w->b[1]);
      set3 (q->v[3], w->a[0], room->height, w->a[1]);
      set3 (q->n, w->n[0], 0, w->n[1]);
      memcpy (q->origin, q->v[0], sizeof q->origin);
      set3 (q->tu, (w->b[0] - w->a[0]) / len, 0, (w->b[1] - w->a[1]) / len);
      set3 (q->tv, 0, 1, 0);
      q->su = len;
      q->sv = room->height;
      memcpy (q->color, room->wall_color, sizeof q->color);
      q->style = JG_SIM_STYLE_PAINT;
      q->wall = w;
      q->object = JG_SIM_OBJECT_ROOM;
    }
  for (int i = 0; i < room->n_furniture; i++)
    {
      const JgSimFurniture *f = &room->furniture[i];
      for (int axis = 0; axis < 3; axis++)
        for (int sign = -1; sign <= 1; sign += 2)
          if (!(axis == 1 && sign < 0))
            box_face (quads, f->min, f->max, axis, sign, NULL, f->style, f->color,
                      JG_SIM_OBJECT_FURNITURE + i);
    }
  for (int i = 0; i < n_extra; i++)
    for (int axis = 0; axis < 3; axis++)
      for (int sign = -1; sign <= 1; sign += 2)
        if (!(axis == 1 && sign < 0))
          box_face (quads, extra[i].min, extra[i].max, axis, sign, NULL, extra[i].style,
                    extra[i].color, JG_SIM_OBJECT_FURNITURE + JG_SIM_MAX_FURNITURE + i);
  for (int i = 0; i < n; i++)
    {
      const JgSimSpeaker *s = &speakers[i];
      double mn[3], mx[3];
      for (int a = 0; a < 3; a++)
        {
          mn[a] = s->center[a] - s->size[a] / 2;
          mx[a] = s->center[a] + s->size[a] / 2;
        }
      for (int axis = 0; axis < 3; axis++)
        for (int sign = -1; sign <= 1; sign += 2)
          box_face (quads, mn, mx, axis, sign, pose,
                    axis == 2 && sign > 0 ? JG_SIM_STYLE_SPEAKER_FRONT : JG_SIM_STYLE_SPEAKER,
                    s->color, i);
    }
}

/* ---- rasteriser -------------------------------------------------------- */

JgSimRaster *
jg_sim_raster_new (const JgIntrinsics *k)
{
  JgSimRaster *r = g_new0 (JgSimRaster, 1);
  gsize n = (gsize) k->width * k->height;

  r->k = *k;
  r->depth = g_new (float, n);
  r->quad = g_new (int, n);
  r->object = g_new (int, n);
  r->rgb = g_new (guint8, 3 * n);
  for (int i = 0; i <= SRGB_LUT_SIZE; i++)
    {
      double x = (double) i / SRGB_LUT_SIZE;
      double s = x <= 0.0031308 ? 12.92 * x : 1.055 * pow (x, 1.0 / 2.4) - 0.055;
      r->srgb[i] = (guint8) lround (255.0 * s);
    }
  return r;
}

void
jg_sim_raster_free (JgSimRaster *r)
{
  if (r == NULL)
    return;
  g_free (r->depth);
  g_free (r->quad);
  g_free (r->object);
  g_free (r->rgb);
  g_free (r);
}

const float *jg_sim_raster_depth (const JgSimRaster *r) { return r->depth; }
const int *jg_sim_raster_objects (const JgSimRaster *r) { return r->object; }
const guint8 *jg_sim_raster_rgb (const JgSimRaster *r) { return r->rgb; }

typedef struct {
  double u, v, inv_d;
} ScreenVertex;

static void
raster_triangle (JgSimRaster *r, const ScreenVertex *a, const ScreenVertex *b,
                 const ScreenVertex *c, int quad_index)
{
  double area = (b->u - a->u) * (c->v - a->v) - (b->v - a->v) * (c->u - a->u);
  double ea[3], eb[3], ec[3], p, q, rr;
  const ScreenVertex *v[3] = { a, b, c };
  int y0, y1, w = (int) r->k.width;
  double xmin, xmax;

  if (fabs (area) < 1e-12)
    return;
  /* Barycentric weight i as an affine function ea x + eb y + ec of the
   * pixel, from the edge opposite vertex i, normalised by the area. */
  for (int i = 0; i < 3; i++)
    {
      const ScreenVertex *p1 = v[(i + 1) % 3], *p2 = v[(i + 2) % 3];
      ea[i] = (p1->v - p2->v) / area;
      eb[i] = (p2->u - p1->u) / area;
      ec[i] = (p1->u * p2->v - p2->u * p1->v) / area;
    }
  /* 1/depth is affine in screen space, depth itself is not. */
  p = ea[0] * a->inv_d + ea[1] * b->inv_d + ea[2] * c->inv_d;
  q = eb[0] * a->inv_d + eb[1] * b->inv_d + eb[2] * c->inv_d;
  rr = ec[0] * a->inv_d + ec[1] * b->inv_d + ec[2] * c->inv_d;
  xmin = MAX (0.0, ceil (MIN (a->u, MIN (b->u, c->u))));
  xmax = MIN (r->k.width - 1.0, floor (MAX (a->u, MAX (b->u, c->u))));
  y0 = MAX (0, (int) ceil (MIN (a->v, MIN (b->v, c->v))));
  y1 = MIN ((int) r->k.height - 1, (int) floor (MAX (a->v, MAX (b->v, c->v))));
  for (int y = y0; y <= y1; y++)
    {
      double lo = xmin, hi = xmax;
      gboolean empty = FALSE;

      /* The span of the row where all three weights are >= 0. */
      for (int i = 0; i < 3 && !empty; i++)
        {
          double base = eb[i] * y + ec[i];
          if (ea[i] > 0.0)
            lo = MAX (lo, -base / ea[i]);
          else if (ea[i] < 0.0)
            hi = MIN (hi, -base / ea[i]);
          else if (base < 0.0)
            empty = TRUE;
        }
      if (empty || lo > hi)
        continue;
      for (int x = (int) ceil (lo); x <= (int) floor (hi); x++)
        {
          double inv_d = p * x + q * y + rr, d;
          gsize i;

          if (inv_d <= 0.0)
            continue;
          d = 1.0 / inv_d;
          i = (gsize) y * w + x;
          if (d < r->depth[i] || r->quad[i] < 0)
            {
              r->depth[i] = (float) d;
              r->quad[i] = quad_index;
            }
        }
    }
}

static void
raster_quad (JgSimRaster *r, const JgSimPose *pose, const JgSimQuad *q, int index)
{
  double cam[4][3], poly[8][3], clipped[8][3];
  ScreenVertex sv[8];
  int n = 0, m = 4;

  for (int c = 0; c < 4; c++)
    jg_sim_pose_to_camera (pose, q->v[c], cam[c], TRUE);
  /* Sutherland-Hodgman against the near plane z = -NEAR_PLANE. */
  for (int c = 0; c < m; c++)
    {
      const double *p = cam[c], *nx = cam[(c + 1) % m];
      gboolean in_p = p[2] <= -NEAR_PLANE, in_n = nx[2] <= -NEAR_PLANE;
      if (in_p)
        memcpy (clipped[n++], p, sizeof clipped[0]);
      if (in_p != in_n)
        {
          double t = (-NEAR_PLANE - p[2]) / (nx[2] - p[2]);
          for (int a = 0; a < 3; a++)
            clipped[n][a] = p[a] + t * (nx[a] - p[a]);
          n++;
        }
    }
  if (n < 3)
    return;
  memcpy (poly, clipped, sizeof clipped);
  for (int c = 0; c < n; c++)
    {
      double d = -poly[c][2];
      sv[c].u = r->k.cx + poly[c][0] * r->k.fx / d;
      sv[c].v = r->k.cy - poly[c][1] * r->k.fy / d;
      sv[c].inv_d = 1.0 / d;
    }
  for (int c = 1; c + 1 < n; c++)
    raster_triangle (r, &sv[0], &sv[c], &sv[c + 1], index);
}

/* ---- procedural textures ---------------------------------------------- */

static double
hash2 (int x, int y, guint32 salt)
{
  guint32 h = (guint32) x * 0x8da6b343u ^ (guint32) y * 0xd8163841u ^ salt * 0xcb1ab31fu;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (h & 0xffffff) / 16777216.0;
}

static double
smooth_noise (double x, double y, guint32 salt)
{
  double fx = floor (x), fy = floor (y);
  int ix = (int) fx, iy = (int) fy;
  double tx = x - fx, ty = y - fy;
  double a = hash2 (ix, iy, salt), b = hash2 (ix + 1, iy, salt);
  double c = hash2 (ix, iy + 1, salt), d = hash2 (ix + 1, iy + 1, salt);

  tx = tx * tx * (3.0 - 2.0 * tx);
  ty = ty * ty * (3.0 - 2.0 * ty);
  return (a + (b - a) * tx) * (1.0 - ty) + (c + (d - c) * tx) * ty;
}

/* Albedo at texture coordinates (s, t) metres; @mod scales @q->color. */
static void
albedo (const JgSimQuad *q, double s, double t, float out[3])
{
  double mod = 1.0;
  float tint[3] = { q->color[0], q->color[1], q->color[2] };

  switch (q->style)
    {
    case JG_SIM_STYLE_WOOD_FLOOR:
      {
        double pw = 0.16, pl = 1.3;
        int row = (int) floor (t / pw);
        double off = hash2 (row, 7, 1) * pl;
        int plank = (int) floor ((s + off) / pl);
        double ft = t / pw - row, fs = (s + off) / pl - plank;
        mod = 0.78 + 0.35 * hash2 (row, plank, 2);
        mod *= 0.88 + 0.12 * sin (s * 30.0 + 6.0 * smooth_noise (s * 1.5, t * 20.0, 3));
        if (ft < 0.035 || fs < 0.004)
          mod *= 0.45;
        break;
      }
    case JG_SIM_STYLE_TILE_FLOOR:
      {
        double ts = 0.45, fs = s / ts - floor (s / ts), ft = t / ts - floor (t / ts);
        mod = 0.9 + 0.1 * hash2 ((int) floor (s / ts), (int) floor (t / ts), 4);
        mod *= 0.95 + 0.05 * smooth_noise (s * 6, t * 6, 5);
        if (fs < 0.02 || ft < 0.02)
          {
            tint[0] = tint[1] = tint[2] = 0.45f;
            mod = 1.0;
          }
        break;
      }
    case JG_SIM_STYLE_CARPET:
      mod = 0.8 + 0.2 * smooth_noise (s * 8, t * 8, 6) + 0.1 * (hash2 ((int) (s * 150), (int) (t * 150), 7) - 0.5);
      break;
    case JG_SIM_STYLE_PAINT:
      if (q->wall != NULL && q->wall->door_s >= 0.0 && s >= q->wall->door_s
          && s <= q->wall->door_s + 0.9 && t <= 2.05)
        {
          /* A wooden door in a white frame, with a handle. */
          double ds = s - q->wall->door_s;
          gboolean frame = ds < 0.05 || ds > 0.85 || t > 2.0;
          tint[0] = frame ? 0.9f : 0.50f;
          tint[1] = frame ? 0.9f : 0.34f;
          tint[2] = frame ? 0.88f : 0.22f;
          mod = frame ? 1.0 : 0.85 + 0.15 * sin (t * 3.0 + 4.0 * smooth_noise (ds * 3, t * 0.7, 12));
          if (!frame && fabs (ds - 0.77) < 0.04 && fabs (t - 1.0) < 0.02)
            tint[0] = tint[1] = tint[2] = 0.8f;
          break;
        }
      if (q->wall != NULL && q->wall->picture_w > 0.0)
        {
          const JgSimWall *w = q->wall;
          double ps = s - w->picture_s, pt = t - w->picture_t;
          if (ps >= 0 && ps <= w->picture_w && pt >= 0 && pt <= w->picture_h)
            {
              gboolean frame = ps < 0.03 || pt < 0.03 || ps > w->picture_w - 0.03 || pt > w->picture_h - 0.03;
              if (frame)
                {
                  tint[0] = 0.15f; tint[1] = 0.12f; tint[2] = 0.10f;
                  mod = 1.0;
                }
              else
                {
                  /* An abstract painting: two colour fields and a horizon. */
                  double m = smooth_noise (ps * 4, pt * 4, 13);
                  gboolean low = pt < w->picture_h * (0.4 + 0.2 * m);
                  tint[0] = low ? w->picture_color[1] : w->picture_color[0];
                  tint[1] = low ? w->picture_color[2] : w->picture_color[1];
                  tint[2] = low ? w->picture_color[0] : w->picture_color[2];
                  mod = 0.7 + 0.3 * m;
                }
              break;
            }
        }
      if (t < 0.09)
        {
          tint[0] = 0.92f; tint[1] = 0.91f; tint[2] = 0.88f;
          mod = t > 0.08 ? 0.7 : 1.0;
        }
      else
        mod = 0.94 + 0.06 * smooth_noise (s * 1.5, t * 1.5, 8);
      break;
    case JG_SIM_STYLE_CEILING:
      mod = 0.97 + 0.03 * smooth_noise (s * 2, t * 2, 9);
      break;
    case JG_SIM_STYLE_WOOD:
      mod = 0.82 + 0.18 * sin (s * 22.0 + 5.0 * smooth_noise (s * 2.0, t * 9.0, 10));
      break;
    case JG_SIM_STYLE_FABRIC:
      mod = 0.85 + 0.15 * smooth_noise (s * 12, t * 12, 11);
      mod *= ((int) floor (s * 200) + (int) floor (t * 200)) % 2 ? 0.96 : 1.0;
      break;
    case JG_SIM_STYLE_SPEAKER:
      mod = 1.0;
      break;
    case JG_SIM_STYLE_SPEAKER_FRONT:
      {
        /* A woofer low and a tweeter high on the baffle, with lighter rims. */
        double rw = 0.36 * MIN (q->su, 0.5 * q->sv), rt = 0.13 * q->su;
        double dw = hypot (s - 0.5 * q->su, t - 0.35 * q->sv);
        double dt = hypot (s - 0.5 * q->su, t - 0.75 * q->sv);
        if (dw < rw || dt < rt)
          {
            gboolean rim = dw < rw ? dw > 0.85 * rw : dt > 0.7 * rt;
            tint[0] = tint[1] = tint[2] = rim ? 0.35f : 0.03f;
            mod = rim ? 1.0 : 1.0 + 0.5 * (dw < rw ? 1.0 - dw / rw : 0.0);
          }
        break;
      }
    default:
      break;
    }
  for (int c = 0; c < 3; c++)
    out[c] = (float) (tint[c] * mod);
}

void
jg_sim_raster_shade (JgSimRaster *r, const JgSimPose *pose, const JgSimQuad *quads,
                     const double light[3])
{
  int w = (int) r->k.width, h = (int) r->k.height;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize i = (gsize) y * w + x;
        guint8 *px = r->rgb + 3 * i;
        const JgSimQuad *q;
        double pc[3], p[3], l[3], e[3], dl, de, lambert, fill, light_sum, s, t, rel[3];
        float a[3];

        if (r->quad[i] < 0)
          {
            px[0] = px[1] = px[2] = 0;
            continue;
          }
        q = &quads[r->quad[i]];
        jg_intrinsics_unproject (&r->k, x, y, r->depth[i], pc);
        jg_sim_pose_to_world (pose, pc, p, TRUE);
        for (int c = 0; c < 3; c++)
          {
            l[c] = light[c] - p[c];
            e[c] = pose->pos[c] - p[c];
            rel[c] = p[c] - q->origin[c];
          }
        dl = sqrt (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]);
        de = sqrt (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
        lambert = MAX (0.0, (q->n[0] * l[0] + q->n[1] * l[1] + q->n[2] * l[2]) / dl);
        fill = MAX (0.0, (q->n[0] * e[0] + q->n[1] * e[1] + q->n[2] * e[2]) / de);
        /* Lamp with soft distance fall-off, a weak fill from the viewer and
         * an ambient term standing in for inter-reflection. */
        light_sum = 0.38 + 1.1 * lambert / (1.0 + 0.08 * dl * dl) + 0.15 * fill;
        s = rel[0] * q->tu[0] + rel[1] * q->tu[1] + rel[2] * q->tu[2];
        t = rel[0] * q->tv[0] + rel[1] * q->tv[1] + rel[2] * q->tv[2];
        albedo (q, s, t, a);
        for (int c = 0; c < 3; c++)
          {
            double v = CLAMP (a[c] * light_sum, 0.0, 1.0);
            px[c] = r->srgb[(int) (v * SRGB_LUT_SIZE + 0.5)];
          }
      }
}

void
jg_sim_raster_draw (JgSimRaster *r, const JgSimPose *pose, const JgSimQuad *quads, int n_quads)
{
  gsize n = (gsize) r->k.width * r->k.height;

  for (gsize i = 0; i < n; i++)
    {
      r->depth[i] = G_MAXFLOAT;
      r->quad[i] = -1;
    }
  for (int q = 0; q < n_quads; q++)
    {
      const JgSimQuad *qq = &quads[q];
      double e0 = pose->pos[0] - qq->v[0][0], e1 = pose->pos[1] - qq->v[0][1], e2 = pose->pos[2] - qq->v[0][2];
      /* Back faces never show in a closed room. */
      if (qq->n[0] * e0 + qq->n[1] * e1 + qq->n[2] * e2 <= 0.0)
        continue;
      raster_quad (r, pose, qq, q);
    }
  for (gsize i = 0; i < n; i++)
    {
      if (r->quad[i] < 0)
        {
          r->object[i] = EMPTY_OBJECT;
          r->depth[i] = 0.0f;
        }
      else
        r->object[i] = quads[r->quad[i]].object;
    }
}
