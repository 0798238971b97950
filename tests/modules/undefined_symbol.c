/* undefined_symbol.c: a module calling a host function the daemon does not export (as a module
 * built for a newer ABI would); dlopen(RTLD_NOW) must fail and the daemon name the symbol. */
#include "module_abi.h"

int sb_function_from_the_future(void);

static int call_it(const sb_args *args, sb_reply *reply) {
  (void)args;
  return sb_reply_int(reply, sb_function_from_the_future());
}

static const sb_command_export commands[] = {
    {"future", "Needs a newer daemon", call_it, NULL, NULL, 0, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

SB_MODULE_EXPORTS = {SB_MODULE_ABI_INIT, .name = "future", .version = "0", .commands = commands};
