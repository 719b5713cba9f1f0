#include "sim/jg-sim-scene.h"
#include "audio/jg-foa.h"

#include <math.h>
#include <string.h>

/* Sabine's constant 24 ln(10) / c at c = 343 m/s. */
#define SABINE_K 0.1611

static void
set_color (float c[3], double r, double g, double b, JgSimRng *rng, double jitter)
{
  c[0] = (float) CLAMP (r * (1.0 + jitter * (jg_sim_rng_uniform (rng) - 0.5)), 0.0, 1.0);
  c[1] = (float) CLAMP (g * (1.0 + jitter * (jg_sim_rng_uniform (rng) - 0.5)), 0.0, 1.0);
  c[2] = (float) CLAMP (b * (1.0 + jitter * (jg_sim_rng_uniform (rng) - 0.5)), 0.0, 1.0);
}

gboolean
jg_sim_room_contains (const JgSimRoom *room, double x, double z)
{
  if (x < 0.0 || z < 0.0 || x > room->width || z > room->depth)
    return FALSE;
  if (room->kind == JG_SIM_ROOM_LSHAPE
      && x > room->width - room->notch_w && z > room->depth - room->notch_d)
    return FALSE;
  return TRUE;
}

/* An axis-aligned footprint lies inside the room iff its four corners do:
 * the L's notch is itself a corner rectangle of the bounding box. */
static gboolean
footprint_inside (const JgSimRoom *room, double x0, double z0, double x1, double z1, double margin)
{
  x0 -= margin; z0 -= margin; x1 += margin; z1 += margin;
  return jg_sim_room_contains (room, x0, z0) && jg_sim_room_contains (room, x1, z0)
      && jg_sim_room_contains (room, x0, z1) && jg_sim_room_contains (room, x1, z1);
}

static gboolean
rects_overlap (double ax0, double az0, double ax1, double az1,
               double bx0, double bz0, double bx1, double bz1, double margin)
{
  return ax0 < bx1 + margin && bx0 < ax1 + margin && az0 < bz1 + margin && bz0 < az1 + margin;
}

static void
build_walls (JgSimRoom *room)
{
  double W = room->width, D = room->depth;
  double pts[6][2];
  int n;

  if (room->kind == JG_SIM_ROOM_LSHAPE)
    {
      double nx = W - room->notch_w, nz = D - room->notch_d;
      double p[6][2] = { { 0, 0 }, { W, 0 }, { W, nz }, { nx, nz }, { nx, D }, { 0, D } };
      memcpy (pts, p, sizeof p);
      n = 6;
    }
  else
    {
      double p[4][2] = { { 0, 0 }, { W, 0 }, { W, D }, { 0, D } };
      memcpy (pts, p, sizeof p);
      n = 4;
    }
  room->n_walls = n;
  for (int i = 0; i < n; i++)
    {
      JgSimWall *w = &room->walls[i];
      double tx, tz, len, mx, mz;

      w->a[0] = pts[i][0]; w->a[1] = pts[i][1];
      w->b[0] = pts[(i + 1) % n][0]; w->b[1] = pts[(i + 1) % n][1];
      tx = w->b[0] - w->a[0]; tz = w->b[1] - w->a[1];
      len = hypot (tx, tz);
      w->n[0] = tz / len; w->n[1] = -tx / len;
      mx = 0.5 * (w->a[0] + w->b[0]) + 0.01 * w->n[0];
      mz = 0.5 * (w->a[1] + w->b[1]) + 0.01 * w->n[1];
      if (!jg_sim_room_contains (room, mx, mz))
        {
          w->n[0] = -w->n[0];
          w->n[1] = -w->n[1];
        }
    }
}

typedef struct {
  double w0, w1, h0, h1, d0, d1;
  JgSimStyle style;
  gboolean against_wall;
  double r, g, b;
} FurnitureKind;

