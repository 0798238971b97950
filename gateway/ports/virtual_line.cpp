// virtual_line.cpp: the line simulator (see virtual_line.h).
#include "gateway/ports/virtual_line.h"

#include <sstream>

#include <fmt/format.h>

#include "gateway/calls/cause_map.h"
#include "gateway/ports/port_driver.h"

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

// ---------------------------------------------------------------------------------------------
// The `virtual` driver

namespace {

constexpr std::int64_t kMaxDelayMs = 3'600'000;

/// Reads a millisecond option; false + why when out of range or not a number.
bool read_ms(const Value& v, const char* key, unsigned& out, std::string* why) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > kMaxDelayMs) {
    *why = fmt::format("option '{}' must be an integer 0..{} (milliseconds)", key, kMaxDelayMs);
    return false;
  }
  out = static_cast<unsigned>(v.get<std::int64_t>());
  return true;
}

class VirtualPortDriver final : public PortDriver {
 public:
  std::string name() const override { return "virtual"; }

  std::string configure(const Value& opts, Port& port) const override {
    VirtualBehaviour b;
    std::string why;
    for (auto it = opts.begin(); it != opts.end(); ++it) {
      const std::string& k = it.key();
      const Value& v = it.value();
      if (k == "mode") {
        if (!v.is_string()) return "option 'mode' must be answer, ring, reject or busy";
        b.mode = v.get<std::string>();
        if (b.mode != "answer" && b.mode != "ring" && b.mode != "reject" && b.mode != "busy")
          return fmt::format("option 'mode': '{}' is not answer, ring, reject or busy", b.mode);
      } else if (k == "ring_after_ms") {
        if (!read_ms(v, "ring_after_ms", b.ring_after_ms, &why)) return why;
      } else if (k == "answer_after_ms") {
        if (!read_ms(v, "answer_after_ms", b.answer_after_ms, &why)) return why;
      } else if (k == "hangup_after_ms") {
        if (!read_ms(v, "hangup_after_ms", b.hangup_after_ms, &why)) return why;
      } else if (k == "reject_after_ms") {
        if (!read_ms(v, "reject_after_ms", b.reject_after_ms, &why)) return why;
      } else if (k == "cause") {
        if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 127)
          return "option 'cause' must be a Q.850 cause 1..127";
        b.cause = v.get<int>();
      } else {
        return fmt::format("unknown option '{}' for a virtual port (known: mode, ring_after_ms, "
                           "answer_after_ms, hangup_after_ms, reject_after_ms, cause)", k);
      }
    }
    if (b.mode == "busy") b.cause = 17;
    port.behaviour = b;
    return {};
  }

  std::string state(const Port&, const std::function<std::string(const std::string&)>&, std::string*) const override {
    return "up";
  }

  std::unique_ptr<Leg> dial(const Port& port, DialContext& ctx, std::string*) const override {
    return std::make_unique<VirtualLineLeg>(ctx.engine, ctx.root, ctx.observer, port, ctx.causes, ctx.called);
  }

  bool can_originate() const override { return true; }
};

}  // namespace

const PortDriver& virtual_port_driver() {
  static const VirtualPortDriver driver;
  return driver;
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
