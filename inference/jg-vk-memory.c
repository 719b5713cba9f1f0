/* Device memory: a few large blocks (VkDeviceMemory + one VkBuffer each),
 * carved into tensors first-fit. No tensor is larger than the device can
 * bind in one descriptor (maxStorageBufferRange) and no block larger than
 * one allocation may be (maxMemoryAllocationSize). */
#include "inference/jg-vk-private.h"
#include "core/jg-error.h"

static VkDeviceSize
round_up (VkDeviceSize v, VkDeviceSize a)
{
  return (v + a - 1) / a * a;
}

static void
block_free (JgVkContext *ctx, JgVkBlock *b)
{
  VkDevice dev = jg_vk_context_get_device (ctx);

  if (b->mapped)
    vkUnmapMemory (dev, b->memory);
  vkDestroyBuffer (dev, b->buffer, NULL);
  vkFreeMemory (dev, b->memory, NULL);
  g_array_unref (b->free_ranges);
  g_free (b);
}

static JgVkBlock *
block_new (JgVkContext *ctx, VkDeviceSize size, gboolean host, GError **error)
{
  VkDevice dev = jg_vk_context_get_device (ctx);
  JgVkBlock *b = g_new0 (JgVkBlock, 1);
  VkMemoryRequirements req;
  VkResult r;
  int type;
  JgVkRange all = { 0, size };
  VkBufferCreateInfo bci = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT
             | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  gboolean address = (jg_vk_context_get_features (ctx) & JG_VK_FEATURE_DEVICE_ADDRESS) != 0;
  VkMemoryAllocateFlagsInfo flags = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO, .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
  };

  if (address)
    bci.usage |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  b->free_ranges = g_array_new (FALSE, FALSE, sizeof (JgVkRange));
  b->size = size;
  b->host = host;
  r = vkCreateBuffer (dev, &bci, NULL, &b->buffer);
  if (r != VK_SUCCESS)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "vkCreateBuffer of %" G_GUINT64_FORMAT
                   " bytes failed (VkResult %d)", (guint64) size, r);
      g_array_unref (b->free_ranges);
      g_free (b);
      return NULL;
    }
  vkGetBufferMemoryRequirements (dev, b->buffer, &req);
  type = jg_vk_context_memory_type (ctx, host, req.memoryTypeBits);
  if (type < 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "no memory type fits a storage buffer");
      vkDestroyBuffer (dev, b->buffer, NULL);
      g_array_unref (b->free_ranges);
      g_free (b);
      return NULL;
    }
  {
    VkMemoryAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = req.size,
      .memoryTypeIndex = (guint32) type,
      .pNext = address ? &flags : NULL,
    };
    r = vkAllocateMemory (dev, &ai, NULL, &b->memory);
  }
  if (r != VK_SUCCESS)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE,
                   "out of %s memory: allocating %.1f MiB failed (VkResult %d)",
                   host ? "host-visible" : "device", size / 1048576.0, r);
      vkDestroyBuffer (dev, b->buffer, NULL);
      g_array_unref (b->free_ranges);
      g_free (b);
      return NULL;
    }
  vkBindBufferMemory (dev, b->buffer, b->memory, 0);
  if (address)
    {
      VkBufferDeviceAddressInfo bai = { .sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO, .buffer = b->buffer };
      b->address = vkGetBufferDeviceAddress (dev, &bai);
    }
  if (jg_vk_context_type_is_mappable (ctx, type))
    {
      void *p = NULL;
      if (vkMapMemory (dev, b->memory, 0, VK_WHOLE_SIZE, 0, &p) == VK_SUCCESS)
        b->mapped = p;
    }
  g_array_append_val (b->free_ranges, all);
  return b;
}

