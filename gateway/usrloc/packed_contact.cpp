// packed_contact.cpp: packing a binding into one allocation and interning its shared strings.
#include "gateway/usrloc/packed_contact.h"

#include <cstring>
#include <numeric>
#include <utility>

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

PackedContact::PackedContact(const Contact& c, StringPool& pool, std::pmr::memory_resource& mem)
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
  text_ = static_cast<char*>(mem.allocate(total, 1));
  char* at = text_;
  for (const std::string* f : fields) {
    std::memcpy(at, f->data(), f->size());
    at += f->size();
  }
}

PackedContact::PackedContact(PackedContact&& other) noexcept { *this = std::move(other); }

PackedContact& PackedContact::operator=(PackedContact&& other) noexcept {
  if (this == &other) return *this;
  id_ = other.id_;
  expires_ = other.expires_;
  last_modified_ = other.last_modified_;
  cseq_ = other.cseq_;
  methods_ = other.methods_;
  flags_ = other.flags_;
  q_ = other.q_;
  user_agent_ = std::exchange(other.user_agent_, nullptr);
  socket_ = std::exchange(other.socket_, nullptr);
  text_ = std::exchange(other.text_, nullptr);
  len_ = std::exchange(other.len_, {});
  return *this;
}

std::size_t PackedContact::text_size() const { return std::accumulate(len_.begin(), len_.end(), std::size_t{0}); }

std::string_view PackedContact::field(Field f) const {
  std::size_t offset = std::accumulate(len_.begin(), len_.begin() + f, std::size_t{0});
  return {text_ + offset, len_[f]};
}

Contact PackedContact::unpack(std::string_view aor) const {
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

void PackedContact::release(StringPool& pool, std::pmr::memory_resource& mem) {
  pool.release(user_agent_);
  pool.release(socket_);
  user_agent_ = socket_ = nullptr;
  if (text_) mem.deallocate(text_, text_size(), 1);
  text_ = nullptr;
  len_ = {};
}

}  // namespace sb::gateway
