/* Answer parsing against the real manifests of the JAEGER release and hand
 * cases of model output. The expected counts and sums below were computed
 * independently with Python's json and re modules over the same files. */
#include "data/jg-answer.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

typedef struct {
  const char *file;
  JgTask task;
  guint entries;
  guint boxes;            /* visual grounding: total bbox_i */
  guint left, center, right;
  double az_sum;          /* DoA: sum of ground-truth azimuths */
} ManifestCase;

static const ManifestCase manifests[] = {
  { "hm3d_av_v2_ls_task1_test.json", JG_TASK_SPATIAL_DOA, 1000, 0, 0, 0, 0, 1059.0 },
  { "hm3d_av_v2_ls_task1_val.json", JG_TASK_SPATIAL_DOA, 1000, 0, 0, 0, 0, 330.0 },
  { "hm3d_av_v2_ls_task2_test.json", JG_TASK_MULTI_SPATIAL_DOA, 895, 0, 0, 0, 0, -2211.0 },
  { "hm3d_av_v2_ls_task2_val.json", JG_TASK_MULTI_SPATIAL_DOA, 725, 0, 0, 0, 0, -2510.0 },
  { "starss23_test.json", JG_TASK_STARSS23, 536, 0, 0, 0, 0, 4282.8 },
  { "hm3d_av_v2_task1_test.json", JG_TASK_SINGLE_SOURCE, 416, 0, 183, 31, 202, 0 },
  { "hm3d_av_v2_task1_val.json", JG_TASK_SINGLE_SOURCE, 447, 0, 196, 42, 209, 0 },
  { "hm3d_av_v2_task2_test.json", JG_TASK_DUAL_SOURCE, 895, 0, 416, 47, 432, 0 },
  { "hm3d_av_v2_task2_val.json", JG_TASK_DUAL_SOURCE, 725, 0, 345, 40, 340, 0 },
  { "visual_grounding_hm3d_av_v2_speaker_only_test.json", JG_TASK_VISUAL_GROUNDING, 1895, 3453, 0, 0, 0, 0 },
  { "visual_grounding_hm3d_av_v2_speaker_only_val.json", JG_TASK_VISUAL_GROUNDING, 1725, 3134, 0, 0, 0, 0 },
};

static void
test_real_manifest (gconstpointer data)
{
  const ManifestCase *mc = data;
  const char *dir = g_getenv ("JAEGER_MANIFESTS");
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *entries;
  guint boxes = 0, sides[3] = { 0 };
  double az_sum = 0.0;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, mc->file, NULL);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  entries = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                          "annotation");
  g_assert_cmpuint (json_array_get_length (entries), ==, mc->entries);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      const char *text = json_object_get_string_member (e, "text");
      JgTask task;
      g_autoptr(JgAnswer) a = NULL;
      g_autofree char *again = NULL;

      g_assert_true (jg_task_from_string (json_object_get_string_member (e, "task"), &task, &error));
      g_assert_no_error (error);
      g_assert_cmpint (task, ==, mc->task);
      a = jg_answer_parse (task, text, JG_UNITS_METRES);
      g_assert_cmpstr (a->raw, ==, text);
      switch (task)
        {
        case JG_TASK_SPATIAL_DOA:
        case JG_TASK_MULTI_SPATIAL_DOA:
        case JG_TASK_STARSS23:
          g_assert_cmpint (a->kind, ==, JG_ANSWER_DOA);
          az_sum += a->az_deg;
          break;
        case JG_TASK_VISUAL_GROUNDING:
          g_assert_cmpint (a->kind, ==, JG_ANSWER_BOXES);
          g_assert_cmpuint (a->boxes->len, ==,
                            json_array_get_length (json_object_get_array_member (e, "obj_category")));
          for (guint b = 0; b < a->boxes->len; b++)
            {
              const JgBox *box = &g_array_index (a->boxes, JgBox, b);
              g_assert_cmpint (box->index, ==, (int) b);
              g_assert_cmpstr (box->category, ==, "speaker");
              /* Loudspeakers in front of the camera with positive size. */
              g_assert_cmpfloat (box->center[2], <, 0.0);
              for (int k = 0; k < 3; k++)
                g_assert_cmpfloat (box->size[k], >, 0.0);
            }
          boxes += a->boxes->len;
          break;
        case JG_TASK_SINGLE_SOURCE:
        case JG_TASK_DUAL_SOURCE:
          g_assert_cmpint (a->kind, ==, JG_ANSWER_SIDE);
          sides[a->side]++;
          break;
        default:
          g_assert_not_reached ();
        }
      /* parse -> format gives back the manifest's text byte for byte. */
      again = jg_answer_format (a, JG_UNITS_METRES);
      g_assert_cmpstr (again, ==, text);
    }
  g_assert_cmpuint (boxes, ==, mc->boxes);
  g_assert_cmpuint (sides[JG_SIDE_LEFT], ==, mc->left);
  g_assert_cmpuint (sides[JG_SIDE_CENTER], ==, mc->center);
  g_assert_cmpuint (sides[JG_SIDE_RIGHT], ==, mc->right);
  g_assert_cmpfloat_with_epsilon (az_sum, mc->az_sum, 1e-6);
}

