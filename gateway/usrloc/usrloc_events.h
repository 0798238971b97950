// usrloc_events.h: the user location's events (OpenSIPS names): E_UL_AOR_INSERT,
// E_UL_AOR_DELETE, E_UL_CONTACT_INSERT, E_UL_CONTACT_UPDATE, E_UL_CONTACT_REFRESH,
// E_UL_CONTACT_DELETE — declared once, raised by Usrloc from the difference between an AOR's
// bindings before and after each committed change (so a REGISTER, an ul_* command and the
// expiry sweep all raise them the same way).
// A refresh is a re-registration changing only the expiry and CSeq; any other change (a new
// Call-ID, received address, path, q, user agent, socket) is an update.
// Threading: declare() at start-up; raising from usrloc, under its lock, on the main engine's or a
// REGISTER worker's thread (the bus never blocks).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mi/event_bus.h"
#include "mi/registry.h"

namespace sb::gateway {

struct Contact;

class UsrlocEvents {
 public:
  /// Declares the events in `registry`; keep the object for raising.
  explicit UsrlocEvents(mi::EventRegistry& registry);
  void attach(mi::EventBus* bus) { bus_ = bus; }

  /// Someone listens to any of them (else the caller skips copying the old bindings).
  bool wanted() const;
  /// A listener wants the SIP request (an exec subscriber): build a SipCause.
  bool wants_cause() const;
  /// Raises what changed from `before` to `after` for `aor`; `reason` goes into deletions
  /// ("unregistered", "expired", "removed"). On the SIP engine's thread: it only copies the
  /// bindings into the events; their params are built on the bus's thread (raise_deferred).
  void changed(const std::string& aor, std::vector<Contact> before, const std::vector<Contact>& after,
               std::string_view reason, const std::shared_ptr<const mi::SipCause>& cause) const;

 private:
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec *aor_insert_, *aor_delete_, *insert_, *update_, *refresh_, *delete_;
};

}  // namespace sb::gateway
