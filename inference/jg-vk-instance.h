/* jg-vk-instance.h: the Vulkan instance (through volk) and what each
 * physical device can do. Shared by `jaeger devices` and the runtime. */
#pragma once

#include <glib.h>
#include <volk.h>

G_BEGIN_DECLS

#define JG_VK_MAX_HEAPS 16

typedef struct {
  guint32 index;
  char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  VkPhysicalDeviceType type;
  guint32 api_version;
  guint32 vendor_id;
  guint32 device_id;
  guint32 n_heaps;
  VkDeviceSize heap_size[JG_VK_MAX_HEAPS];
  gboolean heap_device_local[JG_VK_MAX_HEAPS];
  guint32 subgroup_size;
  gboolean fp16;                    /* shaderFloat16 */
  gboolean storage_16bit;           /* storageBuffer16BitAccess */
  gboolean coopmat_nv;              /* VK_NV_cooperative_matrix */
  guint64 max_storage_buffer_range;
  guint64 max_memory_allocation_size;
  guint32 max_shared_memory;
  guint32 max_storage_buffers;      /* per shader stage */
  /* VK_NV_shader_sm_builtins (0 without): how many workgroups can be
   * resident at once, which a persistent kernel must know. */
  guint32 sm_count, warps_per_sm;
} JgVkDeviceInfo;

typedef struct _JgVkInstance JgVkInstance;

/* Loads the Vulkan loader at run time; fails with a clear message when
 * there is none (no libvulkan1) or when no driver answers. */
JgVkInstance *jg_vk_instance_new (GError **error);
void          jg_vk_instance_free (JgVkInstance *self);
VkInstance    jg_vk_instance_get_handle (JgVkInstance *self);

/* Devices in the loader's order, with their properties filled in. */
guint                 jg_vk_instance_get_n_devices (JgVkInstance *self);
const JgVkDeviceInfo *jg_vk_instance_get_device_info (JgVkInstance *self, guint index);
VkPhysicalDevice      jg_vk_instance_get_physical_device (JgVkInstance *self, guint index);

/* The device to use: $JAEGER_DEVICE / @requested (>= 0) if set, else the
 * first discrete GPU, else the first integrated one, else device 0. */
int jg_vk_instance_pick_device (JgVkInstance *self, int requested, GError **error);

const char *jg_vk_device_type_name (VkPhysicalDeviceType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgVkInstance, jg_vk_instance_free)

G_END_DECLS
