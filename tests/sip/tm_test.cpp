// tm_test.cpp: t_uac_dlg and t_uac_cancel against the real daemon and a scripted SIP peer —
// the SER text dialect, JSON-RPC named params, the validation errors, the 64*T1 timeout, the
// engine staying responsive while a transaction is pending, CANCEL of a ringing INVITE, and the
// tm / core statistics.
#include <signal.h>

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"
#include "transports/datagram/datagram_client.h"
#include "transports/http/http_client.h"

namespace sb::test::sip {
namespace {

std::string peer_ruri(const SipPeer& p, const std::string& user = "x") {
  return "sip:" + user + "@127.0.0.1:" + std::to_string(p.port());
}

/// t_uac_dlg over the FIFO JSON dialect with named params; returns the parsed reply.
json uac(const TestDaemon& d, const std::string& method, const std::string& ruri, const std::string& headers,
         const std::string& body = "", json extra = json::object()) {
  json params = {{"method", method}, {"ruri", ruri}, {"headers", headers}};
  if (!body.empty()) params["body"] = body;
  for (auto& [k, v] : extra.items()) params[k] = v;
  return rpc(d, "t_uac_dlg", params);
}

const std::string kStdHeaders = "From: <sip:daemon@example.com>\r\nTo: <sip:x@127.0.0.1>\r\n";

// --- text dialect -----------------------------------------------------------------------------

TEST(SipTm, TextDialectOptionsToAListeningPeer) {
  TestDaemon d;
  SipPeer peer;
  peer.serve([](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    return {SipPeer::make_response(req, 200, "OK", {{"X-Peer", "listening-1"}, {"Server", "sb-sip-peer/1"}})};
  });
  auto reply = d.call([&](const std::string& name) {
    return ":t_uac_dlg:" + name + "\nOPTIONS\n" + peer_ruri(peer) +
           "\n.\nFrom: sip:daemon@example.com\nTo: <sip:x@127.0.0.1>\nContact: <sip:daemon@!!>\n.\n.\n\n";
  });
  ASSERT_TRUE(reply.ok) << reply.error;
  const std::string& t = reply.text;
  // SER 0.9: the SIP final status is the status line, then the dialog's request-URI, next hop
  // and route ("." each), then the reply from its first header.
  EXPECT_EQ(t.rfind("200 OK\n.\n.\n.\nVia: ", 0), 0u) << t;
  EXPECT_NE(t.find("X-Peer: listening-1"), std::string::npos) << "the peer's reply headers: " << t;
  EXPECT_NE(t.find("Server: sb-sip-peer/1"), std::string::npos) << t;

  auto got = peer.wait_for_method("OPTIONS", 2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->uri, peer_ruri(peer));
  EXPECT_EQ(header_uri(got->header("From")), "sip:daemon@example.com") << got->raw;
  EXPECT_FALSE(got->from_tag().empty()) << "the daemon adds a From tag: " << got->raw;
  EXPECT_EQ(header_uri(got->header("To")), "sip:x@127.0.0.1");
  EXPECT_TRUE(got->to_tag().empty());
  const std::string self = "127.0.0.1:" + std::to_string(d.sip_port());
  EXPECT_EQ(header_uri(got->header("Contact")), "sip:daemon@" + self) << "`!!` = the daemon's address: " << got->raw;
  EXPECT_EQ(got->cseq_method(), "OPTIONS");
  EXPECT_FALSE(got->header("Call-ID").empty());
  EXPECT_EQ(got->header("Max-Forwards"), "70");
  EXPECT_NE(got->header("Via").find(self), std::string::npos) << got->raw;
  EXPECT_EQ(got->branch().rfind("z9hG4bK", 0), 0u) << got->raw;
  EXPECT_EQ(got->from_port(), d.sip_port()) << "sent from the SIP listener";
  EXPECT_EQ(got->header("Content-Length"), "0");
  // The Message part starts at the first header of the reply: the status line is not repeated.
  EXPECT_EQ(t.find("SIP/2.0 200"), std::string::npos) << t;
  expect_clean_stop(d);
}

TEST(SipTm, TextDialectStatusLineIsTheSipFailure) {
  // A script checking the status line (or sbctl's exit code) must see a failed request: SER 0.9
  // put the SIP final status there (issue #11). JSON-RPC keeps {Status, Message}.
  TestDaemon d;
  SipPeer peer;
  peer.serve([](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    return {SipPeer::make_response(req, 486, "Busy Here", {})};
  });
  auto reply = d.call([&](const std::string& name) {
    return ":t_uac_dlg:" + name + "\nOPTIONS\n" + peer_ruri(peer) +
           "\n.\nFrom: sip:daemon@example.com\nTo: <sip:x@127.0.0.1>\n.\n.\n\n";
  });
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.text.rfind("486 Busy Here\n.\n.\n.\n", 0), 0u) << reply.text;
  json r = uac(d, "OPTIONS", peer_ruri(peer), kStdHeaders);
  EXPECT_EQ(r["result"]["Status"], "486 Busy Here") << r.dump();
  expect_clean_stop(d);
}

TEST(SipTm, TextDialectErrorIsAStatusLine) {
  TestDaemon d;
  auto reply = d.call([&](const std::string& name) {
    return ":t_uac_dlg:" + name + "\nOPTIONS\nsip:x@127.0.0.1:9\n.\nTo: <sip:x@127.0.0.1>\n.\n.\n\n";
  });
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.text.rfind("400 From missing\n", 0), 0u) << reply.text;
  expect_clean_stop(d);
}

