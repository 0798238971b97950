// command.h: how a command is declared (CommandSpec) and what its handler sees (Args, Caller)
// and returns (Result, or later through a Completion).
//
// Purpose: one command = one CommandSpec {name, module, summary, typed params with help, flags,
// handler}, registered once in the Registry and served by every transport. Handlers never know
// the transport: they get validated, typed Args and return a Value or an Error.
// Threading: specs are immutable after registration. A sync handler runs on a dispatcher worker
// (or the engine thread for `engine` commands); an async handler may complete its Completion from
// any thread, exactly once (later calls are ignored; dropping every copy completes it with 500).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mi/error.h"
#include "mi/rest_binding.h"
#include "mi/stream.h"
#include "mi/value.h"

namespace sb::mi {

/// uint_: an integer >= 0. object_: a JSON object (the text dialects give it as JSON text).
enum class ParamType { string_, int_, bool_, double_, array_, uint_, object_ };
std::string_view to_string(ParamType t);

/// How the SER text dialect frames a param (t_uac_dlg style); other dialects ignore it.
enum class TextBlock {
  line,      ///< one line; `.` alone means "empty"
  line_set,  ///< lines up to an empty line or `.` (headers), joined with CRLF
  body,      ///< lines up to `.` only (an empty line does not end it), joined with CRLF
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::string_;
  bool required = true;
  Value default_value;  ///< for optional params; null = absent when not given
  std::string help;
  TextBlock text_block = TextBlock::line;
  std::optional<std::int64_t> min{}, max{};  ///< int_/uint_: accepted range (checked by binding)
  std::vector<std::string> choices{};        ///< string_: the only accepted words (an enum)
  bool sensitive = false;  ///< a secret: never echoed in errors or logs, shown as "***"
  /// object_: the JSON Schema of the object (mi/reply_schema.h builders), for help, the
  /// catalogue and the OpenAPI document; the handler still checks it (every problem at once).
  Value shape{};

  /// Declaration modifiers: `param("port", ParamType::int_, "…").range(1, 9999)`.
  ParamSpec range(std::int64_t lo, std::int64_t hi) &&;
  ParamSpec at_least(std::int64_t lo) &&;
  ParamSpec one_of(std::vector<std::string> words) &&;
  ParamSpec secret() &&;
  ParamSpec block(TextBlock b) &&;
  ParamSpec shaped(Value schema) &&;
};

/// Declaration helpers: `param("aor", ParamType::string_, "AOR, e.g. alice@example.com")`.
ParamSpec param(std::string name, ParamType type, std::string help);
ParamSpec optional_param(std::string name, ParamType type, std::string help,
                         Value default_value = nullptr);

/// Flags, each enforced by the dispatcher, never by handlers.
enum CommandFlag : unsigned {
  kReadOnly = 1u << 0,  ///< changes nothing; read-only callers may run it
  kAsync = 1u << 1,     ///< the handler completes later through a Completion (has `async_handler`)
  kEngine = 1u << 2,    ///< must run on the SIP engine thread (503 when no engine runs)
  kAdmin = 1u << 3,     ///< dangerous (kill, flush): needs the admin role
  kHidden = 1u << 4,    ///< not listed by `which` / introspection (still callable)
  kConfig = 1u << 6,    ///< changes the provisioned configuration (what config_export exports):
                        ///< each success records a new configuration revision (the dispatcher's
                        ///< config hook, on the thread that ran the handler, before the reply)
  kInline = 1u << 5,    ///< cheap and non-blocking (microseconds, no I/O, no locks held long):
                        ///< runs on the caller's thread, skipping the worker hand-off.
                        ///< Never with kAsync or kEngine; anything that may take long must not
                        ///< have it, or it would delay the transport thread's other clients.
};

/// Who is calling, as the transport knows it. Rights are checked by the dispatcher.
enum class Role { read_only, operator_, admin };
/// "read_only", "operator", "admin": as the config files spell a role.
std::string_view to_string(Role r);
/// The role a config file names ("read_only", "operator", "admin"), or nullopt.
std::optional<Role> role_from_string(std::string_view name);
struct Caller {
  std::string transport;  ///< "fifo", "datagram", "http", "monitor", "test", …
  std::string peer;       ///< reply FIFO name, socket address, user name: for logs
  Role role = Role::admin;
  /// A request that must not change state (an HTTP GET): only read-only commands run.
  bool safe_method = false;
  /// The transport writes a streamed result in pieces (mi/render/chunked.h); otherwise the
  /// dispatcher drains it into one Value before the transport sees it.
  bool accepts_stream = false;
};

/// A Value, an Error or a Streamed value (mi/stream.h). Handlers return it; the dispatcher hands
/// it to the transport. value() of a streamed result drains its source first (the whole tree);
/// a transport that writes in pieces asks is_stream() and take_stream() instead.
class Result {
 public:
  Result(Value v) : v_(std::move(v)) {}  // NOLINT(implicit): `return value;` reads best
  Result(Error e) : v_(std::move(e)) {}  // NOLINT(implicit)
  Result(Streamed s);                    // NOLINT(implicit)
  bool ok() const { return std::holds_alternative<Value>(v_); }
  const Value& value() const;
  Value& value();
  const Error& error() const { return std::get<Error>(v_); }
  /// True while a streamed result is still undrained.
  bool is_stream() const { return stream_ != nullptr; }
  /// The streamed value (skeleton, pointer, source); the result is left holding the skeleton.
  Streamed take_stream();
  /// The streamed value without taking it (to wrap its source); its skeleton is skeleton().
  Streamed* stream() { return stream_.get(); }
  /// A streamed result's skeleton (the value with the long array still empty), not drained.
  const Value& skeleton() const { return std::get<Value>(v_); }

