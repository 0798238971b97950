// connection_guard_test.cpp: which connection the HTTP slow-client guard closes to make room.
// Real sockets (socketpairs): "closed" means the peer reads EOF after the guard's shutdown().
#include "transports/http/connection_guard.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

namespace sb::transports {
namespace {

struct Pair {
  int server = -1;  ///< the end the guard owns (as libmicrohttpd's accepted socket)
  int client = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server = fds[0];
    client = fds[1];
  }
  ~Pair() {
    ::close(server);
    ::close(client);
  }
  /// True when the guard shut the server end down: the client reads EOF at once.
  bool was_closed() const {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) return false;
    char b;
    return ::recv(client, &b, 1, MSG_DONTWAIT) == 0;
  }
};

class ConnectionGuardTest : public ::testing::Test {
 protected:
  mi::Stat evicted{"http", "connections_evicted", mi::StatKind::counter, true};
  mi::Stat timed_out{"http", "connections_timed_out", mi::StatKind::counter, true};
};

TEST_F(ConnectionGuardTest, OverThePerAddressLimitTheOldestWaitingConnectionIsClosed) {
  ConnectionGuard guard({100, 2, std::chrono::seconds(10)}, evicted, timed_out);
  std::array<Pair, 3> p;
  ASSERT_TRUE(guard.opened(&p[0], p[0].server, "127.0.0.1"));
  ASSERT_TRUE(guard.opened(&p[1], p[1].server, "127.0.0.1"));
  EXPECT_FALSE(p[0].was_closed());
  ASSERT_TRUE(guard.opened(&p[2], p[2].server, "127.0.0.1"));
  EXPECT_TRUE(p[0].was_closed());
  EXPECT_FALSE(p[1].was_closed());
  EXPECT_FALSE(p[2].was_closed());
  EXPECT_EQ(evicted.get(), 1);
}

TEST_F(ConnectionGuardTest, ARequestWaitingUnreadInTheKernelIsNotTakenForASlowClient) {
  // The 2 000-idle-connections flood: a legitimate request arrives while the server is still
  // accepting the flood, so it sits unread; the idle ones opened after it must go first.
  ConnectionGuard guard({100, 2, std::chrono::seconds(10)}, evicted, timed_out);
  std::array<Pair, 4> p;
  ASSERT_TRUE(guard.opened(&p[0], p[0].server, "127.0.0.1"));
  const std::string request = "GET /json/uptime HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(p[0].client, request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(guard.opened(&p[1], p[1].server, "127.0.0.1"));
  ASSERT_TRUE(guard.opened(&p[2], p[2].server, "127.0.0.1"));  // evicts p[1], not the older p[0]
  ASSERT_TRUE(guard.opened(&p[3], p[3].server, "127.0.0.1"));  // evicts p[2]
  EXPECT_FALSE(p[0].was_closed());
  EXPECT_TRUE(p[1].was_closed());
  EXPECT_TRUE(p[2].was_closed());
  EXPECT_FALSE(p[3].was_closed());
}

TEST_F(ConnectionGuardTest, WhenEveryoneHasBytesWaitingTheOldestIsClosedStill) {
  // Unread bytes only change the order: an attacker cannot stay forever by leaving bytes unread.
  ConnectionGuard guard({100, 1, std::chrono::seconds(10)}, evicted, timed_out);
  std::array<Pair, 2> p;
  ASSERT_TRUE(guard.opened(&p[0], p[0].server, "127.0.0.1"));
  ASSERT_EQ(::send(p[0].client, "G", 1, 0), 1);
  ASSERT_TRUE(guard.opened(&p[1], p[1].server, "127.0.0.1"));
  EXPECT_TRUE(p[0].was_closed());
}

TEST_F(ConnectionGuardTest, AConnectionBeingServedIsNeverClosedToMakeRoom) {
  ConnectionGuard guard({100, 1, std::chrono::seconds(10)}, evicted, timed_out);
  std::array<Pair, 2> p;
  ASSERT_TRUE(guard.opened(&p[0], p[0].server, "127.0.0.1"));
  guard.serving(&p[0]);
  EXPECT_FALSE(guard.opened(&p[1], p[1].server, "127.0.0.1"));  // no room: answered 503
  EXPECT_FALSE(p[0].was_closed());
  EXPECT_EQ(evicted.get(), 0);
}

TEST_F(ConnectionGuardTest, OtherAddressesAreNotClosedForThePerAddressLimit) {
  ConnectionGuard guard({100, 1, std::chrono::seconds(10)}, evicted, timed_out);
  std::array<Pair, 3> p;
  ASSERT_TRUE(guard.opened(&p[0], p[0].server, "127.0.0.2"));
  ASSERT_TRUE(guard.opened(&p[1], p[1].server, "127.0.0.1"));
  ASSERT_TRUE(guard.opened(&p[2], p[2].server, "127.0.0.1"));
  EXPECT_FALSE(p[0].was_closed());
  EXPECT_TRUE(p[1].was_closed());
}

}  // namespace
}  // namespace sb::transports
