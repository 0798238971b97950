// engine_modules.cpp: the engine module list. Adding an engine module is one line here plus
// its own folder (a class implementing engine_module.h); see ARCHITECTURE.md. A module is built
// after the ones it uses (see each build()) and linked to later ones in link().
#include "gateway/engine/engine_modules.h"

#include "gateway/accounts/accounts_module.h"
#include "gateway/calls/calls_module.h"
#include "gateway/dialplan/dialplan_module.h"
#include "gateway/ports/ports_module.h"
#include "gateway/provisioning/provisioning_module.h"
#include "gateway/registrar/registrar_module.h"
#include "gateway/sip/sip_module.h"
#include "gateway/store/store_module.h"
#include "gateway/tm/tm_module.h"
#include "gateway/usrloc/usrloc_module.h"

namespace sb::gateway {

std::vector<std::unique_ptr<EngineModule>> make_engine_modules() {
  std::vector<std::unique_ptr<EngineModule>> list;
  list.push_back(make_store_module());      // the database every other module keeps its tables in
  list.push_back(make_sip_module());        // the SIP stack: listeners, transactions
  list.push_back(make_tm_module());
  list.push_back(make_usrloc_module());
  list.push_back(make_registrar_module());  // + subscribers
  list.push_back(make_dialplan_module());
  list.push_back(make_ports_module());
  list.push_back(make_calls_module());
  list.push_back(make_accounts_module());
  list.push_back(make_provisioning_module());  // the configuration document and its revisions
  return list;
}

}  // namespace sb::gateway
