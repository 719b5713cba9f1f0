// Point cloud as GL_POINTS (the path for contexts without compute
// shaders, and JAEGER_GL_DISABLE=compute): one vertex per valid depth
// pixel. The size is glPointSize (cheaper on llvmpipe than writing
// gl_PointSize per vertex). Compiled after ramp.glsl.
layout (location = 0) in vec3 a_pos;
layout (location = 1) in vec4 a_color;

uniform mat4 u_view_proj;
uniform int u_mode;        // 0 rgb, 1 depth, 2 height, 3 solid
uniform vec2 u_range;      // depth or height range mapped onto the ramp
uniform vec3 u_solid;

out vec3 v_color;

void main ()
{
  gl_Position = u_view_proj * vec4 (a_pos, 1.0);
  v_color = point_color (u_mode, a_pos, a_color.rgb, u_range, u_solid);
}
