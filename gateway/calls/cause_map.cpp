// cause_map.cpp: the RFC 3398 tables and the override parser (see cause_map.h).
#include "gateway/calls/cause_map.h"

#include "mi/strings.h"

#include <charconv>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

// RFC 3398 §7.2.4.1 (ISUP cause → SIP response).
const std::map<int, int> kQ850ToSip = {
    {1, 404},  {2, 404},  {3, 404},  {17, 486}, {18, 408}, {19, 480}, {20, 480}, {21, 403},
    {22, 410}, {23, 410}, {26, 404}, {27, 502}, {28, 484}, {29, 501}, {31, 480}, {34, 503},
    {38, 503}, {41, 503}, {42, 503}, {47, 503}, {55, 403}, {57, 403}, {58, 503}, {65, 488},
    {69, 501}, {70, 488}, {79, 501}, {87, 403}, {88, 503}, {102, 504}, {111, 500}, {127, 500},
};

// RFC 3398 §8.2.6.1 (SIP response → ISUP cause); 487 (cancelled) as Kamailio/FreeSWITCH report it.
const std::map<int, int> kSipToQ850 = {
    {400, 41}, {401, 21}, {402, 21}, {403, 21}, {404, 1},   {405, 63},  {406, 79},  {407, 21},
    {408, 102}, {410, 22}, {413, 127}, {414, 127}, {415, 79}, {416, 127}, {420, 127}, {421, 127},
    {423, 127}, {480, 18}, {481, 41}, {482, 25}, {483, 25}, {484, 28}, {485, 1},   {486, 17},
    {487, 16}, {488, 65}, {500, 41}, {501, 79}, {502, 38}, {503, 41}, {504, 102}, {505, 127},
    {513, 127}, {600, 17}, {603, 21}, {604, 1},   {606, 58},
};

const std::map<int, const char*> kNames = {
    {1, "Unallocated number"}, {2, "No route to network"}, {3, "No route to destination"},
    {16, "Normal clearing"}, {17, "User busy"}, {18, "No user responding"},
    {19, "No answer"}, {20, "Subscriber absent"}, {21, "Call rejected"},
    {22, "Number changed"}, {25, "Exchange routing error"}, {27, "Destination out of order"},
    {28, "Invalid number format"}, {29, "Facility rejected"}, {31, "Normal, unspecified"},
    {34, "No circuit available"}, {38, "Network out of order"}, {41, "Temporary failure"},
    {42, "Switching equipment congestion"}, {47, "Resource unavailable"},
    {55, "Incoming calls barred"}, {57, "Bearer capability not authorized"},
    {58, "Bearer capability not available"}, {63, "Service not available"},
    {65, "Bearer capability not implemented"}, {79, "Service not implemented"},
    {88, "Incompatible destination"}, {102, "Recovery on timer expiry"},
    {111, "Protocol error"}, {127, "Interworking, unspecified"},
};

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

using mi::trim;

/// Parses "a=b, c=d" into `out`; returns why not, or empty.
std::string parse_overrides(const std::string& text, bool q850_first, std::map<int, int>* out) {
  std::string_view rest = text;
  while (!trim(rest).empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::size_t eq = item.find('=');
    int from = 0, to = 0;
    if (eq == std::string_view::npos || !parse_int(trim(item.substr(0, eq)), from) ||
        !parse_int(trim(item.substr(eq + 1)), to))
      return fmt::format("'{}' is not <code>=<code>", item);
    int q850 = q850_first ? from : to, sip = q850_first ? to : from;
    if (q850 < 1 || q850 > 127) return fmt::format("'{}': Q.850 causes are 1..127", item);
    if (sip < 400 || sip > 699) return fmt::format("'{}': SIP failure statuses are 400..699", item);
    if (out) (*out)[from] = to;
  }
  return {};
}

}  // namespace

std::string check_cause_overrides(const std::string& text, bool q850_first) {
  return parse_overrides(text, q850_first, nullptr);
}

CauseMap::CauseMap(const std::string& q850_to_sip, const std::string& sip_to_q850)
    : to_sip_(kQ850ToSip), to_q850_(kSipToQ850) {
  if (auto why = parse_overrides(q850_to_sip, true, &to_sip_); !why.empty())
    throw std::invalid_argument("calls.q850_to_sip: " + why);
  if (auto why = parse_overrides(sip_to_q850, false, &to_q850_); !why.empty())
    throw std::invalid_argument("calls.sip_to_q850: " + why);
}

int CauseMap::status_for_cause(int q850) const {
  if (auto it = to_sip_.find(q850); it != to_sip_.end()) return it->second;
  // RFC 3398: unknown causes map by class; normal-event classes end up as 480/500.
  if (q850 <= 31) return 480;
  if (q850 <= 47) return 503;
  return 500;
}

int CauseMap::cause_for_status(int status) const {
  if (status < 300) return 16;
  if (auto it = to_q850_.find(status); it != to_q850_.end()) return it->second;
  if (status < 500) return 21;
  if (status < 600) return 41;
  return 31;
}

std::string CauseMap::q850_name(int cause) {
  if (auto it = kNames.find(cause); it != kNames.end()) return it->second;
  return fmt::format("cause {}", cause);
}

mi::Value CauseMap::value() const {
  mi::Value a = mi::Value::object(), b = mi::Value::object();
  for (auto [q, s] : to_sip_) a[std::to_string(q)] = s;
  for (auto [s, q] : to_q850_) b[std::to_string(s)] = q;
  return mi::Value{{"q850_to_sip", a}, {"sip_to_q850", b}};
}

}  // namespace sb::gateway
