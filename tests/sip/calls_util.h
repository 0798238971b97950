// calls_util.h: a scripted caller and callee for the call engine tests (tests/sip/calls_*_test.cpp):
// a registered caller that sends INVITE / ACK / BYE / CANCEL and answers the daemon's BYE, a
// registered callee that rings and answers with its own SDP, and the dialplan/port set-up calls.
#pragma once

#include <string>
#include <vector>

#include "sip/sip_test_util.h"

namespace sb::test::sip {

inline const std::string kOfferSdp =
    "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
inline const std::string kAnswerSdp =
    "v=0\r\no=bob 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 51372 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";

/// Registers `user`@example.com with the peer's address as Contact; asserts 200.
inline void register_user(SipPeer& peer, const std::string& user) {
  auto r = make_register(user, "example.com", {"<" + peer.contact_uri(user) + ">"}, "600");
  auto reply = peer.request(r);
  ASSERT_TRUE(reply) << "no answer to REGISTER";
  ASSERT_EQ(reply->status, 200) << reply->raw;
}

/// A JSON-RPC call that must succeed; returns its result.
inline json ok(const TestDaemon& d, const std::string& method, json params = nullptr) {
  json j = rpc(d, method, std::move(params));
  EXPECT_TRUE(j.contains("result")) << method << ": " << j.dump();
  return j.contains("result") ? j["result"] : json();
}

/// The caller side of one call, driven step by step by the test.
struct Caller {
  Caller(SipPeer& p, const TestDaemon& daemon) : peer(p), d(daemon) {}
  SipPeer& peer;
  const TestDaemon& d;
  std::string user = "alice";
  SipRequest invite;
  std::string to_tag, remote_target;
  std::vector<int> statuses;  ///< every response to the INVITE, in order
  std::string answer_sdp;

