/* The renderer through the EGL offscreen context, checked from the pixels:
 * the cloud of a synthetic depth map covers exactly its valid pixels in
 * the sensor view, eye-dome lighting darkens the far side of a depth step
 * only, and a box's corners and a DoA ray land where the camera model
 * (jg_camera_project) puts them, within 2 px. */
#include "audio/jg-foa.h"
#include "render/jg-gl-offscreen.h"
#include "render/jg-renderer.h"

#include <epoxy/gl.h>
#include <math.h>

/* 160x90 sensor; a wall at 4 m over columns [20, 140) x rows [10, 80),
 * a box face at 2.5 m over [90, 120) x [30, 60); no depth elsewhere. */
#define W 160
#define H 90

static JgScene *
make_scene (JgIntrinsics *k)
{
  JgScene *scene = jg_scene_new ();
  g_autofree float *depth = g_new0 (float, W * H);
  g_autoptr(GError) error = NULL;

  jg_intrinsics_from_fov (k, W, H, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  for (int v = 10; v < 80; v++)
    for (int u = 20; u < 140; u++)
      depth[v * W + u] = (u >= 90 && u < 120 && v >= 30 && v < 60) ? 2.5f : 4.0f;
  g_assert_true (jg_scene_set_cloud (scene, NULL, 0, 0, depth, k, &error));
  g_assert_no_error (error);
  return scene;
}

typedef struct {
  JgGlOffscreen *gl;
  JgRenderer *r;
  guint8 *px;
  guint w, h;
} Ctx;

static void
ctx_init (Ctx *c, guint w, guint h)
{
  g_autoptr(GError) error = NULL;
  const float black[4] = { 0, 0, 0, 1 };

  c->gl = jg_gl_offscreen_new (w, h, &error);
  g_assert_no_error (error);
  g_test_message ("GL: %s", jg_gl_offscreen_describe (c->gl));
  c->r = jg_renderer_new (&error);
  g_assert_no_error (error);
  jg_renderer_set_background (c->r, black);
  c->px = g_malloc ((gsize) w * h * 4);
  c->w = w;
  c->h = h;
}

static void
ctx_clear (Ctx *c)
{
  jg_renderer_free (c->r);
  jg_gl_offscreen_free (c->gl);
  g_free (c->px);
}

static void
render (Ctx *c, JgScene *scene, JgCamera *cam)
{
  jg_gl_offscreen_bind (c->gl);
  jg_renderer_draw (c->r, scene, cam, c->w, c->h);
  g_assert_cmpuint (glGetError (), ==, GL_NO_ERROR);
  jg_gl_offscreen_read (c->gl, c->px);
}

static const guint8 *
pixel (Ctx *c, guint u, guint v)
{
  return c->px + 4 * ((gsize) v * c->w + u);
}

static void
test_cloud_coverage (void)
{
  JgIntrinsics k;
  g_autoptr(JgScene) scene = make_scene (&k);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const float white[3] = { 1, 1, 1 };
  JgCameraPose pose;
  Ctx c;
  guint lit = 0, outside = 0;

  ctx_init (&c, W, H);
  jg_scene_set_overlays (scene, 0);
  jg_camera_pose_sensor (&pose, &k, 4.0);
  jg_camera_set_pose (cam, &pose);
  jg_renderer_set_edl (c.r, FALSE, 0);
  jg_renderer_set_point_size (c.r, 1);
  jg_renderer_set_color_mode (c.r, JG_COLOR_SOLID);
  jg_renderer_set_solid_color (c.r, white);
  render (&c, scene, cam);
  for (guint v = 0; v < H; v++)
    for (guint u = 0; u < W; u++)
      if (pixel (&c, u, v)[0] > 128)
        {
          lit++;
          outside += u < 20 || u >= 140 || v < 10 || v >= 80;
        }
  g_test_message ("lit %u of 8400 valid depth pixels, %u outside", lit, outside);
  /* one point a pixel: the valid area exactly, give or take a rounding column */
  g_assert_cmpuint (lit, >=, 8400 - 90);
  g_assert_cmpuint (lit, <=, 8400 + 90);
  g_assert_cmpuint (outside, <=, 90);
  g_assert_cmpuint (pixel (&c, 80, 45)[0], ==, 255);
  g_assert_cmpuint (pixel (&c, 5, 5)[0], ==, 0);

  /* under a point budget a quarter (or a sixteenth) of the points, twice
   * (four times) as large, still covers the same area */
  for (guint level = 0; level < 2; level++)
    {
      guint lit_b = 0, outside_b = 0;
      jg_renderer_set_point_budget (c.r, jg_scene_get_lod_count (scene, level));
      render (&c, scene, cam);
      for (guint v = 0; v < H; v++)
        for (guint u = 0; u < W; u++)
          if (pixel (&c, u, v)[0] > 128)
            {
              lit_b++;
              outside_b += u + 2 < 20 || u >= 140 + 2 || v + 2 < 10 || v >= 80 + 2;
            }
      g_test_message ("budget level %u: %u points, lit %u", level,
                      jg_scene_get_lod_count (scene, level), lit_b);
      guint want = level == 0 ? 30 * 17 : 60 * 35;   /* columns 20..139, rows 10..79 */
      g_assert_cmpuint (jg_scene_get_lod_count (scene, level), ==, want);
      g_assert_cmpuint (lit_b, >=, 8400 * 0.95);
      g_assert_cmpuint (lit_b, <=, 8400 * 1.08);
      g_assert_cmpuint (outside_b, ==, 0);
    }
  jg_renderer_set_point_budget (c.r, 0);

  /* three frames so far, one upload of each kind: frames re-upload nothing */
  JgRendererStats st;
  jg_renderer_get_stats (c.r, &st);
  g_assert_cmpuint (st.frames, ==, 3);
  g_assert_cmpuint (st.cloud_uploads, ==, 1);
  g_assert_cmpuint (st.overlay_uploads, ==, 1);
  g_assert_cmpuint (st.points_drawn, ==, 60 * 35);
  g_assert_cmpfloat (st.point_size_drawn, ==, 2.0f);
  /* an overlay change uploads the overlays again, not the cloud */
  jg_scene_set_set_visible (scene, JG_SET_PRED, FALSE);
  render (&c, scene, cam);
  jg_renderer_get_stats (c.r, &st);
  g_assert_cmpuint (st.frames, ==, 4);
  g_assert_cmpuint (st.cloud_uploads, ==, 1);
  g_assert_cmpuint (st.overlay_uploads, ==, 2);
  g_assert_cmpuint (st.points_drawn, ==, 8400);

  /* eye-dome lighting: the flat wall keeps its colour, the wall next to
   * the nearer box face darkens by exp(-2 min(1, relative step)) with the
   * step from 2.5 m to 4 m being 0.6 (0.30 of white), the box face next to
   * the wall does not, nor the cloud's edge against empty space */
  jg_renderer_set_edl (c.r, TRUE, 2.0f);
  render (&c, scene, cam);
  g_assert_cmpuint (pixel (&c, 40, 40)[0], >=, 254);
  g_assert_cmpint (abs (pixel (&c, 89, 45)[0] - (int) (255 * exp (-2.0 * 0.6))), <=, 3);
  g_assert_cmpuint (pixel (&c, 91, 45)[0], >=, 254);
  g_assert_cmpuint (pixel (&c, 20, 45)[0], >=, 254);
  ctx_clear (&c);
}

static gboolean
is_red (const guint8 *p)
{
  return p[0] > 200 && p[1] < 60 && p[2] < 60;
}

static gboolean
is_green (const guint8 *p)
{
  return p[1] > 200 && p[0] < 60 && p[2] < 60;
}

static double
seg_dist (double pu, double pv, double au, double av, double bu, double bv)
{
  double du = bu - au, dv = bv - av, t = ((pu - au) * du + (pv - av) * dv) / (du * du + dv * dv);
  t = CLAMP (t, 0.0, 1.0);
  return hypot (pu - au - t * du, pv - av - t * dv);
}

static void
test_overlays_land_on_model (void)
{
  JgIntrinsics k;
  g_autoptr(JgScene) scene = make_scene (&k);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const float red[3] = { 1, 0, 0 }, green[3] = { 0, 1, 0 }, blue[3] = { 0, 0, 0.7f };
  const JgBox box = { 0, { 0.9, -0.6, -1.5 }, { 0.5, 0.4, 0.3 } };
  const JgDoa doa = { 25, 10, 0, 1.8 };
  const JgCameraPose pose = { { 0.2, 0, -1.2 }, 2.8, 35, -20, 0, 60 };
  const guint w = 320, h = 240;
  double cu[8], cv[8], lo_u = INFINITY, hi_u = -INFINITY, lo_v = INFINITY, hi_v = -INFINITY;
  double ru[2], rv[2];
  guint min_u = w, max_u = 0, min_v = h, max_v = 0, n_red = 0, n_green = 0;
  Ctx c;

  ctx_init (&c, w, h);
  jg_scene_set_overlays (scene, JG_OVERLAY_BOXES | JG_OVERLAY_DOA);
  jg_scene_set_set_color (scene, JG_SET_GT, red);
  jg_scene_set_set_color (scene, JG_SET_PRED, green);
  jg_scene_set_boxes (scene, JG_SET_GT, &box, 1);
  jg_scene_set_doas (scene, JG_SET_PRED, &doa, 1);
  jg_camera_set_pose (cam, &pose);
  jg_renderer_set_color_mode (c.r, JG_COLOR_SOLID);
  jg_renderer_set_solid_color (c.r, blue);
  jg_renderer_set_marker_size (c.r, 1);
  render (&c, scene, cam);

  /* where the camera model puts the corners and the ray's ends */
  for (int i = 0; i < 8; i++)
    {
      double p[3] = { box.center[0] + (i & 1 ? 0.5 : -0.5) * box.size[0],
                      box.center[1] + (i & 2 ? 0.5 : -0.5) * box.size[1],
                      box.center[2] + (i & 4 ? 0.5 : -0.5) * box.size[2] };
      g_assert_true (jg_camera_project (cam, w, h, p, &cu[i], &cv[i]));
      lo_u = MIN (lo_u, cu[i]);
      hi_u = MAX (hi_u, cu[i]);
      lo_v = MIN (lo_v, cv[i]);
      hi_v = MAX (hi_v, cv[i]);
    }
  double o[3] = { 0, 0, 0 }, e[3];
  jg_doa_to_camera (doa.az_deg, doa.el_deg, e);
  for (int i = 0; i < 3; i++)
    e[i] *= doa.length;
  g_assert_true (jg_camera_project (cam, w, h, o, &ru[0], &rv[0]));
  g_assert_true (jg_camera_project (cam, w, h, e, &ru[1], &rv[1]));
  /* the view is chosen so that all of it is on screen */
  g_assert_cmpfloat (MIN (MIN (lo_u, ru[0]), ru[1]), >, 2.0);
  g_assert_cmpfloat (MAX (MAX (hi_u, ru[0]), ru[1]), <, w - 2.0);
  g_assert_cmpfloat (MIN (MIN (lo_v, rv[0]), rv[1]), >, 2.0);
  g_assert_cmpfloat (MAX (MAX (hi_v, rv[0]), rv[1]), <, h - 2.0);
  g_test_message ("box corners span u %.1f..%.1f v %.1f..%.1f; ray (%.1f, %.1f)-(%.1f, %.1f)",
                  lo_u, hi_u, lo_v, hi_v, ru[0], rv[0], ru[1], rv[1]);

  double corner_best[8], end_best[2] = { INFINITY, INFINITY }, worst_off_ray = 0;
  for (int i = 0; i < 8; i++)
    corner_best[i] = INFINITY;
  for (guint v = 0; v < h; v++)
    for (guint u = 0; u < w; u++)
      {
        const guint8 *p = pixel (&c, u, v);
        double pu = u + 0.5, pv = v + 0.5;   /* pixel centre */
        if (is_red (p))
          {
            n_red++;
            min_u = MIN (min_u, u);
            max_u = MAX (max_u, u);
            min_v = MIN (min_v, v);
            max_v = MAX (max_v, v);
            for (int i = 0; i < 8; i++)
              corner_best[i] = MIN (corner_best[i], hypot (pu - cu[i], pv - cv[i]));
          }
        if (is_green (p))
          {
            n_green++;
            worst_off_ray = MAX (worst_off_ray, seg_dist (pu, pv, ru[0], rv[0], ru[1], rv[1]));
            for (int i = 0; i < 2; i++)
              end_best[i] = MIN (end_best[i], hypot (pu - ru[i], pv - rv[i]));
          }
      }
  g_test_message ("red %u px spanning u %u..%u v %u..%u; green %u px, farthest %.2f px off the ray",
                  n_red, min_u, max_u, min_v, max_v, n_green, worst_off_ray);
  g_assert_cmpuint (n_red, >, 0);
  g_assert_cmpfloat (fabs (min_u + 0.5 - lo_u), <=, 2.0);
  g_assert_cmpfloat (fabs (max_u + 0.5 - hi_u), <=, 2.0);
  g_assert_cmpfloat (fabs (min_v + 0.5 - lo_v), <=, 2.0);
  g_assert_cmpfloat (fabs (max_v + 0.5 - hi_v), <=, 2.0);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (corner_best[i], <=, 2.0);

  g_assert_cmpfloat (worst_off_ray, <=, 2.0);
  g_assert_cmpfloat (end_best[0], <=, 2.0);
  g_assert_cmpfloat (end_best[1], <=, 2.0);
  /* an unbroken line: about one pixel per pixel of length */
  g_assert_cmpfloat (n_green, >=, 0.9 * MAX (fabs (ru[1] - ru[0]), fabs (rv[1] - rv[0])));

  /* the label anchors were projected for this frame by the same model */
  const JgLabelAnchor *labels;
  guint n = jg_scene_get_labels (scene, &labels);
  g_assert_cmpuint (n, ==, 2);
  for (guint i = 0; i < n; i++)
    if (labels[i].kind == JG_LABEL_DOA)
      {
        g_assert_true (labels[i].visible);
        g_assert_cmpfloat_with_epsilon (labels[i].u, ru[1], 1e-9);
        g_assert_cmpfloat_with_epsilon (labels[i].v, rv[1], 1e-9);
      }
  ctx_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/gl/cloud-coverage", test_cloud_coverage);
  g_test_add_func ("/render/gl/overlays-land-on-model", test_overlays_land_on_model);
  return g_test_run ();
}
