// module_bridge.cpp: the sb_* C functions of mi/module_abi.h and the checked calls into module
// handlers (see module_bridge.h). Threading: as stated there; the set of live async handles is
// guarded by a mutex so that a second sb_async_complete() of a handle is refused, not a crash.
#include "mi/module_bridge.h"

#include <atomic>

#include "mi/event_bus.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "mi/binding.h"

using sb::mi::Value;

namespace {
/// One member or item of a reply: a scalar, or a container built through its own handle.
using Item = std::variant<Value, sb_node*>;
constexpr int kMaxDepth = 32;  ///< deeper trees are refused (renderers recurse)
}  // namespace

struct sb_args {
  const sb::mi::Args* args;
  mutable std::deque<std::string> scratch;  ///< texts of non-string array items, stable addresses
};

struct sb_node {
  sb_reply* owner;
  bool object;
  int depth;
  std::vector<std::pair<std::string, Item>> items;
};

struct sb_reply {
  std::deque<sb_node> nodes;  ///< deque: handles stay valid while the tree grows
  std::optional<Item> root;
  std::optional<sb::mi::Error> error;
  std::string misuse;  ///< the first misuse of the API; the call then fails with 500

  void fail(std::string why) {
    if (misuse.empty()) misuse = std::move(why);
  }
};

namespace sb::mi {
/// What a module command's handler closure needs: who it is (for messages) and what to call.
struct ModuleCallSite {
  std::string module;
  std::string command;
  sb_command_fn fn;
  sb_async_command_fn async_fn;
};
}  // namespace sb::mi

struct sb_async {
  std::shared_ptr<const sb::mi::ModuleCallSite> site;
  sb::mi::Completion completion;
  sb_reply reply;
};

