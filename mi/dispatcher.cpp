// dispatcher.cpp: resolve → rights → bind → run → stats → complete once.
#include "mi/dispatcher.h"

#include <future>
#include <mutex>

#include <spdlog/spdlog.h>

#include "mi/printable.h"

#include "mi/binding.h"

namespace sb::mi {

namespace {
using Clock = std::chrono::steady_clock;

std::int64_t micros_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}
/// The reply itself, or 500 when it does not match the declared schema (validate_replies).
Result checked_reply(const std::string& name, const ReplyValidator& validator, Result r) {
  std::string why = validator.validate(r.value());
  if (why.empty()) return r;
  spdlog::error("mi: the reply of '{}' does not match its reply schema: {}; reply: {}", name, why,
                printable(to_compact_json(r.value()), 2000));
  return Error::failure(500, "Reply does not match its schema",
                        fmt::format("'{}': {}", name, why));
}

/// A streamed result drained into one Value where the handler ran (for a transport that cannot
/// write pieces); a source that fails makes it a 500.
Result drained(Result r) {
  try {
    (void)r.value();
    return r;
  } catch (const std::exception& e) {
    spdlog::error("mi: a streamed reply could not be produced: {}", e.what());
    return Error::failure(500, "The reply could not be produced", e.what());
  }
}

/// The schema of the items of the array at `pointer` in a reply of schema `schema`; null when
/// the schema does not say.
const Value* item_schema(const Value& schema, const std::string& pointer) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < pointer.size() && pointer[i] == '/';) {
    std::size_t end = pointer.find('/', i + 1);
    std::string t = pointer.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
    for (std::size_t p = 0; (p = t.find('~', p)) != std::string::npos; ++p)
      t.replace(p, 2, p + 1 < t.size() && t[p + 1] == '1' ? "/" : "~");
    tokens.push_back(std::move(t));
    if (end == std::string::npos) break;
    i = end;
  }
  const Value* at = &schema;
  for (const std::string& token : tokens) {
    if (at->contains("properties") && (*at)["properties"].contains(token)) at = &(*at)["properties"][token];
    else if (at->contains("items")) at = &(*at)["items"];
    else return nullptr;
  }
  return at->contains("items") ? &(*at)["items"] : nullptr;
}

/// Checks every item of a streamed reply against its schema as it is produced (validate_replies):
/// a mismatch cuts the reply short (the test that asked sees it incomplete) and is logged.
class ValidatedItems final : public ItemSource {
 public:
  ValidatedItems(std::shared_ptr<ItemSource> inner, const Value& schema, std::string name)
      : inner_(std::move(inner)), validator_(schema), name_(std::move(name)) {}
  bool next(std::vector<Value>& out) override {
    std::size_t from = out.size();
    bool more = inner_->next(out);
    for (std::size_t i = from; i < out.size(); ++i) {
      if (std::string why = validator_.validate(out[i]); !why.empty()) {
        spdlog::error("mi: an item of the streamed reply of '{}' does not match its reply schema: {}; item: {}",
                      name_, why, printable(to_compact_json(out[i]), 2000));
        throw std::runtime_error("an item does not match the reply schema: " + why);
      }
    }
    return more;
  }

 private:
  std::shared_ptr<ItemSource> inner_;
  ReplyValidator validator_;
  std::string name_;
};

/// validate_replies for a streamed result: the skeleton now, each item as it comes.
Result checked_stream(const std::string& name, const Value& schema, const ReplyValidator& validator, Result r) {
  Streamed* s = r.stream();
  const Value* items = item_schema(schema, s->pointer);
  if (!items) {
    spdlog::error("mi: '{}' streams {} but its reply schema declares no array there", name, s->pointer);
    return Error::failure(500, "Reply does not match its schema", fmt::format("'{}': no array at {}", name, s->pointer));
  }
  if (std::string why = validator.validate(r.skeleton()); !why.empty()) {
    spdlog::error("mi: the reply of '{}' does not match its reply schema: {}; skeleton: {}", name, why,
                  printable(to_compact_json(r.skeleton()), 2000));
    return Error::failure(500, "Reply does not match its schema", fmt::format("'{}': {}", name, why));
  }
  s->items = std::make_shared<ValidatedItems>(std::move(s->items), *items, name);
  return r;
}

}  // namespace

