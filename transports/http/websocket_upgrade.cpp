// websocket_upgrade.cpp: the 101 and the hand-over of the upgraded socket (see websocket_upgrade.h).
#include "transports/http/websocket_upgrade.h"

#include <exception>
#include <memory>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "mi/threads.h"
#include "transports/net/printable.h"

namespace sb::transports {

namespace {

struct UpgradeContext {
  UpgradedSockets* upgraded;
  WebSocketHandler handler;
  HttpRequest request;
};

void on_upgrade(void* cls, MHD_Connection* /*conn*/, void* /*con_cls*/, const char* extra_in,
                size_t extra_in_size, MHD_socket sock, MHD_UpgradeResponseHandle* urh) {
  std::unique_ptr<UpgradeContext> ctx(static_cast<UpgradeContext*>(cls));
  std::string extra(extra_in ? extra_in : "", extra_in ? extra_in_size : 0);
  UpgradedSockets* upgraded = ctx->upgraded;
  if (!upgraded->adopt(static_cast<int>(sock))) {
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    return;
  }
  // The WebSocket runs on its own thread; MHD's upgrade handle is closed when it ends.
  std::thread([ctx = std::move(ctx), extra = std::move(extra), sock, urh, upgraded]() mutable {
    mi::ThreadTag tag("WebSocket");
    try {
      ctx->handler(static_cast<int>(sock), std::move(extra), ctx->request);
    } catch (const std::exception& e) {
      spdlog::warn("http: WebSocket {}: {}", printable(ctx->request.path, 100), e.what());
    }
    upgraded->release(static_cast<int>(sock), [urh] { MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE); });
  }).detach();
}

}  // namespace

MhdResult queue_websocket_upgrade(MHD_Connection* conn, const std::string& accept_key, WebSocketHandler handler,
                                  HttpRequest request, UpgradedSockets& upgraded) {
  auto* ctx = new UpgradeContext{&upgraded, std::move(handler), std::move(request)};
  MHD_Response* resp = MHD_create_response_for_upgrade(&on_upgrade, ctx);
  if (!resp) {
    delete ctx;
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
  MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept_key.c_str());
  MhdResult ok = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
  MHD_destroy_response(resp);
  if (ok != MHD_YES) delete ctx;
  return ok;
}

}  // namespace sb::transports