// --- JSON-RPC, MESSAGE with a body -------------------------------------------------------------

TEST(SipTm, JsonMessageWithBody) {
  TestDaemon d;
  SipPeer peer;
  peer.serve([](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    return {SipPeer::make_response(req, 202, "Accepted", {{"X-Got-Bytes", std::to_string(req.body.size())}})};
  });
  json j = uac(d, "MESSAGE", peer_ruri(peer, "bob"),
               "From: <sip:daemon@example.com>\r\nTo: <sip:bob@example.com>\r\nContent-Type: text/plain\r\n",
               "hello");
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["Status"], "202 Accepted");
  std::string msg = j["result"].value("Message", "");
  EXPECT_NE(msg.find("X-Got-Bytes: 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CSeq: 1 MESSAGE"), std::string::npos) << msg;

  auto got = peer.wait_for_method("MESSAGE", 2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, "hello");
  EXPECT_EQ(got->header("Content-Type"), "text/plain");
  EXPECT_EQ(got->header("Content-Length"), "5");
  EXPECT_EQ(got->uri, peer_ruri(peer, "bob"));
  EXPECT_EQ(header_uri(got->header("To")), "sip:bob@example.com");
  expect_clean_stop(d);
}

TEST(SipTm, CallerSuppliedCallIdCSeqAndSocketAreUsed) {
  TestDaemon d;
  SipPeer peer;
  peer.serve(SipPeer::answer_200());
  json j = uac(d, "OPTIONS", peer_ruri(peer),
               kStdHeaders + "Call-ID: my-call-id@test\r\nCSeq: 77 OPTIONS\r\nMax-Forwards: 5\r\n", "",
               {{"socket", "udp:127.0.0.1:" + std::to_string(d.sip_port())}});
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["Status"], "200 OK");
  auto got = peer.wait_for_method("OPTIONS", 2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->header("Call-ID"), "my-call-id@test");
  EXPECT_EQ(got->header("CSeq"), "77 OPTIONS");
  EXPECT_EQ(got->header("Max-Forwards"), "5");
  // next_hop: the request goes to the next hop, the Request-URI is kept.
  SipPeer proxy;
  proxy.serve(SipPeer::answer_200());
  j = uac(d, "OPTIONS", "sip:somebody@unresolvable.invalid", kStdHeaders, "",
          {{"next_hop", "sip:127.0.0.1:" + std::to_string(proxy.port())}});
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["Status"], "200 OK");
  auto via_proxy = proxy.wait_for_method("OPTIONS", 2s);
  ASSERT_TRUE(via_proxy);
  EXPECT_EQ(via_proxy->uri, "sip:somebody@unresolvable.invalid");
  expect_clean_stop(d);
}

