// DMARC evaluation: policy discovery (RFC 7489 6.6.3, RFC 9989 4.10.1), the
// invalid-policy rule (6.6.3 step 6), identifier alignment (RFC 7489 3.1,
// RFC 9989 4.10.2), result (6.6.2, 5.3.5), policy selection p/sp/np and the
// disposition after pct sampling (6.6.4) or t=y (RFC 9989 4.7). Reads
// untrusted input: From values, identifiers, DNS answers.
#include <random>

#include "dmarc/discovery.hpp"
#include "dmarc/text.hpp"

namespace domainauth::dmarc {

std::string_view to_string(OrgDomainMode mode) {
  return mode == OrgDomainMode::rfc7489_psl ? "rfc7489_psl" : "rfc9989_tree_walk";
}

std::string_view to_string(Result result) {
  switch (result) {
    case Result::none: return "none";
    case Result::pass: return "pass";
    case Result::fail: return "fail";
    case Result::temperror: return "temperror";
    case Result::permerror: return "permerror";
  }
  return "permerror";
}

std::string_view to_string(PolicySource source) {
  switch (source) {
    case PolicySource::p: return "p";
    case PolicySource::sp: return "sp";
    case PolicySource::np: return "np";
  }
  return "p";
}

bool is_aligned(AlignmentMode mode, std::string_view author, std::string_view identifier, std::string_view author_org,
                std::string_view identifier_org) {
  if (identifier.empty() || author.empty()) return false;
  if (normalize_domain(author) == normalize_domain(identifier)) return true;
  return mode == AlignmentMode::relaxed && !author_org.empty() &&
         normalize_domain(author_org) == normalize_domain(identifier_org);
}

bool is_aligned(AlignmentMode mode, std::string_view author, std::string_view identifier,
                const PublicSuffixList& psl) {
  std::string a = normalize_domain(author), i = normalize_domain(identifier);
  return is_aligned(mode, a, i, psl.organizational_domain(a).value_or(a), psl.organizational_domain(i).value_or(i));
}

namespace {

using detail::Lookup;

enum class Tri : std::uint8_t { yes, no, temperror };

struct Context {
  Context(dns::Resolver& resolver, const Options& opts) : options(opts), cache(resolver), orgs(cache, opts) {}
  const Options& options;
  detail::RecordCache cache;
  detail::OrgDomains orgs;
  [[nodiscard]] bool bis() const { return options.mode == OrgDomainMode::rfc9989_tree_walk; }
};

struct Discovery {
  Result failure = Result::none;  // none: no record; temperror; pass: found
  std::string policy_domain;
  const Lookup* lookup = nullptr;
  std::string reason;
};

Discovery found(std::string domain, const Lookup* lookup) { return {Result::pass, std::move(domain), lookup, lookup->reason}; }
Discovery not_found(Result failure, std::string reason) { return {failure, {}, nullptr, std::move(reason)}; }

// RFC 7489 6.6.3: the author domain, then its PSL Organizational Domain.
asio::awaitable<Discovery> discover_psl(Context& ctx, const std::string& author) {
  const Lookup* at_author = co_await ctx.cache.get(author);
  if (at_author->kind == Lookup::Kind::temperror) co_return not_found(Result::temperror, at_author->reason);
  if (at_author->kind == Lookup::Kind::record) co_return found(author, at_author);
  if (at_author->kind == Lookup::Kind::multiple) co_return not_found(Result::none, at_author->reason + " (RFC 7489 6.6.3 step 5)");
  std::string why;
  auto org = co_await ctx.orgs.of(author, why);
  if (!org) co_return not_found(Result::temperror, why);
  if (*org == author) co_return not_found(Result::none, at_author->reason);
  const Lookup* at_org = co_await ctx.cache.get(*org);
  if (at_org->kind == Lookup::Kind::record) co_return found(*org, at_org);
  Result failure = at_org->kind == Lookup::Kind::temperror ? Result::temperror : Result::none;
  co_return not_found(failure, at_author->reason + "; " + at_org->reason);
}

// RFC 9989 4.10.1: the author domain, its Organizational Domain, its PSD.
asio::awaitable<Discovery> discover_walk(Context& ctx, const std::string& author) {
  const Lookup* at_author = co_await ctx.cache.get(author);
  if (at_author->kind == Lookup::Kind::temperror) co_return not_found(Result::temperror, at_author->reason);
  if (at_author->kind == Lookup::Kind::record) co_return found(author, at_author);
  detail::Walk walk = co_await detail::tree_walk(ctx.cache, author);
  if (walk.temperror) co_return not_found(Result::temperror, walk.reason);
  std::string why;
  auto org = co_await ctx.orgs.of(author, why);  // the same walk, from the cache
  if (!org) co_return not_found(Result::temperror, why);
  const Lookup* at_org = co_await ctx.cache.get(*org);
  if (at_org->kind == Lookup::Kind::temperror) co_return not_found(Result::temperror, at_org->reason);
  if (at_org->kind == Lookup::Kind::record) co_return found(*org, at_org);
  for (const FoundRecord& f : walk.found) {
    if (f.record.psd == PsdFlag::yes) co_return found(f.domain, co_await ctx.cache.get(f.domain));
  }
  co_return not_found(Result::none, "no DMARC record for " + author + " or above it");
}

// RFC 7489 6.6.3 step 6 / RFC 9989 4.10.1: an invalid p (or sp, np) makes the
// record p=none when rua has a valid URI, else no DMARC processing. RFC 9989
// 4.7: a missing p is p=none; RFC 7489 6.3 requires p.
bool usable_policy(const Context& ctx, Record& record, std::string& note) {
  bool bad_p = record.p.invalid() || (!ctx.bis() && !record.p.present);
  bool bad_sub = record.sp.invalid() || (ctx.bis() && record.np.invalid());
  if (!bad_p && !bad_sub) {
    if (!record.p.present) {
      record.p.value = Policy::none;
      note = "; no p= tag, p=none (RFC 9989 4.7)";
    }
    return true;
  }
  if (record.rua.empty()) return false;
  record.p = {true, Policy::none};
  record.sp = {};
  record.np = {};
  note = "; invalid or missing policy tag with a valid rua=: treated as p=none";
  return true;
}

asio::awaitable<Tri> aligned(Context& ctx, const std::string& author, const std::string& identifier, AlignmentMode mode,
                             std::string& why) {
  if (!is_domain_name(identifier)) co_return Tri::no;
  if (normalize_domain(identifier) == author) co_return Tri::yes;
  if (mode == AlignmentMode::strict) co_return Tri::no;  // RFC 9989 4.10.2: no walk needed
  auto author_org = co_await ctx.orgs.of(author, why);
  if (!author_org) co_return Tri::temperror;
  auto identifier_org = co_await ctx.orgs.of(identifier, why);
  if (!identifier_org) co_return Tri::temperror;
  co_return is_aligned(mode, author, identifier, *author_org, *identifier_org) ? Tri::yes : Tri::no;
}

// Checks one identifier: authenticated ones for alignment, temperror ones for
// whether they could have aligned (RFC 7489 6.6.2: then no final result).
asio::awaitable<IdentifierCheck> check(Context& ctx, const std::string& author, const std::string& domain,
                                       bool pass, bool temporary, AlignmentMode mode, bool& undecided,
                                       std::string& why) {
  IdentifierCheck out{domain, pass, false};
  if (!pass && !temporary) co_return out;
  Tri t = co_await aligned(ctx, author, domain, mode, why);
  out.aligned = pass && t == Tri::yes;
  if (t == Tri::temperror || (temporary && t == Tri::yes)) undecided = true;
  co_return out;
}

Policy lower(Policy p) { return p == Policy::reject ? Policy::quarantine : Policy::none; }

int default_random_percent() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, 99)(generator);
}

