/* jg-sim-scene.h: procedural rooms, furniture, camera poses and
 * loudspeakers for the scene simulator.
 *
 * World frame: +y up, floor at y = 0, the room's bounding box spans
 * x in [0, width], z in [0, depth]. An L-shaped room is that box minus a
 * rectangular notch at the (+x, +z) corner. The camera frame is JAEGER's
 * (+x right, +y up, looking along -z); a pose places it at @pos with
 * @yaw radians about +y (yaw 0 looks along world -z). */
#pragma once

#include "data/jg-intrinsics.h"
#include "sim/jg-sim-rng.h"

#include <glib.h>

G_BEGIN_DECLS

#define JG_SIM_MAX_FURNITURE 10
#define JG_SIM_MAX_SPEAKERS 8
#define JG_SIM_MAX_WALLS 6

typedef enum {
  JG_SIM_ROOM_SHOEBOX,
  JG_SIM_ROOM_LSHAPE,
} JgSimRoomKind;

/* Procedural surface styles the rasteriser knows how to texture. */
typedef enum {
  JG_SIM_STYLE_WOOD_FLOOR,
  JG_SIM_STYLE_TILE_FLOOR,
  JG_SIM_STYLE_CARPET,
  JG_SIM_STYLE_PAINT,
  JG_SIM_STYLE_CEILING,
  JG_SIM_STYLE_WOOD,
  JG_SIM_STYLE_FABRIC,
  JG_SIM_STYLE_SPEAKER,
  JG_SIM_STYLE_SPEAKER_FRONT,
} JgSimStyle;

typedef struct {
  double min[3], max[3];    /* world AABB */
  float color[3];           /* linear RGB */
  JgSimStyle style;
} JgSimFurniture;

typedef struct {
  double a[2], b[2];        /* (x, z) end points */
  double n[2];              /* inward unit normal */
  /* Decoration painted on the wall, in metres along it (s) and up (t):
   * a door when door_s >= 0, a framed picture when picture_w > 0. */
  double door_s;
  double picture_s, picture_t, picture_w, picture_h;
  float picture_color[3];
} JgSimWall;

typedef struct {
  JgSimRoomKind kind;
  double width, depth, height;
  double notch_w, notch_d;  /* L-shape: notch x > width - notch_w, z > depth - notch_d */
  JgSimWall walls[JG_SIM_MAX_WALLS];
  int n_walls;
  double volume, surface;   /* m^3, m^2 (walls + floor + ceiling) */
  double rt60;              /* seconds; 0 = anechoic apart from the direct path */
  double beta;              /* pressure reflection coefficient of every surface */
  JgSimStyle floor_style;
  float wall_color[3], floor_color[3], ceiling_color[3];
  double light[3];          /* ceiling lamp, world */
  JgSimFurniture furniture[JG_SIM_MAX_FURNITURE];
  int n_furniture;
} JgSimRoom;

typedef struct {
  double pos[3];
  double yaw;
  double cos_yaw, sin_yaw;
} JgSimPose;

typedef struct {
  double center[3], size[3];  /* camera frame, axis-aligned there */
  double az_deg, el_deg, distance;
  int support;                /* -1: floor, else the furniture it stands on */
  float color[3];
} JgSimSpeaker;

/* Builds a room of @kind with random size, materials and furniture.
 * @rt60 < 0 draws one in [0.2, 0.6] s. Absorption follows from RT60 by
 * Eyring's formula so that the image sources decay at the requested rate. */
void jg_sim_room_generate (JgSimRoom *room, JgSimRoomKind kind, double rt60, JgSimRng *rng);

gboolean jg_sim_room_contains (const JgSimRoom *room, double x, double z);

void jg_sim_pose_set (JgSimPose *pose, const double pos[3], double yaw);
/* World <-> camera frame for points (@is_point) or directions. */
void jg_sim_pose_to_camera (const JgSimPose *pose, const double w[3], double c[3], gboolean is_point);
void jg_sim_pose_to_world (const JgSimPose *pose, const double c[3], double w[3], gboolean is_point);

typedef struct {
  double min_distance, max_distance;  /* of box centres, metres */
  double max_az_deg, max_el_deg;      /* |integer label| limits */
  double min_separation_deg;          /* between speakers' azimuths */
} JgSimPlacementLimits;

/* Draws a camera pose (ear height) and @n_speakers loudspeakers that
 * satisfy @limits, stand on the floor or on furniture, do not collide and
 * lie wholly inside the frame of camera @k. Occlusion is the caller's to
 * check. FALSE when this draw failed; the caller retries with the same
 * stream. */
gboolean jg_sim_place (const JgSimRoom *room, const JgSimPlacementLimits *limits,
                       const JgIntrinsics *k, int n_speakers, JgSimRng *rng,
                       JgSimPose *pose, JgSimSpeaker *speakers);

G_END_DECLS
