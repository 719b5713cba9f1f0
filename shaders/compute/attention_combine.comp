#version 450
// Merges the per-chunk parts of split attention (attention.comp, SPLIT):
// o = sum_s acc_s exp(m_s - M) / sum_s l_s exp(m_s - M), M = max_s m_s.
// One workgroup per (query, head). Empty chunks carry m = -inf, l = 0.
layout(local_size_x = 128) in;

layout(std430, binding = 0) readonly buffer Parts { float part[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };
layout(push_constant) uniform P { uint n_heads, head_dim, n_split, o_stride; } p;

void main()
{
  uint i = gl_WorkGroupID.x, h = gl_WorkGroupID.y;
  uint D = p.head_dim, stride = D + 2;
  uint base = (i * p.n_heads + h) * p.n_split * stride;
  float M = -1.0 / 0.0;
  for (uint s = 0; s < p.n_split; s++)
    M = max(M, part[base + s * stride]);
  float L = 0.0;
  for (uint s = 0; s < p.n_split; s++)
    L += part[base + s * stride + 1] * exp(part[base + s * stride] - M);
  for (uint d = gl_LocalInvocationID.x; d < D; d += 128) {
    float acc = 0.0;
    for (uint s = 0; s < p.n_split; s++)
      acc += part[base + s * stride + 2 + d] * exp(part[base + s * stride] - M);
    o[i * p.o_stride + h * D + d] = acc / L;
  }
}
