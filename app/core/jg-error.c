#include "core/jg-error.h"

G_DEFINE_QUARK (jg-error-quark, jg_error)
