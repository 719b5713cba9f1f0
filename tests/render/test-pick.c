/* Picking and scene building without GL: the primitives against brute-force
 * references, and clicks on a synthetic wall + box scene. */
#include "audio/jg-foa.h"
#include "core/jg-error.h"
#include "render/jg-pick.h"
#include "render/jg-scene.h"

#include <math.h>

static double
dot3 (const double a[3], const double b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void
normalise (double d[3])
{
  double n = sqrt (dot3 (d, d));
  for (int i = 0; i < 3; i++)
    d[i] /= n;
}

static void
test_ray_box (void)
{
  const double o[3] = { 0, 0, 0 }, down[3] = { 0, 0, -1 };
  const double c[3] = { 0, 0, -3 }, s[3] = { 1, 1, 1 };
  double t, d[3] = { 0.1, 0.05, -1 };

  g_assert_true (jg_pick_ray_box (o, down, c, s, &t));
  g_assert_cmpfloat_with_epsilon (t, 2.5, 1e-12);
  /* slanted: enters the z = -2.5 face at t = 2.5 * |d| / |d_z| */
  normalise (d);
  g_assert_true (jg_pick_ray_box (o, d, c, s, &t));
  g_assert_cmpfloat_with_epsilon (t, 2.5 / -d[2], 1e-12);
  /* passes beside it */
  double miss[3] = { 0.3, 0, -1 };
  normalise (miss);
  g_assert_false (jg_pick_ray_box (o, miss, c, s, &t));
  /* behind the origin */
  const double up[3] = { 0, 0, 1 };
  g_assert_false (jg_pick_ray_box (o, up, c, s, &t));
  /* from inside */
  const double inside[3] = { 0, 0, -3 };
  g_assert_true (jg_pick_ray_box (inside, up, c, s, &t));
  g_assert_cmpfloat (t, ==, 0.0);
}

/* Reference: minimum over a fine sampling of the segment of the distance
 * to the ray (exact point-to-ray distance for each sample). */
static double
segment_reference (const double o[3], const double d[3], const double a[3], const double b[3])
{
  double best = INFINITY;

  for (int i = 0; i <= 20000; i++)
    {
      double q[3], w[3], t;
      for (int k = 0; k < 3; k++)
        q[k] = a[k] + (b[k] - a[k]) * i / 20000.0;
      for (int k = 0; k < 3; k++)
        w[k] = q[k] - o[k];
      t = MAX (0.0, dot3 (w, d));
      double e[3] = { w[0] - t * d[0], w[1] - t * d[1], w[2] - t * d[2] };
      best = MIN (best, sqrt (dot3 (e, e)));
    }
  return best;
}

static void
test_ray_segment (void)
{
  GRand *rng = g_rand_new_with_seed (7);

  for (int n = 0; n < 300; n++)
    {
      double o[3], d[3], a[3], b[3], t;
      for (int k = 0; k < 3; k++)
        {
          o[k] = g_rand_double_range (rng, -1, 1);
          d[k] = g_rand_double_range (rng, -1, 1);
          a[k] = g_rand_double_range (rng, -3, 3);
          b[k] = g_rand_double_range (rng, -3, 3);
        }
      if (n % 10 == 0)   /* parallel segments too */
        for (int k = 0; k < 3; k++)
          b[k] = a[k] + 2.0 * d[k];
      normalise (d);
      double got = jg_pick_ray_segment (o, d, a, b, &t);
      double want = segment_reference (o, d, a, b);
      /* sampling overestimates by at most half a step (6 m / 20000 / 2) */
      g_assert_cmpfloat (got, <=, want + 1e-9);
      g_assert_cmpfloat (got, >=, want - 3.5e-4);
      g_assert_cmpfloat (t, >=, 0.0);
    }
  g_rand_free (rng);
  /* exact case: ray along -z, segment crossing it 1 m to the side */
  const double o[3] = { 0, 0, 0 }, d[3] = { 0, 0, -1 }, a[3] = { 1, -1, -4 }, b[3] = { 1, 1, -4 };
  double t;
  g_assert_cmpfloat_with_epsilon (jg_pick_ray_segment (o, d, a, b, &t), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (t, 4.0, 1e-12);
}

static void
test_ray_points (void)
{
  GRand *rng = g_rand_new_with_seed (11);
  const int n = 5000;
  float *xyz = g_new (float, 3 * n);
  const double o[3] = { 0.1, -0.2, 0.3 };

  for (int i = 0; i < 3 * n; i++)
    xyz[i] = (float) g_rand_double_range (rng, -4, 4);
  for (int trial = 0; trial < 50; trial++)
    {
      double d[3] = { g_rand_double_range (rng, -1, 1), g_rand_double_range (rng, -1, 1),
                      g_rand_double_range (rng, -1, 1) }, tol = 0.05, t;
      gsize idx, want = G_MAXSIZE;
      double want_t = INFINITY;
      normalise (d);
      /* reference: angle from the ray below atan(tol), smallest t */
      for (int i = 0; i < n; i++)
        {
          double w[3] = { xyz[3 * i] - o[0], xyz[3 * i + 1] - o[1], xyz[3 * i + 2] - o[2] };
          double s = dot3 (w, d), ang = acos (CLAMP (s / sqrt (dot3 (w, w)), -1, 1));
          if (s > 0 && ang <= atan (tol) && s < want_t)
            {
              want_t = s;
              want = i;
            }
        }
      gboolean hit = jg_pick_ray_points (o, d, xyz, n, tol, &idx, &t);
      g_assert_cmpint (hit, ==, want != G_MAXSIZE);
      if (hit)
        {
          g_assert_cmpuint (idx, ==, want);
          g_assert_cmpfloat_with_epsilon (t, want_t, 1e-9);
        }
    }
  g_free (xyz);
  g_rand_free (rng);
}

/* 64x36 sensor; a wall at 4 m, a box face at 2 m (pixels 40..51 x 10..21),
 * invalid (zero) depth in the first row and a NaN. */
#define W 64
#define H 36

static JgScene *
make_scene (JgIntrinsics *k, guint *n_valid)
{
  JgScene *scene = jg_scene_new ();
  g_autofree float *depth = g_new (float, W * H);
  g_autofree guint8 *rgb = g_new (guint8, W * H * 3);
  g_autoptr(GError) error = NULL;

  jg_intrinsics_from_fov (k, W, H, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  *n_valid = 0;
  for (int v = 0; v < H; v++)
    for (int u = 0; u < W; u++)
      {
        float d = (u >= 40 && u < 52 && v >= 10 && v < 22) ? 2.0f : 4.0f;
        if (v == 0)
          d = 0.0f;
        if (u == 5 && v == 5)
          d = NAN;
        depth[v * W + u] = d;
        rgb[3 * (v * W + u)] = (guint8) u;
        rgb[3 * (v * W + u) + 1] = (guint8) v;
        rgb[3 * (v * W + u) + 2] = 7;
        *n_valid += d > 0 && isfinite (d);
      }
  g_assert_true (jg_scene_set_cloud (scene, rgb, W, H, depth, k, &error));
  g_assert_no_error (error);
  return scene;
}

static void
test_scene_cloud (void)
{
  JgIntrinsics k, bad = { 0 };
  guint n_valid;
  g_autoptr(JgScene) scene = make_scene (&k, &n_valid);
  g_autoptr(GError) error = NULL;
  const float *xyz = jg_scene_get_points (scene);
  const guint8 *c = jg_scene_get_colors (scene);
  double lo[3], hi[3], p[3];
  float zero = 1.0f;

  g_assert_cmpuint (n_valid, ==, W * (H - 1) - 1);
  g_assert_cmpuint (jg_scene_get_n_points (scene), ==, n_valid);
  /* coarse to fine: the first point is pixel (0, 4) (row 0 has no depth),
   * coloured by its own pixel */
  jg_intrinsics_unproject (&k, 0.5, 4.5, 4.0, p);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (xyz[i], p[i], 1e-5);
  g_assert_cmpuint (c[0], ==, 0);
  g_assert_cmpuint (c[1], ==, 4);
  g_assert_cmpuint (c[3], ==, 255);
  /* level 0: every 4th pixel both ways (16 x 8 valid); levels 0-1: every
   * 2nd (32 x 17 valid); each prefix holds only its own pixels */
  g_assert_cmpuint (jg_scene_get_lod_count (scene, 0), ==, 16 * 8);
  g_assert_cmpuint (jg_scene_get_lod_count (scene, 1), ==, 32 * 17);
  g_assert_cmpuint (jg_scene_get_lod_count (scene, 2), ==, n_valid);
  for (guint i = 0; i < jg_scene_get_lod_count (scene, 1); i++)
    {
      guint step = i < jg_scene_get_lod_count (scene, 0) ? 4 : 2;
      g_assert_cmpuint (c[4 * i] % step, ==, 0);       /* red = u */
      g_assert_cmpuint (c[4 * i + 1] % step, ==, 0);   /* green = v */
      if (step == 2)
        g_assert_true (c[4 * i] % 4 != 0 || c[4 * i + 1] % 4 != 0);
      /* and the point is that pixel's back-projection */
      double d = -xyz[3 * i + 2];
      jg_intrinsics_unproject (&k, c[4 * i] + 0.5, c[4 * i + 1] + 0.5, d, p);
      g_assert_cmpfloat_with_epsilon (xyz[3 * i], p[0], 1e-5);
      g_assert_cmpfloat_with_epsilon (xyz[3 * i + 1], p[1], 1e-5);
    }
  g_assert_true (jg_scene_get_bounds (scene, lo, hi));
  g_assert_cmpfloat_with_epsilon (lo[2], -4.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (hi[2], -2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (lo[0], (0.5 - 32) * 4.0 / k.fx, 1e-5);

  guint serial = jg_scene_get_cloud_serial (scene);
  g_assert_false (jg_scene_set_cloud (scene, NULL, 0, 0, &zero, &bad, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_cmpuint (jg_scene_get_cloud_serial (scene), ==, serial);
}

static void
test_geometry (void)
{
  g_autoptr(JgScene) scene = jg_scene_new ();
  const JgBox box = { 0, { 0.5, 0, -2 }, { 0.4, 0.6, 0.2 } };
  const JgDoa doa = { 20, 5, 10, 1.5 };
  const JgVertex *l, *t, *m;
  const JgLabelAnchor *labels;
  guint nl, nt, nm;

  jg_scene_set_overlays (scene, JG_OVERLAY_BOXES | JG_OVERLAY_BOX_FACES);
  jg_scene_set_boxes (scene, JG_SET_PRED, &box, 1);
  jg_scene_get_geometry (scene, &l, &nl, &t, &nt, &m, &nm);
  g_assert_cmpuint (nl, ==, 24);   /* 12 edges */
  g_assert_cmpuint (nt, ==, 36);   /* 6 faces, 2 triangles each */
  g_assert_cmpuint (nm, ==, 0);
  /* every edge has length of one of the box's sizes and is axis-aligned */
  for (guint i = 0; i < nl; i += 2)
    {
      int moved = 0;
      for (int a = 0; a < 3; a++)
        if (fabsf (l[i].xyz[a] - l[i + 1].xyz[a]) > 1e-6f)
          {
            moved++;
            g_assert_cmpfloat_with_epsilon (fabsf (l[i].xyz[a] - l[i + 1].xyz[a]), box.size[a], 1e-6);
          }
      g_assert_cmpint (moved, ==, 1);
      g_assert_cmpuint (l[i].rgba[0], ==, 255);   /* prediction orange */
    }
  g_assert_cmpuint (jg_scene_get_labels (scene, &labels), ==, 1);
  g_assert_cmpfloat_with_epsilon (labels[0].xyz[1], 0.3, 1e-12);
  g_assert_cmpint (labels[0].set, ==, JG_SET_PRED);

  /* a ray, its cone, its sky marker; the ray ends 1.5 m out at az 20 el 5 */
  jg_scene_set_overlays (scene, JG_OVERLAY_DOA | JG_OVERLAY_CONES | JG_OVERLAY_SKY);
  jg_scene_set_doas (scene, JG_SET_GT, &doa, 1);
  jg_scene_get_geometry (scene, &l, &nl, &t, &nt, &m, &nm);
  g_assert_cmpuint (nm, ==, 2);
  double d[3];
  jg_doa_to_camera (20, 5, d);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (m[0].xyz[i], 1.5 * d[i], 1e-6);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (m[1].xyz[i], d[i], 1e-6);   /* sky radius 1 */
  /* cone rim points are 10 degrees off the axis */
  g_assert_cmpuint (nt, ==, 3 * 32);
  for (guint i = 0; i < nt; i += 3)
    {
      double q[3] = { t[i + 1].xyz[0], t[i + 1].xyz[1], t[i + 1].xyz[2] };
      double ang = acos (dot3 (q, d) / sqrt (dot3 (q, q))) * 180 / G_PI;
      g_assert_cmpfloat_with_epsilon (ang, 10.0, 1e-4);
    }
  /* hiding the set removes it */
  jg_scene_set_set_visible (scene, JG_SET_GT, FALSE);
  jg_scene_get_geometry (scene, &l, &nl, &t, &nt, &m, &nm);
  g_assert_cmpuint (nm, ==, 0);
  g_assert_cmpuint (nt, ==, 0);
}

static void
test_scene_pick (void)
{
  JgIntrinsics k;
  guint n_valid;
  g_autoptr(JgScene) scene = make_scene (&k, &n_valid);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const JgBox box = { 1, { -1.0, 0.0, -3.0 }, { 0.6, 0.6, 0.6 } };
  const JgDoa doa = { -30, 0, 5, 1.0 };
  JgCameraPose pose;
  JgPickHit hit;
  double o[3], d[3], u, v, tol;

  jg_scene_set_overlays (scene, JG_OVERLAY_BOXES | JG_OVERLAY_DOA);
  jg_scene_set_boxes (scene, JG_SET_GT, &box, 1);
  jg_scene_set_doas (scene, JG_SET_PRED, &doa, 1);
  jg_camera_pose_sensor (&pose, &k, 3.0);
  jg_camera_set_pose (cam, &pose);
  tol = 2.0 * jg_camera_pixel_angle (cam, H);

  /* a wall pixel: the point of that pixel, its distance and direction */
  jg_camera_ray (cam, W, H, 10.5, 30.5, o, d);
  g_assert_true (jg_scene_pick (scene, o, d, tol * 0.25, &hit));
  g_assert_cmpint (hit.kind, ==, JG_PICK_POINT);
  double p[3];
  jg_intrinsics_unproject (&k, 10.5, 30.5, 4.0, p);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (hit.xyz[i], p[i], 2e-5);
  g_assert_cmpfloat_with_epsilon (hit.distance, sqrt (dot3 (p, p)), 1e-5);
  g_assert_cmpfloat_with_epsilon (hit.az_deg, atan2 (-p[0], -p[2]) * 180 / G_PI, 1e-4);
  /* the near box face wins over the wall behind it */
  jg_camera_ray (cam, W, H, 45.5, 15.5, o, d);
  g_assert_true (jg_scene_pick (scene, o, d, tol * 0.25, &hit));
  g_assert_cmpint (hit.kind, ==, JG_PICK_POINT);
  g_assert_cmpfloat_with_epsilon (hit.xyz[2], -2.0, 1e-5);

  /* a box corner (the front top-left) */
  double corner[3] = { -1.3, 0.3, -2.7 };
  g_assert_true (jg_camera_project (cam, W, H, corner, &u, &v));
  jg_camera_ray (cam, W, H, u, v, o, d);
  g_assert_true (jg_scene_pick (scene, o, d, tol, &hit));
  g_assert_cmpint (hit.kind, ==, JG_PICK_BOX);
  g_assert_cmpint (hit.set, ==, JG_SET_GT);
  g_assert_cmpuint (hit.index, ==, 0);

  /* the DoA ray, seen from an orbit view so it is not end-on */
  JgCameraPose side = { { 0, 0, -1 }, 3, 60, -30, 0, 60 };
  jg_camera_set_pose (cam, &side);
  double mid[3];
  jg_doa_to_camera (-30, 0, mid);
  for (int i = 0; i < 3; i++)
    mid[i] *= 0.6;
  g_assert_true (jg_camera_project (cam, 640, 480, mid, &u, &v));
  jg_camera_ray (cam, 640, 480, u + 1.0, v, o, d);
  g_assert_true (jg_scene_pick (scene, o, d, 3 * jg_camera_pixel_angle (cam, 480), &hit));
  g_assert_cmpint (hit.kind, ==, JG_PICK_DOA);
  g_assert_cmpint (hit.set, ==, JG_SET_PRED);
  g_assert_cmpfloat_with_epsilon (hit.az_deg, -30.0, 2.0);
  /* hidden sets are not picked */
  jg_scene_set_set_visible (scene, JG_SET_PRED, FALSE);
  g_assert_true (!jg_scene_pick (scene, o, d, 3 * jg_camera_pixel_angle (cam, 480), &hit)
                 || hit.kind != JG_PICK_DOA);
}

/* Directions outside the view get anchors on the border, on the side the
 * view would have to turn to: the side where a smaller turn the same way
 * shows up on screen. */
static void
test_labels_off_screen (void)
{
  JgIntrinsics k;
  guint n_valid;
  g_autoptr(JgScene) scene = make_scene (&k, &n_valid);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  /* in view: (-20, 0), (20, 0), (0, 20); outside: (-80, 0), (80, 0), (0, 80), behind */
  const JgDoa doas[] = { { -20, 0, 0, 1 }, { 20, 0, 0, 1 }, { 0, 20, 0, 1 },
                         { -80, 0, 0, 1 }, { 80, 0, 0, 1 }, { 0, 80, 0, 1 }, { 180, 0, 0, 1 } };
  const JgLabelAnchor *l;
  JgCameraPose pose;

  jg_scene_set_overlays (scene, JG_OVERLAY_DOA);
  jg_scene_set_doas (scene, JG_SET_GT, doas, G_N_ELEMENTS (doas));
  jg_camera_pose_sensor (&pose, &k, 3.0);
  jg_camera_set_pose (cam, &pose);
  jg_scene_project_labels (scene, cam, W, H);
  g_assert_cmpuint (jg_scene_get_labels (scene, &l), ==, G_N_ELEMENTS (doas));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (l[i].visible);
      g_assert_false (l[i].off_screen);
    }
  for (guint i = 3; i < G_N_ELEMENTS (doas); i++)
    {
      double border = MIN (MIN (l[i].u, W - l[i].u), MIN (l[i].v, H - l[i].v));
      g_assert_false (l[i].visible);
      g_assert_true (l[i].off_screen);
      g_assert_cmpfloat (border, >=, 0.0);
      g_assert_cmpfloat (border, <=, 0.02 * MAX (W, H));
      g_assert_cmpfloat_with_epsilon (hypot (l[i].edge_dx, l[i].edge_dy), 1.0, 1e-9);
    }
  /* (-80, 0) leaves on the side where (-20, 0) sits, (80, 0) on the other,
   * (0, 80) where (0, 20) sits; each at the middle height / width. */
  g_assert_cmpint (l[3].u > W / 2.0, ==, l[0].u > W / 2.0);
  g_assert_cmpint (l[4].u > W / 2.0, ==, l[1].u > W / 2.0);
  g_assert_cmpint (l[3].u > W / 2.0, !=, l[4].u > W / 2.0);
  g_assert_cmpfloat (fabs (l[3].edge_dx), >, 0.9);
  g_assert_cmpint (l[5].v < H / 2.0, ==, l[2].v < H / 2.0);
  g_assert_cmpfloat (fabs (l[5].edge_dy), >, 0.9);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/pick/ray-box", test_ray_box);
  g_test_add_func ("/render/pick/ray-segment", test_ray_segment);
  g_test_add_func ("/render/pick/ray-points", test_ray_points);
  g_test_add_func ("/render/scene/cloud", test_scene_cloud);
  g_test_add_func ("/render/scene/geometry", test_geometry);
  g_test_add_func ("/render/scene/pick", test_scene_pick);
  g_test_add_func ("/render/scene/labels-off-screen", test_labels_off_screen);
  return g_test_run ();
}
