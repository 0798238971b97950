// sip_listen_test.cpp: the `sip.listen` syntax — gateway/sip/sip_stack.h listen_to_url() and
// parse_listen_list(): protocols, IPv4/IPv6 hosts, lists with blanks, and the error texts.
// Threading: pure functions, single-threaded.
#include "gateway/sip/sip_stack.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

using List = std::vector<std::string>;

/// The invalid_argument text parse_listen_list throws for `value`, or "" when it accepts it.
std::string list_error(const std::string& value) {
  try {
    parse_listen_list(value);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

TEST(ListenToUrl, UdpAndTcp) {
  std::string why = "untouched";
  EXPECT_EQ(listen_to_url("udp:127.0.0.1:5060", &why), "sip:127.0.0.1:5060;transport=udp");
  EXPECT_EQ(why, "untouched") << "why is only set on errors";
  EXPECT_EQ(listen_to_url("tcp:127.0.0.1:5061", nullptr), "sip:127.0.0.1:5061;transport=tcp");
  EXPECT_EQ(listen_to_url("udp:0.0.0.0:0", nullptr), "sip:0.0.0.0:0;transport=udp");
  EXPECT_EQ(listen_to_url("udp:localhost:5060", nullptr), "sip:localhost:5060;transport=udp");
}

TEST(ListenToUrl, Ipv6) {
  EXPECT_EQ(listen_to_url("udp:[::1]:5060", nullptr), "sip:[::1]:5060;transport=udp");
  EXPECT_EQ(listen_to_url("tcp:[2001:db8::10]:5070", nullptr), "sip:[2001:db8::10]:5070;transport=tcp");
}

TEST(ListenToUrl, Ipv6WithoutBracketsIsRefusedOrBracketed) {
  // "udp:::1:5060" is read as host "::1", port 5060 by the host:port parser. Written into a SIP
  // URL unbracketed ("sip:::1:5060") it is not a valid URL: either refuse it or bracket it.
  std::string why;
  std::string url = listen_to_url("udp:::1:5060", &why);
  if (!url.empty()) {
    EXPECT_EQ(url, "sip:[::1]:5060;transport=udp");
  }
}

TEST(ListenToUrl, Errors) {
  struct Case {
    const char* listen;
    const char* fragment;  // expected in `why`
  };
  const Case cases[] = {
      {"sctp:127.0.0.1:5060", "expected udp:HOST:PORT or tcp:HOST:PORT"},
      {"tls:127.0.0.1:5061", "expected udp:HOST:PORT or tcp:HOST:PORT"},
      {"127.0.0.1:5060", "expected udp:HOST:PORT or tcp:HOST:PORT"},
      {"udp", "expected udp:HOST:PORT or tcp:HOST:PORT"},
      {"", "expected udp:HOST:PORT or tcp:HOST:PORT"},
      {"udp:127.0.0.1", "is not host:port"},
      {"udp:nohost", "is not host:port"},
      {"udp:127.0.0.1:", "is not a port number"},
      {"udp:127.0.0.1:70000", "is not a port number"},
      {"udp:127.0.0.1:50x", "is not a port number"},
      {"udp:nohost:5060", "is not an IPv4/IPv6 address"},
      {"udp:example.com:5060", "is not an IPv4/IPv6 address"},
      {"udp:[::1]", "is not [ipv6]:port"},
      {"udp:[::1:5060", "is not [ipv6]:port"},
      {"tcp:[nohost]:5060", "is not an IPv4/IPv6 address"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.listen);
    std::string why;
    EXPECT_EQ(listen_to_url(c.listen, &why), "");
    EXPECT_NE(why.find(c.fragment), std::string::npos) << why;
    EXPECT_NE(why.find(std::string("'") + c.listen + "'"), std::string::npos)
        << "the message quotes the listener: " << why;
    EXPECT_EQ(listen_to_url(c.listen, nullptr), "") << "why may be null";
  }
}

TEST(ParseListenList, ItemsSpacesAndEmptyItems) {
  EXPECT_EQ(parse_listen_list("udp:127.0.0.1:5060"), List{"udp:127.0.0.1:5060"});
  EXPECT_EQ(parse_listen_list("udp:127.0.0.1:5060,tcp:[::1]:5061"),
            (List{"udp:127.0.0.1:5060", "tcp:[::1]:5061"}));
  EXPECT_EQ(parse_listen_list("  udp:127.0.0.1:5060 ,\ttcp:127.0.0.1:5061\t, "),
            (List{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5061"}));
  EXPECT_EQ(parse_listen_list(",,udp:127.0.0.1:5060,,"), List{"udp:127.0.0.1:5060"});
  EXPECT_EQ(parse_listen_list(""), List{});
  EXPECT_EQ(parse_listen_list(" , ,"), List{});
}

TEST(ParseListenList, ErrorsNameTheBadItem) {
  EXPECT_NE(list_error("udp:127.0.0.1:5060, sctp:127.0.0.1:5060").find("'sctp:127.0.0.1:5060'"),
            std::string::npos);
  EXPECT_NE(list_error("udp:127.0.0.1").find("'udp:127.0.0.1'"), std::string::npos);
  EXPECT_NE(list_error("udp:nohost:5060").find("not an IPv4/IPv6 address"), std::string::npos);
  EXPECT_NE(list_error("tcp:127.0.0.1:5061 , udp:bad").find("'udp:bad'"), std::string::npos);
  EXPECT_EQ(list_error("udp:127.0.0.1:5060, tcp:[::1]:5060"), "");
}

}  // namespace
}  // namespace sb::gateway
