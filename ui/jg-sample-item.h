/* jg-sample-item.h: one row of the sample browser. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define JG_TYPE_SAMPLE_ITEM (jg_sample_item_get_type ())
G_DECLARE_FINAL_TYPE (JgSampleItem, jg_sample_item, JG, SAMPLE_ITEM, GObject)

/* @entry: index of the manifest entry the item stands for, or -1. */
JgSampleItem *jg_sample_item_new (const char *path, const char *task, const char *answer, int entry);
const char   *jg_sample_item_get_path (JgSampleItem *self);
const char   *jg_sample_item_get_title (JgSampleItem *self);
const char   *jg_sample_item_get_task (JgSampleItem *self);
const char   *jg_sample_item_get_answer (JgSampleItem *self);
int           jg_sample_item_get_entry (JgSampleItem *self);

G_END_DECLS
