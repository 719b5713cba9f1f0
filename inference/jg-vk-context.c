#include "inference/jg-vk-context.h"
#include "inference/jg-vk-private.h"
#include "core/jg-env.h"
#include "core/jg-error.h"

#include <gio/gio.h>
#include <string.h>

#define POOL_SETS 1024
#define STAGING_MAX (64u << 20)

typedef struct {
  VkBuffer buffer;
  VkDeviceSize offset;
  VkDeviceSize size;
} Track;

struct _JgVkContext {
  JgVkInstance *instance;
  JgVkDeviceInfo info;
  VkPhysicalDevice physical;
  VkPhysicalDeviceMemoryProperties mem_props;
  VkDevice device;
  VkQueue queue;
  guint32 queue_family;
  guint features;
  guint32 subgroup_size;
  guint32 coopmat_shape[3];     /* M, N, K of the f16 x f16 -> f32 shape in use */
  /* JAEGER_VK_PIPELINE_STATS=1 and VK_KHR_pipeline_executable_properties:
   * each new pipeline's compiler statistics (registers, shared memory...)
   * go to stderr, for tuning the kernels' occupancy. */
  gboolean pipeline_stats;
  VkDeviceSize alignment;
  VkDeviceSize block_size;
  guint64 max_binding;
  guint64 max_alloc;
  int device_type_index;
  int host_type_index;
  gboolean device_mappable;

  GPtrArray *blocks;            /* JgVkBlock */
  JgVkAlloc staging;
  gboolean have_staging;

  VkCommandPool cmd_pool;
  VkCommandBuffer cmd;
  VkCommandBuffer xfer_cmd;
  VkFence fence;
  gboolean recording;

  VkDescriptorSetLayout set_layout;
  guint n_bindings;             /* in set_layout: JG_VK_MAX_BINDINGS or the device's limit */
  VkPipelineLayout pipeline_layout;
  GPtrArray *desc_pools;        /* VkDescriptorPool as pointers */
  guint desc_pool_current;

  GHashTable *pipelines;        /* "name|spec,..." -> VkPipeline */
  GHashTable *modules;          /* name -> VkShaderModule */
  GResource *resource;

  GArray *pending_writes;       /* Track */
  GArray *pending_reads;        /* Track */
  GArray *barriers;             /* VkBufferMemoryBarrier scratch */

  VkQueryPool timestamps;
  double timestamp_period;
  gboolean marked_start, marked_end;
  gboolean last_marked;
  VkQueryPool last_pool;        /* where the last waited-for submission's marks are */
  VkQueryPool saved_timestamps; /* the one-shot pool while a graph is recorded */

  /* While a graph is recorded, cmd and desc_pools are the graph's; the
   * one-shot ones wait here. */
  JgVkGraph *graph;
  VkCommandBuffer saved_cmd;
  GPtrArray *saved_pools;
  guint saved_pool_current;
};

struct _JgVkGraph {
  JgVkContext *ctx;
  VkCommandBuffer cmd;
  GPtrArray *desc_pools;        /* VkDescriptorPool as pointers */
  gboolean ready;
  gboolean marked;
  /* Its own fence and timestamps, so that several graphs can be in flight
   * at once (jg_vk_graph_submit) and each report its own GPU time. */
  VkFence fence;
  VkQueryPool timestamps;
  gboolean in_flight;
};

static gboolean
vk_check (VkResult r, const char *what, GError **error)
{
  if (r == VK_SUCCESS)
    return TRUE;
  g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s failed (VkResult %d)", what, r);
  return FALSE;
}

static gboolean
parse_disable (guint *disabled, GError **error)
{
  static const JgEnvFlag known[] = {
    { "coopmat", JG_VK_FEATURE_COOPMAT }, { "fp16", JG_VK_FEATURE_FP16 }, { "subgroup", JG_VK_FEATURE_SUBGROUP },
    { "attn1pass", JG_VK_FEATURE_ATTN_ONE_PASS }, { "address", JG_VK_FEATURE_DEVICE_ADDRESS },
  };
  return jg_env_flags ("JAEGER_VK_DISABLE", known, G_N_ELEMENTS (known), disabled, error);
}

/* The f16 x f16 + f32 shape our cooperative-matrix shader can use, preferring
 * 16x16x16 (one fragment covers a whole 16x16 tile). */
static gboolean
pick_coopmat_shape (VkPhysicalDevice pd, guint32 shape[3])
{
  guint32 n = 0;
  g_autofree VkCooperativeMatrixPropertiesNV *props = NULL;
  gboolean found = FALSE;

  if (vkGetPhysicalDeviceCooperativeMatrixPropertiesNV == NULL)
    return FALSE;
  vkGetPhysicalDeviceCooperativeMatrixPropertiesNV (pd, &n, NULL);
  if (n == 0)
    return FALSE;
  props = g_new0 (VkCooperativeMatrixPropertiesNV, n);
  for (guint32 i = 0; i < n; i++)
    props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
  vkGetPhysicalDeviceCooperativeMatrixPropertiesNV (pd, &n, props);
  for (guint32 i = 0; i < n; i++)
    {
      const VkCooperativeMatrixPropertiesNV *p = &props[i];
      if (p->AType != VK_COMPONENT_TYPE_FLOAT16_NV || p->BType != VK_COMPONENT_TYPE_FLOAT16_NV
          || p->CType != VK_COMPONENT_TYPE_FLOAT32_NV || p->DType != VK_COMPONENT_TYPE_FLOAT32_NV
          || p->scope != VK_SCOPE_SUBGROUP_NV)
        continue;
      if (p->MSize > 16 || p->NSize > 16 || p->KSize > 16 || 64 % p->MSize || 64 % p->NSize
          || 32 % p->KSize)
        continue;
      if (!found || (p->MSize * p->NSize > shape[0] * shape[1]))
        {
          shape[0] = p->MSize;
          shape[1] = p->NSize;
          shape[2] = p->KSize;
          found = TRUE;
        }
    }
  return found;
}

