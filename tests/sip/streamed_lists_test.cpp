// streamed_lists_test.cpp: ul_dump and subscriber_list streamed a slice at a time (issue #16) —
// thousands of AORs over the FIFO (text and JSON-RPC) and HTTP (/mi and /json, chunked), each
// reply complete and in order; while a dump waits for a slow reader, the engine keeps answering
// REGISTERs, whose changes show in the slices taken after them; every subscriber without a
// limit, over more slices than one.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"
#include "support/wait.h"
#include "transports/http/http_client.h"

namespace sb::test::sip {
namespace {

constexpr int kAors = 1200;  // ~5 slices of 256, ~400 kB of text: a dozen pieces
const std::string kDomain = "stream.example.com";

/// REGISTERs load0 … load<n-1>@kDomain, 32 in flight; every one must be answered 200.
void register_many(const TestDaemon& d, int n) {
  SipPeer peer(d.sip_port());
  int next = 0, in_flight = 0, ok = 0;
  auto send_one = [&] {
    std::string user = "load" + std::to_string(next++);
    auto r = make_register(user, kDomain, {"<" + peer.contact_uri(user) + ">"}, "600");
    peer.send_raw(peer.build(r));
    ++in_flight;
  };
  while (in_flight < 32 && next < n) send_one();
  while (in_flight > 0) {
    auto m = peer.receive(kReply);
    ASSERT_TRUE(m) << ok << " answered";
    if (m->is_request || m->status < 200) continue;
    --in_flight;
    ASSERT_EQ(m->status, 200) << m->raw;
    ++ok;
    if (next < n) send_one();
  }
  ASSERT_EQ(ok, n);
}

/// The AORs of a ul_dump result, in the order given.
std::vector<std::string> aors_of(const json& result) {
  std::vector<std::string> out;
  for (const auto& a : result["Domains"][0]["AORs"]) out.push_back(a["AOR"].get<std::string>());
  return out;
}

/// The AORs of a text ul_dump, in the order given.
std::vector<std::string> aors_of_text(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find("\tAOR:: ", pos)) != std::string::npos) {
    pos += 7;
    out.push_back(text.substr(pos, text.find('\n', pos) - pos));
  }
  return out;
}

std::vector<std::string> expected_aors(int n) {
  std::set<std::string> s;
  for (int i = 0; i < n; ++i) s.insert("load" + std::to_string(i) + "@" + kDomain);
  return {s.begin(), s.end()};
}

class UlDumpStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon({"fifo.reply_timeout_ms=20000"});
    register_many(*daemon_, kAors);
  }
  static void TearDownTestSuite() {
    if (daemon_) expect_clean_stop(*daemon_);
    delete daemon_;
    daemon_ = nullptr;
  }
  static TestDaemon* daemon_;
};
TestDaemon* UlDumpStream::daemon_ = nullptr;

TEST_F(UlDumpStream, FifoTextAndJsonRpcCarryEveryAorInOrder) {
  const TestDaemon& d = *daemon_;
  const auto want = expected_aors(kAors);
  std::string text = d.text("ul_dump");
  ASSERT_TRUE(text.starts_with("200 OK\nDomains::\n\tname:: location\n")) << text.substr(0, 200);
  ASSERT_TRUE(text.ends_with("\n\n")) << "the terminating empty line: " << text.substr(text.size() - 200);
  EXPECT_EQ(aors_of_text(text), want);
  EXPECT_NE(text.find("\t\tContacts::\n\t\t\tContact:: sip:load0@127.0.0.1:"), std::string::npos);

  std::string brief = d.text("ul_dump", {"1"});
  EXPECT_EQ(aors_of_text(brief), want);
  EXPECT_EQ(brief.find("Contacts::"), std::string::npos);

  std::string raw = d.json(R"({"jsonrpc":"2.0","method":"ul_dump","id":"big"})");
  ASSERT_TRUE(raw.ends_with("}\n")) << raw.substr(raw.size() > 200 ? raw.size() - 200 : 0);
  json reply = json::parse(raw);
  EXPECT_EQ(reply["id"], "big");
  EXPECT_EQ(aors_of(reply["result"]), want);
  EXPECT_EQ(reply["result"]["Domains"][0]["AORs"][0]["Contacts"].size(), 1u);
}

TEST_F(UlDumpStream, HttpMiAndJsonAreChunkedAndComplete) {
  const TestDaemon& d = *daemon_;
  const auto want = expected_aors(kAors);
  client::HttpClientOptions o;
  o.port = d.http_port();
  client::HttpConnection c(o);
  auto r = c.post("/mi", R"({"jsonrpc":"2.0","method":"ul_dump","id":3})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  json mi = json::parse(r.body);
  ASSERT_TRUE(mi.contains("result")) << r.body.substr(0, 300);
  EXPECT_EQ(mi["id"], 3);
  EXPECT_EQ(aors_of(mi["result"]), want);

  // The same connection serves the next request (the chunked body ended properly).
  auto j = c.request("GET", "/json/ul_dump?params=1");
  ASSERT_TRUE(j.ok) << j.error;
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.header("Transfer-Encoding"), "chunked");
  json brief = json::parse(j.body);
  ASSERT_TRUE(brief.contains("Domains")) << j.body.substr(0, 300);
  EXPECT_EQ(aors_of(brief), want);
  EXPECT_FALSE(brief["Domains"][0]["AORs"][0].contains("Contacts"));

  // A batch is answered whole (batches never stream), with the same AORs.
  auto b = c.post("/mi", R"([{"jsonrpc":"2.0","method":"ul_dump","params":[1],"id":1},{"jsonrpc":"2.0","method":"uptime","id":2}])");
  ASSERT_TRUE(b.ok) << b.error;
  json batch = json::parse(b.body);
  ASSERT_TRUE(batch.is_array()) << b.body.substr(0, 300);
  ASSERT_EQ(batch.size(), 2u) << b.body.substr(0, 300);
  // Replies come in the order the calls finish.
  const json& dump = batch[0]["id"] == 1 ? batch[0] : batch[1];
  ASSERT_EQ(dump["id"], 1) << b.body.substr(0, 300);
  EXPECT_EQ(aors_of(dump["result"]), want);
}

