// The check_host() evaluator (RFC 7208 4 to 6): record lookup and selection,
// mechanism and modifier evaluation, the DNS lookup limits of 4.6.4, include
// and redirect recursion, and exp= explanations. DNS only through
// dns::Resolver. Reads untrusted input: every DNS answer, and the sender/HELO.
#include <algorithm>
#include <chrono>
#include <ctime>

#include "dns/await.hpp"
#include "spf/macro.hpp"
#include "spf/record.hpp"
#include "spf/spf.hpp"
#include "text/ascii.hpp"

namespace domainauth::spf {
namespace {

std::string strip_dot(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  return std::string(name);
}

// A name a DNS query can be built from: 1..63-octet labels, <= 253 octets.
bool is_queryable(std::string_view name) {
  if (name.empty() || name.size() > kMaxDomainLength) return false;
  std::size_t start = 0;
  while (true) {
    auto dot = name.find('.', start);
    std::size_t len = (dot == std::string_view::npos ? name.size() : dot) - start;
    if (len == 0 || len > kMaxLabelLength) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// RFC 7208 4.3: why <domain> is not a usable domain name ("" when it is).
std::string initial_domain_problem(std::string_view domain) {
  if (domain.ends_with('.')) domain.remove_suffix(1);
  if (domain.starts_with('[')) return "\"" + std::string(domain.substr(0, kMaxDomainLength)) + "\" is a domain literal";
  for (char c : domain) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return "the domain contains a non-printable or non-ASCII character";
  }
  if (!is_queryable(domain)) return "\"" + std::string(domain.substr(0, kMaxDomainLength)) + "\" is not a valid domain name";
  if (domain.find('.') == std::string_view::npos)
    return "\"" + std::string(domain) + "\" is not a fully qualified domain name";
  return {};
}

// name equals domain or is a subdomain of it (case-insensitive).
bool is_within(std::string_view name, std::string_view domain) {
  std::string n = text::to_lower(strip_dot(name));
  std::string d = text::to_lower(strip_dot(domain));
  return n == d || (n.size() > d.size() && n.ends_with(d) && n[n.size() - d.size() - 1] == '.');
}

Result qualifier_result(Qualifier q) {
  switch (q) {
    case Qualifier::pass: return Result::pass;
    case Qualifier::fail: return Result::fail;
    case Qualifier::softfail: return Result::softfail;
    case Qualifier::neutral: return Result::neutral;
  }
  return Result::neutral;
}

std::string dns_failure(const dns::Answer& answer, std::string_view name, dns::RecordType type) {
  std::string out = "DNS " + std::string(dns::to_string(answer.status)) + " looking up " +
                    std::string(dns::to_string(type)) + " " + std::string(name);
  if (!answer.detail.empty()) out += " (" + answer.detail + ")";
  return out;
}

struct Verdict {
  Result result = Result::neutral;
  std::string mechanism;
  std::string reason;
  std::string explanation;
};

// What evaluating one mechanism gave.
struct Match {
  enum class Kind : std::uint8_t { no_match, match, error } kind = Kind::no_match;
  Result error = Result::permerror;
  std::string reason;
};
Match no_match() { return {}; }
Match matched() { return {Match::Kind::match, Result::neutral, {}}; }
Match error(Result result, std::string reason) { return {Match::Kind::error, result, std::move(reason)}; }

// The <sender> with its parts (RFC 7208 4.3: no local-part -> "postmaster").
struct Sender {
  std::string address, local_part, domain;
};
Sender split_sender(std::string_view sender) {
  auto at = sender.rfind('@');
  Sender out;
  out.domain = std::string(at == std::string_view::npos ? sender : sender.substr(at + 1));
  out.local_part = at == std::string_view::npos ? std::string{} : std::string(sender.substr(0, at));
  if (out.local_part.empty()) out.local_part = "postmaster";
  out.address = out.local_part + "@" + out.domain;
  return out;
}

// Reverse-DNS names of <ip> confirmed by a forward lookup (RFC 7208 5.5).
struct ReverseNames {
  dns::Status status = dns::Status::nxdomain;  // of the PTR lookup
  std::vector<std::string> validated;
};

// One check_host() run, shared by its include/redirect recursions.
class Evaluation {
 public:
  Evaluation(dns::Resolver& resolver, const Options& options, net::IpAddress ip, Sender sender, std::string helo)
      : resolver_(resolver), options_(options), ip_(ip), sender_(std::move(sender)), helo_(std::move(helo)),
        timestamp_(options.timestamp.value_or(static_cast<std::int64_t>(std::time(nullptr)))),
        deadline_(std::chrono::steady_clock::now() + options.max_elapsed) {}

  asio::awaitable<Verdict> check(std::string domain, bool want_explanation);

  int dns_mechanisms = 0;
  int void_lookups = 0;
  std::vector<RecordUsed> records_used;  // capped like the lookups that fetch them

 private:
  struct Fetched {
    std::optional<Verdict> verdict;  // set when no usable record
    Record record;
  };
  asio::awaitable<dns::Answer> lookup(std::string_view name, dns::RecordType type);
  asio::awaitable<Fetched> fetch_record(const std::string& domain);
  asio::awaitable<Verdict> redirect(const std::string& spec, const std::string& domain, bool want_explanation);
  asio::awaitable<Match> evaluate(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> include(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> address(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> mx(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> ptr(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> exists(const Mechanism& m, const std::string& domain);
  asio::awaitable<Match> addresses_of(const std::string& host, unsigned cidr4, unsigned cidr6, bool& found);
  asio::awaitable<ReverseNames> reverse_names(std::string_view within);
  asio::awaitable<std::string> validated_name(const std::string& domain);
  asio::awaitable<Expansion> expand_target(const Mechanism& m, const std::string& domain);
  asio::awaitable<Expansion> expand_macros(std::string_view text, const std::string& domain, MacroUse use);
  asio::awaitable<std::string> explain(const Record& record, const std::string& domain);

  bool over_dns_limit() { return ++dns_mechanisms > options_.max_dns_mechanisms; }
  Match void_lookup(std::string_view name) {
    if (++void_lookups > options_.max_void_lookups)
      return error(Result::permerror, "more than " + std::to_string(options_.max_void_lookups) +
                                          " void DNS lookups (RFC 7208 4.6.4), the last for " + std::string(name));
    return no_match();
  }
  Match dns_limit_error() const {
    return error(Result::permerror, "more than " + std::to_string(options_.max_dns_mechanisms) +
                                        " DNS-querying terms (RFC 7208 4.6.4)");
  }
  dns::RecordType address_type() const { return ip_.is_v4() ? dns::RecordType::a : dns::RecordType::aaaa; }

  dns::Resolver& resolver_;
  const Options& options_;
  net::IpAddress ip_;
  Sender sender_;
  std::string helo_;
  std::int64_t timestamp_;
  std::chrono::steady_clock::time_point deadline_;
};

// Every query of the evaluation; past the deadline, a timeout without asking
// (RFC 7208 4.6.4: an elapsed-time limit, exceeded -> temperror).
asio::awaitable<dns::Answer> Evaluation::lookup(std::string_view name, dns::RecordType type) {
  if (std::chrono::steady_clock::now() >= deadline_) {
    dns::Answer late;
    late.status = dns::Status::timeout;
    late.detail = "SPF evaluation took longer than " + std::to_string(options_.max_elapsed.count()) + " s";
    co_return late;
  }
  co_return co_await dns::lookup(resolver_, std::string(name), type);
}

asio::awaitable<Verdict> Evaluation::check(std::string domain, bool want_explanation) {
  if (std::string problem = initial_domain_problem(domain); !problem.empty())
    co_return Verdict{Result::none, {}, problem, {}};
  domain = strip_dot(domain);
  Fetched fetched = co_await fetch_record(domain);
  if (fetched.verdict) co_return *fetched.verdict;
  const Record& record = fetched.record;
  for (const Mechanism& m : record.mechanisms) {
    Match match = co_await evaluate(m, domain);
    if (match.kind == Match::Kind::error) co_return Verdict{match.error, m.text, std::move(match.reason), {}};
    if (match.kind == Match::Kind::no_match) continue;
    Verdict verdict{qualifier_result(m.qualifier), m.text, "\"" + m.text + "\" matched in the SPF record of " + domain, {}};
    if (verdict.result == Result::fail && want_explanation) verdict.explanation = co_await explain(record, domain);
    co_return verdict;
  }
  // RFC 7208 6.1: redirect applies only when nothing matched and there is no "all".
  if (record.redirect && !record.has_all()) co_return co_await redirect(*record.redirect, domain, want_explanation);
  co_return Verdict{Result::neutral, "default", "no mechanism matched in the SPF record of " + domain, {}};
}

// RFC 7208 4.4 / 4.5: TXT records only; exactly one must start with "v=spf1".
asio::awaitable<Evaluation::Fetched> Evaluation::fetch_record(const std::string& domain) {
  Fetched out;
  dns::Answer answer = co_await lookup(domain, dns::RecordType::txt);
  if (answer.transient()) {
    out.verdict = Verdict{Result::temperror, {}, dns_failure(answer, domain, dns::RecordType::txt), {}};
    co_return out;
  }
  std::vector<const std::string*> records;
  for (const std::string& text : answer.txt)
    if (is_spf_record(text)) records.push_back(&text);
  if (records.empty()) {
    out.verdict = Verdict{Result::none, {}, "no SPF record at " + domain, {}};
  } else if (records.size() > 1) {
    out.verdict = Verdict{Result::permerror, {}, std::to_string(records.size()) + " SPF records at " + domain, {}};
  } else {
    ParsedRecord parsed = parse_record(*records.front());
    records_used.push_back({domain, *records.front()});
    if (parsed.ok())
      out.record = std::move(parsed.record);
    else
      out.verdict = Verdict{Result::permerror, {}, "SPF record of " + domain + ": " + parsed.error, {}};
  }
  co_return out;
}

// RFC 7208 6.1: the result is that of check_host() on the target; none -> permerror.
asio::awaitable<Verdict> Evaluation::redirect(const std::string& spec, const std::string& domain,
                                              bool want_explanation) {
  std::string term = "redirect=" + spec;
  if (over_dns_limit()) co_return Verdict{Result::permerror, term, dns_limit_error().reason, {}};
  Expansion target = co_await expand_macros(spec, domain, MacroUse::domain);
  if (!target.ok()) co_return Verdict{Result::permerror, term, target.error, {}};
  Verdict inner = co_await check(target.text, want_explanation);
  if (inner.result == Result::none)
    co_return Verdict{Result::permerror, term, "redirect target " + target.text + ": " + inner.reason, {}};
  co_return inner;
}

asio::awaitable<Match> Evaluation::evaluate(const Mechanism& m, const std::string& domain) {
  if (m.queries_dns() && over_dns_limit()) co_return dns_limit_error();
  switch (m.kind) {
    case MechanismKind::all: co_return matched();
    case MechanismKind::include: co_return co_await include(m, domain);
    case MechanismKind::a: co_return co_await address(m, domain);
    case MechanismKind::mx: co_return co_await mx(m, domain);
    case MechanismKind::ptr: co_return co_await ptr(m, domain);
    case MechanismKind::ip4:
    case MechanismKind::ip6: co_return m.network.contains(ip_) ? matched() : no_match();
    case MechanismKind::exists: co_return co_await exists(m, domain);
  }
  co_return no_match();
}

// RFC 7208 5.2: pass matches; fail/softfail/neutral do not; none is permerror.
asio::awaitable<Match> Evaluation::include(const Mechanism& m, const std::string& domain) {
  Expansion target = co_await expand_target(m, domain);
  if (!target.ok()) co_return error(Result::permerror, target.error);
  Verdict inner = co_await check(target.text, false);
  switch (inner.result) {
    case Result::pass: co_return matched();
    case Result::fail:
    case Result::softfail:
    case Result::neutral: co_return no_match();
    case Result::temperror:
    case Result::permerror: co_return error(inner.result, std::move(inner.reason));
    case Result::none: co_return error(Result::permerror, "include target " + target.text + ": " + inner.reason);
  }
  co_return no_match();
}

// A or AAAA records of host against <ip>; found tells whether any came back.
asio::awaitable<Match> Evaluation::addresses_of(const std::string& host, unsigned cidr4, unsigned cidr6,
                                                bool& found) {
  dns::Answer answer = co_await lookup(host, address_type());
  found = answer.found();
  if (answer.transient()) co_return error(Result::temperror, dns_failure(answer, host, address_type()));
  unsigned cidr = ip_.is_v4() ? cidr4 : cidr6;
  for (const net::IpAddress& address : answer.addresses)
    if (address.matches(ip_, cidr)) co_return matched();
  co_return no_match();
}

// RFC 7208 5.3.
asio::awaitable<Match> Evaluation::address(const Mechanism& m, const std::string& domain) {
  Expansion target = co_await expand_target(m, domain);
  if (!target.ok()) co_return error(Result::permerror, target.error);
  if (!is_queryable(target.text)) co_return no_match();
  bool found = false;
  Match match = co_await addresses_of(target.text, m.cidr4, m.cidr6, found);
  if (match.kind == Match::Kind::no_match && !found) co_return void_lookup(target.text);
  co_return match;
}

// RFC 7208 5.4: at most kMaxMxOrPtrNames exchanges, else permerror.
asio::awaitable<Match> Evaluation::mx(const Mechanism& m, const std::string& domain) {
  Expansion target = co_await expand_target(m, domain);
  if (!target.ok()) co_return error(Result::permerror, target.error);
  if (!is_queryable(target.text)) co_return no_match();
  dns::Answer answer = co_await lookup(target.text, dns::RecordType::mx);
  if (answer.transient()) co_return error(Result::temperror, dns_failure(answer, target.text, dns::RecordType::mx));
  if (!answer.found()) co_return void_lookup(target.text);
  std::vector<dns::MxRecord> hosts;
  for (const dns::MxRecord& record : answer.mx)
    if (is_queryable(strip_dot(record.exchange))) hosts.push_back(record);  // skips null MX (RFC 7505)
  if (hosts.size() > static_cast<std::size_t>(kMaxMxOrPtrNames))
    co_return error(Result::permerror, target.text + " has " + std::to_string(hosts.size()) +
                                           " MX records, more than " + std::to_string(kMaxMxOrPtrNames) +
                                           " (RFC 7208 4.6.4)");
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const dns::MxRecord& x, const dns::MxRecord& y) { return x.preference < y.preference; });
  for (const dns::MxRecord& host : hosts) {
    bool found = false;
    Match match = co_await addresses_of(strip_dot(host.exchange), m.cidr4, m.cidr6, found);
    if (match.kind != Match::Kind::no_match) co_return match;
  }
  co_return no_match();
}

// RFC 7208 5.5: a DNS error on the PTR lookup is a no-match, not temperror.
asio::awaitable<Match> Evaluation::ptr(const Mechanism& m, const std::string& domain) {
  Expansion target = co_await expand_target(m, domain);
  if (!target.ok()) co_return error(Result::permerror, target.error);
  ReverseNames names = co_await reverse_names(target.text);
  if (names.status == dns::Status::nxdomain || names.status == dns::Status::nodata)
    co_return void_lookup(ip_.reverse_name());
  co_return names.validated.empty() ? no_match() : matched();
}

// RFC 7208 5.7: an A query whatever the family of <ip>.
asio::awaitable<Match> Evaluation::exists(const Mechanism& m, const std::string& domain) {
  Expansion target = co_await expand_target(m, domain);
  if (!target.ok()) co_return error(Result::permerror, target.error);
  if (!is_queryable(target.text)) co_return no_match();
  dns::Answer answer = co_await lookup(target.text, dns::RecordType::a);
  if (answer.transient()) co_return error(Result::temperror, dns_failure(answer, target.text, dns::RecordType::a));
  co_return answer.found() ? matched() : void_lookup(target.text);
}

// RFC 7208 5.5 and 4.6.4: the first kMaxMxOrPtrNames PTR names, those within
// `within` (all when empty), kept when an address lookup gives back <ip>.
// A DNS error on an address lookup skips that name.
asio::awaitable<ReverseNames> Evaluation::reverse_names(std::string_view within) {
  ReverseNames out;
  dns::Answer answer = co_await lookup(ip_.reverse_name(), dns::RecordType::ptr);
  out.status = answer.status;
  std::size_t count = std::min(answer.names.size(), static_cast<std::size_t>(kMaxMxOrPtrNames));
  for (std::size_t i = 0; i < count; ++i) {
    std::string name = strip_dot(answer.names[i]);
    if (!is_queryable(name) || (!within.empty() && !is_within(name, within))) continue;
    dns::Answer forward = co_await lookup(name, address_type());
    for (const net::IpAddress& address : forward.addresses) {
      if (address == ip_) {
        out.validated.push_back(name);
        break;
      }
    }
  }
  co_return out;
}

// RFC 7208 7.3 %{p}: <domain> itself, else a subdomain of it, else any
// validated name, else "unknown".
asio::awaitable<std::string> Evaluation::validated_name(const std::string& domain) {
  ReverseNames names = co_await reverse_names({});
  if (names.validated.empty()) co_return "unknown";
  for (const std::string& name : names.validated)
    if (text::iequals(name, domain)) co_return name;
  for (const std::string& name : names.validated)
    if (is_within(name, domain)) co_return name;
  co_return names.validated.front();
}

asio::awaitable<Expansion> Evaluation::expand_target(const Mechanism& m, const std::string& domain) {
  if (m.domain_spec.empty()) co_return Expansion{domain, {}};
  co_return co_await expand_macros(m.domain_spec, domain, MacroUse::domain);
}

asio::awaitable<Expansion> Evaluation::expand_macros(std::string_view text, const std::string& domain,
                                                     MacroUse use) {
  MacroContext context;
  context.sender = sender_.address;
  context.local_part = sender_.local_part;
  context.sender_domain = sender_.domain;
  context.domain = domain;
  context.ip = ip_;
  context.helo = helo_;
  context.receiver = options_.receiver;
  context.timestamp = timestamp_;
  std::string p;
  if (uses_validated_name(text)) {
    p = co_await validated_name(domain);
    context.validated_name = p;
  }
  co_return use == MacroUse::domain ? expand_domain(text, context) : expand(text, context, use);
}

// RFC 7208 6.2: any problem with exp= gives the default explanation.
asio::awaitable<std::string> Evaluation::explain(const Record& record, const std::string& domain) {
  if (record.exp) {
    Expansion target = co_await expand_macros(*record.exp, domain, MacroUse::domain);
    if (target.ok() && is_queryable(target.text)) {
      dns::Answer answer = co_await lookup(target.text, dns::RecordType::txt);
      if (answer.found() && answer.txt.size() == 1) {
        Expansion text = co_await expand_macros(answer.txt.front(), domain, MacroUse::explanation);
        if (text.ok()) co_return text.text;
      }
    }
  }
  Expansion fallback = co_await expand_macros(options_.default_explanation, domain, MacroUse::explanation);
  co_return fallback.ok() ? fallback.text : options_.default_explanation;
}

std::string domain_of(std::string_view sender) {
  auto at = sender.rfind('@');
  return std::string(at == std::string_view::npos ? sender : sender.substr(at + 1));
}

}  // namespace

asio::awaitable<Outcome> check_host(dns::Resolver& resolver, const Options& options, net::IpAddress ip,
                                    std::string domain, std::string sender, std::string helo) {
  Outcome out;
  Sender parts = split_sender(sender);
  out.domain = domain;
  out.sender = parts.address;
  Evaluation evaluation(resolver, options, ip.unmapped(), std::move(parts), std::move(helo));
  Verdict verdict = co_await evaluation.check(std::move(domain), true);
  out.result = verdict.result;
  out.mechanism = std::move(verdict.mechanism);
  out.reason = std::move(verdict.reason);
  out.explanation = std::move(verdict.explanation);
  out.dns_mechanisms = evaluation.dns_mechanisms;
  out.void_lookups = evaluation.void_lookups;
  out.records = std::move(evaluation.records_used);
  co_return out;
}

asio::awaitable<Outcome> check_mail_from(dns::Resolver& resolver, const Options& options, net::IpAddress ip,
                                         std::string sender, std::string helo) {
  if (sender.empty()) sender = "postmaster@" + helo;
  std::string domain = domain_of(sender);
  Outcome out = co_await check_host(resolver, options, ip, std::move(domain), std::move(sender), std::move(helo));
  out.identity = Identity::mailfrom;
  co_return out;
}

asio::awaitable<Outcome> check_helo(dns::Resolver& resolver, const Options& options, net::IpAddress ip,
                                    std::string helo) {
  std::string sender = "postmaster@" + helo;
  Outcome out = co_await check_host(resolver, options, ip, helo, std::move(sender), helo);
  out.identity = Identity::helo;
  co_return out;
}

}  // namespace domainauth::spf
