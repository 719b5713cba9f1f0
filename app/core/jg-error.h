/* jg-error.h: the one error domain of the display-free core. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_ERROR (jg_error_quark ())

typedef enum {
  JG_ERROR_FAILED,        /* anything not covered below */
  JG_ERROR_NOT_FOUND,     /* a file or entry that should exist does not */
  JG_ERROR_INVALID_DATA,  /* a file exists but its content is wrong */
  JG_ERROR_UNSUPPORTED,   /* valid, but a variant we do not handle */
  JG_ERROR_IO,            /* reading or writing failed */
  JG_ERROR_DEVICE,        /* the Vulkan device refused or failed */
  JG_ERROR_CANCELLED,     /* the user cancelled */
} JgError;

GQuark jg_error_quark (void);

G_END_DECLS