namespace sb::mi {
namespace {

using CallSite = ModuleCallSite;

// ---- checks -------------------------------------------------------------------------------

bool valid_utf8(const std::string& s) {
  try {
    (void)Value(s).dump();  // the strict error handler throws on invalid UTF-8
    return true;
  } catch (const Value::type_error&) {
    return false;
  }
}

/// Module-supplied text on a status line: control characters would break the text framing.
std::string one_line(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return s;
}

/// Checks a string the module hands over; records the misuse and returns false when unusable.
bool usable_text(sb_reply* r, const char* fn, const char* what, const char* s) {
  if (!s) return r->fail(fmt::format("{}: {} is NULL", fn, what)), false;
  if (!valid_utf8(s)) return r->fail(fmt::format("{}: {} is not valid UTF-8", fn, what)), false;
  return true;
}

int set_root(sb_reply* r, const char* fn, Item item) {
  if (!r) return SB_EINVAL;
  if (r->root) return r->fail(fmt::format("{}: the reply is already set", fn)), SB_EINVAL;
  r->root = std::move(item);
  return SB_OK;
}

sb_node* new_node(sb_reply* r, bool object, int depth) {
  return &r->nodes.emplace_back(sb_node{r, object, depth, {}});
}

int add_item(sb_node* parent, const char* fn, const char* key, Item item) {
  if (!parent) return SB_EINVAL;
  sb_reply* r = parent->owner;
  if (!parent->object) {
    if (key)
      return r->fail(fmt::format("{}: member '{}' added to an array (array items take no key)", fn,
                                 key)),
             SB_EINVAL;
    parent->items.emplace_back(std::string(), std::move(item));
    return SB_OK;
  }
  if (!key) return r->fail(fmt::format("{}: item without a key added to an object", fn)), SB_EINVAL;
  if (!usable_text(r, fn, "the key", key)) return SB_EINVAL;
  for (const auto& [k, v] : parent->items)
    if (k == key) return r->fail(fmt::format("{}: duplicate member '{}'", fn, key)), SB_EINVAL;
  parent->items.emplace_back(key, std::move(item));
  return SB_OK;
}

sb_node* add_container(sb_node* parent, const char* fn, const char* key, bool object) {
  if (!parent) return nullptr;
  if (parent->depth >= kMaxDepth) {
    parent->owner->fail(
        fmt::format("{}: the reply is nested deeper than {} levels", fn, kMaxDepth));
    return nullptr;
  }
  sb_node* n = new_node(parent->owner, object, parent->depth + 1);
  if (add_item(parent, fn, key, n) != SB_OK) return nullptr;
  return n;
}

Value build(const Item& item) {
  if (const Value* v = std::get_if<Value>(&item)) return *v;
  const sb_node* n = std::get<sb_node*>(item);
  Value out = n->object ? Value::object() : Value::array();
  for (const auto& [key, child] : n->items) {
    if (n->object)
      out[key] = build(child);
    else
      out.push_back(build(child));
  }
  return out;
}

// ---- calling the module -------------------------------------------------------------------

Error module_failure(const CallSite& s, const std::string& why) {
  spdlog::error("module '{}': command '{}': {}", s.module, s.command, why);
  return Error::failure(
      500, one_line(fmt::format("module '{}' command '{}': {}", s.module, s.command, why)));
}

/// The outcome of a finished handler: its reply, its error, or a 500 saying what went wrong.
Result finish(const CallSite& s, sb_reply& r, int status) {
  if (!r.misuse.empty()) return module_failure(s, r.misuse);
  if (status != SB_OK)
    return module_failure(s, fmt::format("handler returned {}, not SB_OK", status));
  if (r.error) return *r.error;
  if (!r.root) return module_failure(s, "handler returned neither a reply nor an error");
  return build(*r.root);
}

/// Runs `body` (a call into the module); a C++ exception escaping it is logged and described.
template <typename F>
std::optional<std::string> guarded(const CallSite& s, F&& body) {
  try {
    body();
    return std::nullopt;
  } catch (const std::exception& e) {
    spdlog::error("module '{}': command '{}' threw: {}", s.module, s.command, e.what());
  } catch (...) {
    spdlog::error("module '{}': command '{}' threw a non-standard exception", s.module, s.command);
  }
  return std::string("handler threw an exception (see the server log)");
}

struct LiveCalls {
  std::mutex mu;
  std::unordered_set<sb_async*> set;
};
LiveCalls& live_calls() {
  static LiveCalls* l = new LiveCalls;  // never destroyed: module threads may outlive main()
  return *l;
}
bool is_live(sb_async* c) {
  auto& l = live_calls();
  std::lock_guard lk(l.mu);
  return l.set.count(c) != 0;
}

Result call_sync(const CallSite& s, const Args& a) {
  sb_args args{&a, {}};
  sb_reply reply;
  int status = SB_OK;
  if (auto threw = guarded(s, [&] { status = s.fn(&args, &reply); }))
    return module_failure(s, *threw);
  return finish(s, reply, status);
}

void call_async(const std::shared_ptr<const CallSite>& s, const Args& a, const Completion& done) {
  sb_args args{&a, {}};
  auto* call = new sb_async{s, done, {}};
  {
    auto& l = live_calls();
    std::lock_guard lk(l.mu);
    l.set.insert(call);
  }
  // On an exception the handle stays live: the module may still hold (and complete) it.
  if (auto threw = guarded(*s, [&] { s->async_fn(&args, call); })) done(module_failure(*s, *threw));
}

ParamType arg_type(int t) {
  switch (t) {
    case SB_ARG_STRING:
      return ParamType::string_;
    case SB_ARG_INT:
      return ParamType::int_;
    case SB_ARG_BOOL:
      return ParamType::bool_;
    case SB_ARG_DOUBLE:
      return ParamType::double_;
    case SB_ARG_ARRAY:
      return ParamType::array_;
  }
  throw std::invalid_argument(fmt::format("unknown argument type {}", t));
}

const Value* arg(const sb_args* a, const char* name) {
  if (!a || !a->args || !name) return nullptr;
  const Value& v = a->args->get(name);
  return v.is_null() ? nullptr : &v;
}

/// The sb_arg_<type> pattern: SB_ENOENT when absent, SB_ETYPE unless `(v.*fits)()`, else
/// `store(v)` and SB_OK.
template <typename Store>
int typed_arg(const sb_args* a, const char* name, bool (Value::*fits)() const noexcept,
              Store&& store) {
  const Value* v = arg(a, name);
  if (!v) return SB_ENOENT;
  if (!((*v).*fits)()) return SB_ETYPE;
  store(*v);
  return SB_OK;
}

}  // namespace

CommandSpec module_command_spec(const std::string& module, const sb_command_export& c,
                                Value reply) {
  constexpr unsigned kKnown = SB_CMD_READ_ONLY | SB_CMD_ADMIN | SB_CMD_HIDDEN;
  constexpr std::size_t kMaxArgs = 64;
  CommandSpec s;
  s.name = c.name ? c.name : "";
  s.module = module;
  s.summary = c.summary ? c.summary : "";
  s.description = c.description ? c.description : "";
  s.reply = std::move(reply);
  auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("command '{}': {}", s.name, why));
  };
  if (c.flags & ~kKnown) throw bad(fmt::format("unknown flag bits {:#x}", c.flags & ~kKnown));
  if (c.flags & SB_CMD_READ_ONLY) s.flags |= kReadOnly;
  if (c.flags & SB_CMD_ADMIN) s.flags |= kAdmin;
  if (c.flags & SB_CMD_HIDDEN) s.flags |= kHidden;
  if (!c.handler == !c.async_handler) throw bad("needs exactly one of handler and async_handler");
  for (const sb_arg_export* a = c.args; a && a->name; ++a) {
    if (s.params.size() == kMaxArgs)
      throw bad(
          fmt::format("more than {} arguments (is the args array NULL-terminated?)", kMaxArgs));
    ParamSpec p;
    p.name = a->name;
    try {
      p.type = arg_type(a->type);
    } catch (const std::invalid_argument& e) {
      throw bad(fmt::format("argument '{}': {}", p.name, e.what()));
    }
    p.required = a->optional == 0;
    p.help = a->help ? a->help : "";
    if (a->default_value) {
      if (p.required) throw bad(fmt::format("required argument '{}' has a default", p.name));
      auto v = coerce(p, Value(a->default_value));
      if (auto* why = std::get_if<std::string>(&v))
        throw bad(fmt::format("default '{}' of argument '{}': {}", a->default_value, p.name, *why));
      p.default_value = std::move(std::get<Value>(v));
    }
    s.params.push_back(std::move(p));
  }
  auto site =
      std::make_shared<const CallSite>(CallSite{module, s.name, c.handler, c.async_handler});
  if (c.handler) {
    s.handler = [site](const Args& a) { return call_sync(*site, a); };
  } else {
    s.flags |= kAsync;
    s.async_handler = [site](const Args& a, Completion done) { call_async(site, a, done); };
  }
  return s;
}

}  // namespace sb::mi