 private:
  void drain() const;
  mutable std::variant<Value, Error> v_;
  mutable std::shared_ptr<Streamed> stream_;  ///< pointer + source; skeleton moved into v_
};

struct CommandSpec;

/// Validated, typed arguments bound to a spec's params (positional or named, already coerced).
class Args {
 public:
  Args(const CommandSpec* spec, std::vector<Value> values, Caller caller);
  /// True when the param was given or has a default.
  bool has(std::string_view name) const;
  const Value& get(std::string_view name) const;  ///< null Value when absent
  std::string str(std::string_view name) const;    ///< "" when absent
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;
  double number(std::string_view name) const;
  const Value& array(std::string_view name) const;  ///< empty array when absent
  const Caller& caller() const { return caller_; }
  const std::vector<Value>& values() const { return values_; }

 private:
  const CommandSpec* spec_;
  std::vector<Value> values_;  ///< one per spec param; null = absent
  Caller caller_;
};

/// The one-shot reply channel of an async command. Copyable; the first call wins.
class Completion {
 public:
  using Fn = std::function<void(Result)>;
  explicit Completion(Fn fn);
  /// Delivers the result unless one was already delivered (timeout, earlier call). Returns true
  /// when this call delivered it.
  bool operator()(Result r) const;
  bool done() const;
  /// A deliverer that does not keep the call alive (the dispatcher's timeout timer holds this,
  /// so a handler that drops its Completion is answered at once with 500, not at the timeout).
  std::function<bool(Result)> weak() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

using SyncHandler = std::function<Result(const Args&)>;
using AsyncHandler = std::function<void(const Args&, Completion)>;

struct CommandSpec {
  std::string name{};     ///< flat OpenSIPS-style name (`uptime`, `ul_show_contact`)
  std::string module{};   ///< exporting module; the command also answers as `module:name`
  std::string summary{};  ///< one line, imperative; required
  std::string description{};  ///< optional longer help
  std::vector<ParamSpec> params{};
  unsigned flags = 0;
  /// Optional: the whole SER text-dialect reply (status line included) for a successful result,
  /// where the text form is not the generic tree: t_uac_dlg puts the SIP final status on the
  /// status line, as SER did, so a shell script sees a failed request. Other dialects ignore it.
  std::function<std::string(const Value&)> text_reply{};
  /// What a successful call returns: a JSON Schema (mi/reply_schema.h builders); required.
  /// Replies are checked against it when core.validate_replies is on (every test daemon).
  Value reply{};
  /// How REST (/api/v1) reaches the command (mi/rest_binding.h); empty: only POST /mi/<name>.
  std::vector<RestBinding> rest{};
  SyncHandler handler{};          ///< for sync commands
  AsyncHandler async_handler{};   ///< for commands flagged kAsync

  bool has(CommandFlag f) const { return (flags & f) != 0; }
  /// Number of params that must be given.
  std::size_t required_count() const;
};

}  // namespace sb::mi
