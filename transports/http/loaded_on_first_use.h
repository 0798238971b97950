// loaded_on_first_use.h: a value read the first time a request needs it and kept afterwards
// (the web panel's files, the API reference bundle, the OpenAPI document), so that a daemon
// nobody browses holds none of it: about 2 MB less resident memory at idle. Only a successful
// load is kept: while the loader finds nothing (the panel not built yet, say) or throws, every
// request tries again, so building the panel after the daemon started works.
// Threading: get() may be called from any HTTP thread; loads are serialised by a mutex, and the
// value, once published, is immutable and shared (a request keeps it alive while it uses it).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace sb::transports {

template <class T>
class LoadedOnFirstUse {
 public:
  /// `load` returns the value, or nullopt when there is nothing to load yet.
  LoadedOnFirstUse(std::string what, std::function<std::optional<T>()> load)
      : what_(std::move(what)), load_(std::move(load)) {}

  /// The value; null while it could not be loaded.
  std::shared_ptr<const T> get() {
    std::lock_guard lk(mu_);
    if (!value_) {
      try {
        if (std::optional<T> v = load_()) value_ = std::make_shared<const T>(std::move(*v));
      } catch (const std::exception& e) {
        spdlog::warn("http: cannot load {}: {}", what_, e.what());
      }
    }
    return value_;
  }

 private:
  const std::string what_;
  std::mutex mu_;
  std::function<std::optional<T>()> load_;
  std::shared_ptr<const T> value_;
};

}  // namespace sb::transports
