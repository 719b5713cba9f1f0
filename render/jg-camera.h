/* jg-camera.h: the viewer's camera over a scene in the sensor's frame.
 *
 * World space is the sensor's camera frame (OpenGL/Habitat: +x right, +y up,
 * the sensor looks along -z), so the camera's orientation is directly the
 * head orientation relative to the sensor. Angles use JAEGER's DoA
 * convention: yaw is the azimuth of the viewing direction (0 = the sensor's
 * forward, positive to the left), pitch its elevation (positive up), roll
 * positive when the view's up vector leans left (head tilted left).
 *
 * The rotation is R = Ry(yaw) Rx(pitch) Rz(roll); its columns are the
 * camera's right, up and backward axes in the sensor frame. The eye sits
 * at pivot - distance * forward, so orbiting turns about the pivot and the
 * sensor view has the eye at the origin.
 *
 * Screen coordinates are pixels with the origin at the top-left corner;
 * pixel (i, j) covers [i, i+1) x [j, j+1), the same convention as
 * JgIntrinsics (cx = width / 2 is the image centre). */
#pragma once

#include <cglm/cglm.h>
#include <glib.h>

#include "data/jg-intrinsics.h"

G_BEGIN_DECLS

typedef struct {
  double pivot[3];     /* orbit centre, metres, sensor frame */
  double distance;     /* eye to pivot, metres, > 0 */
  double yaw_deg;
  double pitch_deg;    /* clamped to [-90, 90] */
  double roll_deg;
  double vfov_deg;     /* vertical field of view, (1, 170) */
} JgCameraPose;

typedef enum {
  JG_VIEW_SENSOR,      /* the sensor's own view */
  JG_VIEW_TOP,         /* from above, looking down (-y), far side of the scene at the top */
  JG_VIEW_FRONT,       /* along -z like the sensor, framed on the scene */
  JG_VIEW_SIDE,        /* from the right (+x), looking along -x */
} JgView;

#define JG_CAMERA_NEAR 0.02f
#define JG_CAMERA_FAR 500.0f

typedef struct _JgCamera JgCamera;

JgCamera *jg_camera_new (void);
void      jg_camera_free (JgCamera *cam);

void jg_camera_get_pose (const JgCamera *cam, JgCameraPose *pose);
/* Sets the pose now (normalised: yaw to (-180, 180], pitch clamped) and
 * stops any transition. */
void jg_camera_set_pose (JgCamera *cam, const JgCameraPose *pose);

/* Poses, pure functions. The sensor pose: eye at the origin, no rotation,
 * the vertical field of view of @k, pivot @pivot_distance ahead.
 * Snap poses frame the box [@lo, @hi] for a viewport of @aspect (w/h). */
void jg_camera_pose_sensor (JgCameraPose *pose, const JgIntrinsics *k, double pivot_distance);
void jg_camera_pose_snap (JgCameraPose *pose, JgView view, const JgIntrinsics *k,
                          const double lo[3], const double hi[3], double aspect);

/* Interaction. Orbit turns about the pivot; look turns about the eye (fly
 * mode); pan moves by pixels so that the pivot plane follows the cursor;
 * zoom multiplies the distance (> 1 moves away); fly moves the eye and the
 * pivot along the camera's own axes, in metres. Each stops a transition. */
void jg_camera_orbit (JgCamera *cam, double dyaw_deg, double dpitch_deg);
void jg_camera_look (JgCamera *cam, double dyaw_deg, double dpitch_deg);
void jg_camera_pan (JgCamera *cam, double dx_px, double dy_px, double viewport_height);
void jg_camera_zoom (JgCamera *cam, double factor);
void jg_camera_fly (JgCamera *cam, double forward, double right, double up);

/* Smooth transition to @target over @duration_s starting at @now_s (any
 * monotonic clock in seconds). jg_camera_tick() advances it and returns
 * TRUE while it still runs (the widget keeps redrawing until FALSE). */
void     jg_camera_animate_to (JgCamera *cam, const JgCameraPose *target,
                               double now_s, double duration_s);
gboolean jg_camera_tick (JgCamera *cam, double now_s);
gboolean jg_camera_is_animating (const JgCamera *cam);

/* The pose as one line of text and back ("jaeger-camera 1 pivot=x,y,z
 * distance=d yaw=a pitch=b roll=c fov=f"); parsing names the problem. */
char    *jg_camera_pose_to_string (const JgCameraPose *pose);
gboolean jg_camera_pose_from_string (JgCameraPose *pose, const char *text, GError **error);

/* Eye position and the rotation (column-major 3x3: right, up, backward). */
void jg_camera_get_eye (const JgCamera *cam, double eye[3]);
void jg_camera_get_rotation (const JgCamera *cam, double rot[9]);
/* Head orientation relative to the sensor, degrees, for the audio engine. */
void jg_camera_get_orientation (const JgCamera *cam, double *yaw_deg, double *pitch_deg,
                                double *roll_deg);

/* GL matrices (OpenGL clip space) for a viewport of @aspect = w / h. */
void jg_camera_view_matrix (const JgCamera *cam, mat4 view);
void jg_camera_proj_matrix (const JgCamera *cam, double aspect, mat4 proj);
void jg_camera_view_proj (const JgCamera *cam, double aspect, mat4 view_proj);

/* Sensor-frame point -> pixel of a @width x @height viewport through the
 * same matrices the GPU uses; FALSE when the point is behind the eye. */
gboolean jg_camera_project (const JgCamera *cam, guint width, guint height,
                            const double xyz[3], double *u, double *v);
/* The ray through pixel (u, v): origin at the eye, unit direction. */
void jg_camera_ray (const JgCamera *cam, guint width, guint height, double u, double v,
                    double origin[3], double dir[3]);
/* Tangent of the angle one pixel spans at the image centre (pick tolerance). */
double jg_camera_pixel_angle (const JgCamera *cam, guint height);



G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgCamera, jg_camera_free)

G_END_DECLS
