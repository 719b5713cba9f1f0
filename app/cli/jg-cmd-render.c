/* `jaeger render`: one sample's 3-D view to a PNG, offscreen (EGL), with
 * the same renderer, overlays and camera as the app's scene view. */
#include "audio/jg-foa.h"
#include "cli/jg-cli.h"
#include "core/jg-error.h"
#include "data/jg-sample.h"
#include "eval/jg-metrics.h"
#include "eval/jg-predictions.h"
#include "render/jg-gl-offscreen.h"
#include "render/jg-pick.h"
#include "render/jg-renderer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char *render_out;
static char *render_predictions;
static char *render_view;
static char *render_size;
static char *render_color;
static double render_point_size;
static gboolean render_no_edl;

static const GOptionEntry render_entries[] = {
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &render_out, "PNG file to write (required)", "FILE" },
  { "predictions", 'p', 0, G_OPTION_ARG_FILENAME, &render_predictions,
    "Prediction file whose answers for this sample are drawn as predictions", "FILE" },
  { "view", 0, 0, G_OPTION_ARG_STRING, &render_view,
    "sensor (default), top, front, side or orbit:AZ,EL (degrees, about the scene centre)", "VIEW" },
  { "size", 0, 0, G_OPTION_ARG_STRING, &render_size,
    "Image size (default: the RGB image's, else 1280x720)", "WxH" },
  { "color", 0, 0, G_OPTION_ARG_STRING, &render_color,
    "Point colours: rgb (default), depth, height or solid", "MODE" },
  { "point-size", 0, 0, G_OPTION_ARG_DOUBLE, &render_point_size, "Point size in pixels (default 2)", "PX" },
  { "no-edl", 0, 0, G_OPTION_ARG_NONE, &render_no_edl, "Turn eye-dome lighting off", NULL },
  { NULL }
};

static const JgCommand render_cmd = {
  "render", "PATH",
  "Render a sample directory's point cloud with its ground truth (and predictions) "
  "to a PNG, offscreen through EGL (no display needed).", NULL
};

static void
reset_options (void)
{
  g_clear_pointer (&render_out, g_free);
  g_clear_pointer (&render_predictions, g_free);
  g_clear_pointer (&render_view, g_free);
  g_clear_pointer (&render_size, g_free);
  g_clear_pointer (&render_color, g_free);
  render_point_size = 2.0;
  render_no_edl = FALSE;
}

static gboolean
parse_size (const char *text, guint *w, guint *h)
{
  char *end = NULL;
  guint64 a, b;

  a = g_ascii_strtoull (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  b = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || a == 0 || b == 0 || a > 16384 || b > 16384)
    return FALSE;
  *w = (guint) a;
  *h = (guint) b;
  return TRUE;
}

/* "orbit:AZ,EL" -> angles; FALSE when malformed. */
static gboolean
parse_orbit (const char *text, double *az, double *el)
{
  char *end = NULL;

  *az = g_ascii_strtod (text, &end);
  if (end == text || *end != ',' || !isfinite (*az))
    return FALSE;
  text = end + 1;
  *el = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*el) && fabs (*el) <= 90.0;
}

/* The last two components of a path ("scene/task1_00001"): prediction
 * files name samples by the paths of the machine that ran the model. */
static char *
path_key (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  const char *last[2] = { NULL, NULL };

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0' && strcmp (parts[i], ".") != 0)
      {
        last[0] = last[1];
        last[1] = parts[i];
      }
  if (last[1] == NULL)
    return g_strdup ("");
  return last[0] ? g_strconcat (last[0], "/", last[1], NULL) : g_strdup (last[1]);
}

/* A ray reaches the first cloud point along it (the surface the sound
 * comes from), or 2 m when none is near. */
static double
ray_length (JgScene *scene, double az, double el)
{
  static const double o[3] = { 0, 0, 0 };
  double d[3], t;
  gsize idx;

  jg_doa_to_camera (az, el, d);
  if (jg_pick_ray_points (o, d, jg_scene_get_points (scene), jg_scene_get_n_points (scene),
                          0.01, &idx, &t))
    return t;
  return 2.0;
}

typedef struct {
  GArray *boxes[JG_N_SETS];   /* JgBox */
  GArray *doas[JG_N_SETS];    /* JgDoa */
} Overlays;

static void
add_answer (Overlays *ov, JgScene *scene, JgOverlaySet set, const JgAnswer *a)
{
  if (a == NULL)
    return;
  if (a->kind == JG_ANSWER_BOXES && a->boxes != NULL)
    g_array_append_vals (ov->boxes[set], a->boxes->data, a->boxes->len);
  else if (a->kind == JG_ANSWER_DOA)
    {
      JgDoa d = { a->az_deg, a->el_deg, 0, ray_length (scene, a->az_deg, a->el_deg) };
      g_array_append_val (ov->doas[set], d);
    }
}

