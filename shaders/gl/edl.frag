#version 330 core
// Eye-dome lighting: darken a pixel by how much its neighbours stand in
// front of it in log depth, which outlines shapes without normals. Passes
// the depth through so overlays drawn afterwards are hidden correctly.
uniform sampler2D u_color;
uniform sampler2D u_depth;
uniform float u_near;
uniform float u_far;
uniform float u_strength;
uniform int u_radius;

out vec4 o_color;

float log_depth (float d)
{
  float z = d * 2.0 - 1.0;
  return log2 (2.0 * u_near * u_far / (u_far + u_near - z * (u_far - u_near)));
}

void main ()
{
  ivec2 p = ivec2 (gl_FragCoord.xy);
  ivec2 last = textureSize (u_depth, 0) - 1;
  float d = texelFetch (u_depth, p, 0).r;
  vec4 c = texelFetch (u_color, p, 0);

  gl_FragDepth = d;
  if (d >= 1.0)
    {
      o_color = c;
      return;
    }
  float l = log_depth (d);
  float sum = 0.0;
  const ivec2 dirs[4] = ivec2[4] (ivec2 (1, 0), ivec2 (-1, 0), ivec2 (0, 1), ivec2 (0, -1));
  for (int i = 0; i < 4; i++)
    {
      float dn = texelFetch (u_depth, clamp (p + dirs[i] * u_radius, ivec2 (0), last), 0).r;
      // an empty neighbour counts as a silhouette edge
      sum += dn >= 1.0 ? 1.0 : max (0.0, l - log_depth (dn));
    }
  o_color = vec4 (c.rgb * exp (-u_strength * sum), c.a);
}