static const FurnitureKind furniture_kinds[] = {
  { 0.9, 1.6, 0.72, 0.78, 0.6, 0.9, JG_SIM_STYLE_WOOD, FALSE, 0.45, 0.30, 0.18 },    /* table */
  { 1.0, 1.8, 0.50, 0.95, 0.40, 0.50, JG_SIM_STYLE_WOOD, TRUE, 0.55, 0.42, 0.30 },   /* sideboard */
  { 0.8, 1.2, 1.60, 2.00, 0.30, 0.40, JG_SIM_STYLE_WOOD, TRUE, 0.35, 0.22, 0.14 },   /* bookshelf */
  { 1.6, 2.2, 0.45, 0.80, 0.80, 0.95, JG_SIM_STYLE_FABRIC, TRUE, 0.30, 0.36, 0.45 }, /* sofa */
  { 0.6, 1.0, 0.38, 0.48, 0.45, 0.60, JG_SIM_STYLE_WOOD, FALSE, 0.60, 0.50, 0.38 },  /* low table */
  { 0.4, 0.6, 0.50, 0.75, 0.40, 0.55, JG_SIM_STYLE_WOOD, FALSE, 0.70, 0.68, 0.62 },  /* stand */
};

static gboolean
place_furniture (JgSimRoom *room, JgSimRng *rng)
{
  const FurnitureKind *k = &furniture_kinds[jg_sim_rng_index (rng, G_N_ELEMENTS (furniture_kinds))];
  double w = jg_sim_rng_range (rng, k->w0, k->w1);
  double h = jg_sim_rng_range (rng, k->h0, k->h1);
  double d = jg_sim_rng_range (rng, k->d0, k->d1);
  double x0, z0, x1, z1;
  JgSimFurniture *f;

  if (k->against_wall)
    {
      const JgSimWall *wall = &room->walls[jg_sim_rng_index (rng, room->n_walls)];
      double t = jg_sim_rng_uniform (rng);
      double px = wall->a[0] + t * (wall->b[0] - wall->a[0]);
      double pz = wall->a[1] + t * (wall->b[1] - wall->a[1]);
      /* Back against the wall: the long side runs along it. */
      double cx = px + wall->n[0] * (d / 2 + 0.02), cz = pz + wall->n[1] * (d / 2 + 0.02);
      double ex = fabs (wall->n[0]) > 0.5 ? d / 2 : w / 2;
      double ez = fabs (wall->n[0]) > 0.5 ? w / 2 : d / 2;
      x0 = cx - ex; x1 = cx + ex; z0 = cz - ez; z1 = cz + ez;
    }
  else
    {
      double cx = jg_sim_rng_range (rng, 0.5, room->width - 0.5);
      double cz = jg_sim_rng_range (rng, 0.5, room->depth - 0.5);
      gboolean swap = jg_sim_rng_uniform (rng) < 0.5;
      double ex = swap ? d / 2 : w / 2, ez = swap ? w / 2 : d / 2;
      x0 = cx - ex; x1 = cx + ex; z0 = cz - ez; z1 = cz + ez;
    }
  if (!footprint_inside (room, x0, z0, x1, z1, 0.0))
    return FALSE;
  for (int i = 0; i < room->n_furniture; i++)
    {
      const JgSimFurniture *o = &room->furniture[i];
      if (rects_overlap (x0, z0, x1, z1, o->min[0], o->min[2], o->max[0], o->max[2], 0.15))
        return FALSE;
    }
  f = &room->furniture[room->n_furniture++];
  f->min[0] = x0; f->min[1] = 0.0; f->min[2] = z0;
  f->max[0] = x1; f->max[1] = h; f->max[2] = z1;
  f->style = k->style;
  set_color (f->color, k->r, k->g, k->b, rng, 0.5);
  return TRUE;
}

