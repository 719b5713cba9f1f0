#include "render/jg-camera.h"

#include "core/jg-error.h"

#include <math.h>
#include <string.h>

#define DEG (G_PI / 180.0)
#define MIN_DISTANCE 0.01
#define MAX_DISTANCE 1000.0

struct _JgCamera {
  JgCameraPose pose;
  /* transition */
  gboolean animating;
  JgCameraPose from, to;
  double t0, duration;
};

static double
wrap_deg (double a)
{
  a = fmod (a, 360.0);
  if (a > 180.0)
    a -= 360.0;
  else if (a <= -180.0)
    a += 360.0;
  return a;
}

static void
normalise (JgCameraPose *p)
{
  p->yaw_deg = wrap_deg (p->yaw_deg);
  p->roll_deg = wrap_deg (p->roll_deg);
  p->pitch_deg = CLAMP (p->pitch_deg, -90.0, 90.0);
  p->distance = CLAMP (p->distance, MIN_DISTANCE, MAX_DISTANCE);
  p->vfov_deg = CLAMP (p->vfov_deg, 1.0, 170.0);
}

JgCamera *
jg_camera_new (void)
{
  JgCamera *cam = g_new0 (JgCamera, 1);
  JgIntrinsics k;

  jg_intrinsics_from_fov (&k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  jg_camera_pose_sensor (&cam->pose, &k, 2.0);
  return cam;
}

void
jg_camera_free (JgCamera *cam)
{
  g_free (cam);
}

void
jg_camera_get_pose (const JgCamera *cam, JgCameraPose *pose)
{
  *pose = cam->pose;
}

void
jg_camera_set_pose (JgCamera *cam, const JgCameraPose *pose)
{
  cam->pose = *pose;
  normalise (&cam->pose);
  cam->animating = FALSE;
}

static double
vfov_of (const JgIntrinsics *k)
{
  return 2.0 * atan ((k->height / 2.0) / k->fy) / DEG;
}

void
jg_camera_pose_sensor (JgCameraPose *pose, const JgIntrinsics *k, double pivot_distance)
{
  memset (pose, 0, sizeof *pose);
  pose->distance = pivot_distance > MIN_DISTANCE ? pivot_distance : 2.0;
  pose->pivot[2] = -pose->distance;
  pose->vfov_deg = vfov_of (k);
}

void
jg_camera_pose_snap (JgCameraPose *pose, JgView view, const JgIntrinsics *k,
                     const double lo[3], const double hi[3], double aspect)
{
  double radius = 0.0, half_v, half_h;

  if (view == JG_VIEW_SENSOR)
    {
      jg_camera_pose_sensor (pose, k, -(lo[2] + hi[2]) / 2.0);
      return;
    }
  memset (pose, 0, sizeof *pose);
  for (int i = 0; i < 3; i++)
    {
      pose->pivot[i] = (lo[i] + hi[i]) / 2.0;
      radius += (hi[i] - lo[i]) * (hi[i] - lo[i]);
    }
  radius = MAX (sqrt (radius) / 2.0, 0.1);
  pose->vfov_deg = vfov_of (k);
  if (view == JG_VIEW_TOP)
    pose->pitch_deg = -90.0;
  else if (view == JG_VIEW_SIDE)
    pose->yaw_deg = 90.0;
  /* The bounding sphere fits the narrower of the two fields of view. */
  half_v = pose->vfov_deg * DEG / 2.0;
  half_h = atan (tan (half_v) * (aspect > 0 ? aspect : 1.0));
  pose->distance = radius / sin (MIN (half_v, half_h));
  normalise (pose);
}

static void
rotation (const JgCameraPose *p, double r[9])
{
  double cy = cos (p->yaw_deg * DEG), sy = sin (p->yaw_deg * DEG);
  double cp = cos (p->pitch_deg * DEG), sp = sin (p->pitch_deg * DEG);
  double cr = cos (p->roll_deg * DEG), sr = sin (p->roll_deg * DEG);
  /* Ry Rx Rz, column-major: r[c * 3 + row]. */
  double ry[9] = { cy, 0, -sy, 0, 1, 0, sy, 0, cy };
  double rx[9] = { 1, 0, 0, 0, cp, sp, 0, -sp, cp };
  double rz[9] = { cr, sr, 0, -sr, cr, 0, 0, 0, 1 };
  double t[9];

  for (int c = 0; c < 3; c++)
    for (int row = 0; row < 3; row++)
      {
        double s = 0;
        for (int k = 0; k < 3; k++)
          s += ry[k * 3 + row] * rx[c * 3 + k];
        t[c * 3 + row] = s;
      }
  for (int c = 0; c < 3; c++)
    for (int row = 0; row < 3; row++)
      {
        double s = 0;
        for (int k = 0; k < 3; k++)
          s += t[k * 3 + row] * rz[c * 3 + k];
        r[c * 3 + row] = s;
      }
}

static void
eye_of (const JgCameraPose *p, double eye[3])
{
  double r[9];

  rotation (p, r);
  /* forward = -backward column */
  for (int i = 0; i < 3; i++)
    eye[i] = p->pivot[i] + p->distance * r[6 + i];
}

void
jg_camera_orbit (JgCamera *cam, double dyaw_deg, double dpitch_deg)
{
  cam->pose.yaw_deg += dyaw_deg;
  cam->pose.pitch_deg += dpitch_deg;
  normalise (&cam->pose);
  cam->animating = FALSE;
}

void
jg_camera_look (JgCamera *cam, double dyaw_deg, double dpitch_deg)
{
  double eye[3], r[9];

  eye_of (&cam->pose, eye);
  cam->pose.yaw_deg += dyaw_deg;
  cam->pose.pitch_deg += dpitch_deg;
  normalise (&cam->pose);
  rotation (&cam->pose, r);
  for (int i = 0; i < 3; i++)
    cam->pose.pivot[i] = eye[i] - cam->pose.distance * r[6 + i];
  cam->animating = FALSE;
}

void
jg_camera_pan (JgCamera *cam, double dx_px, double dy_px, double viewport_height)
{
  double r[9];
  /* Metres per pixel on the plane through the pivot. */
  double m = 2.0 * cam->pose.distance * tan (cam->pose.vfov_deg * DEG / 2.0)
             / MAX (viewport_height, 1.0);

  rotation (&cam->pose, r);
  for (int i = 0; i < 3; i++)
    cam->pose.pivot[i] += -dx_px * m * r[i] + dy_px * m * r[3 + i];
  cam->animating = FALSE;
}

void
jg_camera_zoom (JgCamera *cam, double factor)
{
  if (factor > 0 && isfinite (factor))
    cam->pose.distance = CLAMP (cam->pose.distance * factor, MIN_DISTANCE, MAX_DISTANCE);
  cam->animating = FALSE;
}

void
jg_camera_fly (JgCamera *cam, double forward, double right, double up)
{
  double r[9];

  rotation (&cam->pose, r);
  for (int i = 0; i < 3; i++)
    cam->pose.pivot[i] += -forward * r[6 + i] + right * r[i] + up * r[3 + i];
  cam->animating = FALSE;
}

void
jg_camera_animate_to (JgCamera *cam, const JgCameraPose *target, double now_s, double duration_s)
{
  cam->from = cam->pose;
  cam->to = *target;
  normalise (&cam->to);
  cam->t0 = now_s;
  cam->duration = duration_s;
  cam->animating = TRUE;
  jg_camera_tick (cam, now_s);
}

gboolean
jg_camera_tick (JgCamera *cam, double now_s)
{
  const JgCameraPose *a = &cam->from, *b = &cam->to;
  JgCameraPose *p = &cam->pose;
  double t, s;

  if (!cam->animating)
    return FALSE;
  t = cam->duration > 0 ? (now_s - cam->t0) / cam->duration : 1.0;
  if (t >= 1.0)
    {
      cam->pose = cam->to;
      cam->animating = FALSE;
      return FALSE;
    }
  t = MAX (t, 0.0);
  s = t * t * (3.0 - 2.0 * t);   /* ease in and out */
  for (int i = 0; i < 3; i++)
    p->pivot[i] = a->pivot[i] + s * (b->pivot[i] - a->pivot[i]);
  /* Distance moves geometrically so zooming feels even at every scale. */
  p->distance = a->distance * pow (b->distance / a->distance, s);
  p->yaw_deg = wrap_deg (a->yaw_deg + s * wrap_deg (b->yaw_deg - a->yaw_deg));
  p->pitch_deg = a->pitch_deg + s * (b->pitch_deg - a->pitch_deg);
  p->roll_deg = wrap_deg (a->roll_deg + s * wrap_deg (b->roll_deg - a->roll_deg));
  p->vfov_deg = a->vfov_deg + s * (b->vfov_deg - a->vfov_deg);
  return TRUE;
}

gboolean
jg_camera_is_animating (const JgCamera *cam)
{
  return cam->animating;
}

char *
jg_camera_pose_to_string (const JgCameraPose *p)
{
  char b[8][G_ASCII_DTOSTR_BUF_SIZE];
  double v[8] = { p->pivot[0], p->pivot[1], p->pivot[2], p->distance, p->yaw_deg,
                  p->pitch_deg, p->roll_deg, p->vfov_deg };

  /* shortest text that reads back to the same double */
  for (int i = 0; i < 8; i++)
    g_ascii_dtostr (b[i], sizeof b[i], v[i]);
  return g_strdup_printf ("jaeger-camera 1 pivot=%s,%s,%s distance=%s yaw=%s pitch=%s roll=%s fov=%s",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

static gboolean
parse_numbers (const char *key, const char *text, double *out, int n, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  if ((int) g_strv_length (parts) != n)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "camera text: '%s' needs %d number%s, got '%s'", key, n, n > 1 ? "s" : "", text);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      char *end = NULL;
      out[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0' || !isfinite (out[i]))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "camera text: '%s' of '%s' is not a finite number", parts[i], key);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
jg_camera_pose_from_string (JgCameraPose *pose, const char *text, GError **error)
{
  static const char *const keys[] = { "pivot", "distance", "yaw", "pitch", "roll", "fov" };
  g_auto(GStrv) tok = NULL;
  JgCameraPose p = { 0 };
  double *dest[] = { p.pivot, &p.distance, &p.yaw_deg, &p.pitch_deg, &p.roll_deg, &p.vfov_deg };
  gboolean seen[G_N_ELEMENTS (keys)] = { FALSE };
  guint n = 0;

  if (text == NULL)
    text = "";
  tok = g_strsplit_set (text, " \t\r\n", -1);
  /* compact out the empty strings left by repeated separators */
  for (guint i = 0; tok[i] != NULL; i++)
    if (tok[i][0] != '\0')
      {
        char *t = tok[i];
        tok[i] = NULL;
        tok[n++] = t;
      }
    else
      {
        g_free (tok[i]);
        tok[i] = NULL;
      }
  if (n < 2 || strcmp (tok[0], "jaeger-camera") != 0 || strcmp (tok[1], "1") != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "camera text: does not start with 'jaeger-camera 1'");
      return FALSE;
    }
  for (guint i = 2; i < n; i++)
    {
      const char *eq = strchr (tok[i], '=');
      gsize j;

      for (j = 0; j < G_N_ELEMENTS (keys); j++)
        if (eq != NULL && (gsize) (eq - tok[i]) == strlen (keys[j])
            && strncmp (tok[i], keys[j], strlen (keys[j])) == 0)
          break;
      if (j == G_N_ELEMENTS (keys))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "camera text: unknown field '%s'", tok[i]);
          return FALSE;
        }
      if (seen[j])
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "camera text: '%s' given twice", keys[j]);
          return FALSE;
        }
      seen[j] = TRUE;
      if (!parse_numbers (keys[j], eq + 1, dest[j], j == 0 ? 3 : 1, error))
        return FALSE;
    }
  for (gsize j = 0; j < G_N_ELEMENTS (keys); j++)
    if (!seen[j])
      {
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "camera text: '%s' is missing", keys[j]);
        return FALSE;
      }
  if (p.distance <= 0 || p.vfov_deg <= 1.0 || p.vfov_deg >= 170.0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "camera text: distance must be > 0 and fov within (1, 170) degrees");
      return FALSE;
    }
  normalise (&p);
  *pose = p;
  return TRUE;
}