// --- validation errors --------------------------------------------------------------------------

TEST(SipTm, ValidationErrors) {
  TestDaemon d;
  SipPeer peer;
  peer.serve(SipPeer::answer_200());
  const std::string ruri = peer_ruri(peer);
  struct Case {
    const char* what;
    std::string method, ruri, headers, body;
    json extra;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"no From", "OPTIONS", ruri, "To: <sip:x@127.0.0.1>\r\n", "", json::object(), 400, "From missing"},
      {"no To", "OPTIONS", ruri, "From: <sip:daemon@example.com>\r\n", "", json::object(), 400, "To missing"},
      {"no headers", "OPTIONS", ruri, "", "", json::object(), 400, "From missing"},
      {"body without Content-Type", "MESSAGE", ruri, kStdHeaders, "hi", json::object(), 400, "Content-Type missing"},
      {"Content-Length", "MESSAGE", ruri, kStdHeaders + "Content-Type: text/plain\r\nContent-Length: 2\r\n", "hi",
       json::object(), 400, "Content-Length disallowed"},
      {"compact Content-Length", "OPTIONS", ruri, kStdHeaders + "l: 0\r\n", "", json::object(), 400,
       "Content-Length disallowed"},
      {"CSeq not a number", "OPTIONS", ruri, kStdHeaders + "CSeq: abc OPTIONS\r\n", "", json::object(), 400,
       "Bad CSeq number"},
      {"CSeq method mismatch", "OPTIONS", ruri, kStdHeaders + "CSeq: 5 INVITE\r\n", "", json::object(), 400,
       "CSeq method mismatch"},
      {"bad ruri", "OPTIONS", "not a uri", kStdHeaders, "", json::object(), 400, "Invalid ruri"},
      {"tel ruri", "OPTIONS", "tel:+15551234", kStdHeaders, "", json::object(), 400, "Invalid ruri"},
      {"ruri without host", "OPTIONS", "sip:", kStdHeaders, "", json::object(), 400, "Invalid ruri"},
      {"bad next_hop", "OPTIONS", ruri, kStdHeaders, "", {{"next_hop", "garbage"}}, 400, "Invalid next_hop"},
      {"unknown socket", "OPTIONS", ruri, kStdHeaders, "", {{"socket", "udp:10.255.0.1:5060"}}, 404,
       "Local socket not found"},
      {"bad method", "OPT IONS", ruri, kStdHeaders, "", json::object(), 400, "Invalid method"},
  };
  long long uac_before = d.stat("tm:UAC_transactions");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    json j = uac(d, c.method, c.ruri, c.headers, c.body, c.extra);
    ASSERT_TRUE(j.contains("error")) << j.dump();
    EXPECT_EQ(j["error"]["code"], c.code) << j.dump();
    EXPECT_EQ(j["error"]["message"], c.message) << j.dump();
  }
  EXPECT_EQ(d.stat("tm:UAC_transactions"), uac_before) << "refused requests start no transaction";
  EXPECT_EQ(peer.received().size(), 0u) << "nothing was sent";
  expect_clean_stop(d);
}

