// command.cpp: param helpers, Args accessors, Completion's exactly-once state.
#include "mi/command.h"

#include <atomic>
#include <stdexcept>
#include <mutex>

namespace sb::mi {

std::string_view to_string(ParamType t) {
  switch (t) {
    case ParamType::string_: return "string";
    case ParamType::int_: return "int";
    case ParamType::bool_: return "bool";
    case ParamType::double_: return "double";
    case ParamType::array_: return "array";
    case ParamType::uint_: return "uint";
    case ParamType::object_: return "object";
  }
  return "string";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::read_only: return "read_only";
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
  }
  return "read_only";
}

std::optional<Role> role_from_string(std::string_view name) {
  if (name == "read_only") return Role::read_only;
  if (name == "operator") return Role::operator_;
  if (name == "admin") return Role::admin;
  return std::nullopt;
}

ParamSpec param(std::string name, ParamType type, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  return p;
}

ParamSpec optional_param(std::string name, ParamType type, std::string help, Value default_value) {
  ParamSpec p = param(std::move(name), type, std::move(help));
  p.required = false;
  p.default_value = std::move(default_value);
  return p;
}

ParamSpec ParamSpec::range(std::int64_t lo, std::int64_t hi) && {
  min = lo;
  max = hi;
  return std::move(*this);
}

ParamSpec ParamSpec::at_least(std::int64_t lo) && {
  min = lo;
  return std::move(*this);
}

ParamSpec ParamSpec::one_of(std::vector<std::string> words) && {
  choices = std::move(words);
  return std::move(*this);
}

ParamSpec ParamSpec::secret() && {
  sensitive = true;
  return std::move(*this);
}

ParamSpec ParamSpec::shaped(Value schema) && {
  shape = std::move(schema);
  return std::move(*this);
}

ParamSpec ParamSpec::block(TextBlock b) && {
  text_block = b;
  return std::move(*this);
}

std::size_t CommandSpec::required_count() const {
  std::size_t n = 0;
  for (const auto& p : params)
    if (p.required) ++n;
  return n;
}

Args::Args(const CommandSpec* spec, std::vector<Value> values, Caller caller)
    : spec_(spec), values_(std::move(values)), caller_(std::move(caller)) {}

namespace {
const Value& null_value() {
  static const Value v;
  return v;
}
const Value& empty_array() {
  static const Value v = Value::array();
  return v;
}
}  // namespace

const Value& Args::get(std::string_view name) const {
  if (!spec_) return null_value();
  for (std::size_t i = 0; i < spec_->params.size() && i < values_.size(); ++i)
    if (spec_->params[i].name == name) return values_[i];
  return null_value();
}

bool Args::has(std::string_view name) const { return !get(name).is_null(); }

std::string Args::str(std::string_view name) const {
  const Value& v = get(name);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::int64_t Args::integer(std::string_view name) const {
  const Value& v = get(name);
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

bool Args::boolean(std::string_view name) const {
  const Value& v = get(name);
  return v.is_boolean() ? v.get<bool>() : false;
}

double Args::number(std::string_view name) const {
  const Value& v = get(name);
  return v.is_number() ? v.get<double>() : 0.0;
}

const Value& Args::array(std::string_view name) const {
  const Value& v = get(name);
  return v.is_array() ? v : empty_array();
}

// Completion: the state is shared by every copy. If the last copy goes away without a result,
// the call is completed with 500 so that a buggy handler can never leave a client hanging.
struct Completion::State {
  Fn fn;
  std::atomic<bool> done{false};
  std::mutex mu;
  bool deliver(Result&& r) {
    if (done.exchange(true)) return false;
    Fn f;
    {
      std::lock_guard lk(mu);
      f = std::move(fn);
    }
    if (f) f(std::move(r));
    return true;
  }
  ~State() {
    if (!done.load()) deliver(Error::failure(500, "command produced no reply"));
  }
};

Completion::Completion(Fn fn) : state_(std::make_shared<State>()) { state_->fn = std::move(fn); }

Result::Result(Streamed s) : v_(std::move(s.skeleton)) {
  s.skeleton = Value();
  stream_ = std::make_shared<Streamed>(std::move(s));
}

void Result::drain() const {
  if (!stream_) return;
  Streamed s = std::move(*stream_);
  stream_.reset();
  s.skeleton = std::move(std::get<Value>(v_));
  v_ = materialize(std::move(s));
}

const Value& Result::value() const {
  drain();
  return std::get<Value>(v_);
}

Value& Result::value() {
  drain();
  return std::get<Value>(v_);
}

Streamed Result::take_stream() {
  Streamed s = std::move(*stream_);
  stream_.reset();
  s.skeleton = std::get<Value>(v_);
  return s;
}

Value materialize(Streamed s) {
  Value out = std::move(s.skeleton);
  if (!s.items) return out;
  Value* at = nullptr;
  try {
    at = &out.at(Value::json_pointer(s.pointer));
  } catch (const std::exception&) {
  }
  // A handler bug: say so rather than answer without the items.
  if (!at || !at->is_array()) throw std::logic_error("a streamed reply has no array at " + s.pointer);
  Value& arr = *at;
  std::vector<Value> slice;
  while (s.items->next(slice)) {
    for (Value& v : slice) arr.push_back(std::move(v));
    slice.clear();
  }
  return out;
}

bool Completion::operator()(Result r) const { return state_->deliver(std::move(r)); }

bool Completion::done() const { return state_->done.load(); }

std::function<bool(Result)> Completion::weak() const {
  std::weak_ptr<State> w = state_;
  return [w](Result r) {
    auto s = w.lock();
    return s ? s->deliver(std::move(r)) : false;
  };
}

}  // namespace sb::mi
