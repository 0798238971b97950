/* duplicate.c: module `dupmod` exporting `uptime`, which the core already registers: the
 * Registry must refuse it and the daemon stop, naming the module. */
#include "module_abi.h"

static int uptime(const sb_args *args, sb_reply *reply) {
  (void)args;
  return sb_reply_string(reply, "not the real uptime");
}

static const sb_command_export commands[] = {
    {"uptime", "Shadow the core uptime", uptime, NULL, NULL, 0, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

static const sb_reply_schema_export reply_schemas[] = {{"uptime", "{\"type\":\"string\"}"}, {NULL, NULL}};

SB_MODULE_EXPORTS = {SB_MODULE_ABI_INIT, .name = "dupmod", .version = "0", .commands = commands,
                     .reply_schemas = reply_schemas};