// ---- the C API ------------------------------------------------------------------------------
using namespace sb::mi;

extern "C" {

int sb_arg_given(const sb_args* a, const char* name) { return arg(a, name) ? 1 : 0; }

const char* sb_arg_string(const sb_args* a, const char* name) {
  const Value* v = arg(a, name);
  return v && v->is_string() ? v->get_ref<const std::string&>().c_str() : nullptr;
}

int sb_arg_int(const sb_args* a, const char* name, int64_t* out) {
  return typed_arg(a, name, &Value::is_number_integer, [&](const Value& v) {
    if (out) *out = v.get<int64_t>();
  });
}

int sb_arg_bool(const sb_args* a, const char* name, int* out) {
  return typed_arg(a, name, &Value::is_boolean, [&](const Value& v) {
    if (out) *out = v.get<bool>() ? 1 : 0;
  });
}

int sb_arg_double(const sb_args* a, const char* name, double* out) {
  return typed_arg(a, name, &Value::is_number, [&](const Value& v) {
    if (out) *out = v.get<double>();
  });
}

size_t sb_arg_array_size(const sb_args* a, const char* name) {
  const Value* v = arg(a, name);
  return v && v->is_array() ? v->size() : 0;
}

const char* sb_arg_array_item(const sb_args* a, const char* name, size_t i) {
  const Value* v = arg(a, name);
  if (!v || !v->is_array() || i >= v->size()) return nullptr;
  const Value& item = (*v)[i];
  if (item.is_string()) return item.get_ref<const std::string&>().c_str();
  return a->scratch.emplace_back(to_compact_json(item)).c_str();
}

int sb_reply_string(sb_reply* r, const char* value) {
  if (r && !usable_text(r, "sb_reply_string", "the string", value)) return SB_EINVAL;
  return set_root(r, "sb_reply_string", Value(value ? value : ""));
}

int sb_reply_int(sb_reply* r, int64_t value) { return set_root(r, "sb_reply_int", Value(value)); }

int sb_reply_double(sb_reply* r, double value) {
  if (r && !std::isfinite(value))
    return r->fail("sb_reply_double: the number is not finite"), SB_EINVAL;
  return set_root(r, "sb_reply_double", Value(value));
}

int sb_reply_bool(sb_reply* r, int value) {
  return set_root(r, "sb_reply_bool", Value(value != 0));
}

int sb_reply_null(sb_reply* r) { return set_root(r, "sb_reply_null", Value(nullptr)); }

sb_node* sb_reply_object(sb_reply* r) {
  if (!r) return nullptr;
  sb_node* n = new_node(r, true, 1);
  return set_root(r, "sb_reply_object", n) == SB_OK ? n : nullptr;
}

sb_node* sb_reply_array(sb_reply* r) {
  if (!r) return nullptr;
  sb_node* n = new_node(r, false, 1);
  return set_root(r, "sb_reply_array", n) == SB_OK ? n : nullptr;
}

int sb_reply_error(sb_reply* r, int code, const char* reason) {
  if (!r) return SB_EINVAL;
  if (code < 400 || code > 599)
    return r->fail(fmt::format("sb_reply_error: code {} is not an error code (400..599)", code)),
           SB_EINVAL;
  if (!usable_text(r, "sb_reply_error", "the reason", reason)) return SB_EINVAL;
  r->error = Error::failure(code, one_line(reason));
  return SB_OK;
}

int sb_add_string(sb_node* p, const char* key, const char* value) {
  if (p && !usable_text(p->owner, "sb_add_string", "the string", value)) return SB_EINVAL;
  return add_item(p, "sb_add_string", key, Value(value ? value : ""));
}

int sb_add_int(sb_node* p, const char* key, int64_t value) {
  return add_item(p, "sb_add_int", key, Value(value));
}

int sb_add_double(sb_node* p, const char* key, double value) {
  if (p && !std::isfinite(value))
    return p->owner->fail("sb_add_double: the number is not finite"), SB_EINVAL;
  return add_item(p, "sb_add_double", key, Value(value));
}

int sb_add_bool(sb_node* p, const char* key, int value) {
  return add_item(p, "sb_add_bool", key, Value(value != 0));
}

int sb_add_null(sb_node* p, const char* key) {
  return add_item(p, "sb_add_null", key, Value(nullptr));
}

sb_node* sb_add_object(sb_node* p, const char* key) {
  return add_container(p, "sb_add_object", key, true);
}

sb_node* sb_add_array(sb_node* p, const char* key) {
  return add_container(p, "sb_add_array", key, false);
}

sb_reply* sb_async_reply(sb_async* call) { return is_live(call) ? &call->reply : nullptr; }

void sb_async_complete(sb_async* call) {
  {
    auto& l = live_calls();
    std::lock_guard lk(l.mu);
    if (l.set.erase(call) == 0) {
      spdlog::error("module: sb_async_complete() on an unknown or already completed call; ignored");
      return;
    }
  }
  std::unique_ptr<sb_async> owned(call);
  owned->completion(finish(*owned->site, owned->reply, SB_OK));
}

void sb_log(int level, const char* format, ...) {
  if (!format) return;
  va_list ap, copy;
  va_start(ap, format);
  va_copy(copy, ap);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string text(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, format, ap);
  va_end(ap);
  auto lvl = level <= SB_LOG_DEBUG  ? spdlog::level::debug
             : level == SB_LOG_INFO ? spdlog::level::info
             : level == SB_LOG_WARN ? spdlog::level::warn
                                    : spdlog::level::err;
  spdlog::log(lvl, "{}", text);
}

}  // extern "C"

