#include "jg-sample-item.h"

struct _JgSampleItem {
  GObject parent_instance;
  char *path;
  char *title;     /* "<scene>/<sample>": the last two path components */
  char *task;
  char *answer;
  int entry;
};

G_DEFINE_FINAL_TYPE (JgSampleItem, jg_sample_item, G_TYPE_OBJECT)

enum { PROP_0, PROP_PATH, PROP_TITLE, PROP_TASK, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
jg_sample_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  JgSampleItem *self = JG_SAMPLE_ITEM (object);

  switch (prop_id)
    {
    case PROP_PATH: g_value_set_string (value, self->path); break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_TASK: g_value_set_string (value, self->task); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
jg_sample_item_finalize (GObject *object)
{
  JgSampleItem *self = JG_SAMPLE_ITEM (object);

  g_free (self->path);
  g_free (self->title);
  g_free (self->task);
  g_free (self->answer);
  G_OBJECT_CLASS (jg_sample_item_parent_class)->finalize (object);
}

static void
jg_sample_item_class_init (JgSampleItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = jg_sample_item_get_property;
  object_class->finalize = jg_sample_item_finalize;
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TASK] = g_param_spec_string ("task", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
jg_sample_item_init (JgSampleItem *self)
{
}

JgSampleItem *
jg_sample_item_new (const char *path, const char *task, const char *answer, int entry)
{
  JgSampleItem *self = g_object_new (JG_TYPE_SAMPLE_ITEM, NULL);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_basename (dir);

  self->path = g_strdup (path);
  self->title = g_strcmp0 (parent, ".") == 0 || g_strcmp0 (parent, "/") == 0
                ? g_strdup (base) : g_strdup_printf ("%s/%s", parent, base);
  self->task = g_strdup (task ? task : "");
  self->answer = g_strdup (answer ? answer : "");
  self->entry = entry;
  return self;
}

const char *jg_sample_item_get_path (JgSampleItem *self) { return self->path; }
const char *jg_sample_item_get_title (JgSampleItem *self) { return self->title; }
const char *jg_sample_item_get_task (JgSampleItem *self) { return self->task; }
const char *jg_sample_item_get_answer (JgSampleItem *self) { return self->answer; }
int jg_sample_item_get_entry (JgSampleItem *self) { return self->entry; }