static int
find_memory_type (const VkPhysicalDeviceMemoryProperties *mp, VkMemoryPropertyFlags want,
                  VkMemoryPropertyFlags prefer, VkMemoryPropertyFlags avoid, guint32 bits)
{
  int best = -1, best_score = -1;

  for (guint32 i = 0; i < mp->memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
      int score = 0;
      if (!(bits & (1u << i)) || (f & want) != want)
        continue;
      if ((f & prefer) == prefer)
        score += 2;
      if (!(f & avoid))
        score += 1;
      if (score > best_score)
        {
          best = (int) i;
          best_score = score;
        }
    }
  return best;
}

int
jg_vk_context_memory_type (JgVkContext *self, gboolean host, guint32 type_bits)
{
  if (host)
    return find_memory_type (&self->mem_props,
                             VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                             VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0, type_bits);
  return find_memory_type (&self->mem_props, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0,
                           VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, type_bits);
}

static gboolean
create_device (JgVkContext *self, guint disabled, GError **error)
{
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coop = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
  };
  VkPhysicalDeviceVulkan12Features v12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features v11 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &v12,
  };
  VkPhysicalDeviceFeatures2 have = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &v11 };
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coop_on = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
  };
  VkPhysicalDeviceVulkan12Features v12_on = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features v11_on = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &v12_on,
  };
  VkPhysicalDeviceFeatures2 on = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &v11_on };
  VkPhysicalDeviceSubgroupProperties sg = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES };
  VkPhysicalDeviceProperties2 props = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg };
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR stats_on = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR,
  };
  const char *exts[3];
  guint32 n_exts = 0, n_fam = 0;
  g_autofree VkQueueFamilyProperties *fams = NULL;
  float prio = 1.0f;
  int family = -1;
  guint features = 0;
  const VkSubgroupFeatureFlags sg_need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;

  if (self->info.api_version < VK_API_VERSION_1_2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s supports Vulkan %u.%u; the engine needs 1.2",
                   self->info.name, VK_API_VERSION_MAJOR (self->info.api_version),
                   VK_API_VERSION_MINOR (self->info.api_version));
      return FALSE;
    }
  if (self->info.coopmat_nv)
    v12.pNext = &coop;
  vkGetPhysicalDeviceFeatures2 (self->physical, &have);
  vkGetPhysicalDeviceProperties2 (self->physical, &props);
  vkGetPhysicalDeviceMemoryProperties (self->physical, &self->mem_props);

  if (v12.shaderFloat16 && v11.storageBuffer16BitAccess)
    features |= JG_VK_FEATURE_FP16;
  if ((sg.supportedOperations & sg_need) == sg_need && (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
      && sg.subgroupSize >= 4)
    features |= JG_VK_FEATURE_SUBGROUP;
  /* The cooperative-matrix shader is written for 16x16x16 fragments and
   * subgroups of 32 (NVIDIA's). */
  if (self->info.coopmat_nv && coop.cooperativeMatrix && v12.vulkanMemoryModel && sg.subgroupSize == 32
      && pick_coopmat_shape (self->physical, self->coopmat_shape) && self->coopmat_shape[0] == 16
      && self->coopmat_shape[1] == 16 && self->coopmat_shape[2] == 16)
    features |= JG_VK_FEATURE_COOPMAT | JG_VK_FEATURE_ATTN_ONE_PASS;
  if (v12.bufferDeviceAddress)
    features |= JG_VK_FEATURE_DEVICE_ADDRESS;
  features &= ~disabled;
  if (!(features & JG_VK_FEATURE_FP16))
    features &= ~JG_VK_FEATURE_COOPMAT;
  if (!(features & JG_VK_FEATURE_COOPMAT))
    features &= ~JG_VK_FEATURE_ATTN_ONE_PASS;
  self->features = features;
  self->subgroup_size = sg.subgroupSize;

  vkGetPhysicalDeviceQueueFamilyProperties (self->physical, &n_fam, NULL);
  fams = g_new0 (VkQueueFamilyProperties, MAX (n_fam, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (self->physical, &n_fam, fams);
  for (guint32 i = 0; i < n_fam && family < 0; i++)
    if (fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      family = (int) i;
  if (family < 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s has no compute queue", self->info.name);
      return FALSE;
    }
  self->queue_family = (guint32) family;
  self->timestamp_period = fams[family].timestampValidBits > 0
                           ? props.properties.limits.timestampPeriod : 0.0;

  if (features & JG_VK_FEATURE_FP16)
    {
      v12_on.shaderFloat16 = VK_TRUE;
      v11_on.storageBuffer16BitAccess = VK_TRUE;
    }
  if (features & JG_VK_FEATURE_DEVICE_ADDRESS)
    v12_on.bufferDeviceAddress = VK_TRUE;
  if (features & JG_VK_FEATURE_COOPMAT)
    {
      v12_on.vulkanMemoryModel = VK_TRUE;
      v12_on.vulkanMemoryModelDeviceScope = v12.vulkanMemoryModelDeviceScope;
      coop_on.cooperativeMatrix = VK_TRUE;
      v12_on.pNext = &coop_on;
      exts[n_exts++] = VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
    }
  if (g_strcmp0 (g_getenv ("JAEGER_VK_PIPELINE_STATS"), "1") == 0)
    {
      guint32 n_ext = 0;
      g_autofree VkExtensionProperties *ext = NULL;
      vkEnumerateDeviceExtensionProperties (self->physical, NULL, &n_ext, NULL);
      ext = g_new0 (VkExtensionProperties, MAX (n_ext, 1));
      vkEnumerateDeviceExtensionProperties (self->physical, NULL, &n_ext, ext);
      for (guint32 i = 0; i < n_ext; i++)
        if (strcmp (ext[i].extensionName, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME) == 0)
          self->pipeline_stats = TRUE;
      if (self->pipeline_stats)
        {
          stats_on.pipelineExecutableInfo = VK_TRUE;
          stats_on.pNext = v11_on.pNext;
          v11_on.pNext = &stats_on;
          exts[n_exts++] = VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME;
        }
      else
        g_printerr ("JAEGER_VK_PIPELINE_STATS: %s lacks VK_KHR_pipeline_executable_properties\n",
                    self->info.name);
    }
  {
    VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = self->queue_family,
      .queueCount = 1,
      .pQueuePriorities = &prio,
    };
    VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .pNext = &on,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
      .enabledExtensionCount = n_exts,
      .ppEnabledExtensionNames = exts,
    };
    if (!vk_check (vkCreateDevice (self->physical, &dci, NULL, &self->device), "vkCreateDevice", error))
      return FALSE;
  }
  volkLoadDevice (self->device);
  vkGetDeviceQueue (self->device, self->queue_family, 0, &self->queue);

  self->alignment = MAX (props.properties.limits.minStorageBufferOffsetAlignment, 64);
  return TRUE;
}

static gboolean
create_objects (JgVkContext *self, GError **error)
{
  VkDescriptorSetLayoutBinding b[JG_VK_MAX_BINDINGS];
  VkPushConstantRange pcr = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = JG_VK_PUSH_BYTES,
  };
  VkCommandPoolCreateInfo cpi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = self->queue_family,
  };
  VkCommandBuffer cmds[2];
  VkCommandBufferAllocateInfo cai = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 2,
  };
  VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  self->n_bindings = MIN (JG_VK_MAX_BINDINGS, MAX (self->info.max_storage_buffers, 10));
  for (guint i = 0; i < self->n_bindings; i++)
    b[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  {
    VkDescriptorSetLayoutCreateInfo li = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = self->n_bindings,
      .pBindings = b,
    };
    if (!vk_check (vkCreateDescriptorSetLayout (self->device, &li, NULL, &self->set_layout),
                   "vkCreateDescriptorSetLayout", error))
      return FALSE;
  }
  {
    VkPipelineLayoutCreateInfo pli = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &self->set_layout,
      .pushConstantRangeCount = 1,
      .pPushConstantRanges = &pcr,
    };
    if (!vk_check (vkCreatePipelineLayout (self->device, &pli, NULL, &self->pipeline_layout),
                   "vkCreatePipelineLayout", error))
      return FALSE;
  }
  if (!vk_check (vkCreateCommandPool (self->device, &cpi, NULL, &self->cmd_pool),
                 "vkCreateCommandPool", error))
    return FALSE;
  cai.commandPool = self->cmd_pool;
  if (!vk_check (vkAllocateCommandBuffers (self->device, &cai, cmds), "vkAllocateCommandBuffers", error))
    return FALSE;
  self->cmd = cmds[0];
  self->xfer_cmd = cmds[1];
  if (!vk_check (vkCreateFence (self->device, &fci, NULL, &self->fence), "vkCreateFence", error))
    return FALSE;
  if (self->timestamp_period > 0)
    {
      VkQueryPoolCreateInfo qpi = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = 2,
      };
      if (!vk_check (vkCreateQueryPool (self->device, &qpi, NULL, &self->timestamps),
                     "vkCreateQueryPool", error))
        return FALSE;
    }
  return TRUE;
}

