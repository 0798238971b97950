// http_host_test.cpp: the HTTP host's route table (http_host.h) in-process: a route is one
// add_route() call; {params}, 404 listing the routes, 405 + Allow, "GET never mutates" enforced
// by the host for every route; and the WebSocket bridge (websocket_bridge.h) proven with an echo
// route and a real Boost.Beast client: libmicrohttpd answers the upgrade on the same port, Beast
// serves the frames (small, large, fragmented-by-size messages, clean close), auth and Host
// checks apply to upgrades like to any request.
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "mi/dispatcher.h"
#include "mi/reply_schema.h"
#include "transports/http/http_client.h"
#include "transports/http/http_host.h"
#include "transports/http/websocket_bridge.h"

namespace sb::transports {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

class HttpHostTest : public ::testing::Test {
 protected:
  HttpHostTest() : dispatcher(registry, stats) {
    mi::CommandSpec write;
    write.name = "bump";
    write.module = "test";
    write.summary = "Changes state (a counter).";
    write.reply = mi::schema::uint();
    write.handler = [this](const mi::Args&) -> mi::Result { return mi::Value(++bumps); };
    registry.add(std::move(write));
  }
  ~HttpHostTest() override {
    if (host) host->finish(0ms);
  }

  void start(HttpConfig cfg = {}) {
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    if (cfg.tokens.empty()) cfg.anonymous_role = mi::Role::admin;
    host = std::make_unique<HttpHost>(cfg, dispatcher);
    HttpRoute echo;  // a route is one declaration: methods, pattern, handler
    echo.methods = {"GET"};
    echo.pattern = "/echo/{word}/twice";
    echo.summary = "GET /echo/<word>/twice";
    echo.handle = [](HttpRequest& req, HttpRespond respond) {
      const std::string& w = req.params.at("word");
      respond(HttpReply{200, "text/plain", w + w, {}});
    };
    host->add_route(std::move(echo));
    HttpRoute bump;  // a GET route that tries to change state
    bump.methods = {"GET", "POST"};
    bump.pattern = "/bump";
    bump.handle = [this](HttpRequest& req, HttpRespond respond) {
      dispatcher.call(mi::Request{"bump", mi::Value(), req.caller, false},
                      [respond = std::move(respond)](mi::Result r) {
                        respond(r.ok() ? HttpReply{200, "text/plain", mi::to_compact_json(r.value()), {}}
                                       : text_reply(403, r.error().reason));
                      });
    };
    host->add_route(std::move(bump));
    HttpRoute ws;
    ws.methods = {"GET"};
    ws.pattern = "/ws/echo";
    ws.summary = "GET /ws/echo (WebSocket)";
    ws.websocket = [](int socket, std::string already_read, const HttpRequest&) {
      WebSocketSession session(socket, already_read);
      while (auto message = session.read()) session.write(*message);
    };
    host->add_route(std::move(ws));
    host->start();
    ASSERT_GT(host->port(), 0);
  }

  client::HttpResponse get(const std::string& path, const std::string& method = "GET") {
    client::HttpClientOptions o;
    o.port = host->port();
    o.timeout = 10s;
    return client::http_request(o, method, path, "", "");
  }

  /// A WebSocket client (Beast) connected to /ws/echo; throws on a failed handshake.
  std::unique_ptr<websocket::stream<net::ip::tcp::socket>> connect_ws(
      const std::string& path = "/ws/echo", const std::string& bearer = "") {
    auto ws = std::make_unique<websocket::stream<net::ip::tcp::socket>>(io);
    net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(host->port()));
    ws->next_layer().connect(ep);
    if (!bearer.empty())
      ws->set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
        req.set(beast::http::field::authorization, "Bearer " + bearer);
      }));
    ws->handshake("127.0.0.1", path);
    return ws;
  }

  mi::Registry registry;
  mi::Statistics stats;
  mi::Dispatcher dispatcher;
  std::unique_ptr<HttpHost> host;
  net::io_context io;
  int bumps = 0;
};

TEST_F(HttpHostTest, RoutesMatchPatternsWithParams) {
  start();
  auto r = get("/echo/ab/twice");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abab");
  EXPECT_EQ(get("/echo/ab").status, 404);
  EXPECT_EQ(get("/echo//twice").status, 404);  // a {param} is one non-empty segment
  auto nf = get("/nowhere");
  EXPECT_EQ(nf.status, 404);
  EXPECT_NE(nf.body.find("GET /echo/<word>/twice"), std::string::npos) << nf.body;  // the route table
  auto m = get("/echo/ab/twice", "DELETE");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.header("Allow"), "GET, HEAD");
}

TEST_F(HttpHostTest, GetNeverMutatesWhateverTheRouteDoes) {
  start();
  auto r = get("/bump");
  EXPECT_EQ(r.status, 403) << r.body;  // the caller is admin: only the GET rule refuses it
  EXPECT_EQ(bumps, 0);
  client::HttpClientOptions o;
  o.port = host->port();
  EXPECT_EQ(client::http_request(o, "POST", "/bump", "", "").status, 200);
  EXPECT_EQ(bumps, 1);
}

TEST_F(HttpHostTest, WebSocketEchoOnTheSamePort) {
  start();
  auto ws = connect_ws();
  beast::flat_buffer buffer;
  for (std::string message : {std::string("hello"), std::string("second"), std::string(200'000, 'x')}) {
    ws->write(net::buffer(message));
    buffer.clear();
    ws->read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), message);
  }
  ws->close(websocket::close_code::normal);
  // Plain HTTP on the same port still works after (and next to) the upgrade.
  EXPECT_EQ(get("/echo/z/twice").body, "zz");
}

TEST_F(HttpHostTest, WebSocketRoutesRefusePlainRequestsAndBadUpgrades) {
  start();
  EXPECT_EQ(get("/ws/echo").status, 426);
  client::HttpClientOptions o;
  o.port = host->port();
  EXPECT_EQ(client::http_request(o, "GET", "/ws/echo", "", "",
                                 {{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                                  {"Sec-WebSocket-Key", "short"}, {"Sec-WebSocket-Version", "13"}})
                .status,
            400);
}

TEST_F(HttpHostTest, WebSocketUpgradesAreAuthenticatedLikeAnyRequest) {
  HttpConfig cfg;
  cfg.tokens = {HttpCredential{"token#1", "s3cret-token", mi::Role::read_only}};
  start(cfg);
  EXPECT_THROW(connect_ws(), boost::system::system_error);              // 401: no credentials
  EXPECT_THROW(connect_ws("/ws/echo", "wrong"), boost::system::system_error);
  auto ws = connect_ws("/ws/echo", "s3cret-token");
  ws->write(net::buffer(std::string("ok")));
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "ok");
  ws->close(websocket::close_code::normal);
}

}  // namespace
}  // namespace sb::transports
