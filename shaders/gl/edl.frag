// Eye-dome lighting: darken a pixel by how far its neighbours stand in
// front of it, which outlines shapes without normals. The response is the
// relative depth step (z - z_n) / z_n, which tracks log2(z / z_n) for the
// small steps that matter and needs no logarithm: with a = (far - near) /
// far, eye depth is near / (1 - a d) for window depth d, so the step is
// a (d - d_n) / (1 - a d). Passes the depth through so overlays drawn
// afterwards are hidden correctly.
uniform sampler2D u_color;
uniform sampler2D u_depth;
uniform float u_near;
uniform float u_far;
uniform float u_strength;
uniform int u_radius;

out vec4 o_color;

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
  float a = (u_far - u_near) / u_far;
  float inv = a / (1.0 - a * d);
  float sum = 0.0;
  const ivec2 dirs[4] = ivec2[4] (ivec2 (1, 0), ivec2 (-1, 0), ivec2 (0, 1), ivec2 (0, -1));
  for (int i = 0; i < 4; i++)
    {
      float dn = texelFetch (u_depth, clamp (p + dirs[i] * u_radius, ivec2 (0), last), 0).r;
      // Empty neighbours add nothing: a cloud sparser than the pixels
      // (zoomed in) would otherwise darken all over.
      sum += dn >= 1.0 ? 0.0 : min (1.0, max (0.0, (d - dn) * inv));
    }
  o_color = vec4 (c.rgb * exp (-u_strength * sum), c.a);
}
