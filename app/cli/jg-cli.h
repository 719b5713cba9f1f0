/* jg-cli.h: the `jaeger` subcommands. Each one parses its own options and
 * returns the process exit status: 0 success, 1 failure, 2 bad usage. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

enum { JG_EXIT_OK = 0, JG_EXIT_FAILURE = 1, JG_EXIT_USAGE = 2 };

typedef int (*JgCommandFunc) (int argc, char **argv);

typedef struct {
  const char *name;
  const char *parameters;   /* shown after the name in --help, e.g. "PATH" */
  const char *summary;
  JgCommandFunc run;
} JgCommand;

/* Parses @argv with @entries for subcommand @cmd. On a parse error prints
 * a one-line error and returns FALSE; `--help` prints and exits 0. */
gboolean jg_cli_parse (const JgCommand *cmd,
                       const GOptionEntry *entries,
                       int *argc,
                       char ***argv);

/* One-line error "jaeger CMD: message" on stderr. */
void jg_cli_error (const JgCommand *cmd, const char *format, ...) G_GNUC_PRINTF (2, 3);

int jg_cmd_version (int argc, char **argv);
int jg_cmd_render (int argc, char **argv);
int jg_cmd_binaural (int argc, char **argv);
int jg_cmd_devices (int argc, char **argv);
int jg_cmd_sim (int argc, char **argv);
int jg_cmd_tokenize (int argc, char **argv);
int jg_cmd_doa (int argc, char **argv);
int jg_cmd_info (int argc, char **argv);
int jg_cmd_prepare_audio (int argc, char **argv);

int jg_cmd_eval (int argc, char **argv);
int jg_cmd_ask (int argc, char **argv);
int jg_cmd_generate (int argc, char **argv);
int jg_cmd_curate (int argc, char **argv);

G_END_DECLS
