// delivery.cpp: see delivery.h.
#include "gateway/events/delivery.h"

#include <thread>

namespace sb::gateway::events {

void wait_unless_stopped(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
}

std::string printable_socket(const std::string& socket) {
  auto scheme = socket.find("://");
  if (scheme == std::string::npos) return socket;
  auto at = socket.find('@', scheme + 3);
  auto slash = socket.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return socket;
  return socket.substr(0, scheme + 3) + "***@" + socket.substr(at + 1);
}

std::variant<std::unique_ptr<Delivery>, std::string> make_delivery(const std::string& socket,
                                                                   const std::string& secret,
                                                                   const DeliveryLimits& limits) {
  bool webhook = socket.rfind("http://", 0) == 0 || socket.rfind("https://", 0) == 0;
  if (!secret.empty() && !webhook) return "a secret signs webhooks only (http:// or https://)";
  if (webhook) return make_webhook_delivery(socket, secret, limits);
  if (socket.rfind("udp:", 0) == 0 || socket.rfind("unix:", 0) == 0) return make_datagram_delivery(socket);
  if (socket.rfind("tcp:", 0) == 0) return make_stream_delivery(socket, limits);
  if (socket.rfind("exec:", 0) == 0) return make_exec_delivery(socket.substr(5), limits);
  return "unknown socket kind: use udp:host:port, unix:/path, tcp:host:port, http(s)://…, or exec:/program";
}

}  // namespace sb::gateway::events