// Policy tag selection (RFC 9989 4.10.1, RFC 7489 6.3 sp=) and disposition.
asio::awaitable<bool> apply_policy(Context& ctx, const Record& record, Outcome& out) {
  out.policy_source = PolicySource::p;
  if (out.author_domain != out.policy_domain) {
    if (ctx.bis() && record.np.value && out.result == Result::fail) {
      auto exists = co_await ctx.cache.exists(out.author_domain);
      if (!exists) co_return false;
      if (!*exists) out.policy_source = PolicySource::np;
    }
    if (out.policy_source == PolicySource::p && record.sp.value) out.policy_source = PolicySource::sp;
  }
  const PolicyTag& tag = out.policy_source == PolicySource::np ? record.np
                         : out.policy_source == PolicySource::sp ? record.sp : record.p;
  out.policy = tag.value.value_or(Policy::none);
  if (out.result != Result::fail) co_return true;
  out.disposition = out.policy;
  if (out.policy == Policy::none) co_return true;
  if (ctx.bis() && record.testing) {
    out.testing = true;
    out.disposition = lower(out.policy);
  } else if (!ctx.bis() && record.pct < 100) {
    int draw = ctx.options.random_percent ? ctx.options.random_percent() : default_random_percent();
    if (draw >= record.pct) {
      out.sampled_out = true;
      out.disposition = lower(out.policy);
    }
  }
  co_return true;
}

