/* abi_mismatch.c: a module that claims another module ABI version (TEST_ABI_MAJOR /
 * TEST_ABI_MINOR, set by CMake): built as abi_major.so (2.0) and abi_minor.so (1.99); the daemon
 * must refuse both before reading anything but the version fields. */
#include "module_abi.h"

static int hello(const sb_args *args, sb_reply *reply) {
  (void)args;
  return sb_reply_string(reply, "must never run");
}

static const sb_command_export commands[] = {
    {"mismatch_hello", "Never registered", hello, NULL, NULL, 0, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

SB_MODULE_EXPORTS = {
    .abi_major = TEST_ABI_MAJOR,
    .abi_minor = TEST_ABI_MINOR,
    .struct_size = (uint32_t)sizeof(sb_module),
    .name = "mismatch",
    .version = "0",
    .commands = commands,
};
