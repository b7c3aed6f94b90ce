// A bounded least-recently-used map from a Postfix transaction id (the
// `instance` attribute, the same for every recipient of one message) to the
// action already answered, so further recipients cost no DNS work. Holds
// strings from untrusted requests; its size is capped by the configuration.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace domainauth::policy {

class InstanceCache {
 public:
  explicit InstanceCache(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] std::optional<std::string> find(const std::string& instance);
  void put(const std::string& instance, std::string action);
  // Shrinks (dropping the least recently used) or grows the bound.
  void set_capacity(std::size_t capacity);
  [[nodiscard]] std::size_t size() const { return index_.size(); }

 private:
  void trim();

  using Entry = std::pair<std::string, std::string>;  // instance, action
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace domainauth::policy
