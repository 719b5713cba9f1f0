// The compute path's one full-screen pass: each pixel's nearest point
// (from splat.comp's buffers) gives its colour and gl_FragDepth, so the
// overlays drawn afterwards are depth-tested against the cloud, and
// eye-dome lighting reads the neighbours' depths from the same buffers
// (see edl.frag for the response). Compiled after ramp.glsl.
layout (std430, binding = 0) readonly buffer Positions { float pos[]; };
layout (std430, binding = 1) readonly buffer Colors { uint col[]; };
layout (std430, binding = 2) readonly buffer Depths { uint depth[]; };
layout (std430, binding = 3) readonly buffer Indices { uint index[]; };

uniform ivec2 u_size;
uniform int u_mode;
uniform vec2 u_range;
uniform vec3 u_solid;
uniform vec4 u_background;
uniform float u_near;
uniform float u_far;
uniform float u_strength;   // 0: no eye-dome lighting
uniform int u_radius;

out vec4 o_color;

const uint EMPTY = 0xffffffffu;

uint depth_bits (ivec2 p)
{
  return depth[p.y * u_size.x + p.x];
}

void main ()
{
  ivec2 p = ivec2 (gl_FragCoord.xy);
  int at = p.y * u_size.x + p.x;
  uint bits = depth[at];
  uint i = bits == EMPTY ? 0u : index[at];

  if (bits == EMPTY)
    {
      o_color = u_background;
      gl_FragDepth = 1.0;
      return;
    }
  float d = uintBitsToFloat (bits);
  vec3 xyz = vec3 (pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]);
  vec3 c = point_color (u_mode, xyz, unpackUnorm4x8 (col[i]).rgb, u_range, u_solid);
  gl_FragDepth = d;
  if (u_strength > 0.0)
    {
      ivec2 last = u_size - 1;
      float a = (u_far - u_near) / u_far;
      float inv = a / (1.0 - a * d);
      float sum = 0.0;
      const ivec2 dirs[4] = ivec2[4] (ivec2 (1, 0), ivec2 (-1, 0), ivec2 (0, 1), ivec2 (0, -1));
      for (int n = 0; n < 4; n++)
        {
          uint nb = depth_bits (clamp (p + dirs[n] * u_radius, ivec2 (0), last));
          // empty neighbours add nothing (see edl.frag)
          sum += nb == EMPTY ? 0.0 : min (1.0, max (0.0, (d - uintBitsToFloat (nb)) * inv));
        }
      c *= exp (-u_strength * sum);
    }
  o_color = vec4 (c, 1.0);
}
