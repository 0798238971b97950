// statistics.cpp: stat storage and the `all` / `group:` / `group:name` / `name` matcher.
#include "mi/statistics.h"

#include <mutex>
#include <unordered_set>

namespace sb::mi {

void Stat::raise_to(std::int64_t n) {
  std::int64_t cur = v_.load(std::memory_order_relaxed);
  while (n > cur && !v_.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
  }
}

bool Stat::reset() {
  if (!resettable()) return false;
  v_.store(0, std::memory_order_relaxed);
  return true;
}

Stat& Statistics::make(std::string_view group, std::string_view name, StatKind kind,
                       bool resettable, std::function<std::int64_t()> fn, Label label) {
  std::string full = std::string(group) + ":" + std::string(name);
  std::unique_lock lk(mu_);
  if (auto it = by_full_name_.find(full); it != by_full_name_.end()) return *it->second;
  stats_.emplace_back(std::string(group), std::string(name), kind, resettable, std::move(fn));
  Stat* s = &stats_.back();
  s->family_ = label.family;  // set before the stat is visible to any other thread
  s->label_key_ = label.key;
  s->label_value_ = label.value;
  by_full_name_.emplace(std::move(full), s);
  return *s;
}

Stat& Statistics::counter(std::string_view group, std::string_view name) {
  return make(group, name, StatKind::counter, true, {});
}

Stat& Statistics::gauge(std::string_view group, std::string_view name, bool resettable) {
  return make(group, name, StatKind::gauge, resettable, {});
}

Stat& Statistics::computed(std::string_view group, std::string_view name, StatKind kind,
                           std::function<std::int64_t()> fn) {
  return make(group, name, kind, false, std::move(fn));
}

Stat& Statistics::labeled(std::string_view group, std::string_view family,
                          std::string_view label_key, std::string_view label_value, StatKind kind,
                          bool resettable) {
  std::string name = std::string(label_value) + "_" + std::string(family);
  return make(group, name, kind, resettable, {},
              Label{std::string(family), std::string(label_key), std::string(label_value)});
}

std::vector<const Stat*> Statistics::all() const {
  std::shared_lock lk(mu_);
  std::vector<const Stat*> out;
  for (const Stat& s : stats_) out.push_back(&s);
  return out;
}

std::vector<const Stat*> Statistics::match(const std::vector<std::string>& items,
                                           std::vector<std::string>* unmatched,
                                           bool all_with_labeled) const {
  std::shared_lock lk(mu_);
  std::unordered_set<const Stat*> chosen;
  for (const std::string& item : items) {
    bool any = false;
    auto colon = item.find(':');
    for (const Stat& s : stats_) {
      bool hit;
      if (item == "all") hit = all_with_labeled || !s.labeled();
      else if (colon == std::string::npos) hit = s.name() == item;
      else if (colon + 1 == item.size()) hit = s.group() == std::string_view(item).substr(0, colon);
      else hit = s.group() == std::string_view(item).substr(0, colon) &&
                 s.name() == std::string_view(item).substr(colon + 1);
      if (hit) {
        chosen.insert(&s);
        any = true;
      }
    }
    if (!any && unmatched) unmatched->push_back(item);
  }
  std::vector<const Stat*> out;
  for (const Stat& s : stats_)
    if (chosen.count(&s)) out.push_back(&s);
  return out;
}

std::size_t Statistics::reset(const std::vector<std::string>& items) {
  auto found = match(items, nullptr, /*all_with_labeled=*/true);
  for (const Stat* s : found) const_cast<Stat*>(s)->reset();
  return found.size();
}

nlohmann::ordered_json statistics_sample(const Statistics& stats, const std::vector<std::string>& items) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Stat* st : stats.match(items)) out[st->full_name()] = st->get();
  return out;
}

}  // namespace sb::mi
