// Test helper: a received aggregate report for example.com (store/ingested.hpp)
// covering the day that ends at end: 7 messages from 192.0.2.1 passing, 3 from
// 198.51.100.9 failing (10 in all).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "store/ingested.hpp"

namespace domainauth::store::testing {

inline IngestedReport sample_report(std::string org, std::string id, std::int64_t end) {
  IngestedReport r;
  r.org_name = std::move(org);
  r.report_id = std::move(id);
  r.email = "noreply@reporter.example";
  r.begin = end - 86399;
  r.end = end;
  r.policy_domain = "example.com";
  r.p = "none";
  r.format = "rfc9990";
  r.records = {{"192.0.2.1", 7, "none", "pass", "pass", "example.com", "example.com", "example.com=pass",
                "example.com=pass", ""},
               {"198.51.100.9", 3, "none", "fail", "fail", "example.com", "forger.test", "", "forger.test=pass",
                "local_policy"}};
  return r;
}

}  // namespace domainauth::store::testing
