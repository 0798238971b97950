// services.h: the SIP components the engine builds on its thread, as the commands see them.
//
// Threading: the pointers are set and cleared on the engine thread (start / teardown) and read
// only by `engine` commands, which also run there. Null = the engine is not running.
#pragma once

namespace sb::gateway {

class Database;
class SipStack;
class Usrloc;
class Subscribers;
class Registrar;
class Tm;

struct SipServices {
  Database* db = nullptr;
  SipStack* sip = nullptr;
  Usrloc* usrloc = nullptr;
  Subscribers* subscribers = nullptr;
  Registrar* registrar = nullptr;
  Tm* tm = nullptr;
};

}  // namespace sb::gateway
