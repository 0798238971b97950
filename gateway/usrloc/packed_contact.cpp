// packed_contact.cpp: packing a binding into one allocation and interning its shared strings.
#include "gateway/usrloc/packed_contact.h"

#include <cstring>
#include <numeric>

#include "gateway/usrloc/usrloc.h"

namespace sb::gateway {

const std::string* StringPool::acquire(std::string_view s) {
  if (s.empty()) return nullptr;
  auto [it, added] = refs_.try_emplace(std::string(s), 0);
  ++it->second;
  return &it->first;
}

void StringPool::release(const std::string* s) {
  if (!s) return;
  auto it = refs_.find(*s);
  if (it != refs_.end() && --it->second == 0) refs_.erase(it);
}

PackedContact::PackedContact(const Contact& c, StringPool& pool)
    : id_(c.id),
      expires_(c.expires),
      last_modified_(c.last_modified),
      cseq_(c.cseq),
      methods_(c.methods),
      flags_(c.flags),
      q_(c.q),
      user_agent_(pool.acquire(c.user_agent)),
      socket_(pool.acquire(c.socket)) {
  const std::string* fields[kFields] = {&c.uri, &c.callid, &c.received, &c.path, &c.cflags, &c.instance};
  std::size_t total = 0;
  for (std::size_t i = 0; i < kFields; ++i) {
    len_[i] = static_cast<std::uint32_t>(fields[i]->size());  // SIP messages are far below 4 GB
    total += fields[i]->size();
  }
  if (total == 0) return;
  text_ = std::make_unique_for_overwrite<char[]>(total);
  char* at = text_.get();
  for (const std::string* f : fields) {
    std::memcpy(at, f->data(), f->size());
    at += f->size();
  }
}

std::string_view PackedContact::field(Field f) const {
  std::size_t offset = std::accumulate(len_.begin(), len_.begin() + f, std::size_t{0});
  return {text_.get() + offset, len_[f]};
}

Contact PackedContact::unpack(const std::string& aor) const {
  Contact c;
  c.id = id_;
  c.aor = aor;
  c.uri = field(kUri);
  c.expires = expires_;
  c.q = q_;
  c.callid = field(kCallid);
  c.cseq = cseq_;
  if (user_agent_) c.user_agent = *user_agent_;
  c.received = field(kReceived);
  c.path = field(kPath);
  if (socket_) c.socket = *socket_;
  c.methods = methods_;
  c.flags = flags_;
  c.cflags = field(kCflags);
  c.instance = field(kInstance);
  c.last_modified = last_modified_;
  return c;
}

void PackedContact::release(StringPool& pool) {
  pool.release(user_agent_);
  pool.release(socket_);
  user_agent_ = socket_ = nullptr;
}

}  // namespace sb::gateway
