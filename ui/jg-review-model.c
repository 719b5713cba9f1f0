#include "jg-review-model.h"

struct _JgReviewRow {
  GObject parent_instance;
  JgReviewModel *model;   /* strong: the rows live as long as any row object */
  guint position;
};

struct _JgReviewModel {
  GObject parent_instance;
  JgStoreRows *rows;
};

static void jg_review_model_list_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE (JgReviewRow, jg_review_row, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE_WITH_CODE (JgReviewModel, jg_review_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, jg_review_model_list_init))

static void
jg_review_row_finalize (GObject *object)
{
  g_clear_object (&JG_REVIEW_ROW (object)->model);
  G_OBJECT_CLASS (jg_review_row_parent_class)->finalize (object);
}

static void
jg_review_row_class_init (JgReviewRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = jg_review_row_finalize;
}

static void
jg_review_row_init (JgReviewRow *self)
{
}

const JgStoreRow *
jg_review_row_get (JgReviewRow *row)
{
  const JgStoreRows *rows = row->model->rows;

  /* A row object outlives a re-query only until the view rebinds it. */
  if (rows == NULL || row->position >= jg_store_rows_get_n (rows))
    return NULL;
  return jg_store_rows_get (rows, row->position);
}

guint
jg_review_row_get_position (JgReviewRow *row)
{
  return row->position;
}

static GType
model_get_item_type (GListModel *list)
{
  return JG_TYPE_REVIEW_ROW;
}

static guint
model_get_n_items (GListModel *list)
{
  JgReviewModel *self = JG_REVIEW_MODEL (list);
  return self->rows ? jg_store_rows_get_n (self->rows) : 0;
}

static gpointer
model_get_item (GListModel *list, guint position)
{
  JgReviewModel *self = JG_REVIEW_MODEL (list);
  JgReviewRow *row;

  if (position >= model_get_n_items (list))
    return NULL;
  row = g_object_new (JG_TYPE_REVIEW_ROW, NULL);
  row->model = g_object_ref (self);
  row->position = position;
  return row;
}

static void
jg_review_model_list_init (GListModelInterface *iface)
{
  iface->get_item_type = model_get_item_type;
  iface->get_n_items = model_get_n_items;
  iface->get_item = model_get_item;
}

void
jg_review_model_set_rows (JgReviewModel *self, JgStoreRows *rows)
{
  guint removed = model_get_n_items (G_LIST_MODEL (self));

  g_clear_pointer (&self->rows, jg_store_rows_free);
  self->rows = rows;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, model_get_n_items (G_LIST_MODEL (self)));
}

const JgStoreRows *
jg_review_model_get_rows (JgReviewModel *self)
{
  return self->rows;
}

static void
jg_review_model_finalize (GObject *object)
{
  g_clear_pointer (&JG_REVIEW_MODEL (object)->rows, jg_store_rows_free);
  G_OBJECT_CLASS (jg_review_model_parent_class)->finalize (object);
}

static void
jg_review_model_class_init (JgReviewModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = jg_review_model_finalize;
}

static void
jg_review_model_init (JgReviewModel *self)
{
}

JgReviewModel *
jg_review_model_new (void)
{
  return g_object_new (JG_TYPE_REVIEW_MODEL, NULL);
}
