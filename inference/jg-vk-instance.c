#include "inference/jg-vk-instance.h"
#include "core/jg-error.h"

#include <stdlib.h>
#include <string.h>

struct _JgVkInstance {
  VkInstance instance;
  guint n_devices;
  VkPhysicalDevice *devices;
  JgVkDeviceInfo *info;
};

static gboolean volk_ready;

static gboolean
has_extension (const VkExtensionProperties *exts, guint32 n, const char *name)
{
  for (guint32 i = 0; i < n; i++)
    if (strcmp (exts[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

static void
query_device (VkPhysicalDevice pd, guint index, JgVkDeviceInfo *info)
{
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &subgroup,
  };
  VkPhysicalDeviceMaintenance3Properties maint3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
  };
  VkPhysicalDeviceShaderFloat16Int8Features f16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
  };
  VkPhysicalDevice16BitStorageFeatures s16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .pNext = &f16,
  };
  VkPhysicalDeviceFeatures2 feats = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
    .pNext = &s16,
  };
  VkPhysicalDeviceShaderSMBuiltinsPropertiesNV sm = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV,
  };
  VkPhysicalDeviceMemoryProperties mem;
  guint32 n_ext = 0;
  g_autofree VkExtensionProperties *exts = NULL;
  gboolean sm_builtins;

  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_ext, NULL);
  exts = g_new0 (VkExtensionProperties, MAX (n_ext, 1));
  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_ext, exts);
  sm_builtins = has_extension (exts, n_ext, "VK_NV_shader_sm_builtins");
  subgroup.pNext = &maint3;
  if (sm_builtins)
    maint3.pNext = &sm;
  vkGetPhysicalDeviceProperties2 (pd, &props);
  vkGetPhysicalDeviceFeatures2 (pd, &feats);
  vkGetPhysicalDeviceMemoryProperties (pd, &mem);

  memset (info, 0, sizeof *info);
  info->index = index;
  g_strlcpy (info->name, props.properties.deviceName, sizeof info->name);
  info->type = props.properties.deviceType;
  info->api_version = props.properties.apiVersion;
  info->vendor_id = props.properties.vendorID;
  info->device_id = props.properties.deviceID;
  info->n_heaps = MIN (mem.memoryHeapCount, JG_VK_MAX_HEAPS);
  for (guint32 h = 0; h < info->n_heaps; h++)
    {
      info->heap_size[h] = mem.memoryHeaps[h].size;
      info->heap_device_local[h] = (mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    }
  info->subgroup_size = subgroup.subgroupSize;
  info->fp16 = f16.shaderFloat16;
  info->storage_16bit = s16.storageBuffer16BitAccess;
  info->coopmat_nv = has_extension (exts, n_ext, "VK_NV_cooperative_matrix");
  info->max_storage_buffer_range = props.properties.limits.maxStorageBufferRange;
  info->max_memory_allocation_size = maint3.maxMemoryAllocationSize;
  info->max_shared_memory = props.properties.limits.maxComputeSharedMemorySize;
  info->max_storage_buffers = props.properties.limits.maxPerStageDescriptorStorageBuffers;
  info->sm_count = sm_builtins ? sm.shaderSMCount : 0;
  info->warps_per_sm = sm_builtins ? sm.shaderWarpsPerSM : 0;
}

JgVkInstance *
jg_vk_instance_new (GError **error)
{
  g_autoptr(JgVkInstance) self = NULL;
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "jaeger",
    .apiVersion = VK_API_VERSION_1_2,
  };
  VkInstanceCreateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkResult r;
  guint32 n = 0;

  if (!volk_ready)
    {
      if (volkInitialize () != VK_SUCCESS)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_DEVICE,
                       "no Vulkan loader found (install libvulkan1 and a driver, e.g. mesa-vulkan-drivers)");
          return NULL;
        }
      volk_ready = TRUE;
    }
  if (volkGetInstanceVersion () < VK_API_VERSION_1_2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "the Vulkan loader is older than 1.2");
      return NULL;
    }

  self = g_new0 (JgVkInstance, 1);
  r = vkCreateInstance (&ci, NULL, &self->instance);
  if (r != VK_SUCCESS)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE,
                   "vkCreateInstance failed (VkResult %d): no usable Vulkan driver", r);
      return NULL;
    }
  volkLoadInstanceOnly (self->instance);

  vkEnumeratePhysicalDevices (self->instance, &n, NULL);
  self->devices = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (self->instance, &n, self->devices);
  self->n_devices = n;
  self->info = g_new0 (JgVkDeviceInfo, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    query_device (self->devices[i], i, &self->info[i]);

  return g_steal_pointer (&self);
}

void
jg_vk_instance_free (JgVkInstance *self)
{
  if (self == NULL)
    return;
  if (self->instance != VK_NULL_HANDLE)
    vkDestroyInstance (self->instance, NULL);
  g_free (self->devices);
  g_free (self->info);
  g_free (self);
}

VkInstance
jg_vk_instance_get_handle (JgVkInstance *self)
{
  return self->instance;
}

guint
jg_vk_instance_get_n_devices (JgVkInstance *self)
{
  return self->n_devices;
}

const JgVkDeviceInfo *
jg_vk_instance_get_device_info (JgVkInstance *self, guint index)
{
  g_return_val_if_fail (index < self->n_devices, NULL);
  return &self->info[index];
}

VkPhysicalDevice
jg_vk_instance_get_physical_device (JgVkInstance *self, guint index)
{
  g_return_val_if_fail (index < self->n_devices, VK_NULL_HANDLE);
  return self->devices[index];
}

int
jg_vk_instance_pick_device (JgVkInstance *self, int requested, GError **error)
{
  const char *env = g_getenv ("JAEGER_DEVICE");
  static const VkPhysicalDeviceType order[] = {
    VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
    VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
    VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU,
  };

  if (self->n_devices == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "no Vulkan device found");
      return -1;
    }
  if (requested < 0 && env != NULL && *env != '\0')
    {
      char *end = NULL;
      gint64 v = g_ascii_strtoll (env, &end, 10);
      if (end == env || *end != '\0' || v < 0)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_DEVICE,
                       "JAEGER_DEVICE=%s is not a device index", env);
          return -1;
        }
      requested = (int) MIN (v, G_MAXINT);
    }
  if (requested >= 0)
    {
      if ((guint) requested >= self->n_devices)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_DEVICE,
                       "device %d does not exist (%u found; see `jaeger devices`)",
                       requested, self->n_devices);
          return -1;
        }
      return requested;
    }
  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < self->n_devices; i++)
      if (self->info[i].type == order[k])
        return (int) i;
  return 0;
}

const char *
jg_vk_device_type_name (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    default: return "other";
    }
}
