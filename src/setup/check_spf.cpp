// The SPF part of check (RFC 7208): one record (4.5), valid syntax (4.6, 12),
// the include tree with its DNS-querying terms counted against the limit of 10
// and its void lookups against 2 (4.6.4), the final "all" (5.1), no "ptr"
// (5.5), and whether the given address is authorized (check_host(), 4).
// Reads untrusted input: TXT, A, AAAA and MX answers.
#include <set>

#include "setup/check_parts.hpp"
#include "spf/record.hpp"
#include "spf/spf.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup::detail {
namespace {

struct Fetched {
  enum class Kind : std::uint8_t { one, none, several, dns_error } kind = Kind::none;
  std::string text;
  std::string detail;
  int count = 0;
};

asio::awaitable<Fetched> fetch_spf(Context& c, std::string domain) {
  dns::Answer answer = co_await c.lookup(domain, dns::RecordType::txt);
  Fetched out;
  if (answer.transient()) {
    out.kind = Fetched::Kind::dns_error;
    out.detail = std::string(dns::to_string(answer.status)) + (answer.detail.empty() ? "" : " (" + answer.detail + ")");
    co_return out;
  }
  for (const auto& txt : answer.txt) {
    if (!spf::is_spf_record(txt)) continue;
    ++out.count;
    out.text = txt;
  }
  out.kind = out.count == 0 ? Fetched::Kind::none : out.count == 1 ? Fetched::Kind::one : Fetched::Kind::several;
  co_return out;
}

struct Walk {
  int lookups = 0;
  int voids = 0;
  int records = 0;
  std::set<std::string> seen;
  std::vector<std::string> problems;  // "include:x has no SPF record", ...: each a permerror
  std::vector<std::string> void_terms;  // "a:x: x has no address": void lookups, within the limit harmless
  std::vector<std::string> ptr_terms;
  std::vector<std::string> macro_terms;
};

bool has_macro(const std::string& spec) { return spec.find('%') != std::string::npos; }

std::string target_of(const spf::Mechanism& m, const std::string& domain) {
  return m.domain_spec.empty() ? domain : m.domain_spec;
}

asio::awaitable<void> walk_record(Context& c, Walk& w, const spf::Record& record, std::string domain, int depth);

// Follows include: / redirect= to the target's record.
asio::awaitable<void> walk_target(Context& c, Walk& w, std::string term, std::string target, int depth) {
  SpfTreeLine line{depth, term, 0, {}};
  const std::size_t index = c.report.spf_tree.size();
  c.report.spf_tree.push_back(line);
  if (depth > kMaxSpfTreeDepth || w.records >= kMaxSpfTreeRecords) {
    c.report.spf_tree[index].note = "not followed (tree too deep or too large)";
    co_return;
  }
  if (!w.seen.insert(text::to_lower(target)).second) {
    c.report.spf_tree[index].note = "loop: already included above";
    w.problems.push_back(term + " includes a record already in the tree (a loop is a permerror)");
    co_return;
  }
  ++w.records;
  Fetched fetched = co_await fetch_spf(c, target);
  if (fetched.kind != Fetched::Kind::one) {
    const bool empty = fetched.kind == Fetched::Kind::none;
    c.report.spf_tree[index].note = empty ? "no SPF record" : fetched.kind == Fetched::Kind::several
                                                                  ? "several SPF records"
                                                                  : "DNS failure: " + fetched.detail;
    if (empty) ++w.voids;
    w.problems.push_back(term + ": " + c.report.spf_tree[index].note);
    co_return;
  }
  auto parsed = spf::parse_record(fetched.text);
  if (!parsed.ok()) {
    c.report.spf_tree[index].note = "invalid: " + parsed.error;
    w.problems.push_back(term + " is invalid: " + parsed.error);
    co_return;
  }
  co_await walk_record(c, w, parsed.record, target, depth + 1);
}

asio::awaitable<int> own_lookups_and_voids(Context& c, Walk& w, const spf::Record& record, const std::string& domain) {
  int own = 0;
  for (const auto& m : record.mechanisms) {
    if (!m.queries_dns()) continue;
    ++own;
    const std::string target = target_of(m, domain);
    if (m.kind == spf::MechanismKind::ptr) w.ptr_terms.push_back(m.text);
    if (has_macro(target)) {
      w.macro_terms.push_back(m.text);
      continue;
    }
    if (m.kind == spf::MechanismKind::a || m.kind == spf::MechanismKind::exists) {
      dns::Answer a = co_await c.lookup(target, dns::RecordType::a);
      dns::Answer aaaa = co_await c.lookup(target, dns::RecordType::aaaa);
      if (a.empty() && (aaaa.empty() || m.kind == spf::MechanismKind::exists)) {
        ++w.voids;
        w.void_terms.push_back(m.text + " (" + target + " has no address)");
      }
    } else if (m.kind == spf::MechanismKind::mx) {
      dns::Answer mx = co_await c.lookup(target, dns::RecordType::mx);
      if (mx.empty()) {
        ++w.voids;
        w.void_terms.push_back(m.text + " (" + target + " has no MX)");
      } else if (mx.mx.size() > static_cast<std::size_t>(spf::kMaxMxOrPtrNames)) {
        w.problems.push_back(m.text + ": " + std::to_string(mx.mx.size()) +
                             " MX names, more than 10 (a permerror, RFC 7208 4.6.4)");
      }
    }
  }
  if (record.redirect && !record.has_all()) ++own;
  co_return own;
}

asio::awaitable<void> walk_record(Context& c, Walk& w, const spf::Record& record, std::string domain, int depth) {
  const std::size_t line = c.report.spf_tree.size() - 1;
  const int own = co_await own_lookups_and_voids(c, w, record, domain);
  c.report.spf_tree[line].lookups = own;
  w.lookups += own;
  for (const auto& m : record.mechanisms) {
    if (m.kind != spf::MechanismKind::include || has_macro(m.domain_spec)) continue;
    co_await walk_target(c, w, m.text, m.domain_spec, depth);
  }
  if (record.redirect && !record.has_all() && !has_macro(*record.redirect)) {
    co_await walk_target(c, w, "redirect=" + *record.redirect, *record.redirect, depth);
  }
}

// What the record ends with: the "all" of the record or of its redirect chain.
std::string final_all(const spf::Record& record) {
  for (const auto& m : record.mechanisms) {
    if (m.kind == spf::MechanismKind::all) return m.text;
  }
  return record.redirect ? "redirect=" + *record.redirect : "";
}

void report_all(Context& c, const spf::Record& record) {
  const std::string all = final_all(record);
  if (all == "-all") {
    c.report.add("spf.all", Severity::ok, "ends in -all: other senders fail");
  } else if (all == "~all") {
    c.report.add("spf.all", Severity::ok, "ends in ~all: other senders softfail (DMARC then decides)");
  } else if (all == "+all" || all == "all") {
    c.report.add("spf.all", Severity::error, "ends in " + all + ": every address on the internet may send as you",
                 "Replace " + all + " with -all (or ~all while you are still listing your senders).");
  } else if (all.rfind("redirect=", 0) == 0) {
    c.report.add("spf.all", Severity::ok, "ends in " + all + ": the redirected record's all applies");
  } else {
    c.report.add("spf.all", Severity::warning,
                 all.empty() ? "has no final all: other senders get neutral" : "ends in " + all + ": other senders get neutral",
                 "End the record with -all (or ~all) so receivers know everything else is not you.");
  }
}

void report_walk(Context& c, const Walk& w) {
  c.report.spf_lookups = w.lookups;
  const std::string counted = std::to_string(w.lookups) + " DNS-querying terms in the include tree (limit 10)";
  if (w.lookups > spf::kMaxDnsMechanisms) {
    c.report.add("spf.lookups", Severity::error, counted + ": receivers return permerror, so SPF never passes",
                 "Replace includes with the ip4:/ip6: ranges they stand for, or drop senders you no longer use.");
  } else if (w.lookups >= spf::kMaxDnsMechanisms - 1) {
    c.report.add("spf.lookups", Severity::warning, counted + ": one more include breaks SPF",
                 "Flatten an include into ip4:/ip6: terms to leave room.");
  } else {
    c.report.add("spf.lookups", Severity::ok, counted);
  }
  // RFC 7208 4.6.4: only a third void lookup is a permerror; up to two cost a
  // query each and nothing else.
  const std::string voids = std::to_string(w.voids) + " void lookup(s) (limit 2)" +
                            (w.void_terms.empty() ? "" : ": " + join_list(w.void_terms));
  if (w.voids > spf::kMaxVoidLookups) {
    c.report.add("spf.void_lookups", Severity::error, voids + "; receivers return permerror",
                 "Remove the terms whose names do not exist.");
  } else if (w.voids > 0) {
    c.report.add("spf.void_lookups", Severity::warning, voids + "; within the limit, but one more breaks SPF",
                 "Remove the terms whose names do not exist.");
  } else {
    c.report.add("spf.void_lookups", Severity::ok, "no void lookups");
  }
  if (!w.problems.empty()) {
    c.report.add("spf.tree", Severity::error, "the include tree has problems: " + join_list(w.problems),
                 "Fix or remove the terms named, since each makes SPF a permerror or a void lookup.");
  }
  if (!w.ptr_terms.empty()) {
    c.report.add("spf.ptr", Severity::warning, "uses " + join_list(w.ptr_terms) + " (RFC 7208 5.5: SHOULD NOT)",
                 "Replace ptr with ip4:/ip6: or a: terms; some receivers ignore ptr.");
  }
  if (!w.macro_terms.empty()) {
    c.report.add("spf.macros", Severity::info,
                 "terms with macros depend on the sender and were counted but not followed: " + join_list(w.macro_terms));
  }
}

asio::awaitable<void> report_address(Context& c) {
  if (c.options.ips.empty()) {
    c.report.add("spf.authorizes_ip", Severity::info, "no sending address given, so no SPF evaluation",
                 "Run check with --ip ADDRESS of your outgoing mail server.");
    c.spf_ok = true;
    co_return;
  }
  spf::Options options;
  const std::string helo = c.options.helo.empty() ? c.options.domain : c.options.helo;
  const std::string sender = "postmaster@" + c.options.domain;
  c.spf_ok = true;
  for (const auto& address : c.options.ips) {
    spf::Outcome outcome = co_await spf::check_host(c.resolver, options, address, c.options.domain, sender, helo);
    const std::string ip = address.to_string();
    if (outcome.result == spf::Result::pass) {
      c.report.add("spf.authorizes_ip", Severity::ok, ip + " passes (" + outcome.mechanism + ")", {}, ip);
    } else {
      c.spf_ok = false;
      c.report.add("spf.authorizes_ip", Severity::error,
                   ip + " gets " + std::string(spf::to_string(outcome.result)) + ": " + outcome.reason,
                   "Add ip" + std::string(address.is_v4() ? "4:" : "6:") + ip + " to the SPF record.", ip);
    }
  }
}

}  // namespace