// From / To that are not name-addr nor addr-spec (no URI scheme), or an empty Call-ID, make a
// request no SIP element can parse: t_uac_dlg has error texts for them, it must not send it.
TEST(SipTm, MalformedFromToAndCallIdAreRefused) {
  TestDaemon d;
  SipPeer peer;
  peer.serve(SipPeer::answer_200());
  struct Case {
    const char* what;
    std::string headers;
    std::string message;  ///< empty: any 400
  };
  std::vector<Case> cases = {
      {"From not a URI", "From: garbage\r\nTo: <sip:x@127.0.0.1>\r\n", "Error in From"},
      {"To not a URI", "From: <sip:daemon@example.com>\r\nTo: garbage\r\n", "Bad To"},
      {"empty Call-ID", kStdHeaders + "Call-ID: \r\n", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    json j = uac(d, "OPTIONS", peer_ruri(peer), c.headers);
    ASSERT_TRUE(j.contains("error")) << "sent anyway: " << j.dump();
    EXPECT_EQ(j["error"]["code"], 400) << j.dump();
    if (!c.message.empty()) {
      EXPECT_EQ(j["error"]["message"], c.message) << j.dump();
    }
  }
  // A valid request as a marker: sent after the refused ones from the same socket, so once its
  // 200 is back anything sent before it has arrived too. The peer must have seen only it.
  json marker = uac(d, "OPTIONS", peer_ruri(peer), kStdHeaders);
  ASSERT_EQ(marker["result"]["Status"], "200 OK") << marker.dump();
  auto got = peer.received();
  ASSERT_EQ(got.size(), 1u);
  for (std::size_t i = 0; i + 1 < got.size(); ++i) ADD_FAILURE() << "the peer received:\n" << got[i].raw;
  expect_clean_stop(d);
}

// RFC 3261 §13.2.2.4 / §17.1.1.3: the UAC core acknowledges every 2xx to an INVITE (SER's tm
// does it for t_uac_dlg too). Without the ACK the callee retransmits its 200 for 32 s and then
// drops the call.
TEST(SipTm, InviteAnsweredWith200IsAcknowledged) {
  TestDaemon d;
  SipPeer peer;
  const std::string contact = "<sip:callee@127.0.0.1:" + std::to_string(peer.port()) + ">";
  peer.serve([&contact](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "INVITE") return {SipPeer::make_response(req, 200, "OK", {{"Contact", contact}})};
    if (req.method == "BYE") return {SipPeer::make_response(req, 200, "OK")};
    return {};
  });
  json j = uac(d, "INVITE", peer_ruri(peer, "callee"),
               "From: <sip:daemon@example.com>\r\nTo: <sip:callee@127.0.0.1>\r\nContact: <sip:daemon@!!>\r\n");
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["Status"], "200 OK");
  auto invite = peer.wait_for_method("INVITE", 1s);
  ASSERT_TRUE(invite);
  auto ack = peer.wait_for_method("ACK", 2s);
  ASSERT_TRUE(ack) << "the 200 OK to the INVITE was never acknowledged";
  EXPECT_EQ(ack->header("Call-ID"), invite->header("Call-ID"));
  EXPECT_EQ(ack->cseq(), invite->cseq());
  EXPECT_EQ(ack->cseq_method(), "ACK");
  EXPECT_EQ(ack->uri, header_uri(contact)) << "the 2xx ACK goes to the callee's Contact";
  EXPECT_EQ(ack->to_tag(), "peer-tag-1");
  EXPECT_NE(ack->branch(), invite->branch()) << "a 2xx ACK is a new transaction";
  expect_clean_stop(d);
}

// ACK has no response: a t_uac_dlg ACK must be answered once it is sent, not wait for a reply
// that never comes (until core.call_timeout_ms), and must not stay a pending transaction that
// holds every later shutdown for core.shutdown_timeout_ms.
TEST(SipTm, AckIsAnsweredOnceSentAndLeavesNoPendingTransaction) {
  TestDaemon d({"core.call_timeout_ms=3000", "core.shutdown_timeout_ms=3000"});
  SipPeer peer;
  peer.serve(nullptr);
  auto start = std::chrono::steady_clock::now();
  json j = uac(d, "ACK", peer_ruri(peer), kStdHeaders + "Call-ID: some-dialog@x\r\nCSeq: 1 ACK\r\n");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_LT(took.count(), 1500) << "answered only by the call timeout: " << j.dump();
  EXPECT_NE(j.value("error", json::object()).value("code", 0), 408) << j.dump();
  if (j.contains("result")) {
    EXPECT_TRUE(peer.wait_for_method("ACK", 1s)) << "reported sent, never arrived";
  }
  EXPECT_TRUE(wait_until([&] { return d.stat("tm:inuse_transactions") == 0; }, 1s))
      << "the ACK stays a pending transaction";
  auto stop_start = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop(SIGTERM), 0);
  auto stop_took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stop_start);
  EXPECT_LT(stop_took.count(), 2500) << "shutdown waited for a transaction that can never complete";
  expect_clean_log(d);
}