// ---- events (ABI 1.3) ---------------------------------------------------------------------------

namespace {
std::atomic<sb::mi::EventBus*> g_event_bus{nullptr};
}  // namespace

void sb::mi::set_module_event_bus(EventBus* bus) { g_event_bus = bus; }

extern "C" int sb_raise_event(const char* event, const char* params_json) {
  try {
    if (!event) return SB_EINVAL;
    sb::mi::EventBus* bus = g_event_bus.load();
    if (!bus) return SB_ENOENT;
    const sb::mi::EventSpec* spec = bus->registry().find(event);
    if (!spec || spec->name == "E_STATISTICS") return SB_ENOENT;
    sb::mi::Value params =
        params_json ? sb::mi::Value::parse(params_json, nullptr, false) : sb::mi::Value::object();
    if (params.is_discarded() || !params.is_object()) {
      spdlog::warn("sb_raise_event({}): params are not a JSON object", spec->name);
      return SB_EINVAL;
    }
    if (std::string why = sb::mi::EventBus::check_params(*spec, params); !why.empty()) {
      spdlog::warn("sb_raise_event({}): params do not match the declaration: {}", spec->name, why);
      return SB_EINVAL;
    }
    bus->raise(*spec, std::move(params));
    return SB_OK;
  } catch (const std::exception& e) {
    spdlog::error("sb_raise_event: {}", e.what());
    return SB_EINVAL;
  }
}
