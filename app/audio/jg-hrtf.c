#include "audio/jg-hrtf.h"
#include "core/jg-error.h"

#include <math.h>
#include <gio/gio.h>
#include <mysofa.h>
#include <string.h>

/* Bounds for untrusted files: KEMAR is 1.2 MB with 512-tap HRIRs. */
#define MAX_FILE_BYTES ((goffset) 512 << 20)
#define MAX_TAPS 32768
#define MAX_DELAY_S 0.05

struct _JgHrtf {
  char *path;
  guint sample_rate;
  guint length;
  float *filters;   /* [ear][ch][length] */
};

static const char *
mysofa_error_text (int err)
{
  switch (err)
    {
    case MYSOFA_INVALID_FORMAT: return "not a valid SOFA/HDF5 file";
    case MYSOFA_UNSUPPORTED_FORMAT: return "unsupported SOFA variant";
    case MYSOFA_NO_MEMORY: return "out of memory";
    case MYSOFA_READ_ERROR: return "read error";
    case MYSOFA_INVALID_ATTRIBUTES: return "invalid SOFA attributes";
    case MYSOFA_INVALID_DIMENSIONS: return "invalid SOFA dimensions";
    case MYSOFA_INVALID_DIMENSION_LIST: return "invalid SOFA dimension list";
    case MYSOFA_INVALID_COORDINATE_TYPE: return "invalid coordinate type";
    case MYSOFA_ONLY_EMITTER_WITH_ECI_SUPPORTED: return "only one emitter is supported";
    case MYSOFA_ONLY_DELAYS_WITH_IR_OR_MR_SUPPORTED: return "unsupported delay layout";
    case MYSOFA_ONLY_THE_SAME_SAMPLING_RATE_SUPPORTED: return "mixed sampling rates";
    case MYSOFA_RECEIVERS_WITH_RCI_SUPPORTED:
    case MYSOFA_RECEIVERS_WITH_CARTESIAN_SUPPORTED:
    case MYSOFA_INVALID_RECEIVER_POSITIONS: return "not a two-ear (SimpleFreeFieldHRIR) set";
    case MYSOFA_ONLY_SOURCES_WITH_MC_SUPPORTED: return "unsupported source coordinates";
    default: return "libmysofa could not open it";
    }
}

/* 12 icosahedron and 20 dodecahedron vertices, normalised. */
void
jg_hrtf_speaker_direction (guint i, float xyz[3])
{
  const double phi = (1.0 + sqrt (5.0)) / 2.0, iphi = 1.0 / phi;
  double v[3];

  g_return_if_fail (i < JG_HRTF_N_SPEAKERS);
  if (i < 12)
    {
      /* cyclic permutations of (0, +-1, +-phi) */
      double a = (i & 1) ? -1.0 : 1.0, b = (i & 2) ? -phi : phi;
      double base[3] = { 0.0, a, b };
      guint rot = i / 4;
      for (int k = 0; k < 3; k++)
        v[k] = base[(k + 3 - rot) % 3];
    }
  else if (i < 20)
    {
      guint j = i - 12;
      v[0] = (j & 1) ? -1.0 : 1.0;
      v[1] = (j & 2) ? -1.0 : 1.0;
      v[2] = (j & 4) ? -1.0 : 1.0;
    }
  else
    {
      /* cyclic permutations of (0, +-1/phi, +-phi) */
      guint j = i - 20;
      double a = (j & 1) ? -iphi : iphi, b = (j & 2) ? -phi : phi;
      double base[3] = { 0.0, a, b };
      guint rot = j / 4;
      for (int k = 0; k < 3; k++)
        v[k] = base[(k + 3 - rot) % 3];
    }
  {
    double n = sqrt (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int k = 0; k < 3; k++)
      xyz[k] = (float) (v[k] / n);
  }
}

static gboolean
check_file (const char *path, GError **error)
{
  static const guchar hdf5_magic[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  guchar head[8];
  gsize got = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info == NULL || g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: HRTF file not found", path);
      return FALSE;
    }
  if (g_file_info_get_size (info) > MAX_FILE_BYTES)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: too large for an HRTF set", path);
      return FALSE;
    }
  in = g_file_read (file, NULL, error);
  if (in == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  /* SOFA is netCDF-4, i.e. HDF5; refuse anything else before libmysofa parses it. */
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &got, NULL, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (got != sizeof head || memcmp (head, hdf5_magic, sizeof head) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not a SOFA file (no HDF5 signature)", path);
      return FALSE;
    }
  return TRUE;
}

