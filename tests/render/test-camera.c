/* Camera maths without GL: the sensor view against the intrinsics formula,
 * text round trips, snap views, orbit/pan/fly geometry, the published
 * head orientation and smooth transitions. */
#include "audio/jg-foa.h"
#include "core/jg-error.h"
#include "render/jg-camera.h"

#include <math.h>

static void
sensor_k (JgIntrinsics *k)
{
  jg_intrinsics_from_fov (k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
}

static double
dot3 (const double a[3], const double b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The sensor view through the GL matrices puts points where the dataset's
 * pinhole model does (fx = fy = 336 at 672x378; the 0.04-px difference of
 * fx and fy over the half width is the only allowed error). */
static void
test_sensor_matches_intrinsics (void)
{
  g_autoptr(JgCamera) cam = jg_camera_new ();
  JgCameraPose pose;
  JgIntrinsics k;
  double eye[3];

  sensor_k (&k);
  jg_camera_pose_sensor (&pose, &k, 3.0);
  jg_camera_set_pose (cam, &pose);
  jg_camera_get_eye (cam, eye);
  g_assert_cmpfloat (fabs (eye[0]) + fabs (eye[1]) + fabs (eye[2]), <, 1e-12);
  for (guint v = 0; v <= 378; v += 27)
    for (guint u = 0; u <= 672; u += 48)
      {
        double p[3], cu = -1, cv = -1, ku = -1, kv = -1;
        jg_intrinsics_unproject (&k, u, v, 0.7 + 0.01 * (u + v), p);
        g_assert_true (jg_camera_project (cam, 672, 378, p, &cu, &cv));
        g_assert_true (jg_intrinsics_project (&k, p, &ku, &kv));
        g_assert_cmpfloat (fabs (cu - ku), <, 0.06);
        g_assert_cmpfloat (fabs (cv - kv), <, 0.02);
        g_assert_cmpfloat (fabs (cu - u), <, 0.06);
      }
  /* behind the eye */
  double back[3] = { 0, 0, 1 }, u, v;
  g_assert_false (jg_camera_project (cam, 672, 378, back, &u, &v));
}

static void
assert_pose_equal (const JgCameraPose *a, const JgCameraPose *b)
{
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (a->pivot[i], ==, b->pivot[i]);
  g_assert_cmpfloat (a->distance, ==, b->distance);
  g_assert_cmpfloat (a->yaw_deg, ==, b->yaw_deg);
  g_assert_cmpfloat (a->pitch_deg, ==, b->pitch_deg);
  g_assert_cmpfloat (a->roll_deg, ==, b->roll_deg);
  g_assert_cmpfloat (a->vfov_deg, ==, b->vfov_deg);
}

static void
test_text_round_trip (void)
{
  JgCameraPose p = { { 0.1234567890123, -2.5e-7, -3.75 }, 2.718281828459045,
                     -33.3333333333333, 12.5, 7.25, 58.72 }, q;
  g_autofree char *text = jg_camera_pose_to_string (&p);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (text, "jaeger-camera 1 pivot="));
  g_assert_true (jg_camera_pose_from_string (&q, text, &error));
  g_assert_no_error (error);
  assert_pose_equal (&p, &q);

  /* order and spacing do not matter */
  g_assert_true (jg_camera_pose_from_string (&q, "  jaeger-camera 1\tfov=40 roll=0 pitch=-10 "
                                             "yaw=170 distance=4 pivot=1,2,-3\n", &error));
  g_assert_cmpfloat (q.pivot[2], ==, -3.0);
  g_assert_cmpfloat (q.yaw_deg, ==, 170.0);
  g_assert_cmpfloat (q.vfov_deg, ==, 40.0);

  static const char *const bad[] = {
    "",
    "camera 1 pivot=0,0,0 distance=1 yaw=0 pitch=0 roll=0 fov=50",
    "jaeger-camera 2 pivot=0,0,0 distance=1 yaw=0 pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0 distance=1 yaw=0 pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=0 pitch=0 roll=0",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=x pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=nan pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=0 pitch=0 roll=0 fov=50 zoom=2",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=0 yaw=1 pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0,0 distance=0 yaw=0 pitch=0 roll=0 fov=50",
    "jaeger-camera 1 pivot=0,0,0 distance=1 yaw=0 pitch=0 roll=0 fov=180",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      JgCameraPose keep = q;
      g_assert_false (jg_camera_pose_from_string (&q, bad[i], &e));
      g_assert_error (e, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_assert_true (g_str_has_prefix (e->message, "camera text: "));
      g_assert_cmpfloat (q.distance, ==, keep.distance);
    }
}

/* The forward axis of the published orientation has JAEGER azimuth = yaw
 * and elevation = pitch; roll leans the up vector left. */
static void
test_orientation (void)
{
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const double cases[][3] = { { 0, 0, 0 }, { 30, 0, 0 }, { -75, 20, 0 }, { 120, -40, 15 },
                              { 179, 60, -30 }, { 0, 0, 30 } };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      JgCameraPose p = { { 0, 0, -2 }, 2, cases[i][0], cases[i][1], cases[i][2], 50 };
      double r[9], fwd[3], az, el, y, pi, ro;

      jg_camera_set_pose (cam, &p);
      jg_camera_get_rotation (cam, r);
      for (int k = 0; k < 3; k++)
        fwd[k] = -r[6 + k];
      jg_camera_to_doa (fwd, &az, &el);
      jg_camera_get_orientation (cam, &y, &pi, &ro);
      g_assert_cmpfloat_with_epsilon (az, y, 1e-9);
      g_assert_cmpfloat_with_epsilon (el, pi, 1e-9);
      g_assert_cmpfloat_with_epsilon (ro, cases[i][2], 1e-12);
      /* orthonormal, right-handed */
      g_assert_cmpfloat_with_epsilon (dot3 (r, r + 3), 0.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (dot3 (r, r), 1.0, 1e-12);
      double cx = r[1] * r[5] - r[2] * r[4];
      g_assert_cmpfloat_with_epsilon (cx, r[6], 1e-12);
      /* without roll the right axis stays horizontal */
      if (cases[i][2] == 0)
        g_assert_cmpfloat_with_epsilon (r[1], 0.0, 1e-12);
    }
  /* roll 30 at the sensor pose: up = (-sin 30, cos 30, 0) */
  {
    JgCameraPose p = { { 0, 0, -2 }, 2, 0, 0, 30, 50 };
    double r[9];
    jg_camera_set_pose (cam, &p);
    jg_camera_get_rotation (cam, r);
    g_assert_cmpfloat_with_epsilon (r[3], -0.5, 1e-12);
    g_assert_cmpfloat_with_epsilon (r[4], sqrt (3) / 2, 1e-12);
  }
  /* a DoA vector and back */
  double d[3], az, el;
  jg_doa_to_camera (-7, -22, d);
  jg_camera_to_doa (d, &az, &el);
  g_assert_cmpfloat_with_epsilon (az, -7, 1e-12);
  g_assert_cmpfloat_with_epsilon (el, -22, 1e-12);
  jg_doa_to_camera (90, 0, d);   /* positive azimuth is to the left: -x */
  g_assert_cmpfloat_with_epsilon (d[0], -1, 1e-12);
}

static void
test_orbit_pan_zoom_fly (void)
{
  g_autoptr(JgCamera) cam = jg_camera_new ();
  JgCameraPose p = { { 0, 0, -2 }, 2, 0, 0, 0, 60 };
  double eye[3], pu, pv, qu, qv;

  jg_camera_set_pose (cam, &p);
  jg_camera_orbit (cam, 90, 0);
  jg_camera_get_eye (cam, eye);   /* now looking along -x from +x of the pivot */
  g_assert_cmpfloat_with_epsilon (eye[0], 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (eye[1], 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (eye[2], -2.0, 1e-12);
  jg_camera_orbit (cam, 0, 200);   /* pitch clamps at straight down/up */
  jg_camera_get_pose (cam, &p);
  g_assert_cmpfloat (p.pitch_deg, ==, 90.0);

  /* pan: a point on the pivot plane follows the cursor */
  p = (JgCameraPose) { { 0.3, -0.2, -2.5 }, 2.5, 25, -15, 0, 50 };
  jg_camera_set_pose (cam, &p);
  double on_plane[3] = { 0.3, -0.2, -2.5 };
  g_assert_true (jg_camera_project (cam, 800, 600, on_plane, &pu, &pv));
  g_assert_cmpfloat_with_epsilon (pu, 400, 1e-3);
  g_assert_cmpfloat_with_epsilon (pv, 300, 1e-3);
  jg_camera_pan (cam, 37, -21, 600);
  g_assert_true (jg_camera_project (cam, 800, 600, on_plane, &qu, &qv));
  g_assert_cmpfloat_with_epsilon (qu - pu, 37, 2e-3);
  g_assert_cmpfloat_with_epsilon (qv - pv, -21, 2e-3);

  /* zoom keeps the pivot, scales the distance */
  jg_camera_get_pose (cam, &p);
  jg_camera_zoom (cam, 0.5);
  JgCameraPose z;
  jg_camera_get_pose (cam, &z);
  g_assert_cmpfloat_with_epsilon (z.distance, p.distance * 0.5, 1e-12);
  g_assert_cmpfloat (z.pivot[0], ==, p.pivot[0]);

  /* fly 1 m forward moves the eye 1 m along the view direction */
  double e0[3], e1[3], r[9];
  jg_camera_get_eye (cam, e0);
  jg_camera_get_rotation (cam, r);
  jg_camera_fly (cam, 1.0, 0, 0);
  jg_camera_get_eye (cam, e1);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (e1[i] - e0[i], -r[6 + i], 1e-12);
  /* look turns about the eye */
  jg_camera_look (cam, 40, 10);
  jg_camera_get_eye (cam, e0);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (e0[i], e1[i], 1e-12);

  /* the ray through a projected point passes through it */
  double pt[3] = { -0.4, 0.3, -3.1 }, o[3], d[3], u, v;
  g_assert_true (jg_camera_project (cam, 640, 360, pt, &u, &v));
  jg_camera_ray (cam, 640, 360, u, v, o, d);
  double w[3] = { pt[0] - o[0], pt[1] - o[1], pt[2] - o[2] }, t = dot3 (w, d);
  double perp2 = dot3 (w, w) - t * t;
  g_assert_cmpfloat (sqrt (MAX (perp2, 0)), <, 1e-5);
}

static void
test_snap_views (void)
{
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const double lo[3] = { -2, -1.2, -5 }, hi[3] = { 2.5, 1.5, -1 };
  JgIntrinsics k;
  JgCameraPose p;
  double r[9], eye[3];

  sensor_k (&k);
  for (int view = JG_VIEW_TOP; view <= JG_VIEW_SIDE; view++)
    {
      jg_camera_pose_snap (&p, view, &k, lo, hi, 16.0 / 9.0);
      jg_camera_set_pose (cam, &p);
      jg_camera_get_rotation (cam, r);
      jg_camera_get_eye (cam, eye);
      /* forward axis: top looks down, front along -z, side along -x */
      const double want[3][3] = { { 0, -1, 0 }, { 0, 0, -1 }, { -1, 0, 0 } };
      for (int i = 0; i < 3; i++)
        g_assert_cmpfloat_with_epsilon (-r[6 + i], want[view - JG_VIEW_TOP][i], 1e-12);
      /* the whole box is in view */
      for (int c = 0; c < 8; c++)
        {
          double q[3] = { c & 1 ? hi[0] : lo[0], c & 2 ? hi[1] : lo[1], c & 4 ? hi[2] : lo[2] }, u, v;
          g_assert_true (jg_camera_project (cam, 1280, 720, q, &u, &v));
          g_assert_cmpfloat (u, >=, 0);
          g_assert_cmpfloat (u, <=, 1280);
          g_assert_cmpfloat (v, >=, 0);
          g_assert_cmpfloat (v, <=, 720);
        }
      if (view == JG_VIEW_TOP)
        {
          double near_pt[3] = { 0, 0, -1 }, far_pt[3] = { 0, 0, -5 }, un, vn, uf, vf;
          g_assert_cmpfloat (eye[1], >, hi[1]);
          jg_camera_project (cam, 1280, 720, near_pt, &un, &vn);
          jg_camera_project (cam, 1280, 720, far_pt, &uf, &vf);
          g_assert_cmpfloat (vf, <, vn);   /* far side of the room at the top */
        }
      else if (view == JG_VIEW_FRONT)
        g_assert_cmpfloat (eye[2], >, hi[2]);
      else
        g_assert_cmpfloat (eye[0], >, hi[0]);
    }
  jg_camera_pose_snap (&p, JG_VIEW_SENSOR, &k, lo, hi, 1.0);
  g_assert_cmpfloat_with_epsilon (p.pivot[2], -3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (p.distance, 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (p.vfov_deg, 58.72, 0.01);
}

static void
test_animation (void)
{
  g_autoptr(JgCamera) cam = jg_camera_new ();
  JgCameraPose a = { { 0, 0, -2 }, 2, 170, 0, 0, 50 }, b = { { 1, 0, -4 }, 8, -170, -40, 0, 70 }, p;

  jg_camera_set_pose (cam, &a);
  jg_camera_animate_to (cam, &b, 10.0, 0.5);
  jg_camera_get_pose (cam, &p);
  g_assert_cmpfloat (p.yaw_deg, ==, 170.0);
  g_assert_true (jg_camera_is_animating (cam));
  g_assert_true (jg_camera_tick (cam, 10.25));
  jg_camera_get_pose (cam, &p);
  /* halfway (smoothstep 0.5 = 0.5): yaw through 180, not through 0 */
  g_assert_cmpfloat_with_epsilon (fabs (p.yaw_deg), 180.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (p.pivot[0], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (p.distance, 4.0, 1e-9);   /* geometric mean of 2 and 8 */
  g_assert_cmpfloat_with_epsilon (p.pitch_deg, -20.0, 1e-9);
  g_assert_true (jg_camera_tick (cam, 10.1));
  jg_camera_get_pose (cam, &p);
  g_assert_cmpfloat (p.pivot[0], >, 0.0);
  g_assert_cmpfloat (p.pivot[0], <, 0.5);
  g_assert_false (jg_camera_tick (cam, 10.6));
  jg_camera_get_pose (cam, &p);
  g_assert_cmpfloat (p.yaw_deg, ==, -170.0);
  g_assert_cmpfloat (p.distance, ==, 8.0);
  g_assert_false (jg_camera_is_animating (cam));
  /* user input stops a transition */
  jg_camera_animate_to (cam, &a, 20.0, 1.0);
  jg_camera_orbit (cam, 1, 0);
  g_assert_false (jg_camera_is_animating (cam));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/camera/sensor-matches-intrinsics", test_sensor_matches_intrinsics);
  g_test_add_func ("/render/camera/text-round-trip", test_text_round_trip);
  g_test_add_func ("/render/camera/orientation", test_orientation);
  g_test_add_func ("/render/camera/orbit-pan-zoom-fly", test_orbit_pan_zoom_fly);
  g_test_add_func ("/render/camera/snap-views", test_snap_views);
  g_test_add_func ("/render/camera/animation", test_animation);
  return g_test_run ();
}
