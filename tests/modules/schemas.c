/* schemas.c: a 1.2 module with two commands and reply_schemas (TEST_SCHEMAS set by CMake):
 *   0 (no_schemas.so): reply_schemas NULL — an older source recompiled: loads, with a warning,
 *     its commands accepting any reply;
 *   1 (missing_schema.so): the array lists `one` only — `two` is refused at load, named;
 *   2 (bad_schema.so): `two`'s schema is not a JSON object — refused, named. */
#include "module_abi.h"

static int reply_ok(const sb_args *args, sb_reply *reply) {
  (void)args;
  return sb_reply_string(reply, "OK");
}

static const sb_command_export commands[] = {
    {"one", "First command", reply_ok, NULL, NULL, SB_CMD_READ_ONLY, NULL},
    {"two", "Second command", reply_ok, NULL, NULL, SB_CMD_READ_ONLY, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

#if TEST_SCHEMAS == 1
static const sb_reply_schema_export reply_schemas[] = {{"one", "{\"const\":\"OK\"}"}, {NULL, NULL}};
#elif TEST_SCHEMAS == 2
static const sb_reply_schema_export reply_schemas[] = {
    {"one", "{\"const\":\"OK\"}"}, {"two", "[\"not\", \"an object\"]"}, {NULL, NULL}};
#endif

SB_MODULE_EXPORTS = {SB_MODULE_ABI_INIT, .name = "schemas", .version = "0", .commands = commands,
#if TEST_SCHEMAS != 0
                     .reply_schemas = reply_schemas,
#endif
};
