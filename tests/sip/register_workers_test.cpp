// register_workers_test.cpp: REGISTER on several threads (registrar.workers, issue #16) against
// the real daemon — every REGISTER answered from the listener's own port and recorded with its
// socket, concurrent REGISTERs of one AOR on different threads lose no binding, every other
// request still reaches the SIP engine, a kill -9 under load with workers loses no acknowledged
// binding, a stop under load is clean, and auth = on keeps REGISTER on the engine.
#include <signal.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sip/sip_test_util.h"
#include "support/wait.h"

namespace sb::test::sip {
namespace {


/// Sends REGISTERs for user<i>@domain (i < n), `window` in flight, from `peer`; returns the
/// final responses by Call-ID.
std::map<std::string, SipMessage> register_many(SipPeer& peer, const std::string& domain, int n, int window) {
  std::map<std::string, SipMessage> answered;
  std::set<std::string> waiting;
  int next = 0;
  auto send_one = [&] {
    std::string user = "user" + std::to_string(next++);
    auto r = make_register(user, domain, {"<" + peer.contact_uri(user) + ">"}, "600");
    peer.send_raw(peer.build(r));
    waiting.insert(r.call_id);
  };
  while (static_cast<int>(waiting.size()) < window && next < n) send_one();
  while (!waiting.empty()) {
    auto m = peer.receive(kReply);
    if (!m) break;
    if (m->is_request || m->status < 200) continue;
    if (waiting.erase(m->header("Call-ID")) == 0) continue;
    answered[m->header("Call-ID")] = *m;
    if (next < n) send_one();
  }
  return answered;
}

TEST(SipRegisterWorkers, EveryRegisterIsAnsweredFromTheListenerAndRecordsItsSocket) {
  TestDaemon d({"registrar.workers=3"});
  EXPECT_EQ(d.stat("registrar:workers"), 3) << d.log();
  EXPECT_NE(d.log().find("3 REGISTER workers"), std::string::npos) << d.log();
  SipPeer peer(d.sip_port());
  constexpr int kAors = 600;
  auto answered = register_many(peer, "workers.example.com", kAors, 32);
  ASSERT_EQ(answered.size(), static_cast<std::size_t>(kAors));
  for (const auto& [callid, m] : answered) {
    ASSERT_EQ(m.status, 200) << m.raw;
    // From the listener's port, whichever thread answered (the shared socket).
    ASSERT_EQ(ntohs(m.from.sin_port), d.sip_port()) << m.raw;
  }
  EXPECT_EQ(d.stat("usrloc:location-users"), kAors);
  const std::string socket = "udp:127.0.0.1:" + std::to_string(d.sip_port());
  for (int i : {0, 1, 2, 299, 598, 599}) {
    json cs = show_contacts(d, "user" + std::to_string(i) + "@workers.example.com");
    ASSERT_EQ(cs.size(), 1u) << i;
    EXPECT_EQ(cs[0]["Socket"], socket) << cs.dump();
  }
  expect_clean_stop(d);
}

TEST(SipRegisterWorkers, ConcurrentRegistersOfOneAorLoseNoBinding) {
  TestDaemon d({"registrar.workers=3", "registrar.max_contacts=0"});
  ASSERT_EQ(d.stat("registrar:workers"), 3);
  // 4 clients each send 100 REGISTERs of the same AOR (a new Call-ID and Contact each) without
  // waiting: the threads save that AOR at the same time; each save must see the last one.
  constexpr int kPeers = 4, kEach = 100;
  std::vector<std::unique_ptr<SipPeer>> peers;
  for (int p = 0; p < kPeers; ++p) peers.push_back(std::make_unique<SipPeer>(d.sip_port()));
  for (int i = 0; i < kEach; ++i) {
    for (int p = 0; p < kPeers; ++p) {
      std::string contact = peers[p]->contact_uri("c" + std::to_string(p) + "-" + std::to_string(i));
      auto r = make_register("shared", "race.example.com", {"<" + contact + ">"}, "600");
      peers[p]->send_raw(peers[p]->build(r));
    }
  }
  for (int p = 0; p < kPeers; ++p) {
    int ok = 0;
    while (ok < kEach) {
      auto m = peers[p]->receive(kReply);
      ASSERT_TRUE(m) << "peer " << p << ": " << ok << " answered";
      if (m->is_request || m->status < 200) continue;
      ASSERT_EQ(m->status, 200) << m->raw;
      ++ok;
    }
  }
  json cs = show_contacts(d, "shared@race.example.com");
  EXPECT_EQ(cs.size(), static_cast<std::size_t>(kPeers * kEach));
  EXPECT_EQ(d.stat("usrloc:location-contacts"), kPeers * kEach);
  expect_clean_stop(d);
}

TEST(SipRegisterWorkers, EveryOtherRequestReachesTheEngine) {
  TestDaemon d({"registrar.workers=3"});
  ASSERT_EQ(d.stat("registrar:workers"), 3);
  // Answered by the engine, whose Allow lists INVITE; a worker answers REGISTER only. From a
  // new client each time (a new source port).
  for (int i = 0; i < 40; ++i) {
    SipPeer peer(d.sip_port());
    SipRequest r;
    r.method = "OPTIONS";
    r.ruri = "sip:127.0.0.1:" + std::to_string(d.sip_port());
    r.to = "sip:probe@127.0.0.1";
    auto a = peer.request(r, kReply);
    ASSERT_TRUE(a) << i;
    ASSERT_EQ(a->status, 200) << a->raw;
    ASSERT_NE(a->header("Allow").find("INVITE"), std::string::npos) << i << ": " << a->raw;
  }
  expect_clean_stop(d);
}

/// A REGISTER from `user` with top Via `via`, as raw text.
std::string raw_register(const std::string& user, const std::string& via, int contact_port) {
  return "REGISTER sip:workers.example.com SIP/2.0\r\nVia: " + via +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@workers.example.com>;tag=f\r\nTo: <sip:" + user +
         "@workers.example.com>\r\nCall-ID: " + user + "@test\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user +
         "@127.0.0.1:" + std::to_string(contact_port) + ">;expires=600\r\nContent-Length: 0\r\n\r\n";
}

// A worker reads and answers REGISTERs without sofia-sip's transport (register_receiver.h): its
// replies must go where RFC 3261 §18.2.2 and RFC 3581 say, and what it cannot answer is counted.
TEST(SipRegisterWorkers, AWorkerAnswersWhereTheViaSaysAndCountsWhatItCannotAnswer) {
  TestDaemon d({"registrar.workers=1"});  // every REGISTER goes to the one worker
  ASSERT_EQ(d.stat("registrar:workers"), 1);
  SipPeer a(d.sip_port()), b(d.sip_port());
  // No rport: to the Via's sent-by port (b), not to the source port (a).
  a.send_raw(raw_register("sentby", "SIP/2.0/UDP 127.0.0.1:" + std::to_string(b.port()) + ";branch=z9hG4bK-w1", b.port()));
  auto at_b = b.receive(kReply);
  ASSERT_TRUE(at_b) << "no reply at the sent-by port";
  EXPECT_EQ(at_b->status, 200) << at_b->raw;
  EXPECT_EQ(ntohs(at_b->from.sin_port), d.sip_port()) << "from the listener's port";
  EXPECT_NE(at_b->header("To").find(";tag="), std::string::npos) << at_b->raw;
  EXPECT_NE(at_b->header("Contact").find("sip:sentby@127.0.0.1"), std::string::npos) << at_b->raw;
  EXPECT_FALSE(a.receive(std::chrono::milliseconds(200))) << "nothing at the source port";
  // rport and a sent-by host that is not the source: back to the source port, with received.
  a.send_raw(raw_register("rport", "SIP/2.0/UDP phone.invalid:5999;branch=z9hG4bK-w2;rport", a.port()));
  auto at_a = a.receive(kReply);
  ASSERT_TRUE(at_a);
  EXPECT_EQ(at_a->status, 200) << at_a->raw;
  EXPECT_NE(at_a->raw.find("Via: SIP/2.0/UDP phone.invalid:5999;branch=z9hG4bK-w2;rport=" + std::to_string(a.port()) +
                           ";received=127.0.0.1\r\n"),
            std::string::npos)
      << at_a->raw;

  // Keep-alives are ignored; a datagram that is not SIP, or a REGISTER without Via, is counted
  // (core:err_requests) and not answered; the worker goes on.
  const long long errors = d.stat("core:err_requests");
  a.send_raw("\r\n\r\n");
  a.send_raw("REGIxxxx this is not SIP\r\n\r\n");
  a.send_raw("REGISTER sip:workers.example.com SIP/2.0\r\nFrom: <sip:novia@workers.example.com>;tag=f\r\n"
             "To: <sip:novia@workers.example.com>\r\nCall-ID: novia@test\r\nCSeq: 1 REGISTER\r\n"
             "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(test::wait_until([&] { return d.stat("core:err_requests") >= errors + 2; }, std::chrono::seconds(5)))
      << d.stat("core:err_requests") - errors;
  EXPECT_FALSE(a.receive(std::chrono::milliseconds(200)));
  EXPECT_EQ(d.stat("core:err_requests"), errors + 2) << "the keep-alive is not an error";
  EXPECT_FALSE(show_contacts(d, "novia@workers.example.com").size()) << "a REGISTER without Via changes nothing";

  // What sofia-sip's agent refuses before the registrar sees it: a CSeq of another method
  // (400), another SIP version (505). Neither registers anything.
  auto refused = [&](std::string text, const std::string& user) {
    a.send_raw(text);
    auto m = a.receive(kReply);
    EXPECT_EQ(show_contacts(d, user + "@workers.example.com").size(), 0u) << user;
    return m ? m->status : 0;
  };
  std::string cseq = raw_register("cseq", "SIP/2.0/UDP 127.0.0.1:" + std::to_string(a.port()) + ";branch=z9hG4bK-w4;rport", a.port());
  cseq.replace(cseq.find("CSeq: 1 REGISTER"), 16, "CSeq: 1 INVITE");
  EXPECT_EQ(refused(cseq, "cseq"), 400);
  std::string version = raw_register("version", "SIP/2.0/UDP 127.0.0.1:" + std::to_string(a.port()) + ";branch=z9hG4bK-w5;rport", a.port());
  version.replace(version.find(" SIP/2.0\r\n"), 10, " SIP/3.0\r\n");
  EXPECT_EQ(refused(version, "version"), 505);

  a.send_raw(raw_register("after", "SIP/2.0/UDP 127.0.0.1:" + std::to_string(a.port()) + ";branch=z9hG4bK-w3;rport", a.port()));
  auto after = a.receive(kReply);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->raw;
  EXPECT_EQ(show_contacts(d, "after@workers.example.com").size(), 1u);
  expect_clean_stop(d);
}

// A worker that falls behind sheds load as the engine does: once a batch it reads leaves more
// than sip.overload_backlog_pct of the buffer waiting, that batch is answered 503 with
// Retry-After. The worker is held back by the disk: the test holds the database's write lock,
// so with max_pending_writes = 1 the worker waits in its second REGISTER while the burst
// piles up in its socket.
TEST(SipRegisterWorkers, AWorkerBehindShedsLoadWith503) {
  TestDaemon d({"registrar.workers=1", "usrloc.max_pending_writes=1", "sip.overload_backlog_pct=1",
                "sip.udp_rcvbuf_kb=128"});
  ASSERT_EQ(d.stat("registrar:workers"), 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(d.db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  SipPeer flood(d.sip_port());
  constexpr int kRequests = 62;  // fits in the buffer whole (a datagram takes ~2 kB of it)
  std::set<std::string> branches;
  auto send = [&](int i) {
    auto r = make_register("behind" + std::to_string(i), "workers.example.com",
                           {"<" + flood.contact_uri("behind" + std::to_string(i)) + ">"}, "600");
    flood.send_raw(flood.build(r));
    branches.insert(r.branch);
  };
  // The first REGISTER is staged (in memory) and waits for the commit; the second waits for
  // room among the pending writes, holding the worker. The burst then piles up in the socket.
  send(0);
  send(1);
  ASSERT_TRUE(test::wait_until([&] { return d.stat("usrloc:location-users") >= 1; }, std::chrono::seconds(5)));
  for (int i = 2; i < kRequests; ++i) send(i);
  ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  int ok = 0, unavailable = 0, without_retry_after = 0;
  while (ok + unavailable < kRequests) {
    auto m = flood.receive(kReply);
    ASSERT_TRUE(m) << ok << " 200 and " << unavailable << " 503 so far";
    if (m->is_request || !branches.erase(m->branch())) continue;
    if (m->status == 200) ++ok;
    else if (m->status == 503) ++unavailable, without_retry_after += m->header("Retry-After").empty();
    else ADD_FAILURE() << m->raw;
  }
  EXPECT_GE(unavailable, 1) << "the worker was behind: some REGISTERs get 503";
  EXPECT_GE(ok, 1);
  EXPECT_EQ(without_retry_after, 0);
  EXPECT_EQ(d.stat("core:overload_rejected"), unavailable);
  EXPECT_EQ(d.stat("registrar:accepted_regs"), ok);
  expect_clean_stop(d);
}

TEST(SipRegisterWorkers, Kill9UnderLoadKeepsEveryAcknowledgedBinding) {
  // The first daemon object stays alive (its destructor would remove the database).
  TestDaemon first({"registrar.workers=2"});
  ASSERT_EQ(first.stat("registrar:workers"), 2);
  SipPeer peer(first.sip_port());
  constexpr int kWindow = 32, kAcked = 3000;
  std::map<std::string, int> sent;
  std::set<int> acked;
  int next = 0, in_flight = 0;
  auto send_one = [&] {
    auto r = make_register("load" + std::to_string(next), "kill9w.example.com",
                           {"<" + peer.contact_uri("load" + std::to_string(next)) + ">"}, "600");
    std::string text = peer.build(r);
    sent[r.call_id] = next++;
    peer.send_raw(text);
    ++in_flight;
  };
  while (in_flight < kWindow) send_one();
  while (static_cast<int>(acked.size()) < kAcked) {
    auto m = peer.receive(kReply);
    ASSERT_TRUE(m) << acked.size() << " acknowledged";
    if (m->is_request || m->status < 200) continue;
    --in_flight;
    auto it = sent.find(m->header("Call-ID"));
    ASSERT_NE(it, sent.end()) << m->raw;
    ASSERT_EQ(m->status, 200) << m->raw;
    acked.insert(it->second);
    send_one();
  }
  EXPECT_EQ(first.stop(SIGKILL), 128 + SIGKILL);

  EXPECT_EQ(lost_after_restart(first.db_path(), acked, "kill9w.example.com"), 0)
      << "acknowledged bindings missing after kill -9 and restart";
}

TEST(SipRegisterWorkers, AStopUnderLoadIsClean) {
  TestDaemon d({"registrar.workers=2"});
  SipPeer peer(d.sip_port());
  for (int i = 0; i < 400; ++i) {
    auto r = make_register("stop" + std::to_string(i), "stop.example.com", {"<" + peer.contact_uri() + ">"}, "600");
    peer.send_raw(peer.build(r));
  }
  // Stopped while REGISTERs wait in the sockets and for their commits: exit 0, no sanitizer
  // report, and every REGISTER read was answered (200, or 503 once draining).
  expect_clean_stop(d);
  int answered = 0;
  while (auto m = peer.receive(200ms)) {
    if (m->is_request) continue;
    EXPECT_TRUE(m->status == 200 || m->status == 503) << m->raw;
    ++answered;
  }
  EXPECT_GT(answered, 0);
}

TEST(SipRegisterWorkers, AuthOnKeepsRegisterOnTheEngine) {
  TestDaemon d({"registrar.workers=2", "registrar.auth=on"});
  EXPECT_EQ(d.stat("registrar:workers"), 0);
  EXPECT_NE(d.log().find("auth is on: the SIP engine answers every REGISTER"), std::string::npos) << d.log();
  SipPeer peer(d.sip_port());
  auto r = make_register(test_user(), "example.com", {"<" + peer.contact_uri() + ">"}, "300");
  auto a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