JgVkContext *
jg_vk_context_new (const JgVkContextOptions *options, GError **error)
{
  g_autoptr(JgVkContext) self = g_new0 (JgVkContext, 1);
  JgVkContextOptions defaults = { .device = -1 };
  guint disabled = 0;
  int index;

  if (options == NULL)
    options = &defaults;
  self->blocks = g_ptr_array_new ();
  self->desc_pools = g_ptr_array_new ();
  self->pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending_writes = g_array_new (FALSE, FALSE, sizeof (Track));
  self->pending_reads = g_array_new (FALSE, FALSE, sizeof (Track));
  self->barriers = g_array_new (FALSE, FALSE, sizeof (VkBufferMemoryBarrier));
  self->resource = g_resource_ref (jg_compute_get_resource ());

  if (!parse_disable (&disabled, error))
    return NULL;
  self->instance = jg_vk_instance_new (error);
  if (self->instance == NULL)
    return NULL;
  index = jg_vk_instance_pick_device (self->instance, options->device, error);
  if (index < 0)
    return NULL;
  self->info = *jg_vk_instance_get_device_info (self->instance, (guint) index);
  self->physical = jg_vk_instance_get_physical_device (self->instance, (guint) index);
  if (!create_device (self, disabled, error) || !create_objects (self, error))
    return NULL;

  self->max_alloc = self->info.max_memory_allocation_size ? self->info.max_memory_allocation_size
                                                          : G_MAXUINT32;
  self->max_binding = MIN (self->info.max_storage_buffer_range, self->max_alloc);
  if (options->max_binding_range > 0)
    self->max_binding = MIN (self->max_binding, options->max_binding_range);
  self->block_size = options->block_size > 0 ? options->block_size : (256u << 20);
  self->block_size = MIN (self->block_size, self->max_alloc);
  self->device_type_index = jg_vk_context_memory_type (self, FALSE, G_MAXUINT32);
  self->host_type_index = jg_vk_context_memory_type (self, TRUE, G_MAXUINT32);
  if (self->device_type_index < 0 || self->host_type_index < 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s has no usable memory type", self->info.name);
      return NULL;
    }
  self->device_mappable = (self->mem_props.memoryTypes[self->device_type_index].propertyFlags
                           & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
  return g_steal_pointer (&self);
}

void
jg_vk_context_free (JgVkContext *self)
{
  GHashTableIter it;
  gpointer value;

  if (self == NULL)
    return;
  if (self->device != VK_NULL_HANDLE)
    {
      vkDeviceWaitIdle (self->device);
      g_hash_table_iter_init (&it, self->pipelines);
      while (g_hash_table_iter_next (&it, NULL, &value))
        vkDestroyPipeline (self->device, (VkPipeline) value, NULL);
      g_hash_table_iter_init (&it, self->modules);
      while (g_hash_table_iter_next (&it, NULL, &value))
        vkDestroyShaderModule (self->device, (VkShaderModule) value, NULL);
      for (guint i = 0; i < self->desc_pools->len; i++)
        vkDestroyDescriptorPool (self->device, (VkDescriptorPool) g_ptr_array_index (self->desc_pools, i), NULL);
      if (self->have_staging)
        jg_vk_free (self, &self->staging);
      jg_vk_memory_clear (self);
      if (self->timestamps)
        vkDestroyQueryPool (self->device, self->timestamps, NULL);
      if (self->fence)
        vkDestroyFence (self->device, self->fence, NULL);
      if (self->cmd_pool)
        vkDestroyCommandPool (self->device, self->cmd_pool, NULL);
      if (self->pipeline_layout)
        vkDestroyPipelineLayout (self->device, self->pipeline_layout, NULL);
      if (self->set_layout)
        vkDestroyDescriptorSetLayout (self->device, self->set_layout, NULL);
      vkDestroyDevice (self->device, NULL);
    }
  g_clear_pointer (&self->pipelines, g_hash_table_unref);
  g_clear_pointer (&self->modules, g_hash_table_unref);
  g_clear_pointer (&self->resource, g_resource_unref);
  g_ptr_array_unref (self->blocks);
  g_ptr_array_unref (self->desc_pools);
  g_array_unref (self->pending_writes);
  g_array_unref (self->pending_reads);
  g_array_unref (self->barriers);
  g_clear_pointer (&self->instance, jg_vk_instance_free);
  g_free (self);
}

const JgVkDeviceInfo *
jg_vk_context_get_info (JgVkContext *self)
{
  return &self->info;
}

guint
jg_vk_context_get_features (JgVkContext *self)
{
  return self->features;
}

guint32
jg_vk_context_get_subgroup_size (JgVkContext *self)
{
  return self->subgroup_size;
}

guint64
jg_vk_context_get_max_binding (JgVkContext *self)
{
  return self->max_binding;
}

guint64
jg_vk_context_get_allocated (JgVkContext *self, gboolean host, guint *n_blocks)
{
  guint64 total = 0;
  guint n = 0;

  for (guint i = 0; i < self->blocks->len; i++)
    {
      JgVkBlock *b = g_ptr_array_index (self->blocks, i);
      if (b->host != host)
        continue;
      total += b->size;
      n++;
    }
  if (n_blocks)
    *n_blocks = n;
  return total;
}

const guint32 *
jg_vk_context_get_coopmat_shape (JgVkContext *self)
{
  return self->coopmat_shape;
}

VkDevice
jg_vk_context_get_device (JgVkContext *self)
{
  return self->device;
}

VkDeviceSize
jg_vk_context_get_alignment (JgVkContext *self)
{
  return self->alignment;
}

VkDeviceSize
jg_vk_context_get_block_size (JgVkContext *self)
{
  return self->block_size;
}

GPtrArray *
jg_vk_context_get_blocks (JgVkContext *self)
{
  return self->blocks;
}

gboolean
jg_vk_context_type_is_mappable (JgVkContext *self, int type_index)
{
  return (self->mem_props.memoryTypes[type_index].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
}

guint
jg_vk_context_get_n_bindings (JgVkContext *self)
{
  return self->n_bindings;
}

guint64
jg_vk_context_get_max_alloc (JgVkContext *self)
{
  return self->max_alloc;
}

/* ---- one-off transfers ---- */

static gboolean
run_xfer (JgVkContext *self, GError **error)
{
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &self->xfer_cmd,
  };
  if (!vk_check (vkEndCommandBuffer (self->xfer_cmd), "vkEndCommandBuffer", error)
      || !vk_check (vkQueueSubmit (self->queue, 1, &si, self->fence), "vkQueueSubmit", error)
      || !vk_check (vkWaitForFences (self->device, 1, &self->fence, VK_TRUE, G_MAXUINT64),
                    "vkWaitForFences", error))
    return FALSE;
  vkResetFences (self->device, 1, &self->fence);
  vkResetCommandBuffer (self->xfer_cmd, 0);
  return TRUE;
}

gboolean
jg_vk_copy_now (JgVkContext *self, VkBuffer src, VkDeviceSize src_off, VkBuffer dst,
                VkDeviceSize dst_off, VkDeviceSize size, GError **error)
{
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkBufferCopy region = { .srcOffset = src_off, .dstOffset = dst_off, .size = size };

  vkBeginCommandBuffer (self->xfer_cmd, &bi);
  vkCmdCopyBuffer (self->xfer_cmd, src, dst, 1, &region);
  return run_xfer (self, error);
}

gboolean
jg_vk_staging (JgVkContext *self, VkDeviceSize size, JgVkAlloc **out, GError **error)
{
  size = MIN (size, (VkDeviceSize) STAGING_MAX);
  if (self->have_staging && self->staging.size < size)
    {
      jg_vk_free (self, &self->staging);
      self->have_staging = FALSE;
    }
  if (!self->have_staging)
    {
      if (!jg_vk_alloc (self, size, TRUE, &self->staging, error))
        return FALSE;
      self->have_staging = TRUE;
    }
  *out = &self->staging;
  return TRUE;
}

/* ---- pipelines ---- */

static VkShaderModule
get_module (JgVkContext *self, const char *name, GError **error)
{
  VkShaderModule module = g_hash_table_lookup (self->modules, name);
  g_autofree char *path = NULL;
  g_autoptr(GBytes) code = NULL;
  gsize size = 0;
  const guint32 *words;

  if (module != VK_NULL_HANDLE)
    return module;
  path = g_strdup_printf ("/io/github/jaegerstudio/compute/%s.spv", name);
  code = g_resource_lookup_data (self->resource, path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (code == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "no compute shader '%s' in this build", name);
      return VK_NULL_HANDLE;
    }
  words = g_bytes_get_data (code, &size);
  {
    VkShaderModuleCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
      .codeSize = size,
      .pCode = words,
    };
    if (!vk_check (vkCreateShaderModule (self->device, &ci, NULL, &module), "vkCreateShaderModule", error))
      return VK_NULL_HANDLE;
  }
  g_hash_table_insert (self->modules, g_strdup (name), module);
  return module;
}

