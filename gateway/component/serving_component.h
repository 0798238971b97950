// serving_component.h: the shutdown half of a Component that owns one server object (a
// transport): stop_accepting() and finish() are forwarded to it once it exists.
// Threading: as Component (main thread).
#pragma once

#include <chrono>
#include <memory>

#include "gateway/component/component.h"

namespace sb::gateway {

/// `Server` has start(), stop_accepting() and finish(std::chrono::milliseconds).
template <class Server>
class ServingComponent : public Component {
 public:
  void start(Runtime& rt) override {
    server_ = make(*rt.dispatcher);
    server_->start();
  }
  void stop_accepting() override {
    if (server_) server_->stop_accepting();
  }
  void finish(std::chrono::milliseconds left) override {
    if (server_) server_->finish(left);
  }

 protected:
  /// Builds the server from the configuration read by configure().
  virtual std::unique_ptr<Server> make(mi::Dispatcher& dispatcher) = 0;
  std::unique_ptr<Server> server_;
};

}  // namespace sb::gateway
