// reuseport_test.cpp: a bound UDP socket's SO_REUSEPORT twins and the steering program
// (gateway/sip/reuseport.h) on real loopback sockets — every datagram but a REGISTER reaches the
// first socket, REGISTERs are spread over the twins (the workers) and never reach the first,
// and a twin keeps the first socket's options.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/sip/reuseport.h"
#include "support/wait.h"

namespace sb::gateway {
namespace {

/// A UDP socket bound to 127.0.0.1:0 the way sofia-sip binds its listener: no SO_REUSEPORT.
int bound_socket(int* port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

void send_from_new_socket(int port, const std::string& payload) {
  int c = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::sendto(c, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(payload.size()));
  ::close(c);
}

/// Reads what waits on `fd` (non-blocking) into counts by the payload's first word.
void drain(int fd, std::map<std::string, int>& counts) {
  char buf[2048];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) return;
    std::string p(buf, static_cast<std::size_t>(n));
    counts[p.substr(0, p.find(' '))]++;
  }
}

int total(const std::vector<std::map<std::string, int>>& per_socket) {
  int n = 0;
  for (const auto& m : per_socket)
    for (const auto& [k, v] : m) n += v;
  return n;
}

TEST(Reuseport, OnlyRegistersReachTheTwinsAndTheyAreSpreadOverThem) {
  int port = 0;
  int first = bound_socket(&port);
  std::string why;
  int twin1 = make_reuseport_twin(first, &why);
  ASSERT_GE(twin1, 0) << why;
  int twin2 = make_reuseport_twin(first, &why);
  ASSERT_GE(twin2, 0) << why;
  ASSERT_TRUE(steer_requests_to_first(first, 3, &why)) << why;

  // From a new socket each time: different source ports, as many clients would send.
  constexpr int kEach = 150;
  std::vector<std::map<std::string, int>> got(3);
  const int fds[] = {first, twin1, twin2};
  for (int i = 0; i < kEach; ++i) {
    send_from_new_socket(port, "REGISTER sip:example.com SIP/2.0\r\n");
    send_from_new_socket(port, "INVITE sip:bob@example.com SIP/2.0\r\n");
    send_from_new_socket(port, "SIP/2.0 200 OK\r\n");
    send_from_new_socket(port, "OPTIONS sip:example.com SIP/2.0\r\n");
    for (int s = 0; s < 3; ++s) drain(fds[s], got[s]);  // read as they come: buffers stay small
  }
  send_from_new_socket(port, "RE");  // shorter than the 4 bytes the program reads
  ASSERT_TRUE(test::wait_until([&] {
    for (int i = 0; i < 3; ++i) drain(fds[i], got[i]);
    return total(got) == 4 * kEach + 1;
  }, std::chrono::seconds(5))) << total(got) << " datagrams read";

  EXPECT_EQ(got[0]["INVITE"], kEach);
  EXPECT_EQ(got[0]["SIP/2.0"], kEach);
  EXPECT_EQ(got[0]["OPTIONS"], kEach);
  EXPECT_EQ(got[0]["RE"], 1);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(got[i].count("INVITE") + got[i].count("SIP/2.0") + got[i].count("OPTIONS"), 0u) << "socket " << i;
    // 150 REGISTERs over 2 twins at random: each gets some (all on one: probability 2^-149).
    EXPECT_GT(got[i]["REGISTER"], 0) << "socket " << i;
  }
  EXPECT_EQ(got[0]["REGISTER"], 0) << "the engine's socket gets no REGISTER while workers run";
  EXPECT_EQ(got[1]["REGISTER"] + got[2]["REGISTER"], kEach);
  for (int fd : fds) ::close(fd);
}

TEST(Reuseport, ATwinKeepsTheFirstSocketsOptions) {
  int port = 0;
  int first = bound_socket(&port);
  int one = 1, rcvbuf = 96 * 1024, dont = IP_PMTUDISC_DONT;
  ::setsockopt(first, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
  ::setsockopt(first, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof dont);
  ::setsockopt(first, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  std::string why;
  int twin = make_reuseport_twin(first, &why);
  ASSERT_GE(twin, 0) << why;

  auto opt = [](int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    ::getsockopt(fd, level, name, &v, &len);
    return v;
  };
  EXPECT_EQ(opt(twin, IPPROTO_IP, IP_RECVERR), 1);
  EXPECT_EQ(opt(twin, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DONT);
  EXPECT_EQ(opt(twin, SOL_SOCKET, SO_RCVBUF), opt(first, SOL_SOCKET, SO_RCVBUF));
  EXPECT_EQ(opt(twin, SOL_SOCKET, SO_REUSEPORT), 1);
  EXPECT_TRUE(::fcntl(twin, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(twin, F_GETFD) & FD_CLOEXEC);
  sockaddr_in a{}, b{};
  socklen_t la = sizeof a, lb = sizeof b;
  ::getsockname(first, reinterpret_cast<sockaddr*>(&a), &la);
  ::getsockname(twin, reinterpret_cast<sockaddr*>(&b), &lb);
  EXPECT_EQ(a.sin_port, b.sin_port);
  EXPECT_EQ(a.sin_addr.s_addr, b.sin_addr.s_addr);
  ::close(twin);
  ::close(first);
}

TEST(Reuseport, ATwinOfNoSocketIsRefusedWithAReason) {
  std::string why;
  EXPECT_EQ(make_reuseport_twin(-1, &why), -1);
  EXPECT_NE(why.find("getsockname"), std::string::npos) << why;
}

}  // namespace
}  // namespace sb::gateway
