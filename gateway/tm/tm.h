// tm.h: transactions started from the management interface — SER's t_uac_dlg (send any request
// built from a method, a Request-URI, an optional next hop, header lines and a body, and report
// the final reply) and t_uac_cancel (CANCEL a pending INVITE). Counts `tm:` statistics.
//
// Threading: engine thread only. A t_uac_dlg completes its mi::Completion from the nta response
// callback (engine thread); nothing blocks, so a transaction waiting 32 s for a dead host delays
// no other caller. At most `max_transactions` are in flight at once (config tm.max_transactions):
// one more is refused at once with 503 "too many transactions in flight" (tm:rejected_transactions).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "mi/command.h"
#include "mi/statistics.h"

struct nta_outgoing_s;
struct sip_s;

namespace sb::gateway {

class Engine;
class SipStack;

struct UacRequest {
  std::string method;
  std::string ruri;
  std::string next_hop;  ///< empty or "." = none
  std::string headers;   ///< header lines, CRLF or LF separated
  std::string body;
  std::string socket;    ///< optional: must name one of our listeners
};

class Tm {
 public:
  Tm(SipStack& sip, Engine& engine, mi::Statistics& stats, std::size_t max_transactions = 1024);
  ~Tm();
  /// Starts the transaction, or completes `done` at once with a 400/404/500 error.
  void uac(const UacRequest& request, mi::Completion done);
  /// CANCELs the pending INVITE with this Call-ID and CSeq number.
  mi::Result cancel(const std::string& callid, std::uint32_t cseq);
  std::size_t pending() const { return pending_.size(); }
  /// Shutdown: completes every pending call with 503 and forgets the transactions.
  void abort_all();

 private:
  struct Pending;
  static int on_response(void* magic, nta_outgoing_s* orq, const sip_s* sip);
  void finish(Pending* p, nta_outgoing_s* orq, const sip_s* sip);
  void ack_2xx(const sip_s* sip);

  SipStack& sip_;
  Engine& engine_;
  std::size_t max_transactions_;
  std::map<Pending*, std::unique_ptr<Pending>> pending_;
  mi::Stat& rejected_;
  mi::Stat& uac_;
  mi::Stat& inuse_;
  mi::Stat* by_class_[7] = {};  ///< [1]..[6]: tm:1xx_transactions … tm:6xx_transactions
  mi::Stat& local_replies_;
};

}  // namespace sb::gateway