asio::awaitable<Outcome> evaluate_domain(Context& ctx, const std::string& author, const Message& message) {
  Outcome out;
  out.author_domain = author;
  // (Two statements: g++ 12 mis-destroys an awaitable chosen by ?: inside co_await.)
  Discovery d;
  if (ctx.bis()) {
    d = co_await discover_walk(ctx, author);
  } else {
    d = co_await discover_psl(ctx, author);
  }
  if (d.failure != Result::pass) {
    out.result = d.failure;
    out.reason = d.reason;
    co_return out;
  }
  out.policy_domain = d.policy_domain;
  out.record = d.lookup->record;
  out.record_text = d.lookup->text;
  Record record = d.lookup->record;
  std::string note;
  if (!usable_policy(ctx, record, note)) {
    out.result = Result::permerror;
    out.reason = d.reason + ": invalid or missing policy tag and no valid rua= (RFC 7489 6.6.3 step 6)";
    co_return out;
  }
  bool undecided = false;
  std::string why;
  const SpfInput& spf = message.spf;
  out.spf = co_await check(ctx, author, spf.domain, spf.result == SpfResult::pass, spf.result == SpfResult::temperror,
                           record.aspf, undecided, why);
  for (const DkimInput& dkim : message.dkim) {
    out.dkim.push_back(co_await check(ctx, author, dkim.domain, dkim.result == DkimResult::pass,
                                      dkim.result == DkimResult::temperror, record.adkim, undecided, why));
  }
  bool dkim_aligned = false;
  for (const IdentifierCheck& c : out.dkim) dkim_aligned = dkim_aligned || c.aligned;
  if (out.spf.aligned || dkim_aligned) {
    out.result = Result::pass;
    out.reason = std::string(out.spf.aligned ? "aligned SPF pass" : "aligned DKIM pass");
  } else if (undecided) {
    out.result = Result::temperror;
    out.reason = "no aligned pass, and a temporary error where one could have been" + (why.empty() ? "" : ": " + why);
  } else {
    out.result = Result::fail;
    out.reason = "no aligned SPF or DKIM pass";
  }
  if (!co_await apply_policy(ctx, record, out)) {
    out.result = Result::temperror;
    out.reason += "; DNS failure checking whether " + author + " exists (np=)";
    co_return out;
  }
  out.reason += "; policy " + std::string(to_string(out.policy)) + " from " + std::string(to_string(out.policy_source)) +
                "= of " + d.reason + note;
  if (!ctx.bis()) co_await ctx.orgs.of(author, why);  // PSL: no DNS; reported below
  out.org_domain = ctx.orgs.known(author);
  if (out.sampled_out) out.reason += "; not selected by pct=" + std::to_string(record.pct);
  if (out.testing) out.reason += "; t=y: policy lowered one step";
  co_return out;
}

// Which outcome speaks for a multi-domain From (RFC 7489 6.6.1): the strictest
// failing one, else a temperror, a permerror, a pass, in that order.
int rank(const Outcome& o) {
  switch (o.result) {
    case Result::fail: return 10 + 3 * static_cast<int>(o.disposition) + static_cast<int>(o.policy);
    case Result::temperror: return 4;
    case Result::permerror: return 3;
    case Result::pass: return 2;
    case Result::none: return 1;
  }
  return 0;
}

}  // namespace

asio::awaitable<Outcome> evaluate(dns::Resolver& resolver, const Options& options, Message message) {
  const Author& author = message.author;
  Outcome out;
  out.from_handling = author.handling();
  out.author_domains = author.domains;
  const std::string handling_reason =
      author.reason + " (RFC 7489 6.6.1: " + std::string(to_string(out.from_handling)) + ")";
  if (out.from_handling != FromHandling::evaluate && author.domains.empty()) {
    out.result = out.from_handling == FromHandling::reject ? Result::permerror : Result::none;
    out.reason = handling_reason;
    co_return out;
  }
  Context ctx(resolver, options);
  for (const std::string& domain : author.domains) {
    Outcome one = co_await evaluate_domain(ctx, domain, message);
    if (domain == author.domains.front() || rank(one) > rank(out)) out = std::move(one);
  }
  out.from_handling = author.handling();
  out.author_domains = author.domains;
  out.dns_queries = ctx.cache.queries();
  if (out.from_handling == FromHandling::reject) {
    // Repeated From fields: the message is malformed whatever its domains
    // say; the strictest domain's record stays, for the history and the A-R.
    out.result = Result::permerror;
    out.reason = handling_reason;
    co_return out;
  }
  if (author.domains.size() > 1) out.reason += " (decides among " + std::to_string(author.domains.size()) + " From domains)";
  co_return out;
}

}  // namespace domainauth::dmarc
