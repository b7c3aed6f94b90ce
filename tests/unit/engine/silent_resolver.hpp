// Test helper: a dns::Resolver that never answers (a dead DNS server), or
// answers only when told to.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dns/resolver.hpp"

namespace domainauth::engine::testing {

class SilentResolver : public dns::Resolver {
 public:
  void query(std::string_view name, dns::RecordType /*type*/, Handler handler) override {
    waiting.emplace_back(std::string(name), std::move(handler));
  }
  std::vector<std::pair<std::string, Handler>> waiting;
};

}  // namespace domainauth::engine::testing
