#include "jg-sample-browser.h"

#include <glib/gi18n.h>
#include <string.h>

struct _JgSampleBrowser {
  GtkWidget parent_instance;

  GtkSearchEntry *search_entry;
  GtkStack *stack;
  GtkListView *list_view;
  GtkLabel *count_label;

  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  char *needle;
};

G_DEFINE_FINAL_TYPE (JgSampleBrowser, jg_sample_browser, GTK_TYPE_WIDGET)

enum { SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
match_item (gpointer item, gpointer user_data)
{
  JgSampleBrowser *self = user_data;
  JgSampleItem *sample = item;

  if (self->needle == NULL || *self->needle == '\0')
    return TRUE;
  return strstr (jg_sample_item_get_path (sample), self->needle) != NULL
         || strstr (jg_sample_item_get_task (sample), self->needle) != NULL;
}

static void
update_count (JgSampleBrowser *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint total = jg_sample_browser_get_n_items (self);
  g_autofree char *text = NULL;

  if (total == 0)
    text = g_strdup ("");
  else if (shown == total)
    text = g_strdup_printf (ngettext ("%u sample", "%u samples", total), total);
  else
    text = g_strdup_printf (_("%u of %u samples"), shown, total);
  gtk_label_set_label (self->count_label, text);
  gtk_stack_set_visible_child_name (self->stack, total ? "list" : "empty");
}

static void
search_changed (GtkSearchEntry *entry, JgSampleBrowser *self)
{
  g_free (self->needle);
  self->needle = g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry)));
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_count (self);
}

static void
selection_changed (GtkSingleSelection *selection, guint position, guint n_items, JgSampleBrowser *self)
{
  g_signal_emit (self, signals[SELECTED], 0);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *task = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_START);
  gtk_label_set_xalign (GTK_LABEL (task), 0.0f);
  gtk_widget_add_css_class (task, "dim-label");
  gtk_widget_add_css_class (task, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), task);
  gtk_list_item_set_child (item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  JgSampleItem *sample = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *title = gtk_widget_get_first_child (box);
  GtkWidget *task = gtk_widget_get_next_sibling (title);

  gtk_label_set_label (GTK_LABEL (title), jg_sample_item_get_title (sample));
  gtk_label_set_label (GTK_LABEL (task), jg_sample_item_get_task (sample));
  gtk_widget_set_visible (task, *jg_sample_item_get_task (sample) != '\0');
  gtk_widget_set_tooltip_text (box, jg_sample_item_get_path (sample));
}

void
jg_sample_browser_set_items (JgSampleBrowser *self, GListModel *items)
{
  g_return_if_fail (JG_IS_SAMPLE_BROWSER (self));

  gtk_filter_list_model_set_model (self->filtered, items);
  if (items != NULL)
    g_object_unref (items);
  update_count (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0)
    gtk_single_selection_set_selected (self->selection, 0);
  g_signal_emit (self, signals[SELECTED], 0);
}

JgSampleItem *
jg_sample_browser_get_selected (JgSampleBrowser *self)
{
  g_return_val_if_fail (JG_IS_SAMPLE_BROWSER (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

void
jg_sample_browser_step (JgSampleBrowser *self, int delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint pos = gtk_single_selection_get_selected (self->selection);
  gint64 next;

  if (n == 0)
    return;
  next = pos == GTK_INVALID_LIST_POSITION ? 0 : (gint64) pos + delta;
  next = CLAMP (next, 0, (gint64) n - 1);
  gtk_single_selection_set_selected (self->selection, (guint) next);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", (guint) next);
}

void
jg_sample_browser_focus_search (JgSampleBrowser *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

guint
jg_sample_browser_get_n_items (JgSampleBrowser *self)
{
  GListModel *model = gtk_filter_list_model_get_model (self->filtered);
  return model ? g_list_model_get_n_items (model) : 0;
}

static void
jg_sample_browser_dispose (GObject *object)
{
  JgSampleBrowser *self = JG_SAMPLE_BROWSER (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), JG_TYPE_SAMPLE_BROWSER);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->needle, g_free);
  G_OBJECT_CLASS (jg_sample_browser_parent_class)->dispose (object);
}

static void
jg_sample_browser_class_init (JgSampleBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_sample_browser_dispose;
  signals[SELECTED] = g_signal_new ("selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-sample-browser.ui");
  gtk_widget_class_bind_template_child (widget_class, JgSampleBrowser, search_entry);
  gtk_widget_class_bind_template_child (widget_class, JgSampleBrowser, stack);
  gtk_widget_class_bind_template_child (widget_class, JgSampleBrowser, list_view);
  gtk_widget_class_bind_template_child (widget_class, JgSampleBrowser, count_label);
}

static void
jg_sample_browser_init (JgSampleBrowser *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->filter = gtk_custom_filter_new (match_item, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (selection_changed), self);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed), self);
  update_count (self);
}
