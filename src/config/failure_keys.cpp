// The declared keys of [failure_reports]: whether the milter sends DMARC
// failure reports (RFC 9991; off by default, as OpenDMARC's FailureReports) and
// DKIM failure reports (RFC 6651; off by default, as OpenDKIM's SendReports),
// who they come from, who gets a copy, redaction (RFC 6590; on by default, as
// RFC 9991 7 urges minimization), the body, the rate limit, the queue bound and
// how long the queue may take at shutdown.
#include <algorithm>
#include <array>

#include "config/key_table.hpp"
#include "text/ascii.hpp"

namespace domainauth::config::detail {
namespace {

constexpr std::int64_t kMaxRateLimit = 100000;
constexpr std::int64_t kMaxQueue = 100000;

bool printable_line(const std::string& line) { return std::none_of(line.begin(), line.end(), text::is_control); }

// One line naming an address: "addr@domain" or "Name <addr@domain>".
std::optional<std::string> check_mailbox(const std::string& text) {
  if (!text.empty() && (!printable_line(text) || text.find('@') == std::string::npos)) {
    return "must be one line naming an address";
  }
  return std::nullopt;
}

// "local@domain" without spaces or brackets.
bool is_addr_spec(const std::string& text) {
  const auto at = text.rfind('@');
  return at != std::string::npos && at > 0 && at + 1 < text.size() && printable_line(text) &&
         text.find_first_of(" <>,;") == std::string::npos;
}

// A list of addr-specs into out, or why not.
std::optional<std::string> to_addresses(const toml::value& v, std::vector<std::string>& out) {
  out = strings(v);
  for (const auto& address : out) {
    if (!is_addr_spec(address)) return "\"" + address + "\" is not an address (local@domain)";
  }
  return std::nullopt;
}

const std::array kKeys{
    Key{"failure_reports.enabled", Type::boolean, "false",
        "send DMARC failure reports (RFC 9991) to the ruf= addresses of the From domain's record, as fo= asks "
        "(OpenDMARC FailureReports)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.failure_reports.enabled); }},
    Key{"failure_reports.sent_by", Type::string, "\"\"",
        "From: of failure reports, \"addr@domain\" or \"Name <addr@domain>\" (OpenDMARC FailureReportsSentBy); "
        "empty: report.email, else postmaster@<host name>",
        [](Config& c, const toml::value& v) {
          c.failure_reports.sent_by = v.as_string().str;
          return check_mailbox(c.failure_reports.sent_by);
        }},
    Key{"failure_reports.dkim", Type::boolean, "false",
        "send DKIM failure reports (RFC 6651) for failed signatures that ask for them (r=y) to the address of "
        "the signing domain's _report._domainkey record (ra=), as its rr= and rp= ask (OpenDKIM SendReports)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.failure_reports.dkim); }},
    Key{"failure_reports.dkim_sent_by", Type::string, "\"\"",
        "From: of DKIM failure reports, \"addr@domain\" or \"Name <addr@domain>\" (OpenDKIM ReportAddress); "
        "empty: as sent_by",
        [](Config& c, const toml::value& v) {
          c.failure_reports.dkim_sent_by = v.as_string().str;
          return check_mailbox(c.failure_reports.dkim_sent_by);
        }},
    Key{"failure_reports.bcc", Type::string_list, "[]",
        "addresses that get a copy of every DMARC failure report, also for a domain that asked for none (no "
        "ruf=; OpenDMARC FailureReportsBcc)",
        [](Config& c, const toml::value& v) { return to_addresses(v, c.failure_reports.bcc); }},
    Key{"failure_reports.dkim_bcc", Type::string_list, "[]",
        "addresses that get a copy of every DKIM failure report (OpenDKIM ReportBccAddress)",
        [](Config& c, const toml::value& v) { return to_addresses(v, c.failure_reports.dkim_bcc); }},
    Key{"failure_reports.redact", Type::boolean, "true",
        "replace every local-part in the reported header fields and identities by a keyed hash (RFC 6590) and "
        "never include the body",
        [](Config& c, const toml::value& v) { return to_flag(v, c.failure_reports.redact); }},
    Key{"failure_reports.include_body", Type::boolean, "false",
        "include the message body (up to 256 KiB; message/rfc822) when redact is false",
        [](Config& c, const toml::value& v) { return to_flag(v, c.failure_reports.include_body); }},
    Key{"failure_reports.rate_limit", Type::integer, "10",
        "failure reports per reported From domain per clock hour at most (RFC 9991 2); the rest are not sent",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxRateLimit, c.failure_reports.rate_limit); }},
    Key{"failure_reports.queue_limit", Type::integer, "100",
        "failure reports waiting for the relay at most; beyond it reports are dropped (counted and logged), mail "
        "never waits",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxQueue, c.failure_reports.queue_limit); }},
    Key{"failure_reports.shutdown_timeout", Type::seconds, "5",
        "seconds the daemon spends at exit submitting the reports still queued (the one in progress is cut "
        "then); the rest are dropped and counted in the log, so a relay that does not answer never holds up a "
        "stop or restart",
        [](Config& c, const toml::value& v) { return to_duration(v, c.failure_reports.shutdown_timeout); }},
};

}  // namespace

std::span<const Key> failure_keys() { return kKeys; }

}  // namespace domainauth::config::detail
