#version 450
// Top-k / top-p sampling, one workgroup per row: the k largest logits by k
// passes of a workgroup argmax (each pass takes the best below the last one
// in (value, -index) order, so nothing is written to the logits); softmax of
// those at the temperature; the smallest prefix whose probability reaches
// top_p; then the token at u (uniform in [0, 1), one per row) of that
// prefix's renormalised cumulative distribution.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer O { uint o[]; };
layout(std430, binding = 2) readonly buffer U { float u[]; };
layout(push_constant) uniform P { uint rows, n, k; float top_p, temperature; } p;

const uint MAXK = 64;
shared float topv[MAXK];
shared uint topi[MAXK];

void main()
{
  uint row = group_id();
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x, base = row * p.n;
  float prev_v = 1.0 / 0.0;
  uint prev_i = 0xffffffffu;
  uint k = min(min(p.k, MAXK), p.n);

  for (uint r = 0; r < k; r++) {
    float best = -1.0 / 0.0;
    uint bi = 0xffffffffu;
    for (uint i = t; i < p.n; i += WG) {
      float v = x[base + i];
      bool below = v < prev_v || (v == prev_v && (prev_i == 0xffffffffu || i > prev_i));
      if (below && (v > best || (v == best && i < bi) || bi == 0xffffffffu)) {
        best = v;
        bi = i;
      }
    }
    wg_argmax(best, bi);
    if (t == 0) {
      topv[r] = best;
      topi[r] = bi;
    }
    prev_v = best;
    prev_i = bi;
  }
  barrier();
  if (t != 0)
    return;
  float total = 0.0, top = topv[0];
  for (uint r = 0; r < k; r++) {
    topv[r] = exp((topv[r] - top) / p.temperature);
    total += topv[r];
  }
  float cum = 0.0;
  uint keep = k;
  for (uint r = 0; r < k; r++) {
    cum += topv[r] / total;
    if (cum >= p.top_p) {
      keep = r + 1;
      break;
    }
  }
  float mass = 0.0;
  for (uint r = 0; r < keep; r++)
    mass += topv[r];
  float target = u[row] * mass;
  uint pick = keep - 1;
  cum = 0.0;
  for (uint r = 0; r < keep; r++) {
    cum += topv[r];
    if (target < cum) {
      pick = r;
      break;
    }
  }
  o[row] = topi[pick];
}
