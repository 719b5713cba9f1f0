#version 450
// The sum of a split-k matmul's slices (matmul_cm.comp): y = (y if
// accumulate) + part[0] + ... + part[n_split - 1], each part count4 vec4s.
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer Part { vec4 part[]; };
layout(std430, binding = 1) buffer Y { vec4 y[]; };

layout(push_constant) uniform P {
  uint count4, n_split, accumulate;
} p;

void main()
{
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256;
  if (i >= p.count4)
    return;
  vec4 s = p.accumulate != 0 ? y[i] : vec4(0.0);
  for (uint z = 0; z < p.n_split; z++)
    s += part[z * p.count4 + i];
  y[i] = s;
}
