// loaded_on_first_use.h: a value built the first time a request needs it and kept afterwards
// (the web panel's files, the API reference bundle, the OpenAPI document), so that a daemon
// nobody browses holds none of it: about 2 MB less resident memory at idle.
// Threading: get() may be called from any HTTP thread; the first caller builds the value under
// std::call_once, the others wait for it; the value is immutable afterwards.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <utility>

namespace sb::transports {

template <class T>
class LoadedOnFirstUse {
 public:
  explicit LoadedOnFirstUse(std::function<T()> load) : load_(std::move(load)) {}
  const T& get() {
    std::call_once(once_, [this] {
      value_.emplace(load_());
      load_ = nullptr;  // release what the loader captured
    });
    return *value_;
  }

 private:
  std::once_flag once_;
  std::function<T()> load_;
  std::optional<T> value_;
};

}  // namespace sb::transports