asio::awaitable<void> check_spf(Context& c) {
  const std::string& domain = c.options.domain;
  Fetched fetched = co_await fetch_spf(c, domain);
  std::string suggestion = "v=spf1";
  for (const auto& ip : c.options.ips) suggestion += std::string(ip.is_v4() ? " ip4:" : " ip6:") + ip.to_string();
  suggestion += c.options.ips.empty() ? " mx -all" : " -all";
  switch (fetched.kind) {
    case Fetched::Kind::dns_error:
      c.dns_down = true;
      c.report.add("spf.present", Severity::error, "the TXT lookup of " + domain + " failed: " + fetched.detail,
                   "Check that the domain's name servers answer (dig TXT " + domain + ").");
      co_return;
    case Fetched::Kind::none:
      c.report.add("spf.present", Severity::error, "no SPF record at " + domain,
                   "Publish the TXT record \"" + suggestion + "\" at " + domain + ".");
      co_return;
    case Fetched::Kind::several:
      c.report.add("spf.single", Severity::error,
                   std::to_string(fetched.count) + " SPF records at " + domain + ": receivers return permerror (RFC 7208 4.5)",
                   "Merge them into one TXT record starting with v=spf1.");
      co_return;
    case Fetched::Kind::one: break;
  }
  c.report.add("spf.present", Severity::ok, "one SPF record: \"" + fetched.text + "\"");
  auto parsed = spf::parse_record(fetched.text);
  if (!parsed.ok()) {
    c.report.add("spf.syntax", Severity::error, "the record is invalid: " + parsed.error,
                 "Correct the term named; any syntax error makes the whole record a permerror.");
    co_return;
  }
  c.report.add("spf.syntax", Severity::ok, "valid syntax");
  Walk walk;
  walk.seen.insert(text::to_lower(domain));
  c.report.spf_tree.push_back({0, domain, 0, {}});
  co_await walk_record(c, walk, parsed.record, domain, 1);
  report_walk(c, walk);
  report_all(c, parsed.record);
  co_await report_address(c);
  if (walk.lookups > spf::kMaxDnsMechanisms || walk.voids > spf::kMaxVoidLookups || !walk.problems.empty()) {
    c.spf_ok = false;
  }
}

}  // namespace domainauth::setup::detail
