// sip_peer.h: a small scripted SIP user agent over UDP on 127.0.0.1, for the daemon-level SIP
// tests (tests/sip/). It builds requests as text, sends them to the daemon's SIP port, reads
// the replies with a timeout and parses them; it can also serve incoming requests (a
// "listening peer" that records every request and answers through a handler) or stay silent
// (a "black hole": bound, never answers, but still records what arrived).
//
// Digest: MD5 (RFC 1321) is implemented here, so the tests need no sofia-sip headers.
// Threading: one SipPeer per test. send/receive from the test thread; once serve() is called
// a background thread owns the socket's receive side, and received() / wait_for() may be
// called from any thread.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sb::test {

/// MD5 (RFC 1321) of `data`, as 32 lower-case hex digits.
std::string md5_hex(std::string_view data);

/// One parsed SIP message (request or response).
struct SipMessage {
  bool is_request = false;
  std::string method;   ///< requests
  std::string uri;      ///< requests: the Request-URI
  int status = 0;       ///< responses
  std::string reason;   ///< responses
  /// Headers in order; names as sent, except compact forms which are expanded (v → Via, …).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string raw;
  sockaddr_in from{};   ///< where the datagram came from

  /// First header of that name (case-insensitive, compact forms too), or "" when absent.
  std::string header(std::string_view name) const;
  bool has(std::string_view name) const;
  /// Every value of that header, each header line split at top-level commas (Via, Contact…).
  std::vector<std::string> all(std::string_view name) const;
  /// The Contact values (header lines split at commas outside quotes and <>).
  std::vector<std::string> contacts() const { return all("Contact"); }
  /// CSeq number, or -1.
  long long cseq() const;
  std::string cseq_method() const;
  /// The tag param of To / From ("" when none).
  std::string to_tag() const;
  std::string from_tag() const;
  /// The branch param of the top Via.
  std::string branch() const;
  /// "sip:1.2.3.4:5" → source port of the datagram.
  int from_port() const;
};

/// Parses one datagram; nullopt when the start line or the header block is not SIP.
std::optional<SipMessage> parse_sip(const std::string& raw);

/// Splits a header value at commas outside quotes and angle brackets (values trimmed).
std::vector<std::string> split_header_list(std::string_view value);
/// Params of a challenge / credentials header: `Digest realm="x", nonce="y", qop="auth"` →
/// {"realm": "x", "nonce": "y", "qop": "auth"} (keys lower-cased, values unquoted); the scheme
/// lands under "" .
std::map<std::string, std::string> auth_params(std::string_view value);
/// The value of param `name` in a header value like `<sip:a@b>;expires=60;q=0.5` ("" if absent,
/// nullopt if the param is not there at all). Names compare case-insensitively.
std::optional<std::string> header_param(std::string_view value, std::string_view name);
/// The URI of a name-addr / addr-spec value: `"A" <sip:a@b>;tag=1` → `sip:a@b`.
std::string header_uri(std::string_view value);

/// RFC 2617 digest response (MD5; qop "auth" or "" for RFC 2069 style).
std::string digest_response(const std::string& user, const std::string& realm, const std::string& password,
                            const std::string& method, const std::string& uri, const std::string& nonce,
                            const std::string& qop = "auth", const std::string& nc = "00000001",
                            const std::string& cnonce = "0a4f113b");
/// A complete `Digest …` Authorization value answering the challenge params (auth_params()).
std::string digest_authorization(const std::string& user, const std::string& password, const std::string& uri,
                                 const std::map<std::string, std::string>& challenge,
                                 const std::string& method = "REGISTER", const std::string& nc = "00000001",
                                 const std::string& cnonce = "0a4f113b");