void
jg_camera_get_eye (const JgCamera *cam, double eye[3])
{
  eye_of (&cam->pose, eye);
}

void
jg_camera_get_rotation (const JgCamera *cam, double rot[9])
{
  rotation (&cam->pose, rot);
}

void
jg_camera_get_orientation (const JgCamera *cam, double *yaw_deg, double *pitch_deg, double *roll_deg)
{
  *yaw_deg = cam->pose.yaw_deg;
  *pitch_deg = cam->pose.pitch_deg;
  *roll_deg = cam->pose.roll_deg;
}

void
jg_camera_view_matrix (const JgCamera *cam, mat4 view)
{
  double r[9], eye[3];

  rotation (&cam->pose, r);
  eye_of (&cam->pose, eye);
  /* inverse of [R | eye]: [R^T | -R^T eye]; cglm is column-major view[col][row] */
  glm_mat4_identity (view);
  for (int c = 0; c < 3; c++)
    for (int row = 0; row < 3; row++)
      view[c][row] = (float) r[row * 3 + c];
  for (int row = 0; row < 3; row++)
    view[3][row] = (float) -(r[row * 3 + 0] * eye[0] + r[row * 3 + 1] * eye[1]
                             + r[row * 3 + 2] * eye[2]);
}

void
jg_camera_proj_matrix (const JgCamera *cam, double aspect, mat4 proj)
{
  glm_perspective ((float) (cam->pose.vfov_deg * DEG), (float) aspect,
                   JG_CAMERA_NEAR, JG_CAMERA_FAR, proj);
}

