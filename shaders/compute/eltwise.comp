#version 450
// Elementwise ops: out = a + b, a * b (b repeats every nb elements, so a
// row vector broadcasts over rows), silu(a) * b (SwiGLU), gelu(a) (exact,
// erf), silu(a). O_F16: out is f16 (the input of a cooperative-matrix
// matmul).
#ifdef O_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define O_T float16_t
#else
#define O_T float
#endif
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer Bv { float b[]; };
layout(std430, binding = 2) writeonly buffer O { O_T o[]; };

layout(push_constant) uniform P { uint n, nb; } p;

// erf to 1.5e-7 (Abramowitz and Stegun 7.1.26).
float erf_approx(float v)
{
  float s = sign(v), z = abs(v);
  float t = 1.0 / (1.0 + 0.3275911 * z);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                   + 0.254829592) * t * exp(-z * z);
  return s * y;
}

float silu(float v) { return v / (1.0 + exp(-v)); }

void main()
{
  uint stride = gl_NumWorkGroups.x * 256;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    float v = a[i];
#if defined(OP_ADD)
    o[i] = O_T(v + b[i % p.nb]);
#elif defined(OP_MUL)
    o[i] = O_T(v * b[i % p.nb]);
#elif defined(OP_SWIGLU)
    o[i] = O_T(silu(v) * b[i % p.nb]);
#elif defined(OP_GELU)
    o[i] = O_T(0.5 * v * (1.0 + erf_approx(v * 0.70710678118654752)));
#elif defined(OP_SILU)
    o[i] = O_T(silu(v));
#endif
  }
}
