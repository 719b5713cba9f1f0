/* jg-chat-panel.h: questions to the model and its answers. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_CHAT_PANEL (jg_chat_panel_get_type ())
G_DECLARE_FINAL_TYPE (JgChatPanel, jg_chat_panel, JG, CHAT_PANEL, GtkWidget)

typedef enum {
  JG_CHAT_USER,
  JG_CHAT_MODEL,
  JG_CHAT_SYSTEM,
} JgChatRole;

void jg_chat_panel_add_message (JgChatPanel *self, JgChatRole role, const char *text);
/* Appends to the last message (a streaming answer). */
void jg_chat_panel_append (JgChatPanel *self, const char *text, gssize len);
/* While busy the send button becomes a stop button that emits "stop". */
void jg_chat_panel_set_busy (JgChatPanel *self, gboolean busy);
void jg_chat_panel_clear (JgChatPanel *self);
void jg_chat_panel_focus_entry (JgChatPanel *self);

G_END_DECLS
