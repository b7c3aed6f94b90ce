// The JSON form of a report summary (summary_json.hpp).
#include "report/summary_json.hpp"

namespace domainauth::report {
namespace {

nlohmann::json pass_fail(const PassFail& pf) { return {{"pass", pf.pass}, {"fail", pf.fail}}; }

}  // namespace

nlohmann::json summary_json(const Summary& s, int days, std::int64_t since) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& src : s.sources) {
    sources.push_back({{"ip", src.ip}, {"ptr", src.ptr}, {"reporters", src.reporters}, {"messages", src.messages},
                       {"spf", pass_fail(src.spf)}, {"dkim", pass_fail(src.dkim)}, {"dmarc", pass_fail(src.dmarc)},
                       {"disposition", src.disposition}, {"verdict", to_string(src.kind)}, {"why", src.why}});
  }
  const auto& r = s.readiness;
  return {{"domain", s.domain},
          {"days", days},
          {"since", since},
          {"messages", s.messages},
          {"dmarc", pass_fail(s.dmarc)},
          {"sources", sources},
          {"failure_reports", s.failure_reports},
          {"readiness",
           {{"legitimate_failing", r.legitimate_failing}, {"stranger_failing", r.stranger_failing},
            {"spf_only_own", r.dkim_unsigned_own}, {"quarantine_safe", r.quarantine_safe},
            {"reject_safe", r.reject_safe}, {"advice", r.advice}}}};
}

}  // namespace domainauth::report
