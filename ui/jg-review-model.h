/* jg-review-model.h: a GListModel over the rows of a store query, with
 * row objects made on demand (61,000 rows cost one allocation, not 61,000). */
#pragma once

#include <gio/gio.h>

#include "store/jg-store.h"

G_BEGIN_DECLS

#define JG_TYPE_REVIEW_ROW (jg_review_row_get_type ())
G_DECLARE_FINAL_TYPE (JgReviewRow, jg_review_row, JG, REVIEW_ROW, GObject)

#define JG_TYPE_REVIEW_MODEL (jg_review_model_get_type ())
G_DECLARE_FINAL_TYPE (JgReviewModel, jg_review_model, JG, REVIEW_MODEL, GObject)

JgReviewModel    *jg_review_model_new (void);
/* Takes @rows (NULL empties the model). */
void              jg_review_model_set_rows (JgReviewModel *self, JgStoreRows *rows);
const JgStoreRows *jg_review_model_get_rows (JgReviewModel *self);

const JgStoreRow *jg_review_row_get (JgReviewRow *row);
guint             jg_review_row_get_position (JgReviewRow *row);

G_END_DECLS