void
jg_sim_room_generate (JgSimRoom *room, JgSimRoomKind kind, double rt60, JgSimRng *rng)
{
  static const double wall_palette[][3] = {
    { 0.85, 0.82, 0.75 }, { 0.70, 0.78, 0.80 }, { 0.82, 0.74, 0.66 },
    { 0.74, 0.80, 0.70 }, { 0.90, 0.88, 0.86 }, { 0.78, 0.68, 0.70 },
  };
  const double *wc;
  double area, perimeter = 0.0, alpha;
  int n_furniture;

  memset (room, 0, sizeof *room);
  room->kind = kind;
  if (kind == JG_SIM_ROOM_LSHAPE)
    {
      room->width = jg_sim_rng_range (rng, 5.5, 8.0);
      room->depth = jg_sim_rng_range (rng, 5.5, 8.5);
      room->notch_w = room->width * jg_sim_rng_range (rng, 0.35, 0.5);
      room->notch_d = room->depth * jg_sim_rng_range (rng, 0.35, 0.5);
    }
  else
    {
      room->width = jg_sim_rng_range (rng, 4.0, 7.0);
      room->depth = jg_sim_rng_range (rng, 4.5, 8.0);
    }
  room->height = jg_sim_rng_range (rng, 2.5, 3.1);
  build_walls (room);

  area = room->width * room->depth - room->notch_w * room->notch_d;
  for (int i = 0; i < room->n_walls; i++)
    perimeter += hypot (room->walls[i].b[0] - room->walls[i].a[0], room->walls[i].b[1] - room->walls[i].a[1]);
  room->volume = area * room->height;
  room->surface = 2.0 * area + perimeter * room->height;

  room->rt60 = rt60 < 0.0 ? jg_sim_rng_range (rng, 0.2, 0.6) : rt60;
  if (room->rt60 > 0.0)
    {
      /* Eyring: T = K V / (-S ln(1 - alpha)). */
      alpha = 1.0 - exp (-SABINE_K * room->volume / (room->surface * room->rt60));
      room->beta = sqrt (1.0 - CLAMP (alpha, 0.0, 0.999));
    }
  else
    room->beta = 0.0;

  room->floor_style = (JgSimStyle) (JG_SIM_STYLE_WOOD_FLOOR + jg_sim_rng_index (rng, 3));
  wc = wall_palette[jg_sim_rng_index (rng, G_N_ELEMENTS (wall_palette))];
  set_color (room->wall_color, wc[0], wc[1], wc[2], rng, 0.1);
  switch (room->floor_style)
    {
    case JG_SIM_STYLE_WOOD_FLOOR: set_color (room->floor_color, 0.55, 0.36, 0.20, rng, 0.4); break;
    case JG_SIM_STYLE_TILE_FLOOR: set_color (room->floor_color, 0.75, 0.74, 0.70, rng, 0.3); break;
    default: set_color (room->floor_color, 0.45, 0.42, 0.50, rng, 0.6); break;
    }
  set_color (room->ceiling_color, 0.93, 0.93, 0.91, rng, 0.04);
  /* One door somewhere, pictures on some walls, where they fit. */
  {
    int door_wall = (int) jg_sim_rng_index (rng, room->n_walls);
    for (int i = 0; i < room->n_walls; i++)
      {
        JgSimWall *w = &room->walls[i];
        double len = hypot (w->b[0] - w->a[0], w->b[1] - w->a[1]);
        w->door_s = -1.0;
        if (i == door_wall && len > 1.6)
          w->door_s = jg_sim_rng_range (rng, 0.3, len - 1.2);
        if (len > 2.0 && jg_sim_rng_uniform (rng) < 0.7)
          {
            w->picture_w = jg_sim_rng_range (rng, 0.4, MIN (1.2, len / 3));
            w->picture_h = jg_sim_rng_range (rng, 0.3, 0.8);
            w->picture_s = jg_sim_rng_range (rng, 0.2, len - w->picture_w - 0.2);
            w->picture_t = jg_sim_rng_range (rng, 1.3, room->height - w->picture_h - 0.25);
            if (w->door_s >= 0 && w->picture_s < w->door_s + 1.1 && w->picture_s + w->picture_w > w->door_s - 0.1)
              w->picture_w = 0.0;
            set_color (w->picture_color, jg_sim_rng_uniform (rng), jg_sim_rng_uniform (rng),
                       jg_sim_rng_uniform (rng), rng, 0.0);
          }
      }
  }
  room->light[0] = (room->width - (kind == JG_SIM_ROOM_LSHAPE ? room->notch_w : 0.0)) * 0.5;
  room->light[1] = room->height - 0.05;
  room->light[2] = room->depth * 0.45;

  n_furniture = 3 + (int) jg_sim_rng_index (rng, 5);
  for (int tries = 0; tries < 200 && room->n_furniture < n_furniture; tries++)
    place_furniture (room, rng);
}