TEST_F(UlDumpStream, TheEngineAnswersRegistersWhileADumpWaitsForItsReader) {
  const TestDaemon& d = *daemon_;
  // A reply FIFO we open but do not read yet: the dump fills the pipe and waits.
  const std::string name = "slow_reader_" + std::to_string(::getpid());
  const std::string path = d.reply_dir() + "/" + name;
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  d.write_raw(":ul_dump:" + name + "\n\n");
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the dump began writing";

  // The dump has written its first pieces (the pipe holds 64 kB: a few hundred AORs); the AORs
  // at its end are not taken yet. Change two of them.
  SipPeer peer(d.sip_port());
  const std::string last_aor = expected_aors(kAors).back();  // the last in AOR order (load9@…)
  const std::string last = last_aor.substr(0, last_aor.find('@'));
  auto gone = make_register(last, kDomain, {"*"}, "0");
  auto a = peer.request(gone, kReply);
  ASSERT_TRUE(a) << "the engine did not answer while the dump waits";
  EXPECT_EQ(a->status, 200) << a->raw;
  auto fresh = make_register("zzz-new", kDomain, {"<" + peer.contact_uri("zzz") + ">"}, "600");
  a = peer.request(fresh, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;

  // Now read it all.
  ASSERT_EQ(::fcntl(fd, F_SETFL, 0), 0);  // blocking reads until the writer closes
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  ::unlink(path.c_str());
  ASSERT_TRUE(text.ends_with("\n\n")) << text.substr(text.size() > 200 ? text.size() - 200 : 0);
  auto got = aors_of_text(text);
  std::set<std::string> have(got.begin(), got.end());
  EXPECT_EQ(have.size(), got.size()) << "no AOR twice";
  EXPECT_FALSE(have.contains(last_aor)) << "removed before its slice was taken";
  EXPECT_TRUE(have.contains("zzz-new@" + kDomain)) << "added before its slice was taken";
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kAors));

  // Put the table back as the other tests expect it.
  auto back = make_register(last, kDomain, {"<" + peer.contact_uri(last) + ">"}, "600");
  ASSERT_EQ(peer.request(back, kReply)->status, 200);
  auto drop = make_register("zzz-new", kDomain, {"*"}, "0");
  ASSERT_EQ(peer.request(drop, kReply)->status, 200);
}

TEST_F(UlDumpStream, SubscriberListWithoutALimitStreamsEverySubscriber) {
  const TestDaemon& d = *daemon_;
  constexpr int kSubs = 300;  // more than one slice of 256
  std::set<std::pair<std::string, std::string>> want;  // (domain, username): the list's order
  for (int i = 0; i < kSubs; ++i) {
    std::string user = "sub" + std::to_string(i);
    std::string domain = i % 2 ? "b.example.com" : "a.example.com";
    ASSERT_EQ(rpc(d, "subscriber_add", {user, domain, "pw" + std::to_string(i)})["result"], "OK");
    want.insert({domain, user});
  }
  json all = rpc(d, "subscriber_list");
  ASSERT_TRUE(all.contains("result")) << all.dump().substr(0, 300);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& s : all["result"]["Subscribers"]) {
    EXPECT_FALSE(s.contains("ha1")) << "never the hashes";
    got.emplace_back(s["domain"], s["username"]);
  }
  using Key = std::pair<std::string, std::string>;
  const std::vector<Key> in_order(want.begin(), want.end());
  EXPECT_EQ(got, in_order);
  EXPECT_TRUE(all["result"]["next_cursor"].is_null());
  std::string text = d.text("subscriber_list");
  ASSERT_TRUE(text.starts_with("200 OK\n")) << text.substr(0, 200);
  ASSERT_TRUE(text.ends_with("\n\n"));
  std::size_t lines = 0;
  for (std::size_t pos = 0; (pos = text.find("\tusername:: ", pos)) != std::string::npos; ++pos) ++lines;
  EXPECT_EQ(lines, static_cast<std::size_t>(kSubs));
  // A page (limit) is not streamed and still pages.
  json page = rpc(d, "subscriber_list", json{{"limit", 5}});
  EXPECT_EQ(page["result"]["Subscribers"].size(), 5u);
  EXPECT_TRUE(page["result"]["next_cursor"].is_string());
}

}  // namespace
}  // namespace sb::test::sip