Dispatcher::Dispatcher(Registry& registry, Statistics& stats, DispatcherOptions options)
    : registry_(registry), stats_(stats), options_(options),
      workers_("MI worker", options.min_workers, options.max_workers, std::chrono::seconds(30),
               &stats.gauge("mi", "workers")),
      in_flight_stat_(stats.gauge("mi", "in_flight")),
      calls_(stats.counter("mi", "calls")), errors_(stats.counter("mi", "errors")),
      timeouts_(stats.counter("mi", "timeouts")), unknown_(stats.counter("mi", "unknown_commands")) {
  listener_ = registry_.on_add([this](const CommandSpec& spec) { stats_for(spec); });
}

Dispatcher::~Dispatcher() {
  registry_.remove_listener(listener_);
  stop();
}

const Dispatcher::CommandStats& Dispatcher::stats_for(const CommandSpec& spec) {
  {
    std::shared_lock lk(stats_mu_);
    if (auto it = command_stats_.find(&spec); it != command_stats_.end()) return it->second;
  }
  std::unique_lock lk(stats_mu_);
  auto [it, inserted] = command_stats_.try_emplace(&spec);
  if (inserted) {
    auto series = [&](const char* family, StatKind kind) {
      return &stats_.labeled("mi", family, "command", spec.name, kind);
    };
    it->second = CommandStats{series("calls", StatKind::counter),
                              series("errors", StatKind::counter),
                              series("latency_total_us", StatKind::counter),
                              series("latency_max_us", StatKind::gauge),
                              options_.validate_replies
                                  ? std::make_shared<const ReplyValidator>(spec.reply)
                                  : nullptr};
  }
  return it->second;
}

void Dispatcher::finish_error(const Request& req, Error e, const Done& done) {
  calls_.inc();
  errors_.inc();
  spdlog::debug("mi: {} from {}:{} -> {}", printable(req.method, 100), req.caller.transport,
                printable(req.caller.peer, 100),
                text_status_line(e));
  done(std::move(e));
}

void Dispatcher::call(Request req, Done done) {
  const CommandSpec* spec =
      req.case_insensitive ? registry_.find_case_insensitive(req.method) : registry_.find(req.method);
  if (!spec) {
    unknown_.inc();
    return finish_error(req, Error::unknown_command(req.method), done);
  }
  const CommandStats& cs = stats_for(*spec);
  auto fail = [&](Error e) {
    cs.calls->inc();
    cs.errors->inc();
    finish_error(req, std::move(e), done);
  };
  if (req.caller.safe_method && !spec->has(kReadOnly))
    return fail(Error::forbidden(fmt::format("'{}' changes state: it is not run for a GET (send it "
                                             "with POST)",
                                             spec->name)));
  if (req.caller.role == Role::read_only && !spec->has(kReadOnly))
    return fail(Error::forbidden(fmt::format("'{}' changes state; this caller is read-only",
                                             spec->name)));
  if (spec->has(kAdmin) && req.caller.role != Role::admin)
    return fail(Error::forbidden(fmt::format("'{}' needs the admin role", spec->name)));
  if (!accepting_.load()) return fail(Error::failure(503, "Server shutting down"));

  auto bound = bind_params(*spec, req.params);
  if (auto* e = std::get_if<Error>(&bound)) return fail(std::move(*e));

  calls_.inc();
  cs.calls->inc();
  in_flight_.fetch_add(1);
  in_flight_stat_.inc();
  auto start = Clock::now();
  auto timer_id = std::make_shared<std::atomic<std::uint64_t>>(0);
  Completion completion([this, &cs, start, timer_id, done = std::move(done), name = spec->name, spec,
                         accepts_stream = req.caller.accepts_stream](Result r) {
    if (std::uint64_t id = timer_id->load()) timer_.cancel(id);
    if (r.is_stream() && !accepts_stream) r = drained(std::move(r));
    if (cs.validator && r.is_stream()) r = checked_stream(name, spec->reply, *cs.validator, std::move(r));
    else if (cs.validator && r.ok()) r = checked_reply(name, *cs.validator, std::move(r));
    auto us = micros_since(start);
    cs.latency_us->inc(us);
    cs.latency_max_us->raise_to(us);
    if (!r.ok()) {
      errors_.inc();
      cs.errors->inc();
      if (r.error().kind == ErrorKind::timeout) timeouts_.inc();
    }
    done(std::move(r));
    in_flight_stat_.dec();
    if (in_flight_.fetch_sub(1) == 1) {
      std::lock_guard lk(idle_mu_);
      idle_cv_.notify_all();
    }
  });
  Args args(spec, std::move(std::get<std::vector<Value>>(bound)), std::move(req.caller));
  if (spec->has(kInline)) {  // cheap by declaration: no hand-off, no timeout needed
    run(*spec, std::move(args), std::move(completion), req.precondition);
    return;
  }
  timer_id->store(timer_.schedule(start + options_.call_timeout,
                                  [deliver = completion.weak()] { deliver(Error::timeout()); }));
  // If the call completed before the id was stored, the timer entry fires harmlessly later
  // (the weak deliverer finds the call done) — cancel it now to keep the table small.
  if (completion.done()) timer_.cancel(timer_id->load());

  auto job = [this, spec, args = std::move(args), completion,
              precondition = std::move(req.precondition)]() mutable {
    run(*spec, std::move(args), std::move(completion), precondition);
  };
  bool posted;
  if (spec->has(kEngine)) {
    Executor* engine = engine_.load();
    posted = engine && engine->post(std::move(job));
    // No engine, or its queue is full (sip.max_queue): 503 either way, saying which.
    if (!posted)
      completion(Error::failure(503, engine ? "SIP engine overloaded (sip.max_queue full): retry later"
                                            : "SIP engine not running"));
    return;
  }
  posted = workers_.post(std::move(job));
  if (!posted) completion(Error::failure(503, "Server shutting down"));
}

