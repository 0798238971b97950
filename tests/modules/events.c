/* events.c: modules declaring events (TEST_EVENTS set by CMake):
 *   0 (abi_1_2.so): built for ABI 1.2 — its descriptor ends after reply_schemas (struct_size),
 *     as a module compiled before 1.3: it loads, with no events (the field is never read);
 *   1 (bad_event.so): an event without descriptions in its params — refused at load, named;
 *   2 (event_twice.so): declares E_CORE_STARTUP, the daemon's own — refused at load, named. */
#include <stddef.h>

#include "module_abi.h"

static int reply_ok(const sb_args *args, sb_reply *reply) {
  (void)args;
  return sb_reply_string(reply, "OK");
}

static const sb_command_export commands[] = {
    {"old_module_ok", "A command of an old module", reply_ok, NULL, NULL, SB_CMD_READ_ONLY, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

static const sb_reply_schema_export reply_schemas[] = {{"old_module_ok", "{\"const\":\"OK\"}"}, {NULL, NULL}};

#if TEST_EVENTS == 1
static const sb_event_export events[] = {
    {"E_UNDESCRIBED", "Params without descriptions",
     "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}},\"required\":[\"x\"],"
     "\"additionalProperties\":false}"},
    {NULL, NULL, NULL}};
#elif TEST_EVENTS == 2
static const sb_event_export events[] = {
    {"E_CORE_STARTUP", "Taken by the core",
     "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"},
    {NULL, NULL, NULL}};
#endif

#if TEST_EVENTS == 0
SB_MODULE_EXPORTS = {.abi_major = SB_MODULE_ABI_MAJOR, .abi_minor = 2,
                     .struct_size = (uint32_t)offsetof(sb_module, events),
                     .name = "oldmod", .version = "0", .commands = commands,
                     .reply_schemas = reply_schemas};
#else
SB_MODULE_EXPORTS = {SB_MODULE_ABI_INIT, .name = "evmod", .version = "0", .commands = commands,
                     .reply_schemas = reply_schemas, .events = events};
#endif
