#version 450
// Index of the largest of n values (the first, among equals) by many
// workgroups, for one long row (the vocabulary's logits when decoding):
// workgroup g takes a slice, writes its best value and index to
// scratch[2g], scratch[2g + 1], and the last workgroup to finish (an atomic
// count in scratch[2 * n_groups]) reduces the slices' bests into out[0]
// and sets the count back to zero. n_groups <= WG.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer O { uint o[]; };
layout(std430, binding = 2) coherent buffer S { uint scratch[]; };
layout(push_constant) uniform P { uint n, n_groups, slice; } p;

shared bool is_last;

void main()
{
  uint t = gl_LocalInvocationID.x, g = gl_WorkGroupID.x;
  uint begin = g * p.slice, end = min(p.n, begin + p.slice);
  float best = -1.0 / 0.0;
  uint bi = 0xffffffffu;
  for (uint i = begin + t; i < end; i += WG) {
    float v = x[i];
    if (v > best || (v == best && i < bi)) {
      best = v;
      bi = i;
    }
  }
  wg_argmax(best, bi);
  if (t == 0) {
    scratch[2 * g] = floatBitsToUint(best);
    scratch[2 * g + 1] = bi;
  }
  memoryBarrierBuffer();
  barrier();
  if (t == 0)
    is_last = atomicAdd(scratch[2 * p.n_groups], 1u) == p.n_groups - 1;
  barrier();
  if (!is_last)
    return;
  memoryBarrierBuffer();
  best = -1.0 / 0.0;
  bi = 0xffffffffu;
  if (t < p.n_groups) {
    best = uintBitsToFloat(scratch[2 * t]);
    bi = scratch[2 * t + 1];
  }
  wg_argmax(best, bi);
  if (t == 0) {
    o[0] = bi;
    scratch[2 * p.n_groups] = 0u;
  }
}
