#version 450
// Pulls a range of a buffer into the L2 cache and discards it: one 4-byte
// load per 32-byte sector (the L2 fetches whole sectors), eight independent
// loads per thread in flight. Dispatched with no barrier against a running
// latency-bound kernel (decode attention), so the next kernel (o) reads its
// weights from the L2 instead of device memory. `never` is always 0; the
// store it guards keeps the loads from being optimised away.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Sink { uint sink[]; };
layout(push_constant) uniform P { uint n_sectors, never; } p;

const uint PER = 8;

void main()
{
  uint wg = gl_WorkGroupSize.x;
  uint base = gl_WorkGroupID.x * wg * PER + gl_LocalInvocationID.x;
  uint h = 0u;
  for (uint j = 0; j < PER; j++) {
    uint s = base + j * wg;
    if (s < p.n_sectors)
      h ^= src[8u * s];
  }
  if (p.never != 0u)
    sink[0] = h;
}