/// What SipPeer::build() turns into request text. Empty strings leave a header out (after the
/// defaults below were applied), so a test can drop any mandatory header.
struct SipRequest {
  std::string method = "REGISTER";
  std::string ruri;                ///< default for REGISTER: sip:<To domain>
  std::string from;                ///< URI; default: To
  std::string to;                  ///< URI, e.g. sip:alice@example.com
  std::string from_tag;            ///< default: random
  std::string call_id;             ///< default: random; "-" = no Call-ID header
  std::string cseq;                ///< default: "<n> <method>" with n = cseq_number
  std::uint32_t cseq_number = 1;
  std::vector<std::string> contacts;  ///< Contact values, one header line each
  std::optional<std::string> expires;  ///< Expires header
  std::optional<std::string> authorization;
  std::string user_agent = "sb-sip-peer/1";
  std::vector<std::pair<std::string, std::string>> extra;  ///< more header lines, in order
  std::string body;
  std::string content_type;        ///< with a body
  std::string branch;              ///< default: z9hG4bK + random
  bool content_length = true;      ///< add Content-Length
};

class SipPeer {
 public:
  /// Binds UDP 127.0.0.1:0; `daemon_port` is where send()/request() go.
  explicit SipPeer(int daemon_port = 0);
  ~SipPeer();
  SipPeer(const SipPeer&) = delete;
  SipPeer& operator=(const SipPeer&) = delete;

  int port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  /// sip:<user>@127.0.0.1:<our port>
  std::string contact_uri(const std::string& user = "peer") const;
  void set_daemon_port(int p) { daemon_port_ = p; }

  /// Request text with defaults filled in (fills `r` too: call_id, from_tag, branch).
  std::string build(SipRequest& r) const;
  /// Sends bytes as one datagram to the daemon (or `port` when given).
  void send_raw(std::string_view bytes, int port = 0) const;
  /// The next datagram that parses as SIP (others are skipped), within `timeout`.
  std::optional<SipMessage> receive(std::chrono::milliseconds timeout);
  /// The next final response (≥ 200) whose top Via branch is `branch` (others skipped).
  std::optional<SipMessage> receive_final(const std::string& branch, std::chrono::milliseconds timeout);
  /// build + send + receive_final.
  std::optional<SipMessage> request(SipRequest& r, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Listening / black-hole mode -------------------------------------------------------------
  /// What the handler may send back: each string is one response datagram to the requester.
  using Handler = std::function<std::vector<std::string>(const SipMessage& request)>;
  /// Starts a thread that records every request and answers with `handler(request)`. A null
  /// handler makes a black hole (requests recorded, never answered).
  void serve(Handler handler);
  /// Handler answering 200 OK to every request except ACK (which gets nothing).
  static Handler answer_200();
  /// Stops the serving thread (also done by the destructor).
  void stop_serving();
  /// Sends a datagram from the serving socket (e.g. a later 487) to `to`.
  void send_to(std::string_view bytes, const sockaddr_in& to) const;
  /// Every request received so far (copies), in arrival order.
  std::vector<SipMessage> received() const;
  /// Waits until a received request satisfies `pred`; returns it.
  std::optional<SipMessage> wait_for(const std::function<bool(const SipMessage&)>& pred,
                                     std::chrono::milliseconds timeout) const;
  std::optional<SipMessage> wait_for_method(const std::string& method, std::chrono::milliseconds timeout) const {
    return wait_for([&](const SipMessage& m) { return m.method == method; }, timeout);
  }
  std::size_t count(const std::string& method) const;

  /// A response to `req`: copies Via, From, Call-ID, CSeq; To gets `to_tag` unless it has one.
  static std::string make_response(const SipMessage& req, int status, const std::string& reason,
                                   const std::vector<std::pair<std::string, std::string>>& extra = {},
                                   const std::string& body = {}, const std::string& to_tag = "peer-tag-1");

  static std::string random_token(std::size_t hex_digits = 16);

 private:
  void serve_loop();

  int fd_ = -1;
  int port_ = 0;
  int daemon_port_ = 0;
  Handler handler_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<SipMessage> received_;
};

}  // namespace sb::test