void
jg_sim_pose_set (JgSimPose *pose, const double pos[3], double yaw)
{
  memcpy (pose->pos, pos, sizeof pose->pos);
  pose->yaw = yaw;
  pose->cos_yaw = cos (yaw);
  pose->sin_yaw = sin (yaw);
}

/* Camera axes in the world: x_c = (cos, 0, -sin), y_c = (0, 1, 0),
 * z_c = (sin, 0, cos); yaw 0 looks along world -z. */
void
jg_sim_pose_to_world (const JgSimPose *pose, const double c[3], double w[3], gboolean is_point)
{
  double x = pose->cos_yaw * c[0] + pose->sin_yaw * c[2];
  double z = -pose->sin_yaw * c[0] + pose->cos_yaw * c[2];

  w[0] = x + (is_point ? pose->pos[0] : 0.0);
  w[1] = c[1] + (is_point ? pose->pos[1] : 0.0);
  w[2] = z + (is_point ? pose->pos[2] : 0.0);
}

void
jg_sim_pose_to_camera (const JgSimPose *pose, const double w[3], double c[3], gboolean is_point)
{
  double dx = w[0] - (is_point ? pose->pos[0] : 0.0);
  double dy = w[1] - (is_point ? pose->pos[1] : 0.0);
  double dz = w[2] - (is_point ? pose->pos[2] : 0.0);

  c[0] = pose->cos_yaw * dx - pose->sin_yaw * dz;
  c[1] = dy;
  c[2] = pose->sin_yaw * dx + pose->cos_yaw * dz;
}

