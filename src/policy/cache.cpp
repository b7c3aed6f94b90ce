// The per-transaction answer cache of the policy service (see cache.hpp).
#include "policy/cache.hpp"

namespace domainauth::policy {

std::optional<std::string> InstanceCache::find(const std::string& instance) {
  const auto it = index_.find(instance);
  if (it == index_.end()) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->second;
}

void InstanceCache::put(const std::string& instance, std::string action) {
  if (capacity_ == 0) return;
  const auto it = index_.find(instance);
  if (it != index_.end()) {
    it->second->second = std::move(action);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.emplace_front(instance, std::move(action));
  index_.emplace(instance, entries_.begin());
  trim();
}

void InstanceCache::set_capacity(std::size_t capacity) {
  capacity_ = capacity;
  trim();
}

void InstanceCache::trim() {
  while (index_.size() > capacity_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

}  // namespace domainauth::policy