/* Reads the prediction file and adds the records of this sample; a
 * predicted DoA gets a cone of its angular error to the ground truth. */
static gboolean
add_predictions (Overlays *ov, JgScene *scene, JgSample *sample, const char *file, guint *n_used,
                 GError **error)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autofree char *key = path_key (jg_sample_get_path (sample));

  if (!jg_prediction_set_add_file (set, file, error))
    return FALSE;
  *n_used = 0;
  for (guint i = 0; i < jg_prediction_set_get_n (set); i++)
    {
      const JgPrediction *p = jg_prediction_set_get (set, i);
      g_autofree char *pk = path_key (p->path);
      g_autoptr(JgAnswer) pred = NULL;
      const JgAnswer *gt;
      g_autoptr(JgAnswer) file_gt = NULL;

      if (strcmp (pk, key) != 0)
        continue;
      pred = jg_answer_parse (p->task, p->pred_text, p->units);
      gt = jg_sample_get_answer (sample, p->task);
      if (gt == NULL && p->gt_text != NULL)
        {
          /* ground truth carried by the prediction file itself */
          file_gt = jg_answer_parse (p->task, p->gt_text, JG_UNITS_METRES);
          add_answer (ov, scene, JG_SET_GT, file_gt);
          gt = file_gt;
        }
      if (pred->kind == JG_ANSWER_DOA)
        {
          JgDoa d = { pred->az_deg, pred->el_deg, 0, ray_length (scene, pred->az_deg, pred->el_deg) };
          if (gt != NULL && gt->kind == JG_ANSWER_DOA)
            d.error_deg = jg_doa_angular_error (gt->az_deg, gt->el_deg, pred->az_deg, pred->el_deg);
          g_array_append_val (ov->doas[JG_SET_PRED], d);
        }
      else
        add_answer (ov, scene, JG_SET_PRED, pred);
      (*n_used)++;
    }
  return TRUE;
}

static void
overlays_clear (Overlays *ov)
{
  for (int s = 0; s < JG_N_SETS; s++)
    {
      g_clear_pointer (&ov->boxes[s], g_array_unref);
      g_clear_pointer (&ov->doas[s], g_array_unref);
    }
}

