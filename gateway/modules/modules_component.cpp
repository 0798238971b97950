// modules_component.cpp: the [modules] configuration keys, documented as conf/switchboard.conf
// shows them (that file is generated from these declarations), and the ModulesComponent.
#include "gateway/modules/modules_component.h"

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kModulesSection = {
    .name = "modules",
    .keys = {
     {.section = "modules", .key = "path", .type = KeyType::string, .default_value = "",
      .help = "Directories (separated by ':') searched in order for the files named in "
              "modules.load.",
      .doc = "Directories searched, in order, for the files named in `load` (separated by `:`), e.g.\n"
             "/usr/lib/switchboard/modules:/opt/sb/modules. Default: empty."},
     {.section = "modules", .key = "load", .type = KeyType::string, .default_value = "",
      .help = "Modules loaded at start-up, comma-separated: absolute paths or names found in "
              "modules.path ('.so' may be left out); each is configured by its [module.<name>] "
              "section.",
      .doc = "Modules to load at start-up, comma-separated, in order: an absolute path, or a file name\n"
             "looked up in `path` (`.so` may be left out), e.g. `example.so, hello`. A missing file, a\n"
             "module built for another ABI version, a missing `sb_module_exports` symbol or a command name\n"
             "that is already taken stops the start-up with a message naming the module. `which` lists a\n"
             "module's commands as `<module>:<command>`; `module_list` shows the loaded modules.\n"
             "Default: empty (no module is loaded)."},
    },
    .intro = {
        "Loadable modules: shared libraries built against mi/module_abi.h (the module ABI; see\n"
        "gateway/modules/README.md). They add management commands, configured by parameters.",
    },
    .outro = {
        "Module parameters (the OpenSIPS `modparam` equivalent): one [module.<name>] section per module,\n"
        "`<name>` being the module's own name (as module_list shows it), with one key per parameter.\n"
        "Unknown parameters, a value that is not an integer for an int parameter, and values the module\n"
        "refuses are start-up errors. Also settable with `--set module.<name>.<key>=value`.\n"
        "Example, for the example module built into build/modules/example.so:\n"
        "  [modules]\n"
        "  path = /path/to/switchboard/build/modules\n"
        "  load = example.so\n"
        "  [module.example]\n"
        "  greeting = Hi\n"
        "  max_delay_ms = 2000",
    },
};
// clang-format on

}  // namespace

void ModulesComponent::declare(ConfigSchema& schema) const { schema.add(kModulesSection); }

void ModulesComponent::register_commands(Runtime& rt) {
  register_module_commands(rt.registry, host_);
  host_.load_all(settings_, rt.registry, /*run_init=*/!rt.check_only);
}

}  // namespace sb::gateway