void Dispatcher::run(const CommandSpec& spec, Args args, Completion completion,
                     const std::function<std::optional<Error>()>& precondition) {
  try {
    if (precondition) {
      if (std::optional<Error> refused = precondition()) {
        completion(std::move(*refused));
        return;
      }
    }
    if (spec.has(kAsync)) {
      spec.async_handler(args, completion);
    } else {
      Result r = spec.handler(args);
      if (r.ok() && spec.has(kConfig) && config_hook_) {
        try {
          config_hook_(spec);
        } catch (const std::exception& e) {  // the write itself is committed: say so, log this
          spdlog::error("mi: '{}' succeeded but its configuration revision was not recorded: {}",
                        spec.name, e.what());
        }
      }
      completion(std::move(r));
    }
  } catch (const std::exception& e) {
    spdlog::error("mi: command '{}' threw: {}", spec.name, e.what());
    completion(Error::failure(500, "Internal error", "the command failed; see the server log"));
  } catch (...) {
    spdlog::error("mi: command '{}' threw a non-standard exception", spec.name);
    completion(Error::failure(500, "Internal error"));
  }
}

Result Dispatcher::call_sync(Request request) {
  std::promise<Result> p;
  auto f = p.get_future();
  call(std::move(request), [&p](Result r) { p.set_value(std::move(r)); });
  return f.get();
}

std::vector<TextBlock> Dispatcher::text_layout(std::string_view name) const {
  std::vector<TextBlock> out;
  if (const CommandSpec* s = registry_.find_case_insensitive(name))
    for (const auto& p : s->params) out.push_back(p.text_block);
  return out;
}

void Dispatcher::set_engine(Executor* engine) { engine_.store(engine); }

void Dispatcher::set_config_hook(std::function<void(const CommandSpec&)> hook) {
  config_hook_ = std::move(hook);
}

void Dispatcher::stop_accepting() { accepting_.store(false); }

bool Dispatcher::wait_idle(std::chrono::milliseconds deadline) {
  std::unique_lock lk(idle_mu_);
  return idle_cv_.wait_for(lk, deadline, [this] { return in_flight_.load() == 0; });
}

void Dispatcher::stop() {
  accepting_.store(false);
  workers_.stop();
  timer_.stop();
}

}  // namespace sb::mi