/* The driver's statistics of each executable of a new pipeline, one line. */
static void
print_pipeline_stats (JgVkContext *self, const char *key, VkPipeline pipeline)
{
  VkPipelineInfoKHR pi = { .sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR, .pipeline = pipeline };
  VkPipelineExecutablePropertiesKHR props[4];
  guint32 n_exec = G_N_ELEMENTS (props);

  for (guint32 i = 0; i < n_exec; i++)
    props[i] = (VkPipelineExecutablePropertiesKHR) { .sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR };
  if (vkGetPipelineExecutablePropertiesKHR (self->device, &pi, &n_exec, props) < 0)
    return;
  for (guint32 e = 0; e < n_exec; e++)
    {
      VkPipelineExecutableInfoKHR ei = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR, .pipeline = pipeline, .executableIndex = e,
      };
      VkPipelineExecutableStatisticKHR st[32];
      guint32 n_st = G_N_ELEMENTS (st);
      g_autoptr(GString) line = g_string_new (NULL);
      for (guint32 i = 0; i < n_st; i++)
        st[i] = (VkPipelineExecutableStatisticKHR) { .sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR };
      if (vkGetPipelineExecutableStatisticsKHR (self->device, &ei, &n_st, st) < 0)
        continue;
      g_string_printf (line, "pipeline-stats %s [%s, subgroup %u]:", key, props[e].name, props[e].subgroupSize);
      for (guint32 i = 0; i < n_st; i++)
        switch (st[i].format)
          {
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR:
            g_string_append_printf (line, " %s=%u;", st[i].name, st[i].value.b32);
            break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR:
            g_string_append_printf (line, " %s=%" G_GINT64_FORMAT ";", st[i].name, (gint64) st[i].value.i64);
            break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR:
            g_string_append_printf (line, " %s=%" G_GUINT64_FORMAT ";", st[i].name, (guint64) st[i].value.u64);
            break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR:
          default:
            g_string_append_printf (line, " %s=%g;", st[i].name, st[i].value.f64);
            break;
          }
      g_printerr ("%s\n", line->str);
    }
}

