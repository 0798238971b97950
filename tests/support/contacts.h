// contacts.h: usrloc bindings for tests — one with every field set to a realistic, awkward value,
// and a tuple of all fields so that a test compares whole bindings in one expectation.
#pragma once

#include <cstdint>
#include <tuple>

#include "gateway/usrloc/usrloc.h"

namespace sb::test {

/// Every field but id and aor set (q, path, instance ... included); expires/last_modified from `now`.
inline gateway::Contact every_field_contact(std::int64_t now) {
  gateway::Contact c;
  c.uri = "sip:alice@192.0.2.1:5062;transport=tcp";
  c.expires = now + 3600;
  c.q = 500;
  c.callid = "a84b4c76e66710@pc33.atlanta.example.com";
  c.cseq = 4242;
  c.user_agent = "baresip v1.0.0";
  c.received = "sip:198.51.100.7:40000";
  c.path = "<sip:edge.example.com;lr>";
  c.socket = "udp:127.0.0.1:5060";
  c.methods = 0x1234;
  c.flags = 7;
  c.cflags = "NAT";
  c.instance = "<urn:uuid:00000000-0000-0000-0000-000000000001>";
  c.last_modified = now;
  return c;
}

/// All fields of a binding, for comparing two of them whole.
inline auto contact_fields(const gateway::Contact& c) {
  return std::tie(c.id, c.aor, c.uri, c.expires, c.q, c.callid, c.cseq, c.user_agent, c.received, c.path,
                  c.socket, c.methods, c.flags, c.cflags, c.instance, c.last_modified);
}

}  // namespace sb::test
