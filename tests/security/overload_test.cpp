// overload_test.cpp: issue #11 items 11 (SIP part) and the low ones, against the real daemon —
// t_uac_dlg transactions in flight are capped (tm.max_transactions: 503 with the limit named),
// the engine's command queue is bounded (sip.max_queue: 503, engine:queue_rejected), a REGISTER
// flood gets 503 + Retry-After for what the engine cannot keep up with (every request answered,
// none dropped silently), a UDP request whose Content-Length exceeds its body gets 400, and a
// SIP port already in use is reported as "Address already in use".
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"
#include "support/sockets.h"

namespace sb::test::sip {
namespace {

const std::string kHeaders = "From: <sip:daemon@example.com>\r\nTo: <sip:x@127.0.0.1>\r\n";

/// A JSON-RPC batch of `n` copies of `item` (ids 1..n) through the FIFO; the parsed reply array.
json batch(const TestDaemon& d, json item, int n) {
  json b = json::array();
  for (int i = 1; i <= n; ++i) {
    item["id"] = i;
    b.push_back(item);
  }
  json reply = json::parse(d.json(b.dump()), nullptr, false);
  return reply.is_array() ? reply : json::array();
}

TEST(SecurityOverload, TransactionsInFlightAreCapped) {
  TestDaemon d({"tm.max_transactions=3", "sip.t1_ms=50"});  // a lost request times out in 3.2 s
  SipPeer hole;
  hole.serve(nullptr);  // never answers: every transaction stays in flight until its timeout
  std::string ruri = "sip:x@127.0.0.1:" + std::to_string(hole.port());
  json item = {{"jsonrpc", "2.0"}, {"method", "t_uac_dlg"},
               {"params", {{"method", "OPTIONS"}, {"ruri", ruri}, {"headers", kHeaders}}}};
  json replies = batch(d, item, 5);
  ASSERT_EQ(replies.size(), 5u) << replies.dump();
  int timed_out = 0, refused = 0;
  for (const auto& r : replies) {
    if (r.contains("result") && r["result"].value("Status", "").rfind("408", 0) == 0) ++timed_out;
    if (r.contains("error") && r["error"]["code"] == 503 &&
        r["error"]["message"] == "too many transactions in flight (tm.max_transactions = 3)")
      ++refused;
  }
  EXPECT_EQ(timed_out, 3) << replies.dump();
  EXPECT_EQ(refused, 2) << replies.dump();
  EXPECT_EQ(d.stat("tm:rejected_transactions"), 2);
  EXPECT_EQ(hole.count("OPTIONS") > 0, true);
  // Once they are done, new transactions are accepted again.
  SipPeer peer;
  peer.serve(SipPeer::answer_200());
  item["params"]["ruri"] = "sip:x@127.0.0.1:" + std::to_string(peer.port());
  json again = batch(d, item, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["result"].value("Status", ""), "200 OK") << again.dump();
  expect_clean_stop(d);
}

TEST(SecurityOverload, TheEngineCommandQueueIsBounded) {
  // 500 engine jobs posted at once (core.max_batch raised for it): a queue of one cannot take
  // them all, however fast the engine thread is.
  TestDaemon d({"sip.max_queue=1", "core.max_batch=1000"});
  json item = {{"jsonrpc", "2.0"}, {"method", "ul_dump"}};
  json replies = batch(d, item, 500);
  ASSERT_EQ(replies.size(), 500u);
  int ok = 0, refused = 0;
  for (const auto& r : replies) {
    if (r.contains("result")) ++ok;
    else if (r.contains("error") && r["error"]["code"] == 503 &&
             r["error"].value("message", "").find("sip.max_queue") != std::string::npos)
      ++refused;
  }
  EXPECT_EQ(ok + refused, 500) << replies.dump();
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused, 1) << "a queue of one job cannot take 500 at once";
  EXPECT_EQ(d.stat("engine:queue_rejected"), refused);
  expect_clean_stop(d);
}

TEST(SecurityOverload, ARegisterFloodIsAnswered503WithRetryAfter) {
  // A receive buffer of 128 kB (the kernel accounts 256 kB): 1 % of it is one or two datagrams,
  // whatever the default sip.udp_rcvbuf_kb, and the burst below still fits in it whole.
  // The engine answers REGISTER here (no workers): it reads one datagram at a time, so the
  // burst waits in the buffer. A worker's overload: SipRegisterWorkers.AWorkerBehindShedsLoad…
  TestDaemon d({"sip.overload_backlog_pct=1", "sip.udp_rcvbuf_kb=128", "registrar.workers=0"});
  SipPeer flood(d.sip_port());
  // A burst that fits in the daemon's socket buffer (a larger burst is dropped by the kernel
  // before anyone can answer it) but fills well over 1 % of it.
  constexpr int kRequests = 40;
  std::set<std::string> branches;
  for (int i = 0; i < kRequests; ++i) {
    auto r = make_register("flood" + std::to_string(i), "example.com",
                           {"<sip:flood" + std::to_string(i) + "@" + flood.host_port() + ">"}, "600");
    flood.send_raw(flood.build(r));
    branches.insert(r.branch);
  }
  int ok = 0, unavailable = 0, without_retry_after = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (ok + unavailable < kRequests && std::chrono::steady_clock::now() < deadline) {
    auto m = flood.receive(1s);
    if (!m || m->is_request || !branches.erase(m->branch())) continue;
    if (m->status == 200) ++ok;
    if (m->status == 503) {
      ++unavailable;
      if (m->header("Retry-After").empty()) ++without_retry_after;
    }
  }
  EXPECT_EQ(ok + unavailable, kRequests) << "every REGISTER is answered";
  EXPECT_GE(unavailable, 1) << "the engine was behind: some REGISTERs get 503";
  EXPECT_EQ(without_retry_after, 0);
  EXPECT_EQ(d.stat("core:overload_rejected"), unavailable);
  EXPECT_EQ(d.stat("registrar:accepted_regs"), ok);
  // The flood is over: REGISTERs are processed again.
  auto r = make_register("after", "example.com", {"<" + flood.contact_uri("after") + ">"}, "600");
  auto a = flood.request(r, 3s);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  expect_clean_stop(d);
}

TEST(SecurityOverload, AContentLengthBeyondTheDatagramGets400) {
  TestDaemon d;
  SipPeer peer(d.sip_port());
  auto r = make_register("short", "example.com", {"<" + peer.contact_uri("short") + ">"}, "600");
  r.content_length = false;
  r.extra = {{"Content-Length", "500"}};
  r.body = "v=0\r\n";
  r.content_type = "application/sdp";
  peer.send_raw(peer.build(r));
  auto a = peer.receive_final(r.branch, 3s);
  ASSERT_TRUE(a) << "no answer: " << d.log();
  EXPECT_EQ(a->status, 400) << a->raw;
  EXPECT_TRUE(show_contacts(d, "short@example.com").empty());
  expect_clean_stop(d);
}

TEST(SecurityOverload, AnOccupiedSipPortIsReportedAsInUse) {
  int port = 0;
  int fd = bind_loopback(SOCK_DGRAM, &port);
  ASSERT_GE(fd, 0);
  std::string listen = "udp:127.0.0.1:" + std::to_string(port);
  char dir[] = "/tmp/sbtest_bind_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string fifo = std::string(dir) + "/fifo";
  auto [rc, err] = run_switchboard({"-c", std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf", "--foreground",
                                    "--set", "fifo.path=" + fifo, "--set", "datagram.unix=", "--set", "datagram.udp=",
                                    "--set", "http.listen=", "--set", "sip.listen=" + listen});
  ::close(fd);
  std::remove(fifo.c_str());
  ::rmdir(dir);
  EXPECT_NE(rc, 0) << err;
  EXPECT_NE(err.find("cannot listen for SIP on " + listen + ": Address already in use"), std::string::npos) << err;
  EXPECT_EQ(err.find("Bad address"), std::string::npos) << err;
}

}  // namespace
}  // namespace sb::test::sip