static VkPipeline
get_pipeline (JgVkContext *self, const char *name, const guint32 *spec, guint n_spec, GError **error)
{
  char key[160];
  gsize len;
  VkPipeline pipeline;
  VkShaderModule module;
  VkSpecializationMapEntry entries[16];

  g_return_val_if_fail (n_spec <= G_N_ELEMENTS (entries), VK_NULL_HANDLE);
  len = g_strlcpy (key, name, sizeof key);
  for (guint i = 0; i < n_spec && len < sizeof key; i++)
    len += g_snprintf (key + len, sizeof key - len, "|%u", spec[i]);
  pipeline = g_hash_table_lookup (self->pipelines, key);
  if (pipeline != VK_NULL_HANDLE)
    return pipeline;

  module = get_module (self, name, error);
  if (module == VK_NULL_HANDLE)
    return VK_NULL_HANDLE;
  for (guint i = 0; i < n_spec; i++)
    entries[i] = (VkSpecializationMapEntry) {
      .constantID = i, .offset = i * sizeof (guint32), .size = sizeof (guint32),
    };
  {
    VkSpecializationInfo si = {
      .mapEntryCount = n_spec,
      .pMapEntries = entries,
      .dataSize = n_spec * sizeof (guint32),
      .pData = spec,
    };
    VkComputePipelineCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_COMPUTE_BIT,
        .module = module,
        .pName = "main",
        .pSpecializationInfo = n_spec > 0 ? &si : NULL,
      },
      .layout = self->pipeline_layout,
    };
    if (self->pipeline_stats)
      ci.flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
    if (!vk_check (vkCreateComputePipelines (self->device, VK_NULL_HANDLE, 1, &ci, NULL, &pipeline),
                   "vkCreateComputePipelines", error))
      {
        g_prefix_error (error, "shader %s: ", name);
        return VK_NULL_HANDLE;
      }
  }
  if (self->pipeline_stats)
    print_pipeline_stats (self, key, pipeline);
  g_hash_table_insert (self->pipelines, g_strdup (key), pipeline);
  return pipeline;
}

