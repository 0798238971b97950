// services.h: the SIP components the engine builds on its thread, as the commands see them.
//
// Threading: the pointers are set and cleared on the engine thread (start / teardown) and read
// only by `engine` commands, which also run there. Null = the engine is not running.
#pragma once

namespace sb::gateway {

class Database;
class Engine;
class SipStack;
class Usrloc;
class Subscribers;
class Registrar;
class Tm;
class Dialplan;
class Accounts;
class Ports;
class Calls;
class ConfigRevisions;

struct SipServices {
  Engine* engine = nullptr;       ///< the engine thread's job queue (streamed replies post slices)
  Database* db = nullptr;
  SipStack* sip = nullptr;
  Usrloc* usrloc = nullptr;
  Subscribers* subscribers = nullptr;
  Registrar* registrar = nullptr;
  Tm* tm = nullptr;
  Dialplan* dialplan = nullptr;   ///< gateway/dialplan (routing rules)
  Accounts* accounts = nullptr;   ///< gateway/accounts (SIP trunks, outbound registration)
  Ports* ports = nullptr;         ///< gateway/ports (line interfaces, port groups)
  Calls* calls = nullptr;         ///< gateway/calls (B2BUA, CDRs)
  ConfigRevisions* revisions = nullptr;  ///< gateway/provisioning (the configuration's revisions)
};

}  // namespace sb::gateway