// --- timeout ----------------------------------------------------------------------------------

TEST(SipTm, BlackHoleTimesOutWith408After64T1) {
  TestDaemon d({"sip.t1_ms=20"});
  SipPeer hole;
  hole.serve(nullptr);
  long long local = d.stat("tm:local_replies");
  auto start = std::chrono::steady_clock::now();
  json j = uac(d, "OPTIONS", peer_ruri(hole), kStdHeaders);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("[          ] t_uac_dlg to a black hole with T1=20ms answered in %lld ms\n",
              static_cast<long long>(took.count()));
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"], json({{"Status", "408 Request Timeout"}})) << j.dump();
  EXPECT_GE(took.count(), 1000) << "64*T1 = 1280 ms: answered before the timer ran out";
  EXPECT_LT(took.count(), 4000);
  // UDP: the request was retransmitted (T1, 2*T1, 4*T1, …) to the silent peer.
  EXPECT_GE(hole.count("OPTIONS"), 4u);
  EXPECT_EQ(d.stat("tm:local_replies"), local + 1);
  // The transaction is forgotten on the engine's next turn.
  EXPECT_TRUE(wait_until([&] { return d.stat("tm:inuse_transactions") == 0; }, 1s));
  expect_clean_stop(d);
}

// --- the engine stays responsive while a transaction is pending ------------------------------

