/* `jaeger version` and `jaeger devices`. */
#include "cli/jg-cli.h"
#include "inference/jg-vk-instance.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

static const JgCommand version_cmd = {
  "version", NULL, "Print the version of jaeger and its libraries.", NULL
};

int
jg_cmd_version (int argc, char **argv)
{
  if (!jg_cli_parse (&version_cmd, NULL, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&version_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  printf ("jaeger %s\n", JG_VERSION);
  printf ("glib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
  return JG_EXIT_OK;
}

static gboolean devices_json;

static const GOptionEntry devices_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &devices_json, "Print JSON instead of text", NULL },
  { NULL }
};

static const JgCommand devices_cmd = {
  "devices", NULL, "List the Vulkan devices and what the engine can use on each.", NULL
};

static void
print_device_text (const JgVkDeviceInfo *d, gboolean picked)
{
  printf ("%u: %s%s\n", d->index, d->name, picked ? "  (default)" : "");
  printf ("   type: %s, Vulkan %u.%u.%u, vendor 0x%04x device 0x%04x\n",
          jg_vk_device_type_name (d->type),
          VK_API_VERSION_MAJOR (d->api_version), VK_API_VERSION_MINOR (d->api_version),
          VK_API_VERSION_PATCH (d->api_version), d->vendor_id, d->device_id);
  for (guint h = 0; h < d->n_heaps; h++)
    printf ("   heap %u: %.2f GiB%s\n", h, d->heap_size[h] / (1024.0 * 1024.0 * 1024.0),
            d->heap_device_local[h] ? " device-local" : "");
  printf ("   subgroup size: %u\n", d->subgroup_size);
  printf ("   fp16 arithmetic: %s, 16-bit storage: %s\n",
          d->fp16 ? "yes" : "no", d->storage_16bit ? "yes" : "no");
  printf ("   cooperative matrix (VK_NV_cooperative_matrix): %s\n", d->coopmat_nv ? "yes" : "no");
  printf ("   max storage buffer range: %" G_GUINT64_FORMAT " MiB, max allocation: %" G_GUINT64_FORMAT
          " MiB, shared memory: %u KiB\n",
          d->max_storage_buffer_range >> 20, d->max_memory_allocation_size >> 20,
          d->max_shared_memory >> 10);
}

static JsonNode *
device_to_json (const JgVkDeviceInfo *d, gboolean picked)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index"); json_builder_add_int_value (b, d->index);
  json_builder_set_member_name (b, "name"); json_builder_add_string_value (b, d->name);
  json_builder_set_member_name (b, "type"); json_builder_add_string_value (b, jg_vk_device_type_name (d->type));
  json_builder_set_member_name (b, "default"); json_builder_add_boolean_value (b, picked);
  json_builder_set_member_name (b, "heaps");
  json_builder_begin_array (b);
  for (guint h = 0; h < d->n_heaps; h++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "bytes"); json_builder_add_int_value (b, (gint64) d->heap_size[h]);
      json_builder_set_member_name (b, "device_local"); json_builder_add_boolean_value (b, d->heap_device_local[h]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "subgroup_size"); json_builder_add_int_value (b, d->subgroup_size);
  json_builder_set_member_name (b, "fp16"); json_builder_add_boolean_value (b, d->fp16);
  json_builder_set_member_name (b, "storage_16bit"); json_builder_add_boolean_value (b, d->storage_16bit);
  json_builder_set_member_name (b, "cooperative_matrix_nv"); json_builder_add_boolean_value (b, d->coopmat_nv);
  json_builder_set_member_name (b, "max_storage_buffer_range"); json_builder_add_int_value (b, (gint64) d->max_storage_buffer_range);
  json_builder_set_member_name (b, "max_memory_allocation_size"); json_builder_add_int_value (b, (gint64) d->max_memory_allocation_size);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

int
jg_cmd_devices (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgVkInstance) vk = NULL;
  int picked;

  if (!jg_cli_parse (&devices_cmd, devices_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&devices_cmd, "unexpected argument '%s'", argv[1]);
      return JG_EXIT_USAGE;
    }
  vk = jg_vk_instance_new (&error);
  if (vk == NULL)
    {
      jg_cli_error (&devices_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  picked = jg_vk_instance_pick_device (vk, -1, &error);
  if (picked < 0)
    {
      jg_cli_error (&devices_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }

  if (devices_json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) arr = json_array_new ();
      g_autofree char *text = NULL;

      for (guint i = 0; i < jg_vk_instance_get_n_devices (vk); i++)
        json_array_add_element (arr, device_to_json (jg_vk_instance_get_device_info (vk, i),
                                                     (int) i == picked));
      json_node_set_array (root, arr);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
    }
  else
    {
      for (guint i = 0; i < jg_vk_instance_get_n_devices (vk); i++)
        print_device_text (jg_vk_instance_get_device_info (vk, i), (int) i == picked);
    }
  return JG_EXIT_OK;
}