guint
jg_vk_context_get_n_pipelines (JgVkContext *self)
{
  return g_hash_table_size (self->pipelines);
}

/* ---- recording ---- */

void
jg_vk_begin (JgVkContext *self)
{
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };

  g_return_if_fail (!self->recording);
  vkBeginCommandBuffer (self->cmd, &bi);
  if (self->timestamps)
    vkCmdResetQueryPool (self->cmd, self->timestamps, 0, 2);
  self->recording = TRUE;
  self->marked_start = self->marked_end = FALSE;
  g_array_set_size (self->pending_writes, 0);
  g_array_set_size (self->pending_reads, 0);
}

gboolean
jg_vk_is_recording (JgVkContext *self)
{
  return self->recording;
}

gboolean
jg_vk_submit (JgVkContext *self, GError **error)
{
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &self->cmd,
  };
  gboolean ok;

  g_return_val_if_fail (self->recording && self->graph == NULL, FALSE);
  self->recording = FALSE;
  ok = vk_check (vkEndCommandBuffer (self->cmd), "vkEndCommandBuffer", error)
       && vk_check (vkQueueSubmit (self->queue, 1, &si, self->fence), "vkQueueSubmit", error)
       && vk_check (vkWaitForFences (self->device, 1, &self->fence, VK_TRUE, G_MAXUINT64),
                    "vkWaitForFences", error);
  vkResetFences (self->device, 1, &self->fence);
  vkResetCommandBuffer (self->cmd, 0);
  for (guint i = 0; i <= self->desc_pool_current && i < self->desc_pools->len; i++)
    vkResetDescriptorPool (self->device, (VkDescriptorPool) g_ptr_array_index (self->desc_pools, i), 0);
  self->desc_pool_current = 0;
  self->last_marked = self->marked_start && self->marked_end;
  self->last_pool = self->timestamps;
  return ok;
}

void
jg_vk_mark_start (JgVkContext *self)
{
  g_return_if_fail (self->recording);
  if (self->timestamps == VK_NULL_HANDLE)
    return;
  vkCmdWriteTimestamp (self->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->timestamps, 0);
  self->marked_start = TRUE;
}

void
jg_vk_mark_end (JgVkContext *self)
{
  g_return_if_fail (self->recording);
  if (self->timestamps == VK_NULL_HANDLE)
    return;
  vkCmdWriteTimestamp (self->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->timestamps, 1);
  self->marked_end = TRUE;
}

double
jg_vk_marked_ns (JgVkContext *self)
{
  guint64 t[2];

  if (!self->last_marked)
    return 0;
  if (vkGetQueryPoolResults (self->device, self->last_pool, 0, 2, sizeof t, t, sizeof t[0],
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) != VK_SUCCESS)
    return 0;
  return (double) (t[1] - t[0]) * self->timestamp_period;
}

static VkDescriptorSet
alloc_set (JgVkContext *self, GError **error)
{
  for (;;)
    {
      VkDescriptorPool pool;
      VkDescriptorSet set;
      VkResult r;

      if (self->desc_pool_current >= self->desc_pools->len)
        {
          VkDescriptorPoolSize ps = {
            .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = POOL_SETS * JG_VK_MAX_BINDINGS,
          };
          VkDescriptorPoolCreateInfo pci = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
            .maxSets = POOL_SETS,
            .poolSizeCount = 1,
            .pPoolSizes = &ps,
          };
          if (!vk_check (vkCreateDescriptorPool (self->device, &pci, NULL, &pool),
                         "vkCreateDescriptorPool", error))
            return VK_NULL_HANDLE;
          g_ptr_array_add (self->desc_pools, pool);
        }
      pool = g_ptr_array_index (self->desc_pools, self->desc_pool_current);
      {
        VkDescriptorSetAllocateInfo ai = {
          .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
          .descriptorPool = pool,
          .descriptorSetCount = 1,
          .pSetLayouts = &self->set_layout,
        };
        r = vkAllocateDescriptorSets (self->device, &ai, &set);
      }
      if (r == VK_SUCCESS)
        return set;
      if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
        {
          vk_check (r, "vkAllocateDescriptorSets", error);
          return VK_NULL_HANDLE;
        }
      self->desc_pool_current++;
    }
}

