#version 450
// A plain vec4 copy: the memory-bandwidth yardstick of the benchmarks.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { vec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };
layout(push_constant) uniform P { uint n; } p;

void main()
{
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride)
    dst[i] = src[i];
}