static gboolean
place_camera (const JgSimRoom *room, JgSimRng *rng, JgSimPose *pose)
{
  for (int tries = 0; tries < 100; tries++)
    {
      double p[3] = {
        jg_sim_rng_range (rng, 0.6, room->width - 0.6),
        jg_sim_rng_range (rng, 1.25, 1.6),
        jg_sim_rng_range (rng, 0.6, room->depth - 0.6),
      };
      double yaw = jg_sim_rng_range (rng, 0.0, 2.0 * G_PI);
      gboolean ok = footprint_inside (room, p[0], p[2], p[0], p[2], 0.6);

      for (int i = 0; ok && i < room->n_furniture; i++)
        {
          const JgSimFurniture *f = &room->furniture[i];
          if (rects_overlap (p[0], p[2], p[0], p[2], f->min[0], f->min[2], f->max[0], f->max[2], 0.4))
            ok = FALSE;
        }
      if (ok)
        {
          jg_sim_pose_set (pose, p, yaw);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
place_speaker (const JgSimRoom *room, const JgSimPlacementLimits *lim, const JgIntrinsics *k,
               double separation, const JgSimPose *pose,
               JgSimRng *rng, const JgSimSpeaker *others, int n_others, double others_fp[][4],
               JgSimSpeaker *s, double fp[4])
{
  double az = jg_sim_rng_range (rng, -lim->max_az_deg, lim->max_az_deg) * G_PI / 180.0;
  double r = jg_sim_rng_range (rng, lim->min_distance * 0.5, lim->max_distance);
  double w = jg_sim_rng_range (rng, 0.21, 0.50);
  double h = jg_sim_rng_range (rng, 0.60, 0.88);
  double d = jg_sim_rng_range (rng, 0.22, 0.50);
  double cam_c[3] = { -r * sin (az), 0.0, -r * cos (az) }, world_c[3];
  double ex = fabs (pose->cos_yaw) * w / 2 + fabs (pose->sin_yaw) * d / 2;
  double ez = fabs (pose->sin_yaw) * w / 2 + fabs (pose->cos_yaw) * d / 2;
  double base = 0.0, az_l, el_l;
  int support = -1;
  static const double speaker_colors[][3] = {
    { 0.05, 0.05, 0.05 }, { 0.12, 0.10, 0.09 }, { 0.30, 0.18, 0.10 }, { 0.80, 0.80, 0.78 },
  };
  const double *sc;

  jg_sim_pose_to_world (pose, cam_c, world_c, TRUE);
  fp[0] = world_c[0] - ex; fp[1] = world_c[2] - ez;
  fp[2] = world_c[0] + ex; fp[3] = world_c[2] + ez;
  if (!footprint_inside (room, fp[0], fp[1], fp[2], fp[3], 0.05))
    return FALSE;
  for (int i = 0; i < room->n_furniture; i++)
    {
      const JgSimFurniture *f = &room->furniture[i];
      if (!rects_overlap (fp[0], fp[1], fp[2], fp[3], f->min[0], f->min[2], f->max[0], f->max[2], 0.02))
        continue;
      /* Standing on a low piece of furniture is fine if it fits on top. */
      if (support < 0 && f->max[1] <= 1.2
          && fp[0] >= f->min[0] && fp[2] <= f->max[0] && fp[1] >= f->min[2] && fp[3] <= f->max[2])
        {
          support = i;
          base = f->max[1];
        }
      else
        return FALSE;
    }
  for (int i = 0; i < n_others; i++)
    if (rects_overlap (fp[0], fp[1], fp[2], fp[3], others_fp[i][0], others_fp[i][1],
                       others_fp[i][2], others_fp[i][3], 0.1))
      return FALSE;

  world_c[1] = base + h / 2;
  if (world_c[1] + h / 2 > room->height - 0.1)
    return FALSE;
  jg_sim_pose_to_camera (pose, world_c, s->center, TRUE);
  s->size[0] = w; s->size[1] = h; s->size[2] = d;
  jg_camera_to_doa (s->center, &s->az_deg, &s->el_deg);
  s->distance = sqrt (s->center[0] * s->center[0] + s->center[1] * s->center[1] + s->center[2] * s->center[2]);
  s->support = support;
  az_l = round (s->az_deg);
  el_l = round (s->el_deg);
  if (fabs (az_l) > lim->max_az_deg || fabs (el_l) > lim->max_el_deg)
    return FALSE;
  if (s->distance < lim->min_distance || s->distance > lim->max_distance)
    return FALSE;
  /* The box must be wholly in front of the camera. */
  if (-s->center[2] - d / 2 < 0.3)
    return FALSE;
  for (int i = 0; i < n_others; i++)
    if (fabs (round (others[i].az_deg) - az_l) < separation)
      return FALSE;
  for (int c = 0; c < 8; c++)
    {
      double p[3], u, v;
      for (int a = 0; a < 3; a++)
        p[a] = s->center[a] + ((c >> a) & 1 ? 0.5 : -0.5) * s->size[a];
      if (!jg_intrinsics_project (k, p, &u, &v) || u < 2 || v < 2
          || u > k->width - 3 || v > k->height - 3)
        return FALSE;
    }
  sc = speaker_colors[jg_sim_rng_index (rng, G_N_ELEMENTS (speaker_colors))];
  set_color (s->color, sc[0], sc[1], sc[2], rng, 0.2);
  return TRUE;
}

gboolean
jg_sim_place (const JgSimRoom *room, const JgSimPlacementLimits *limits, const JgIntrinsics *k,
              int n_speakers, JgSimRng *rng, JgSimPose *pose, JgSimSpeaker *speakers)
{
  double fp[JG_SIM_MAX_SPEAKERS][4];
  /* Beyond the release's three loudspeakers, the field of view gets
   * crowded: let the azimuth gap shrink so that eight still fit. */
  double separation = n_speakers <= 3 ? limits->min_separation_deg
                                      : MIN (limits->min_separation_deg, 32.0 / n_speakers);

  g_return_val_if_fail (n_speakers >= 1 && n_speakers <= JG_SIM_MAX_SPEAKERS, FALSE);
  if (!place_camera (room, rng, pose))
    return FALSE;
  for (int i = 0; i < n_speakers; i++)
    {
      gboolean ok = FALSE;
      for (int tries = 0; tries < 300 && !ok; tries++)
        ok = place_speaker (room, limits, k, separation, pose, rng, speakers, i, fp, &speakers[i], fp[i]);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}
