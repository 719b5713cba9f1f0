/* Shared by the Vulkan op tests: random inputs, outputs poisoned with NaN
 * (so an unwritten value fails), downloads, and the normalised-error check
 * against the plain-C references. Each test's main() sets ctx. */
#pragma once

#include "inference/jg-tensor.h"
#include "inference/jg-vk-context.h"

extern JgVkContext *ctx;

float    *rand_vec (gsize n, double lo, double hi);
JgTensor *tensor_from (JgDType dtype, gint64 rows, gint64 cols, const float *data);
JgTensor *poisoned (gint64 rows, gint64 cols);
float    *download (JgTensor *t);
void      assert_close (const char *what, const float *got, const float *want, gsize n, double tol);
