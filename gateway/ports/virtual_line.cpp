// virtual_line.cpp: the line simulator (see virtual_line.h).
#include "gateway/ports/virtual_line.h"

#include <sstream>

#include <fmt/format.h>

#include "gateway/calls/cause_map.h"

namespace sb::gateway {

using mi::Value;

std::string virtual_sdp_answer(const std::string& offer, unsigned media_port) {
  std::istringstream in(offer);
  std::string line, pt, rtpmap, fmtp, direction = "sendrecv";
  bool in_audio = false, found = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("m=", 0) == 0) {
      in_audio = !found && line.rfind("m=audio ", 0) == 0;
      if (in_audio) {
        std::istringstream m(line.substr(2));
        std::string media, port, proto;
        m >> media >> port >> proto >> pt;
        found = !pt.empty();
      }
      continue;
    }
    if (!in_audio) continue;
    if (line.rfind("a=rtpmap:" + pt + " ", 0) == 0) rtpmap = line;
    if (line.rfind("a=fmtp:" + pt + " ", 0) == 0) fmtp = line;
    if (line == "a=sendonly") direction = "recvonly";
    if (line == "a=recvonly") direction = "sendonly";
    if (line == "a=inactive") direction = "inactive";
  }
  if (!found) {  // no offer (or no audio in it): offer G.711 µ-law ourselves
    pt = "0";
    rtpmap = "a=rtpmap:0 PCMU/8000";
  }
  std::string sdp = fmt::format(
      "v=0\r\no=switchboard {0} 1 IN IP4 127.0.0.1\r\ns=switchboard virtual line\r\n"
      "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {0} RTP/AVP {1}\r\n",
      media_port, pt);
  if (!rtpmap.empty()) sdp += rtpmap + "\r\n";
  if (!fmtp.empty()) sdp += fmtp + "\r\n";
  sdp += "a=" + direction + "\r\n";
  return sdp;
}

VirtualLineLeg::VirtualLineLeg(Engine& engine, su_root_t* root, LegObserver& observer, const Port& port,
                               const CauseMap& causes, std::string called)
    : observer_(observer),
      causes_(causes),
      port_(port.number),
      behaviour_(port.behaviour),
      called_(std::move(called)),
      ring_(engine, root),
      answer_(engine, root),
      end_(engine, root) {}

Value VirtualLineLeg::describe() const {
  return Value{{"type", "virtual"}, {"direction", "out"}, {"port", port_}, {"mode", behaviour_.mode},
               {"state", state_}, {"called", called_}};
}

void VirtualLineLeg::dial(const std::string& sdp_offer) {
  const VirtualBehaviour& b = behaviour_;
  state_ = "dialling";
  bool rejects = b.mode == "reject" || b.mode == "busy";
  bool rings_first = b.mode == "ring" || (b.mode == "answer" && b.ring_after_ms < b.answer_after_ms) ||
                     (rejects && b.ring_after_ms < b.reject_after_ms);
  if (rings_first) {
    ring_.start(b.ring_after_ms, [this] {
      if (detached_) return;
      state_ = "ringing";
      observer_.leg_progress(*this, 180, "Ringing", {});
    });
  }
  if (b.mode == "answer") {
    std::string answer = virtual_sdp_answer(sdp_offer, 40000u + 2u * static_cast<unsigned>(port_));
    answer_.start(b.answer_after_ms, [this, answer] {
      if (detached_) return;
      ring_.cancel();
      state_ = "answered";
      observer_.leg_answered(*this, answer);
      if (behaviour_.hangup_after_ms > 0) {
        end_.start(behaviour_.hangup_after_ms, [this] {
          if (detached_) return;
          detached_ = true;
          state_ = "hung up";
          observer_.leg_hungup(*this, 16);
        });
      }
    });
  } else if (rejects) {
    answer_.start(b.reject_after_ms, [this] {
      if (detached_) return;
      ring_.cancel();
      detached_ = true;
      int cause = behaviour_.cause;
      int status = causes_.status_for_cause(cause);
      state_ = fmt::format("rejected, cause {}", cause);
      observer_.leg_failed(*this, status, CauseMap::q850_name(cause), cause);
    });
  }
}

void VirtualLineLeg::stop() {
  detached_ = true;
  ring_.cancel();
  answer_.cancel();
  end_.cancel();
}

void VirtualLineLeg::cancel() {
  stop();
  state_ = "cancelled";
}

void VirtualLineLeg::hangup(int q850) {
  stop();
  state_ = fmt::format("released, cause {}", q850);
}

void VirtualLineLeg::reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) {
  if (detached_) return done(481, {});
  done(200, virtual_sdp_answer(sdp, 40000u + 2u * static_cast<unsigned>(port_)));
}

// ---------------------------------------------------------------------------------------------

VirtualCallerLeg::VirtualCallerLeg(Engine& engine, su_root_t* root, LegObserver& observer, const Port& port,
                                   std::string number)
    : observer_(observer),
      port_(port.number),
      hangup_after_ms_(port.behaviour.hangup_after_ms),
      number_(std::move(number)),
      end_(engine, root) {}

Value VirtualCallerLeg::describe() const {
  return Value{{"type", "virtual"}, {"direction", "in"}, {"port", port_}, {"state", state_}, {"number", number_}};
}

std::string VirtualCallerLeg::offer() const {
  return virtual_sdp_answer({}, 40000u + 2u * static_cast<unsigned>(port_));
}

void VirtualCallerLeg::send_progress(int status, const std::string& /*phrase*/, const std::string& /*sdp*/) {
  if (!detached_ && status > 100) state_ = status == 180 ? "ringing" : "early media";
}

void VirtualCallerLeg::send_answer(const std::string& /*sdp*/) {
  if (detached_) return;
  state_ = "connected";
  if (hangup_after_ms_ > 0) {
    end_.start(hangup_after_ms_, [this] {
      if (detached_) return;
      detached_ = true;
      state_ = "hung up";
      observer_.leg_hungup(*this, 16);
    });
  }
}

void VirtualCallerLeg::send_reject(int status, const std::string& phrase, int q850) {
  detached_ = true;
  end_.cancel();
  state_ = fmt::format("rejected {} {} (cause {})", status, phrase, q850);
}

void VirtualCallerLeg::hangup(int q850) {
  detached_ = true;
  end_.cancel();
  state_ = fmt::format("released, cause {}", q850);
}

void VirtualCallerLeg::reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) {
  if (detached_) return done(481, {});
  done(200, virtual_sdp_answer(sdp, 40000u + 2u * static_cast<unsigned>(port_)));
}

}  // namespace sb::gateway