void
jg_camera_view_proj (const JgCamera *cam, double aspect, mat4 view_proj)
{
  mat4 v, p;

  jg_camera_view_matrix (cam, v);
  jg_camera_proj_matrix (cam, aspect, p);
  glm_mat4_mul (p, v, view_proj);
}

gboolean
jg_camera_project (const JgCamera *cam, guint width, guint height, const double xyz[3],
                   double *u, double *v)
{
  mat4 vp;
  vec4 p = { (float) xyz[0], (float) xyz[1], (float) xyz[2], 1.0f }, c;

  jg_camera_view_proj (cam, (double) width / MAX (height, 1u), vp);
  glm_mat4_mulv (vp, p, c);
  if (c[3] <= 1e-9f)
    return FALSE;
  *u = (c[0] / c[3] + 1.0) * 0.5 * width;
  *v = (1.0 - c[1] / c[3]) * 0.5 * height;
  return TRUE;
}

void
jg_camera_ray (const JgCamera *cam, guint width, guint height, double u, double v,
               double origin[3], double dir[3])
{
  double r[9], t = tan (cam->pose.vfov_deg * DEG / 2.0);
  double aspect = (double) width / MAX (height, 1u);
  double x = (2.0 * u / MAX (width, 1u) - 1.0) * t * aspect;
  double y = (1.0 - 2.0 * v / MAX (height, 1u)) * t;
  double n;

  rotation (&cam->pose, r);
  eye_of (&cam->pose, origin);
  for (int i = 0; i < 3; i++)
    dir[i] = x * r[i] + y * r[3 + i] - r[6 + i];
  n = sqrt (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
  for (int i = 0; i < 3; i++)
    dir[i] /= n;
}

double
jg_camera_pixel_angle (const JgCamera *cam, guint height)
{
  return 2.0 * tan (cam->pose.vfov_deg * DEG / 2.0) / MAX (height, 1u);
}