static gboolean
overlaps (const GArray *tracks, const Track *t)
{
  for (guint i = 0; i < tracks->len; i++)
    {
      const Track *o = &g_array_index (tracks, Track, i);
      if (o->buffer == t->buffer && o->offset < t->offset + t->size && t->offset < o->offset + o->size)
        return TRUE;
    }
  return FALSE;
}

/* A barrier only when this dispatch reads or writes what an earlier dispatch
 * since the last barrier wrote (or writes what one read); it names just the
 * written ranges, so independent dispatches overlap. */
static void
maybe_barrier (JgVkContext *self, const JgVkDispatch *d)
{
  gboolean hazard = FALSE;

  for (guint i = 0; i < d->n_bind && !hazard; i++)
    {
      const JgTensor *t = d->bind[i];
      Track tr = { t->alloc.block->buffer, t->alloc.offset + t->view_offset, t->nbytes };
      if (overlaps (self->pending_writes, &tr))
        hazard = TRUE;
      else if ((d->write_mask & (1u << i)) && overlaps (self->pending_reads, &tr))
        hazard = TRUE;
    }
  if (hazard)
    {
      g_array_set_size (self->barriers, 0);
      for (guint i = 0; i < self->pending_writes->len; i++)
        {
          const Track *w = &g_array_index (self->pending_writes, Track, i);
          VkBufferMemoryBarrier b = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
            .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
            .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
            .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
            .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
            .buffer = w->buffer,
            .offset = w->offset,
            .size = w->size,
          };
          g_array_append_val (self->barriers, b);
        }
      vkCmdPipelineBarrier (self->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, NULL,
                            self->barriers->len, (const VkBufferMemoryBarrier *) self->barriers->data,
                            0, NULL);
      g_array_set_size (self->pending_writes, 0);
      g_array_set_size (self->pending_reads, 0);
    }
  for (guint i = 0; i < d->n_bind; i++)
    {
      const JgTensor *t = d->bind[i];
      Track tr = { t->alloc.block->buffer, t->alloc.offset + t->view_offset, t->nbytes };
      g_array_append_val ((d->write_mask & (1u << i)) ? self->pending_writes : self->pending_reads, tr);
    }
}

gboolean
jg_vk_dispatch (JgVkContext *self, const JgVkDispatch *d, GError **error)
{
  VkPipeline pipeline;
  VkDescriptorSet set;
  VkDescriptorBufferInfo infos[JG_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[JG_VK_MAX_BINDINGS];
  guint8 push[JG_VK_PUSH_BYTES] = { 0 };
  gboolean auto_submit = FALSE;

  g_return_val_if_fail (d->push_size <= JG_VK_PUSH_BYTES, FALSE);
  if (d->n_bind > self->n_bindings)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "shader %s binds %u buffers; %s allows %u", d->shader,
                   d->n_bind, self->info.name, self->n_bindings);
      return FALSE;
    }
  pipeline = get_pipeline (self, d->shader, d->spec, d->n_spec, error);
  if (pipeline == VK_NULL_HANDLE)
    return FALSE;
  if (d->groups[0] == 0 || d->groups[1] == 0 || d->groups[2] == 0)
    return TRUE;
  if (!self->recording)
    {
      jg_vk_begin (self);
      auto_submit = TRUE;
    }
  set = alloc_set (self, error);
  if (set == VK_NULL_HANDLE)
    {
      if (auto_submit)
        jg_vk_submit (self, NULL);
      return FALSE;
    }
  for (guint i = 0; i < d->n_bind; i++)
    {
      const JgTensor *t = d->bind[i];
      infos[i] = (VkDescriptorBufferInfo) {
        .buffer = t->alloc.block->buffer,
        .offset = t->alloc.offset + t->view_offset,
        .range = MAX (t->nbytes, 4),
      };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[i],
      };
    }
  vkUpdateDescriptorSets (self->device, d->n_bind, writes, 0, NULL);
  maybe_barrier (self, d);
  if (d->push_size > 0)
    memcpy (push, d->push, d->push_size);
  vkCmdBindPipeline (self->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets (self->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, self->pipeline_layout, 0, 1,
                           &set, 0, NULL);
  vkCmdPushConstants (self->cmd, self->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                      JG_VK_PUSH_BYTES, push);
  vkCmdDispatch (self->cmd, d->groups[0], d->groups[1], d->groups[2]);
  if (auto_submit)
    return jg_vk_submit (self, error);
  return TRUE;
}

/* ---- graphs: recorded once, replayed ---- */