TEST(SipTm, CommandsStayResponsiveWhileATransactionIsPendingAndShutdownIsClean) {
  TestDaemon d({"core.shutdown_timeout_ms=2000"});  // default T1: the transaction would last 32 s
  SipPeer hole;
  hole.serve(nullptr);
  ASSERT_EQ(rpc(d, "subscriber_add", {"u", "example.com", "pw"})["result"], "OK");

  auto pending = std::async(std::launch::async, [&] {
    return d.json(json({{"jsonrpc", "2.0"}, {"method", "t_uac_dlg"}, {"id", 99},
                        {"params", {{"method", "OPTIONS"}, {"ruri", peer_ruri(hole)}, {"headers", kStdHeaders}}}})
                      .dump());
  });
  ASSERT_TRUE(hole.wait_for_method("OPTIONS", 3s)) << "the request never left";
  ASSERT_TRUE(wait_until([&] { return d.stat("tm:inuse_transactions") == 1; }, 2s));

  constexpr int kCalls = 50;
  client::DatagramClientOptions unix_o;
  unix_o.unix_path = d.unix_socket();
  unix_o.client_dir = d.dir();
  unix_o.timeout = 5s;
  client::DatagramClientOptions udp_o;
  udp_o.udp = "127.0.0.1:" + std::to_string(d.udp_port());
  udp_o.timeout = 5s;
  client::HttpClientOptions http_o;
  http_o.port = d.http_port();
  http_o.timeout = 5s;
  std::atomic<int> failures{0};
  auto check = [&](bool ok, const std::string& what) {
    if (!ok && failures.fetch_add(1) < 5) ADD_FAILURE() << what;
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i) {
      std::string r = d.text("uptime");
      check(r.rfind("200 OK\n", 0) == 0, "fifo uptime: " + r);
    }
  });
  threads.emplace_back([&] {
    client::DatagramClient c(unix_o);
    for (int i = 0; i < kCalls; ++i) {
      auto r = c.call(client::datagram_text_request("uptime", {}));
      check(r.ok && r.text.rfind("200 OK\n", 0) == 0, "unix uptime: " + r.text + r.error);
    }
  });
  threads.emplace_back([&] {
    client::DatagramClient c(udp_o);
    for (int i = 0; i < kCalls; ++i) {
      auto r = c.call(client::datagram_text_request("uptime", {}));
      check(r.ok && r.text.rfind("200 OK\n", 0) == 0, "udp uptime: " + r.text + r.error);
    }
  });
  threads.emplace_back([&] {
    client::HttpConnection c(http_o);
    for (int i = 0; i < kCalls; ++i) {
      auto r = c.post("/mi", R"({"jsonrpc":"2.0","method":"uptime","id":1})");
      check(r.ok && r.status == 200 && r.body.find("\"result\"") != std::string::npos, "http uptime: " + r.body + r.error);
    }
  });
  threads.emplace_back([&] {  // engine commands, FIFO
    for (int i = 0; i < kCalls; ++i) {
      json r = rpc(d, "ul_dump");
      check(r.contains("result"), "ul_dump: " + r.dump());
    }
  });
  threads.emplace_back([&] {  // engine commands, HTTP
    client::HttpConnection c(http_o);
    for (int i = 0; i < kCalls; ++i) {
      auto r = c.post("/mi", R"({"jsonrpc":"2.0","method":"subscriber_list","id":1})");
      check(r.ok && r.status == 200 && r.body.find("\"username\":\"u\"") != std::string::npos,
            "http subscriber_list: " + r.body + r.error);
    }
  });
  threads.emplace_back([&] {  // engine commands, datagram
    client::DatagramClient c(udp_o);
    for (int i = 0; i < kCalls; ++i) {
      auto r = c.call(R"({"jsonrpc":"2.0","method":"ul_dump","params":[1],"id":1})");
      check(r.ok && r.text.find("\"result\"") != std::string::npos, "udp ul_dump: " + r.text + r.error);
    }
  });
  for (auto& t : threads) t.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("[          ] %d calls over 7 channels while a t_uac_dlg was pending: %lld ms\n", 7 * kCalls,
              static_cast<long long>(took.count()));
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LT(took.count(), 5000) << "commands waited behind the pending transaction";
  EXPECT_EQ(pending.wait_for(0s), std::future_status::timeout) << "the t_uac_dlg is still pending";
  EXPECT_EQ(d.stat("tm:inuse_transactions"), 1);

  // SIGTERM with the transaction pending: the daemon exits cleanly within its grace period
  // (2 s) plus a margin, and the caller is told the transaction was aborted.
  auto stop_start = std::chrono::steady_clock::now();
  int rc = d.stop(SIGTERM, 10s);
  auto stop_took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stop_start);
  std::printf("[          ] SIGTERM with a pending t_uac_dlg: exit %d after %lld ms\n", rc,
              static_cast<long long>(stop_took.count()));
  EXPECT_EQ(rc, 0) << d.log();
  EXPECT_LT(stop_took.count(), 2000 + 2000);
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  std::string answer = pending.get();
  json a = json::parse(answer, nullptr, false);
  ASSERT_FALSE(a.is_discarded()) << "the pending t_uac_dlg got no answer at shutdown: '" << answer << "'";
  EXPECT_EQ(a["id"], 99);
  EXPECT_EQ(a["error"]["code"], 503) << answer;
  expect_clean_log(d);
}

