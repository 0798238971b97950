// module_commands.cpp: `module_list`, the loaded modules with their versions, parameters and
// commands (module_loader.h). Threading: reads the ModuleHost's table, immutable once serving.
#include <string>

#include <fmt/format.h>

#include "gateway/modules/module_loader.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

using mi::Value;

mi::Value module_value(const ModuleInfo& m) {
  mi::Value params = mi::Value::array();
  for (const auto& p : m.params) {
    // int values were checked at load: show them as numbers
    auto typed = [&](const std::string& v) {
      return p.type == "int" && !p.secret ? mi::Value(std::stoll(v)) : mi::Value(v);
    };
    mi::Value param{{"name", p.name}, {"type", p.type}, {"value", typed(p.value)},
                    {"default", typed(p.default_value)}, {"help", p.help}};
    if (p.secret) param["secret"] = true;  // value and default are "***"
    params.push_back(std::move(param));
  }
  mi::Value commands = mi::Value::array();
  for (const auto& c : m.commands) commands.push_back(c);
  return mi::Value{{"name", m.name},
                   {"version", m.version},
                   {"summary", m.summary},
                   {"abi", fmt::format("{}.{}", m.abi_major, m.abi_minor)},
                   {"file", m.file},
                   {"params", std::move(params)},
                   {"commands", std::move(commands)}};
}

mi::Value module_list_reply() {
  using namespace mi::schema;
  Value value = any_of({integer(), str()}, "int params as numbers; a secret's value is \"***\"");
  return object({{"modules", array_of(object({{"name", str()},
                                               {"version", str()},
                                               {"summary", str()},
                                               {"abi", str("major.minor the module was built for")},
                                               {"file", str()},
                                               {"params", array_of(object({{"name", str()},
                                                                            {"type", str()},
                                                                            {"value", value},
                                                                            {"default", value},
                                                                            {"help", str()},
                                                                            {"secret", opt(boolean())}}))},
                                               {"commands", array_of(str())}}))}});
}

}  // namespace

void register_module_commands(mi::Registry& registry, const ModuleHost& host) {
  registry.add({.name = "module_list", .module = "core",
                .summary = "List the loaded modules: version, ABI, file, parameters and commands",
                .flags = mi::kReadOnly | mi::kInline,
                .reply = module_list_reply(),
                .rest = {mi::rest::get("/modules")},
                .handler = [&host](const mi::Args&) -> mi::Result {
                  mi::Value list = mi::Value::array();
                  for (const auto& m : host.modules()) list.push_back(module_value(m));
                  return mi::Value{{"modules", std::move(list)}};
                }});
}

}  // namespace sb::gateway