static void
test_tasks (void)
{
  g_autoptr(GError) error = NULL;
  JgTask t = JG_TASK_STARSS23;

  for (int i = 0; i < JG_N_TASKS; i++)
    {
      g_assert_true (jg_task_from_string (jg_task_to_string ((JgTask) i), &t, NULL));
      g_assert_cmpint (t, ==, i);
      g_assert_nonnull (jg_task_label ((JgTask) i));
    }
  g_assert_false (jg_task_from_string ("spatial_DOA", &t, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "spatial_DOA"));
  g_clear_error (&error);
  g_assert_false (jg_task_from_string (NULL, &t, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
}

typedef struct {
  const char *text;
  gboolean ok;
  double az, el;
} DoaCase;

static void
test_doa (void)
{
  static const DoaCase cases[] = {
    { "azimuth: -7; elevation: -22", TRUE, -7, -22 },
    { "azimuth: 117.4; elevation: 13.2", TRUE, 117.4, 13.2 },
    { "AZIMUTH -13.9, Elevation:10.8", TRUE, -13.9, 10.8 },
    { "azimuth:\n 5.5;elevation:\t-.5 degrees", TRUE, 5.5, -0.5 },
    { "Elevation: 3; azimuth: +12.", TRUE, 12, 3 },
    /* The reference regex wants only ':' or blanks between key and number. */
    { "The azimuth is 30 and the elevation is 5", FALSE, 0, 0 },
    /* A later occurrence can still match, as re.search does. */
    { "azimuth (deg) azimuth: 30; elevation elevation 5", TRUE, 30, 5 },
    { "azimuth: 12", FALSE, 0, 0 },
    { "azimuth: inf; elevation: nan", FALSE, 0, 0 },
    { "azimuth: 0x10; elevation: 1e3", TRUE, 0, 1 },
    { "", FALSE, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JgAnswer) a = jg_answer_parse (JG_TASK_SPATIAL_DOA, cases[i].text, JG_UNITS_CENTIMETRES);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpstr (a->raw, ==, cases[i].text);
      g_assert_cmpint (a->kind, ==, cases[i].ok ? JG_ANSWER_DOA : JG_ANSWER_UNPARSED);
      if (cases[i].ok)
        {
          g_assert_cmpfloat_with_epsilon (a->az_deg, cases[i].az, 1e-12);
          g_assert_cmpfloat_with_epsilon (a->el_deg, cases[i].el, 1e-12);
        }
    }

  /* 101 integer digits is not a number a model writes: unparsed. */
  {
    g_autofree char *digits = g_strnfill (101, '7');
    g_autofree char *text = g_strdup_printf ("azimuth: %s; elevation: 1", digits);
    g_autoptr(JgAnswer) a = jg_answer_parse (JG_TASK_SPATIAL_DOA, text, JG_UNITS_METRES);
    g_assert_cmpint (a->kind, ==, JG_ANSWER_UNPARSED);
  }
}

static void
test_boxes (void)
{
  g_autoptr(JgAnswer) cm = NULL, bare = NULL, bad = NULL, m = NULL, empty = NULL;
  g_autofree char *cm_text = NULL, *m_text = NULL;
  const JgBox *b;

  /* Model output in centimetres, the second box cut off mid-way. */
  cm = jg_answer_parse (JG_TASK_VISUAL_GROUNDING,
                        "bbox_0=Bbox(speaker, 14, -48, -115, 33, 88, 32)\n"
                        "bbox_1=Bbox(speaker, 120, -10, -300, 30, 60, 30)\n"
                        "bbox_2=Bbox(speaker, 52, -1", JG_UNITS_CENTIMETRES);
  g_assert_cmpint (cm->kind, ==, JG_ANSWER_BOXES);
  g_assert_cmpuint (cm->boxes->len, ==, 2);
  b = &g_array_index (cm->boxes, JgBox, 1);
  g_assert_cmpint (b->index, ==, 1);
  g_assert_cmpfloat_with_epsilon (b->center[0], 1.20, 1e-12);
  g_assert_cmpfloat_with_epsilon (b->center[2], -3.00, 1e-12);
  g_assert_cmpfloat_with_epsilon (b->size[1], 0.60, 1e-12);
  cm_text = jg_answer_format (cm, JG_UNITS_CENTIMETRES);
  g_assert_cmpstr (cm_text, ==, "bbox_0=Bbox(speaker, 14, -48, -115, 33, 88, 32)\n"
                                "bbox_1=Bbox(speaker, 120, -10, -300, 30, 60, 30)");

  /* The continuation only, without the forced prefix "bbox_0=Bbox(speaker,". */
  bare = jg_answer_parse (JG_TASK_VISUAL_GROUNDING,
                          " 14, -48, -115, 33, 88, 32)\nbbox_1=Bbox( speaker ,1,2,-3,4,5,6 )",
                          JG_UNITS_CENTIMETRES);
  g_assert_cmpint (bare->kind, ==, JG_ANSWER_BOXES);
  g_assert_cmpuint (bare->boxes->len, ==, 2);
  b = &g_array_index (bare->boxes, JgBox, 0);
  g_assert_cmpint (b->index, ==, 0);
  g_assert_cmpfloat_with_epsilon (b->center[1], -0.48, 1e-12);
  g_assert_cmpfloat_with_epsilon (b->size[2], 0.32, 1e-12);
  b = &g_array_index (bare->boxes, JgBox, 1);
  g_assert_cmpstr (b->category, ==, "speaker");
  g_assert_cmpfloat_with_epsilon (b->size[2], 0.06, 1e-12);

  /* Metres -> centimetres truncates like the reference's int(v * 100). */
  m = jg_answer_parse (JG_TASK_VISUAL_GROUNDING,
                       "bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.29, 0.88, 0.32)", JG_UNITS_METRES);
  m_text = jg_answer_format (m, JG_UNITS_CENTIMETRES);
  g_assert_cmpstr (m_text, ==, "bbox_0=Bbox(speaker, 14, -48, -114, 28, 88, 32)");

  bad = jg_answer_parse (JG_TASK_VISUAL_GROUNDING, "bbox_0=Bbox(speaker, 1, 2, 3, 4, 5)", JG_UNITS_METRES);
  g_assert_cmpint (bad->kind, ==, JG_ANSWER_UNPARSED);
  g_assert_null (bad->boxes);
  empty = jg_answer_parse (JG_TASK_VISUAL_GROUNDING, "I see no loudspeaker.", JG_UNITS_METRES);
  g_assert_cmpint (empty->kind, ==, JG_ANSWER_UNPARSED);
}

static void
test_sides (void)
{
  static const struct { const char *text; int side; } cases[] = {
    { "Left", JG_SIDE_LEFT }, { " left. ", JG_SIDE_LEFT }, { "CENTER", JG_SIDE_CENTER },
    { "Right..", JG_SIDE_RIGHT }, { "right\n", JG_SIDE_RIGHT },
    { "Middle", -1 }, { "left side", -1 }, { "", -1 }, { ".", -1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JgAnswer) a = jg_answer_parse (JG_TASK_DUAL_SOURCE, cases[i].text, JG_UNITS_METRES);

      if (cases[i].side < 0)
        g_assert_cmpint (a->kind, ==, JG_ANSWER_UNPARSED);
      else
        {
          g_assert_cmpint (a->kind, ==, JG_ANSWER_SIDE);
          g_assert_cmpint (a->side, ==, cases[i].side);
        }
    }
}

static void
test_null (void)
{
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      g_autoptr(JgAnswer) a = jg_answer_parse ((JgTask) t, NULL, JG_UNITS_METRES);
      g_autofree char *s = jg_answer_format (a, JG_UNITS_METRES);

      g_assert_cmpint (a->kind, ==, JG_ANSWER_UNPARSED);
      g_assert_null (a->raw);
      g_assert_cmpstr (s, ==, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      g_autofree char *name = g_strdup_printf ("/answer/manifest/%s", manifests[i].file);
      g_test_add_data_func (name, &manifests[i], test_real_manifest);
    }
  g_test_add_func ("/answer/tasks", test_tasks);
  g_test_add_func ("/answer/doa", test_doa);
  g_test_add_func ("/answer/boxes", test_boxes);
  g_test_add_func ("/answer/sides", test_sides);
  g_test_add_func ("/answer/null", test_null);
  return g_test_run ();
}
