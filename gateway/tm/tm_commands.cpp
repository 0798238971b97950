// tm_commands.cpp: the `tm` module's commands.
#include "gateway/tm/tm_commands.h"

#include "mi/render/text.h"

#include "gateway/tm/tm.h"

#include "gateway/engine/command_helpers.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

using mi::TextBlock;

void register_tm_commands(mi::Registry& registry, const SipServices& s) {
  const std::string m = "tm";
  using namespace mi::schema;
  auto headers = mi::optional_param("headers", ParamType::string_,
                                    "header lines (From and To required; CRLF-separated); `!!` = our address", "")
                     .block(TextBlock::line_set);
  auto body = mi::optional_param("body", ParamType::string_, "message body (needs Content-Type)", "")
                  .block(TextBlock::body);

  registry.add({.name = "t_uac_dlg", .module = m,
                .summary = "Send a SIP request and return its final reply",
                .description = "SER/OpenSIPS t_uac_dlg. Replies when the transaction completes: "
                               "{\"Status\":\"<code> <reason>\",\"Message\":\"<reply from its first header>\"}; "
                               "a local timeout gives {\"Status\":\"408 Request Timeout\"}.",
                .params = {mi::param("method", ParamType::string_, "SIP method, e.g. OPTIONS or MESSAGE"),
                           mi::param("ruri", ParamType::string_, "Request-URI, e.g. sip:alice@example.com"),
                           mi::optional_param("next_hop", ParamType::string_, "outbound proxy URI, or `.` for none", "."),
                           headers, body,
                           mi::optional_param("socket", ParamType::string_, "local listener to send from, e.g. udp:127.0.0.1:5060")},
                // Admin: arbitrary SIP requests with arbitrary headers (a spoofed From, an INVITE
                // out through a trunk) are as dangerous as `kill`.
                .flags = mi::kEngine | mi::kAsync | mi::kAdmin,
                // SER 0.9's text reply: the SIP final status IS the status line.
                .text_reply = mi::render_uac_reply_text,
                .reply = object({{"Status", str("\"<code> <reason>\" of the final reply")},
                                 {"Message", opt(str("the final reply from its first header line"))}}),
                .async_handler = [&s](const Args& a, mi::Completion done) {
                  if (!s.tm) return void(done(Error::failure(503, "SIP engine not running")));
                  s.tm->uac(UacRequest{a.str("method"), a.str("ruri"), a.str("next_hop"), a.str("headers"),
                                       a.str("body"), a.str("socket")},
                            std::move(done));
                }});

  registry.add({.name = "t_uac_cancel", .module = m,
                .summary = "CANCEL a pending INVITE sent by t_uac_dlg",
                .params = {mi::param("callid", ParamType::string_, "Call-ID of the INVITE"),
                           mi::param("cseq", ParamType::uint_, "CSeq number of the INVITE").range(0, 0xFFFFFFFFll)},
                .flags = mi::kEngine,
                .reply = ok(),
                .handler = on_service(s, &SipServices::tm, "tm", [](Tm& tm, const Args& a) {
                  return tm.cancel(a.str("callid"), static_cast<std::uint32_t>(a.integer("cseq")));
                })});
}

}  // namespace sb::gateway