static int
run (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) sample = NULL;
  g_autoptr(JgScene) scene = NULL;
  g_autoptr(JgCamera) cam = NULL;
  g_autoptr(JgGlOffscreen) gl = NULL;
  g_autoptr(JgRenderer) renderer = NULL;
  g_autofree guint8 *pixels = NULL;
  Overlays ov = { { NULL } };
  const guint8 *rgb;
  const float *depth;
  guint rw = 0, rh = 0, dw = 0, dh = 0, w = 1280, h = 720, n_pred = 0;
  JgColorMode mode = JG_COLOR_RGB;
  JgView view = JG_VIEW_SENSOR;
  gboolean orbit = FALSE;
  double az = 0, el = 0, lo[3], hi[3];
  JgIntrinsics k;
  JgCameraPose pose;
  int status = JG_EXIT_FAILURE;

  /* options first: usage errors before any work */
  if (render_view == NULL || strcmp (render_view, "sensor") == 0)
    view = JG_VIEW_SENSOR;
  else if (strcmp (render_view, "top") == 0)
    view = JG_VIEW_TOP;
  else if (strcmp (render_view, "front") == 0)
    view = JG_VIEW_FRONT;
  else if (strcmp (render_view, "side") == 0)
    view = JG_VIEW_SIDE;
  else if (g_str_has_prefix (render_view, "orbit:") && parse_orbit (render_view + 6, &az, &el))
    orbit = TRUE;
  else
    {
      jg_cli_error (&render_cmd, "--view '%s' is not sensor, top, front, side or orbit:AZ,EL",
                    render_view);
      return JG_EXIT_USAGE;
    }
  if (render_size != NULL && !parse_size (render_size, &w, &h))
    {
      jg_cli_error (&render_cmd, "--size '%s' is not WIDTHxHEIGHT (1 to 16384 each)", render_size);
      return JG_EXIT_USAGE;
    }
  if (render_color != NULL)
    {
      static const char *const names[] = { "rgb", "depth", "height", "solid" };
      gsize i;
      for (i = 0; i < G_N_ELEMENTS (names); i++)
        if (strcmp (render_color, names[i]) == 0)
          break;
      if (i == G_N_ELEMENTS (names))
        {
          jg_cli_error (&render_cmd, "--color '%s' is not rgb, depth, height or solid", render_color);
          return JG_EXIT_USAGE;
        }
      mode = (JgColorMode) i;
    }
  if (!(render_point_size >= 1.0 && render_point_size <= 64.0))
    {
      jg_cli_error (&render_cmd, "--point-size must be within 1 to 64 pixels");
      return JG_EXIT_USAGE;
    }

  sample = jg_sample_load (path, &error);
  if (sample == NULL)
    {
      jg_cli_error (&render_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  depth = jg_sample_get_depth (sample, &dw, &dh);
  if (depth == NULL)
    {
      jg_cli_error (&render_cmd, "%s: no depth.png, nothing to draw", path);
      return JG_EXIT_FAILURE;
    }
  rgb = jg_sample_get_rgb (sample, &rw, &rh);
  if (rgb != NULL && render_size == NULL)
    {
      w = rw;
      h = rh;
    }
  jg_sample_get_intrinsics (sample, &k);
  scene = jg_scene_new ();
  if (!jg_scene_set_cloud (scene, rgb, rw, rh, depth, &k, &error))
    {
      jg_cli_error (&render_cmd, "%s: %s", path, error->message);
      return JG_EXIT_FAILURE;
    }

  for (int s = 0; s < JG_N_SETS; s++)
    {
      ov.boxes[s] = g_array_new (FALSE, FALSE, sizeof (JgBox));
      ov.doas[s] = g_array_new (FALSE, FALSE, sizeof (JgDoa));
    }
  for (int t = 0; t < JG_N_TASKS; t++)
    add_answer (&ov, scene, JG_SET_GT, jg_sample_get_answer (sample, (JgTask) t));
  if (render_predictions != NULL
      && !add_predictions (&ov, scene, sample, render_predictions, &n_pred, &error))
    {
      jg_cli_error (&render_cmd, "%s", error->message);
      goto out;
    }
  for (int s = 0; s < JG_N_SETS; s++)
    {
      jg_scene_set_boxes (scene, s, (const JgBox *) ov.boxes[s]->data, ov.boxes[s]->len);
      jg_scene_set_doas (scene, s, (const JgDoa *) ov.doas[s]->data, ov.doas[s]->len);
    }
  /* The sky sphere and cones only clutter a still image of the sensor view. */
  jg_scene_set_overlays (scene, view == JG_VIEW_SENSOR && !orbit
                         ? JG_OVERLAY_DOA | JG_OVERLAY_BOXES | JG_OVERLAY_BOX_FACES
                         : JG_OVERLAY_ALL);

  cam = jg_camera_new ();
  if (!jg_scene_get_bounds (scene, lo, hi))
    {
      jg_cli_error (&render_cmd, "%s: depth.png has no valid depth, nothing to draw", path);
      goto out;
    }
  if (orbit)
    {
      jg_camera_pose_snap (&pose, JG_VIEW_FRONT, &k, lo, hi, (double) w / h);
      pose.yaw_deg = az;
      pose.pitch_deg = el;
    }
  else
    jg_camera_pose_snap (&pose, view, &k, lo, hi, (double) w / h);
  jg_camera_set_pose (cam, &pose);

  gl = jg_gl_offscreen_new (w, h, &error);
  if (gl == NULL)
    {
      jg_cli_error (&render_cmd, "%s", error->message);
      goto out;
    }
  renderer = jg_renderer_new (&error);
  if (renderer == NULL)
    {
      jg_cli_error (&render_cmd, "%s", error->message);
      goto out;
    }
  jg_renderer_set_color_mode (renderer, mode);
  jg_renderer_set_point_size (renderer, (float) render_point_size);
  jg_renderer_set_edl (renderer, !render_no_edl, 1.5f);
  jg_gl_offscreen_bind (gl);
  jg_renderer_draw (renderer, scene, cam, w, h);
  pixels = g_malloc ((gsize) w * h * 4);
  jg_gl_offscreen_read (gl, pixels);
  if (!jg_png_write_rgba (render_out, pixels, w, h, &error))
    {
      jg_cli_error (&render_cmd, "%s", error->message);
      goto out;
    }
  printf ("%s: %ux%u, %u points, %u ground-truth and %u predicted items (%u prediction records), %s\n",
          render_out, w, h, jg_scene_get_n_points (scene),
          ov.boxes[JG_SET_GT]->len + ov.doas[JG_SET_GT]->len,
          ov.boxes[JG_SET_PRED]->len + ov.doas[JG_SET_PRED]->len, n_pred,
          jg_gl_offscreen_describe (gl));
  status = JG_EXIT_OK;
out:
  overlays_clear (&ov);
  return status;
}

int
jg_cmd_render (int argc, char **argv)
{
  int status;

  reset_options ();
  if (!jg_cli_parse (&render_cmd, render_entries, &argc, &argv))
    status = JG_EXIT_USAGE;
  else if (argc < 2)
    {
      jg_cli_error (&render_cmd, "which sample? (jaeger render PATH --out FILE.png)");
      status = JG_EXIT_USAGE;
    }
  else if (argc > 2)
    {
      jg_cli_error (&render_cmd, "unexpected argument '%s'", argv[2]);
      status = JG_EXIT_USAGE;
    }
  else if (render_out == NULL)
    {
      jg_cli_error (&render_cmd, "--out FILE.png is required");
      status = JG_EXIT_USAGE;
    }
  else
    status = run (argv[1]);
  reset_options ();
  return status;
}
