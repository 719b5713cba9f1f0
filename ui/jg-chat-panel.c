#include "jg-chat-panel.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

struct _JgChatPanel {
  GtkWidget parent_instance;

  GtkScrolledWindow *scroller;
  GtkListBox *messages;
  GtkMenuButton *prompt_button;
  GtkEntry *entry;
  GtkButton *send_button;
  GtkLabel *last;          /* the newest message */
  GString *last_text;
  gboolean busy;
};

G_DEFINE_FINAL_TYPE (JgChatPanel, jg_chat_panel, GTK_TYPE_WIDGET)

enum { ASK, STOP, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const role_classes[] = { "user", "model", "system" };

void
jg_chat_panel_add_message (JgChatPanel *self, JgChatRole role, const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  GtkAdjustment *adj;

  g_return_if_fail (JG_IS_CHAT_PANEL (self));
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_widget_set_halign (label, role == JG_CHAT_USER ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_add_css_class (label, "chat-bubble");
  gtk_widget_add_css_class (label, role_classes[role]);
  gtk_list_box_append (self->messages, label);
  self->last = GTK_LABEL (label);
  g_string_assign (self->last_text, text);
  adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
}

void
jg_chat_panel_append (JgChatPanel *self, const char *text, gssize len)
{
  GtkAdjustment *adj;

  g_return_if_fail (JG_IS_CHAT_PANEL (self));
  if (self->last == NULL)
    {
      jg_chat_panel_add_message (self, JG_CHAT_MODEL, "");
    }
  g_string_append_len (self->last_text, text, len);
  gtk_label_set_label (self->last, self->last_text->str);
  adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
}

void
jg_chat_panel_set_busy (JgChatPanel *self, gboolean busy)
{
  self->busy = busy;
  gtk_button_set_icon_name (self->send_button, busy ? "process-stop-symbolic" : "mail-send-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button), busy ? _("Stop the answer") : _("Ask (Enter)"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->entry), !busy);
}

void
jg_chat_panel_clear (JgChatPanel *self)
{
  GtkWidget *row;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->messages))) != NULL)
    gtk_list_box_remove (self->messages, row);
  self->last = NULL;
  g_string_truncate (self->last_text, 0);
}

void
jg_chat_panel_focus_entry (JgChatPanel *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
send (JgChatPanel *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  if (self->busy)
    {
      g_signal_emit (self, signals[STOP], 0);
      return;
    }
  if (*text == '\0')
    return;
  jg_chat_panel_add_message (self, JG_CHAT_USER, text);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  g_signal_emit (self, signals[ASK], 0, text);
}

static void
use_prompt (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgChatPanel *self = JG_CHAT_PANEL (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->entry), g_variant_get_string (param, NULL));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
}

/* The questions of the SpatialSceneQA test prompts, with their
 * placeholders filled the way the test manifests fill them. */
static GMenuModel *
build_prompt_menu (void)
{
  static const char *const order[][2] = {
    { "spatial_doa", NULL },
    { "multi_spatial_doa", "male" },
    { "multi_spatial_doa", "female" },
    { "visual_grounding", NULL },
    { "single_source", NULL },
    { "dual_source", "male" },
    { "dual_source", "female" },
  };
  g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/jaegerstudio/Studio/prompts/test_prompt.json", 0, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  GMenu *menu = g_menu_new ();
  JsonObject *prompts;

  if (bytes == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                                    (gssize) g_bytes_get_size (bytes), NULL))
    return G_MENU_MODEL (menu);
  prompts = json_node_get_object (json_parser_get_root (parser));
  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *tmpl = json_object_get_string_member_with_default (prompts, order[i][0], NULL);
      g_autoptr(GString) q = NULL;
      g_autoptr(GMenuItem) item = NULL;
      g_autofree char *label = NULL;

      if (tmpl == NULL)
        continue;
      q = g_string_new (tmpl);
      g_string_replace (q, "{obj_category}", "speaker", 0);
      if (order[i][1] != NULL)
        g_string_replace (q, "{gender}", order[i][1], 0);
      label = order[i][1] ? g_strdup_printf ("%s (%s)", order[i][0], order[i][1]) : g_strdup (order[i][0]);
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "chat.use-prompt", g_variant_new_string (q->str));
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}

static void
jg_chat_panel_dispose (GObject *object)
{
  GtkWidget *child;

  JG_CHAT_PANEL (object)->last = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (object), JG_TYPE_CHAT_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (jg_chat_panel_parent_class)->dispose (object);
}

static void
jg_chat_panel_finalize (GObject *object)
{
  g_string_free (JG_CHAT_PANEL (object)->last_text, TRUE);
  G_OBJECT_CLASS (jg_chat_panel_parent_class)->finalize (object);
}

static void
jg_chat_panel_class_init (JgChatPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_chat_panel_dispose;
  object_class->finalize = jg_chat_panel_finalize;
  signals[ASK] = g_signal_new ("ask", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[STOP] = g_signal_new ("stop", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-chat-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, JgChatPanel, scroller);
  gtk_widget_class_bind_template_child (widget_class, JgChatPanel, messages);
  gtk_widget_class_bind_template_child (widget_class, JgChatPanel, prompt_button);
  gtk_widget_class_bind_template_child (widget_class, JgChatPanel, entry);
  gtk_widget_class_bind_template_child (widget_class, JgChatPanel, send_button);
  gtk_widget_class_install_action (widget_class, "chat.use-prompt", "s", use_prompt);
}

static void
jg_chat_panel_init (JgChatPanel *self)
{
  g_autoptr(GMenuModel) menu = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->last_text = g_string_new (NULL);
  menu = build_prompt_menu ();
  gtk_menu_button_set_menu_model (self->prompt_button, menu);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (send), self);
  g_signal_connect_swapped (self->send_button, "clicked", G_CALLBACK (send), self);
}
