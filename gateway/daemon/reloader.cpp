// reloader.cpp: see reloader.h.
#include "gateway/daemon/reloader.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/daemon/components.h"
#include "gateway/daemon/service_manager.h"

namespace sb::gateway {

namespace {
std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

Reloader::Reloader(std::string file, std::vector<std::string> overrides, Config running,
                   std::vector<Component*> components)
    : file_(std::move(file)), overrides_(std::move(overrides)), running_(std::move(running)),
      components_(std::move(components)) {}

mi::Value Reloader::reload() {
  Config next = load_daemon_config(file_, overrides_);  // throws: nothing changes
  std::vector<std::string> applied, restart;
  for (const KeySpec* k : next.schema().keys()) {
    const std::string name = k->name();
    if (next.text(name) == running_.text(name)) continue;
    (k->live ? applied : restart).push_back(name);
  }
  auto params = [](const Config& c) {
    std::map<std::string, std::string> flat;
    for (const auto& [module, keys] : c.module_params())
      for (const auto& [key, setting] : keys) flat["module." + module + "." + key] = setting.value;
    return flat;
  };
  auto before = params(running_), after = params(next);
  for (const auto& [name, value] : after)
    if (auto it = before.find(name); it == before.end() || it->second != value) restart.push_back(name);
  for (const auto& [name, value] : before)
    if (!after.count(name)) restart.push_back(name);

  if (!applied.empty()) {
    for (Component* c : components_) c->reload(next);
    for (const auto& name : applied) running_.apply_override(name + "=" + next.text(name));
  }
  mi::Value a = mi::Value::array(), r = mi::Value::array();
  for (const auto& n : applied) a.push_back(n);
  for (const auto& n : restart) r.push_back(n);
  if (applied.empty() && restart.empty()) spdlog::info("reload: {}: nothing changed", file_);
  else
    spdlog::info("reload: {}: applied: {}; needs a restart: {}", file_, applied.empty() ? "nothing" : joined(applied),
                 restart.empty() ? "nothing" : joined(restart));
  return mi::Value{{"applied", std::move(a)}, {"restart_needed", std::move(r)}};
}

void Reloader::on_signal() {
  std::uint64_t target;
  {
    std::lock_guard lk(mu_);
    target = asked_;
  }
  mi::Value result;
  std::string error;
  service::notify_reloading();
  try {
    result = reload();
    service::notify_reloaded(fmt::format("reloaded {}", file_));
  } catch (const std::exception& e) {
    error = e.what();
    spdlog::error("reload: {}: nothing changed", error);
    service::notify_reloaded(fmt::format("reload of {} failed: {}", file_, error));
  }
  std::lock_guard lk(mu_);
  last_ = std::move(result);
  last_error_ = std::move(error);
  done_ = std::max(done_, target);
  cv_.notify_all();
}

mi::Value Reloader::request(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const std::uint64_t mine = ++asked_;
  lk.unlock();
  ::kill(::getpid(), SIGHUP);
  lk.lock();
  if (!cv_.wait_for(lk, timeout, [&] { return done_ >= mine; }))
    throw std::runtime_error("the main thread did not reload within the time allowed");
  if (!last_error_.empty()) throw std::invalid_argument(last_error_);
  return last_;
}

}  // namespace sb::gateway