  /// Sends the INVITE to sip:<number>@<daemon>.
  void call(const std::string& number, const std::string& sdp = kOfferSdp) {
    invite = SipRequest{};
    invite.method = "INVITE";
    invite.ruri = "sip:" + number + "@127.0.0.1:" + std::to_string(d.sip_port());
    invite.from = "sip:" + user + "@example.com";
    invite.to = "sip:" + number + "@example.com";
    invite.contacts = {"<" + peer.contact_uri(user) + ">"};
    invite.body = sdp;
    invite.content_type = "application/sdp";
    peer.send_raw(peer.build(invite));
  }
  /// Reads responses to the INVITE until one with status >= `until` (or a final one); returns it.
  std::optional<SipMessage> wait_response(int until, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = peer.receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!m) break;
      if (m->is_request) {  // e.g. the daemon's BYE
        pending_requests.push_back(*m);
        continue;
      }
      if (m->branch() != invite.branch || m->cseq_method() != "INVITE") continue;
      statuses.push_back(m->status);
      if (!m->to_tag().empty()) to_tag = m->to_tag();
      if (m->status >= 200 && m->status < 300) {
        auto c = m->contacts();
        if (!c.empty()) remote_target = header_uri(c[0]);
        answer_sdp = m->body;
      }
      if (m->status >= until || m->status >= 200) return m;
    }
    return std::nullopt;
  }
  std::string in_dialog(const std::string& method, int cseq, const std::string& branch) const {
    std::string ruri = remote_target.empty() ? invite.ruri : remote_target;
    return method + " " + ruri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP " + peer.host_port() + ";branch=" + branch +
           ";rport\r\nFrom: <" + invite.from + ">;tag=" + invite.from_tag + "\r\nTo: <" + invite.to + ">;tag=" +
           to_tag + "\r\nCall-ID: " + invite.call_id + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
           "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  }
  /// ACK for a 2xx (CSeq `cseq`; 0 = the INVITE's).
  void ack(int cseq = 0) {
    peer.send_raw(in_dialog("ACK", cseq ? cseq : static_cast<int>(invite.cseq_number), "z9hG4bK" + SipPeer::random_token()));
  }
  /// Answers the 407 `challenge` to the INVITE: ACKs it (same branch and CSeq, its To tag), then
  /// sends the INVITE again — same Call-ID and From tag, CSeq + 1, a new branch — with a
  /// Proxy-Authorization for `auth_user` (default: the caller) and `password`.
  void authenticate(const SipMessage& challenge, const std::string& password, const std::string& auth_user = {}) {
    peer.send_raw("ACK " + invite.ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + peer.host_port() + ";branch=" +
                  invite.branch + ";rport\r\nFrom: <" + invite.from + ">;tag=" + invite.from_tag + "\r\nTo: <" +
                  invite.to + ">;tag=" + challenge.to_tag() + "\r\nCall-ID: " + invite.call_id + "\r\nCSeq: " +
                  std::to_string(invite.cseq_number) + " ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    auto params = auth_params(challenge.header("Proxy-Authenticate"));
    invite.cseq_number++;
    invite.branch = "z9hG4bK" + SipPeer::random_token();
    invite.extra = {{"Proxy-Authorization",
                     digest_authorization(auth_user.empty() ? user : auth_user, password, invite.ruri, params, "INVITE")}};
    to_tag.clear();
    peer.send_raw(peer.build(invite));
  }
  /// Sends a re-INVITE (CSeq `cseq`) with `sdp`; returns its final response.
  std::optional<SipMessage> reinvite(const std::string& sdp, int cseq) {
    std::string branch = "z9hG4bK" + SipPeer::random_token();
    std::string text = in_dialog("INVITE", cseq, branch);
    std::string head = text.substr(0, text.find("Content-Length: 0\r\n\r\n"));
    head += "Contact: <" + peer.contact_uri(user) + ">\r\nContent-Type: application/sdp\r\nContent-Length: " +
            std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    peer.send_raw(head);
    return peer.receive_final(branch, 5s);
  }
  /// Sends BYE (CSeq: the INVITE's + 1) and returns the response status (0 = none).
  int bye() {
    std::string branch = "z9hG4bK" + SipPeer::random_token();
    peer.send_raw(in_dialog("BYE", static_cast<int>(invite.cseq_number) + 1, branch));
    auto r = peer.receive_final(branch, 5s);
    return r ? r->status : 0;
  }
  /// CANCEL for the pending INVITE (same branch, same CSeq number).
  void cancel() {
    std::string text = "CANCEL " + invite.ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + peer.host_port() +
                       ";branch=" + invite.branch + ";rport\r\nFrom: <" + invite.from + ">;tag=" + invite.from_tag +
                       "\r\nTo: <" + invite.to + ">\r\nCall-ID: " + invite.call_id +
                       "\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    peer.send_raw(text);
  }
  /// Waits for a request from the daemon (e.g. BYE) and answers it 200.
  std::optional<SipMessage> expect_request(const std::string& method, std::chrono::milliseconds timeout = 5s) {
    for (auto it = pending_requests.begin(); it != pending_requests.end(); ++it) {
      if (it->method == method) {
        SipMessage m = *it;
        pending_requests.erase(it);
        peer.send_raw(SipPeer::make_response(m, 200, "OK"));
        return m;
      }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = peer.receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!m) break;
      if (m->is_request && m->method == method) {
        peer.send_raw(SipPeer::make_response(*m, 200, "OK"));
        return m;
      }
    }
    return std::nullopt;
  }
  std::vector<SipMessage> pending_requests;
};

/// A callee that rings and answers every INVITE with kAnswerSdp, 200s BYE, ignores ACK.
inline SipPeer::Handler answering_callee(int own_port, int final_status = 200) {
  return [own_port, final_status](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    if (req.method == "INVITE") {
      std::string contact = "<sip:callee@127.0.0.1:" + std::to_string(own_port) + ">";
      std::vector<std::string> out = {SipPeer::make_response(req, 180, "Ringing")};
      if (final_status == 200)
        out.push_back(SipPeer::make_response(req, 200, "OK",
                                             {{"Contact", contact}, {"Content-Type", "application/sdp"}},
                                             kAnswerSdp));
      else
        out.push_back(SipPeer::make_response(req, final_status, "Busy Here"));
      return out;
    }
    return {SipPeer::make_response(req, 200, "OK")};
  };
}

/// Adds a dialplan rule; returns its id.
inline long long add_rule(const TestDaemon& d, json params) {
  json r = ok(d, "dp_rule_add", std::move(params));
  return r.is_object() ? r.value("id", 0LL) : 0LL;
}

/// Active calls as call_list reports them.
inline json calls(const TestDaemon& d) {
  json r = ok(d, "call_list");
  return r.is_object() ? r["Calls"] : json::array();
}

}  // namespace sb::test::sip