// SIGTERM while a transaction is pending and about to complete: the caller gets the real
// answer and the daemon exits as soon as nothing is left (not after the whole grace period).
TEST(SipTm, SigtermLetsAPendingTransactionFinish) {
  TestDaemon d({"core.shutdown_timeout_ms=5000"});
  SipPeer slow;
  slow.serve(nullptr);  // records; the answer is sent by the test below
  auto call = std::async(std::launch::async, [&] { return uac(d, "OPTIONS", peer_ruri(slow), kStdHeaders); });
  auto req = slow.wait_for_method("OPTIONS", 3s);
  ASSERT_TRUE(req);
  auto stopper = std::async(std::launch::async, [&] {
    auto t0 = std::chrono::steady_clock::now();
    int rc = d.stop(SIGTERM, 10s);
    return std::make_pair(rc, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0));
  });
  // The daemon has begun its shutdown (it logs it) while the transaction is still pending.
  ASSERT_TRUE(wait_until([&] { return d.log().find(": shutting down (") != std::string::npos; }, 5s))
      << d.log();
  EXPECT_EQ(call.wait_for(0s), std::future_status::timeout) << "answered before the peer replied";
  slow.send_to(SipPeer::make_response(*req, 200, "OK", {{"X-Late", "yes"}}), req->from);
  ASSERT_EQ(call.wait_for(5s), std::future_status::ready);
  json j = call.get();
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["Status"], "200 OK");
  EXPECT_NE(j["result"].value("Message", "").find("X-Late: yes"), std::string::npos) << j.dump();
  auto [rc, took] = stopper.get();
  std::printf("[          ] SIGTERM with a transaction answered during the shutdown: exit %d after %lld ms\n", rc,
              static_cast<long long>(took.count()));
  EXPECT_EQ(rc, 0);
  EXPECT_LT(took.count(), 3000) << "waited for the grace period although nothing was pending";
  expect_clean_log(d);
}

// --- CANCEL -----------------------------------------------------------------------------------

TEST(SipTm, CancelOfARingingInvite) {
  TestDaemon d;
  SipPeer peer;
  peer.serve([&peer](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "INVITE")
      return {SipPeer::make_response(req, 100, "Trying"), SipPeer::make_response(req, 180, "Ringing")};
    if (req.method == "CANCEL") {
      std::vector<std::string> out = {SipPeer::make_response(req, 200, "OK")};
      for (const auto& m : peer.received())
        if (m.method == "INVITE" && m.header("Call-ID") == req.header("Call-ID")) {
          out.push_back(SipPeer::make_response(m, 487, "Request Terminated"));
          break;
        }
      return out;
    }
    return {};  // ACK
  });
  const std::string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          "m=audio 4000 RTP/AVP 0\r\n";
  auto call = std::async(std::launch::async, [&] {
    return uac(d, "INVITE", peer_ruri(peer, "callee"),
               "From: <sip:daemon@example.com>\r\nTo: <sip:callee@127.0.0.1>\r\nContact: <sip:daemon@!!>\r\n"
               "Content-Type: application/sdp\r\n",
               sdp);
  });
  auto invite = peer.wait_for_method("INVITE", 3s);
  ASSERT_TRUE(invite);
  EXPECT_EQ(invite->body, sdp);
  EXPECT_EQ(invite->header("Content-Type"), "application/sdp");
  // Ringing: the call is still pending.
  EXPECT_EQ(call.wait_for(300ms), std::future_status::timeout);

  std::string callid = invite->header("Call-ID");
  long long cseq = invite->cseq();
  ASSERT_GE(cseq, 0);
  json unknown = rpc(d, "t_uac_cancel", {"no-such-call@x", cseq});
  EXPECT_EQ(unknown["error"]["code"], 481) << unknown.dump();
  EXPECT_EQ(unknown["error"]["message"], "No such transaction");
  json wrong_cseq = rpc(d, "t_uac_cancel", {callid, cseq + 1});
  EXPECT_EQ(wrong_cseq["error"]["code"], 481) << wrong_cseq.dump();

  json c = rpc(d, "t_uac_cancel", {callid, cseq});
  EXPECT_EQ(c["result"], "OK") << c.dump();
  auto cancel = peer.wait_for_method("CANCEL", 3s);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->header("Call-ID"), callid);
  EXPECT_EQ(cancel->cseq(), cseq);
  EXPECT_EQ(cancel->cseq_method(), "CANCEL");
  EXPECT_EQ(cancel->branch(), invite->branch()) << "CANCEL matches the INVITE's transaction";
  EXPECT_EQ(cancel->uri, invite->uri);

  ASSERT_EQ(call.wait_for(5s), std::future_status::ready);
  json result = call.get();
  ASSERT_TRUE(result.contains("result")) << result.dump();
  EXPECT_EQ(result["result"]["Status"], "487 Request Terminated") << result.dump();
  // The 487 is acknowledged (non-2xx ACK, same branch).
  auto ack = peer.wait_for_method("ACK", 3s);
  ASSERT_TRUE(ack) << "no ACK for the 487";
  EXPECT_EQ(ack->header("Call-ID"), callid);
  EXPECT_EQ(ack->cseq_method(), "ACK");
  EXPECT_EQ(ack->branch(), invite->branch());
  // Finished: cancelling again finds nothing.
  EXPECT_TRUE(wait_until([&] { return d.stat("tm:inuse_transactions") == 0; }, 2s));
  EXPECT_EQ(rpc(d, "t_uac_cancel", {callid, cseq})["error"]["code"], 481);
  expect_clean_stop(d);
}