static gboolean
block_take (JgVkBlock *b, VkDeviceSize size, VkDeviceSize align, VkDeviceSize *offset)
{
  for (guint i = 0; i < b->free_ranges->len; i++)
    {
      JgVkRange *r = &g_array_index (b->free_ranges, JgVkRange, i);
      VkDeviceSize start = round_up (r->offset, align);
      VkDeviceSize end = r->offset + r->size;

      if (start + size > end)
        continue;
      *offset = start;
      if (start > r->offset)
        {
          /* Keep the gap before as its own free range. */
          JgVkRange after = { start + size, end - start - size };
          r->size = start - r->offset;
          if (after.size > 0)
            g_array_insert_val (b->free_ranges, i + 1, after);
        }
      else if (end - start - size > 0)
        {
          r->offset = start + size;
          r->size = end - r->offset;
        }
      else
        g_array_remove_index (b->free_ranges, i);
      return TRUE;
    }
  return FALSE;
}

gboolean
jg_vk_alloc (JgVkContext *ctx, VkDeviceSize size, gboolean host, JgVkAlloc *out, GError **error)
{
  GPtrArray *blocks = jg_vk_context_get_blocks (ctx);
  VkDeviceSize align = jg_vk_context_get_alignment (ctx);
  guint64 max_binding = jg_vk_context_get_max_binding (ctx);
  VkDeviceSize bsize;
  JgVkBlock *b;

  size = round_up (MAX (size, 4), align);
  if (size > max_binding)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "a tensor of %.1f MiB is larger than this device binds at once (%.1f MiB, "
                   "maxStorageBufferRange); split it", size / 1048576.0, max_binding / 1048576.0);
      return FALSE;
    }
  for (guint i = 0; i < blocks->len; i++)
    {
      b = g_ptr_array_index (blocks, i);
      if (b->host == host && block_take (b, size, align, &out->offset))
        {
          out->block = b;
          out->size = size;
          return TRUE;
        }
    }
  bsize = MAX (jg_vk_context_get_block_size (ctx), size);
  b = block_new (ctx, bsize, host, error);
  if (b == NULL)
    return FALSE;
  g_ptr_array_add (blocks, b);
  if (!block_take (b, size, align, &out->offset))
    g_return_val_if_reached (FALSE);
  out->block = b;
  out->size = size;
  return TRUE;
}

void
jg_vk_free (JgVkContext *ctx, JgVkAlloc *alloc)
{
  JgVkBlock *b = alloc->block;
  GArray *fr;
  guint i;
  JgVkRange r = { alloc->offset, alloc->size };

  if (b == NULL)
    return;
  fr = b->free_ranges;
  for (i = 0; i < fr->len && g_array_index (fr, JgVkRange, i).offset < r.offset; i++)
    ;
  g_array_insert_val (fr, i, r);
  /* Merge with the neighbours so free space stays in few ranges. */
  if (i + 1 < fr->len)
    {
      JgVkRange *cur = &g_array_index (fr, JgVkRange, i), *next = cur + 1;
      if (cur->offset + cur->size == next->offset)
        {
          cur->size += next->size;
          g_array_remove_index (fr, i + 1);
        }
    }
  if (i > 0)
    {
      JgVkRange *prev = &g_array_index (fr, JgVkRange, i - 1), *cur = prev + 1;
      if (prev->offset + prev->size == cur->offset)
        {
          prev->size += cur->size;
          g_array_remove_index (fr, i);
        }
    }
  alloc->block = NULL;
  /* An empty block goes back to the driver. */
  if (fr->len == 1 && g_array_index (fr, JgVkRange, 0).size == b->size)
    {
      g_ptr_array_remove (jg_vk_context_get_blocks (ctx), b);
      block_free (ctx, b);
    }
}

void
jg_vk_memory_clear (JgVkContext *ctx)
{
  GPtrArray *blocks = jg_vk_context_get_blocks (ctx);

  for (guint i = 0; i < blocks->len; i++)
    block_free (ctx, g_ptr_array_index (blocks, i));
  g_ptr_array_set_size (blocks, 0);
}
