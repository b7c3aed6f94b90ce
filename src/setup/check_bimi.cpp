// The BIMI part of check: the default._bimi TXT record (v=BIMI1; l=; a=), the
// logo at l= fetched over HTTPS and held to the SVG Tiny PS basics
// (svg_tiny_ps.hpp), the evidence document a= (Gmail and Apple show logos only
// with a VMC or CMC), and the DMARC precondition: receivers honour BIMI only
// for a domain at p=quarantine or p=reject with pct=100, its subdomains too
// (sp= not none).
// Reads untrusted input: TXT answers and the logo file.
#include "setup/check_parts.hpp"
#include "setup/receiving_records.hpp"
#include "setup/svg_tiny_ps.hpp"

namespace domainauth::setup::detail {
namespace {

// The host of an https:// URL (is_https_url() has accepted it).
std::string url_host(const std::string& url) {
  std::string host = url.substr(8, url.find_first_of("/?#", 8) - 8);
  if (const std::size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    host.resize(colon);
  }
  return host;
}

void check_precondition(Context& c, const std::string& name) {
  if (!c.dmarc) {
    c.report.add("bimi.dmarc", Severity::error, "BIMI needs DMARC, and " + c.options.domain + " has no DMARC record",
                 "Publish DMARC and move it to p=quarantine or p=reject with pct=100.", name);
    return;
  }
  const dmarc::Record& r = *c.dmarc;
  const dmarc::PolicyTag& tag = c.dmarc_own || !r.sp.present ? r.p : r.sp;
  std::vector<std::string> unmet;
  if (!tag.value || *tag.value == dmarc::Policy::none) unmet.push_back("p=quarantine or p=reject");
  if (r.pct < 100) unmet.push_back("pct=100 (it is " + std::to_string(r.pct) + ")");
  if (c.dmarc_own && r.sp.present && r.sp.value == dmarc::Policy::none) unmet.push_back("no sp=none");
  if (unmet.empty()) {
    c.report.add("bimi.dmarc", Severity::ok, "DMARC is enforced as BIMI requires", {}, name);
    return;
  }
  c.report.add("bimi.dmarc", Severity::error,
               "receivers ignore the BIMI record: DMARC must have " + join_list(unmet),
               "Set the DMARC record to p=quarantine (or reject) without pct= below 100 and without sp=none.", name);
}

asio::awaitable<void> check_logo(Context& c, const std::string& url) {
  if (c.web == nullptr) {
    c.report.add("bimi.logo", Severity::info, "the logo at " + url + " was not fetched",
                 "Run check from the command line to fetch it.", url);
    co_return;
  }
  std::vector<net::IpAddress> addresses = co_await addresses_of(c, url_host(url));
  HttpsResult got;
  if (addresses.empty()) got.error = url_host(url) + " has no A or AAAA record";
  else got = c.web->get({url, addresses, kMaxBimiSvgOctets, std::chrono::seconds(10)});
  if (got.error.empty() && got.status != 200) got.error = "HTTP status " + std::to_string(got.status);
  if (!got.error.empty()) {
    c.report.add("bimi.logo", Severity::error, "the logo " + url + " could not be fetched: " + got.error,
                 "Serve the SVG at " + url + " over HTTPS with a valid certificate.", url);
    co_return;
  }
  const std::vector<std::string> problems = check_svg_tiny_ps(got.body);
  if (problems.empty()) {
    c.report.add("bimi.logo", Severity::ok, "the logo " + url + " is SVG Tiny PS (basics checked)", {}, url);
  } else {
    c.report.add("bimi.logo", Severity::error, "the logo " + url + " is not SVG Tiny PS: " + join_list(problems),
                 "Convert the logo to SVG Tiny PS (baseProfile=\"tiny-ps\", a <title>, no scripts or external links).",
                 url);
  }
}

}  // namespace

asio::awaitable<void> check_bimi(Context& c) {
  const std::string name = "default._bimi." + c.options.domain;
  dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
  OneRecord one = one_record(c, answer, "bimi.record", name, is_bimi_record);
  if (one.absent) {
    c.report.add("bimi.record", Severity::info, "no BIMI record at " + name + " (optional: a logo beside your mail)",
                 "Publish \"v=BIMI1; l=https://.../logo.svg; a=https://.../vmc.pem\" at " + name +
                     " once DMARC is at p=quarantine or p=reject.",
                 name);
  }
  if (!one.text) co_return;
  BimiRecord record = parse_bimi_record(*one.text);
  if (!record.error.empty()) {
    c.report.add("bimi.record", Severity::error, name + ": " + record.error + " (receivers ignore the record)",
                 "Publish \"v=BIMI1; l=https://.../logo.svg; a=https://.../vmc.pem\" at " + name + ".", name);
    co_return;
  }
  if (record.logo.empty()) {
    c.report.add("bimi.record", Severity::info, name + " declines BIMI (empty l=)",
                 "Publish l= with your logo's https URL to show it.", name);
    co_return;
  }
  c.report.add("bimi.record", Severity::ok, "BIMI record, logo " + record.logo, {}, name);
  check_precondition(c, name);
  co_await check_logo(c, record.logo);
  if (record.evidence.empty()) {
    c.report.add("bimi.evidence", Severity::warning,
                 "no a= evidence document: Gmail and Apple Mail show the logo only with a Verified Mark Certificate "
                 "(VMC) or Common Mark Certificate (CMC)",
                 "Obtain a VMC or CMC for the logo and publish its https URL as a=.", name);
  } else {
    c.report.add("bimi.evidence", Severity::ok, "evidence document " + record.evidence + " (not verified here)", {},
                 name);
  }
}

}  // namespace domainauth::setup::detail
