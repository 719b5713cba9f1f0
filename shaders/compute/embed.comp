#version 450
// Embedding gather: out[i][:] = table[ids[i]][:] as f32 (zeros for ids
// outside the table).
#if defined(W_F16) && defined(F16_STORAGE)
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(std430, binding = 0) readonly buffer T { float16_t table[]; };
#elif defined(W_F16)
layout(std430, binding = 0) readonly buffer T { uint table[]; };
#else
layout(std430, binding = 0) readonly buffer T { float table[]; };
#endif
layout(local_size_x = 256) in;
layout(std430, binding = 1) readonly buffer I { uint ids[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };

layout(push_constant) uniform P { uint n_ids, dim, vocab; } p;

void main()
{
  uint stride = gl_NumWorkGroups.x * 256;
  for (uint g = gl_GlobalInvocationID.x; g < p.n_ids * p.dim; g += stride) {
    uint i = g / p.dim, c = g % p.dim;
    uint id = ids[i];
    if (id >= p.vocab) {      // never read outside the table
      o[g] = 0.0;
      continue;
    }
    uint e = id * p.dim + c;
#if defined(W_F16) && defined(F16_STORAGE)
    o[g] = float(table[e]);
#elif defined(W_F16)
    vec2 h = unpackHalf2x16(table[e / 2]);
    o[g] = (e % 2) == 0 ? h.x : h.y;
#else
    o[g] = table[e];
#endif
  }
}