TEST(SipTm, CancelOfANonInviteIs481) {
  TestDaemon d({"sip.t1_ms=20"});
  SipPeer hole;
  hole.serve(nullptr);
  auto call = std::async(std::launch::async, [&] {
    return uac(d, "MESSAGE", peer_ruri(hole), kStdHeaders + "Content-Type: text/plain\r\n", "x");
  });
  auto msg = hole.wait_for_method("MESSAGE", 3s);
  ASSERT_TRUE(msg);
  EXPECT_EQ(rpc(d, "t_uac_cancel", {msg->header("Call-ID"), msg->cseq()})["error"]["code"], 481);
  ASSERT_EQ(call.wait_for(8s), std::future_status::ready);
  EXPECT_EQ(call.get()["result"]["Status"], "408 Request Timeout");
  expect_clean_stop(d);
}

// --- statistics -------------------------------------------------------------------------------

TEST(SipTm, StatisticsCountTransactionsAndReplies) {
  TestDaemon d({"sip.t1_ms=20"});
  SipPeer ok_peer;
  ok_peer.serve([](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    return {SipPeer::make_response(req, 180, "Ringing"), SipPeer::make_response(req, 200, "OK")};
  });
  SipPeer notfound_peer;
  notfound_peer.serve([](const SipMessage& req) -> std::vector<std::string> {
    return {SipPeer::make_response(req, 404, "Not Here")};
  });
  SipPeer hole;
  hole.serve(nullptr);
  auto s = [&](const char* n) { return d.stat(n); };
  long long uac0 = s("tm:UAC_transactions"), c2 = s("tm:2xx_transactions"), c4 = s("tm:4xx_transactions"),
            c6 = s("tm:6xx_transactions"), replies = s("core:rcv_replies"), requests = s("core:rcv_requests"),
            local = s("tm:local_replies");
  ASSERT_GE(uac0, 0);
  ASSERT_GE(replies, 0);

  EXPECT_EQ(uac(d, "OPTIONS", peer_ruri(ok_peer), kStdHeaders)["result"]["Status"], "200 OK");
  EXPECT_EQ(uac(d, "OPTIONS", peer_ruri(notfound_peer), kStdHeaders)["result"]["Status"], "404 Not Here");
  EXPECT_EQ(uac(d, "OPTIONS", peer_ruri(hole), kStdHeaders)["result"]["Status"], "408 Request Timeout");
  // One request from outside.
  SipPeer client(d.sip_port());
  SipRequest o;
  o.method = "OPTIONS";
  o.to = "sip:ping@127.0.0.1";
  auto a = client.request(o, 3s);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);

  EXPECT_EQ(s("tm:UAC_transactions"), uac0 + 3);
  EXPECT_EQ(s("tm:2xx_transactions"), c2 + 1);
  EXPECT_EQ(s("tm:4xx_transactions"), c4 + 2) << "404 from the peer and the local 408";
  EXPECT_EQ(s("tm:6xx_transactions"), c6);
  EXPECT_EQ(s("tm:local_replies"), local + 1);
  // Replies received from the network: 180 + 200 + 404 (the 408 was generated locally).
  EXPECT_EQ(s("core:rcv_replies"), replies + 3);
  EXPECT_EQ(s("core:rcv_requests"), requests + 1);
  EXPECT_TRUE(wait_until([&] { return s("tm:inuse_transactions") == 0; }, 1s));
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