JgVkGraph *
jg_vk_graph_new (JgVkContext *self, GError **error)
{
  g_autofree JgVkGraph *graph = g_new0 (JgVkGraph, 1);
  VkCommandBufferAllocateInfo cai = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = self->cmd_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };

  VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkQueryPoolCreateInfo qpi = {
    .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
    .queryType = VK_QUERY_TYPE_TIMESTAMP,
    .queryCount = 2,
  };

  if (!vk_check (vkAllocateCommandBuffers (self->device, &cai, &graph->cmd), "vkAllocateCommandBuffers",
                 error))
    return NULL;
  graph->ctx = self;
  graph->desc_pools = g_ptr_array_new ();
  if (!vk_check (vkCreateFence (self->device, &fci, NULL, &graph->fence), "vkCreateFence", error)
      || (self->timestamps != VK_NULL_HANDLE
          && !vk_check (vkCreateQueryPool (self->device, &qpi, NULL, &graph->timestamps), "vkCreateQueryPool",
                        error)))
    {
      jg_vk_graph_free (g_steal_pointer (&graph));
      return NULL;
    }
  return g_steal_pointer (&graph);
}

void
jg_vk_graph_free (JgVkGraph *graph)
{
  JgVkContext *self;

  if (graph == NULL)
    return;
  self = graph->ctx;
  g_return_if_fail (self->graph != graph);
  if (graph->in_flight)
    vkWaitForFences (self->device, 1, &graph->fence, VK_TRUE, G_MAXUINT64);
  if (self->last_pool == graph->timestamps)
    self->last_pool = self->timestamps;
  if (graph->fence)
    vkDestroyFence (self->device, graph->fence, NULL);
  if (graph->timestamps)
    vkDestroyQueryPool (self->device, graph->timestamps, NULL);
  vkFreeCommandBuffers (self->device, self->cmd_pool, 1, &graph->cmd);
  for (guint i = 0; i < graph->desc_pools->len; i++)
    vkDestroyDescriptorPool (self->device, (VkDescriptorPool) g_ptr_array_index (graph->desc_pools, i), NULL);
  g_ptr_array_unref (graph->desc_pools);
  g_free (graph);
}

gboolean
jg_vk_graph_is_ready (JgVkGraph *graph)
{
  return graph->ready;
}

void
jg_vk_graph_begin (JgVkContext *self, JgVkGraph *graph)
{
  VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  /* Whatever earlier submissions wrote (the KV cache, the last token) is
   * read by this one. */
  VkMemoryBarrier all = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };

  g_return_if_fail (!self->recording && graph->ctx == self);
  if (graph->in_flight)
    jg_vk_graph_wait (self, graph, NULL);
  graph->ready = FALSE;
  vkResetCommandBuffer (graph->cmd, 0);
  for (guint i = 0; i < graph->desc_pools->len; i++)
    vkResetDescriptorPool (self->device, (VkDescriptorPool) g_ptr_array_index (graph->desc_pools, i), 0);
  self->graph = graph;
  self->saved_cmd = self->cmd;
  self->saved_pools = self->desc_pools;
  self->saved_pool_current = self->desc_pool_current;
  self->cmd = graph->cmd;
  self->desc_pools = graph->desc_pools;
  self->desc_pool_current = 0;
  self->saved_timestamps = self->timestamps;
  self->timestamps = graph->timestamps;
  vkBeginCommandBuffer (self->cmd, &bi);
  vkCmdPipelineBarrier (self->cmd,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT
                        | VK_PIPELINE_STAGE_HOST_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &all, 0, NULL, 0, NULL);
  if (self->timestamps)
    vkCmdResetQueryPool (self->cmd, self->timestamps, 0, 2);
  self->recording = TRUE;
  self->marked_start = self->marked_end = FALSE;
  g_array_set_size (self->pending_writes, 0);
  g_array_set_size (self->pending_reads, 0);
}

gboolean
jg_vk_graph_end (JgVkContext *self, GError **error)
{
  JgVkGraph *graph = self->graph;
  gboolean ok;

  g_return_val_if_fail (graph != NULL && self->recording, FALSE);
  ok = vk_check (vkEndCommandBuffer (self->cmd), "vkEndCommandBuffer", error);
  graph->marked = self->marked_start && self->marked_end;
  graph->ready = ok;
  self->cmd = self->saved_cmd;
  self->desc_pools = self->saved_pools;
  self->desc_pool_current = self->saved_pool_current;
  self->timestamps = self->saved_timestamps;
  self->graph = NULL;
  self->recording = FALSE;
  return ok;
}

gboolean
jg_vk_graph_submit (JgVkContext *self, JgVkGraph *graph, GError **error)
{
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &graph->cmd,
  };

  g_return_val_if_fail (!self->recording && graph->ready && !graph->in_flight, FALSE);
  if (!vk_check (vkQueueSubmit (self->queue, 1, &si, graph->fence), "vkQueueSubmit", error))
    return FALSE;
  graph->in_flight = TRUE;
  return TRUE;
}

gboolean
jg_vk_graph_wait (JgVkContext *self, JgVkGraph *graph, GError **error)
{
  gboolean ok;

  if (!graph->in_flight)
    return TRUE;
  ok = vk_check (vkWaitForFences (self->device, 1, &graph->fence, VK_TRUE, G_MAXUINT64), "vkWaitForFences",
                 error);
  vkResetFences (self->device, 1, &graph->fence);
  graph->in_flight = FALSE;
  self->last_marked = graph->marked;
  self->last_pool = graph->timestamps;
  return ok;
}

gboolean
jg_vk_graph_run (JgVkContext *self, JgVkGraph *graph, GError **error)
{
  return jg_vk_graph_submit (self, graph, error) && jg_vk_graph_wait (self, graph, error);
}