JgHrtf *
jg_hrtf_load (const char *path, guint sample_rate, GError **error)
{
  g_autoptr(JgHrtf) hrtf = NULL;
  g_autofree float *ir_l = NULL, *ir_r = NULL;
  struct MYSOFA_EASY *easy;
  int filter_len = 0, err = 0, max_shift = 0;
  int shift[JG_HRTF_N_SPEAKERS][2];
  /* max-rE weight of the first-order terms for a 3-D layout (1/sqrt 3),
   * times 3 from the N3D-to-SN3D projection of a t-design. */
  const double g1 = 3.0 / sqrt (3.0);

  if (path == NULL)
    path = JG_HRTF_DEFAULT_PATH;
  if (sample_rate < 8000 || sample_rate > 384000)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s: output rate %u Hz is not supported",
                   path, sample_rate);
      return NULL;
    }
  if (!check_file (path, error))
    return NULL;

  easy = mysofa_open (path, (float) sample_rate, &filter_len, &err);
  if (easy == NULL || err != MYSOFA_OK)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s (libmysofa error %d)",
                   path, mysofa_error_text (err), err);
      if (easy != NULL)
        mysofa_close (easy);
      return NULL;
    }
  if (filter_len < 1 || filter_len > MAX_TAPS || easy->hrtf->R != 2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: implausible HRIR set (%d taps, %u receivers)", path, filter_len, easy->hrtf->R);
      mysofa_close (easy);
      return NULL;
    }

  ir_l = g_new (float, (gsize) filter_len * JG_HRTF_N_SPEAKERS);
  ir_r = g_new (float, (gsize) filter_len * JG_HRTF_N_SPEAKERS);
  for (guint s = 0; s < JG_HRTF_N_SPEAKERS; s++)
    {
      float d[3], dl = 0.0f, dr = 0.0f;
      jg_hrtf_speaker_direction (s, d);
      /* SOFA cartesian axes are ambiX's: x front, y left, z up. */
      mysofa_getfilter_float (easy, d[0], d[1], d[2], ir_l + (gsize) s * filter_len,
                              ir_r + (gsize) s * filter_len, &dl, &dr);
      if (!isfinite (dl) || !isfinite (dr) || dl < 0 || dr < 0 || dl > MAX_DELAY_S || dr > MAX_DELAY_S)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: implausible HRIR delays", path);
          mysofa_close (easy);
          return NULL;
        }
      shift[s][0] = (int) lrintf (dl * sample_rate);
      shift[s][1] = (int) lrintf (dr * sample_rate);
      max_shift = MAX (max_shift, MAX (shift[s][0], shift[s][1]));
    }
  mysofa_close (easy);
  for (gsize k = 0; k < (gsize) filter_len * JG_HRTF_N_SPEAKERS; k++)
    if (!isfinite (ir_l[k]) || !isfinite (ir_r[k]) || fabsf (ir_l[k]) > 1e4f || fabsf (ir_r[k]) > 1e4f)
      {
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: HRIR data is not finite", path);
        return NULL;
      }

  hrtf = g_new0 (JgHrtf, 1);
  hrtf->path = g_strdup (path);
  hrtf->sample_rate = sample_rate;
  hrtf->length = (guint) (filter_len + max_shift);
  hrtf->filters = g_new0 (float, 2 * 4 * (gsize) hrtf->length);
  for (guint s = 0; s < JG_HRTF_N_SPEAKERS; s++)
    {
      float d[3];
      /* Decoder row for this speaker in ambiX [W, Y, Z, X]. */
      double row[4];
      jg_hrtf_speaker_direction (s, d);
      row[0] = 1.0 / JG_HRTF_N_SPEAKERS;
      row[1] = g1 * d[1] / JG_HRTF_N_SPEAKERS;
      row[2] = g1 * d[2] / JG_HRTF_N_SPEAKERS;
      row[3] = g1 * d[0] / JG_HRTF_N_SPEAKERS;
      for (guint ear = 0; ear < 2; ear++)
        {
          const float *ir = (ear == 0 ? ir_l : ir_r) + (gsize) s * filter_len;
          for (guint c = 0; c < 4; c++)
            {
              float *f = hrtf->filters + ((gsize) ear * 4 + c) * hrtf->length + shift[s][ear];
              for (int k = 0; k < filter_len; k++)
                f[k] += (float) row[c] * ir[k];
            }
        }
    }
  return g_steal_pointer (&hrtf);
}

void
jg_hrtf_free (JgHrtf *hrtf)
{
  if (hrtf == NULL)
    return;
  g_free (hrtf->path);
  g_free (hrtf->filters);
  g_free (hrtf);
}

const char *jg_hrtf_get_path (const JgHrtf *h) { return h->path; }
guint jg_hrtf_get_sample_rate (const JgHrtf *h) { return h->sample_rate; }
guint jg_hrtf_get_length (const JgHrtf *h) { return h->length; }

const float *
jg_hrtf_get_filter (const JgHrtf *h, guint ear, guint ch)
{
  g_return_val_if_fail (ear < 2 && ch < 4, NULL);
  return h->filters + ((gsize) ear * 4 + ch) * h->length;
}
