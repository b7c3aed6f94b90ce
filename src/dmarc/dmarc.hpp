// DMARC evaluation (RFC 7489 6.6, RFC 9989 4.10 and 5.3): the public face of
// the module. evaluate() takes the From field values, the SPF result with its
// domain and the DKIM results with their d= domains (plain values: this module
// does not depend on spf/ or dkim/), discovers the policy record through
// dns::Resolver, checks identifier alignment and decides result, policy and
// disposition. Untrusted input: the From values, the identifiers, DNS answers.
//
// Organizational Domain: two modes, chosen by Options::mode.
//   rfc9989_tree_walk (DEFAULT): the DNS Tree Walk of RFC 9989 4.10: _dmarc
//     queries from the domain upward (at most 8 per walk, deep names shortened
//     to 7 labels), psd=y/psd=n honoured, the record with the fewest labels
//     otherwise (4.10.2).
//   rfc7489_psl: RFC 7489 3.2 with the public suffix list through libpsl
//     (Debian's /usr/share/publicsuffix list by default; PublicSuffixList::load
//     takes any file); at most two _dmarc queries (6.6.3).
// Why the tree walk is the default: RFC 9989 (Standards Track, 2026) obsoletes
// RFC 7489 and replaces the PSL with the walk; the walk reads what domain
// owners and PSOs publish now (psd=), needs no list file that goes stale (the
// list in a distribution is as old as its package), and agrees with other
// receivers that follow the current standard. Its cost (up to 8 queries for a
// deep name, usually 2-3, most answered from the resolver cache) is bounded.
//
// Tags honoured per mode (all are parsed in both; see record.hpp):
//   rfc9989_tree_walk: np (non-existent subdomains), psd, t (t=y lowers the
//     policy one step: reject -> quarantine -> none); pct, rf, ri ignored.
//   rfc7489_psl: pct (sampling: a failing message not sampled is handled one
//     step lower, 6.6.4), rf, ri; np, psd, t ignored.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc/author.hpp"
#include "dmarc/psl.hpp"
#include "dmarc/record.hpp"
#include "dns/resolver.hpp"

namespace domainauth::dmarc {

enum class OrgDomainMode : std::uint8_t { rfc9989_tree_walk, rfc7489_psl };
[[nodiscard]] std::string_view to_string(OrgDomainMode mode);

// RFC 8601 2.7.2 dmarc results.
enum class Result : std::uint8_t { none, pass, fail, temperror, permerror };
[[nodiscard]] std::string_view to_string(Result result);

// Which tag of the record gave the policy (RFC 9989 4.10.1).
enum class PolicySource : std::uint8_t { p, sp, np };
[[nodiscard]] std::string_view to_string(PolicySource source);

// The inputs, named as RFC 8601 names results (mirrors spf::Result and
// dkim::Result; the engine maps them).
enum class SpfResult : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };
enum class DkimResult : std::uint8_t { none, pass, fail, neutral, policy, temperror, permerror };

struct SpfInput {
  SpfResult result = SpfResult::none;
  std::string domain;  // the MAIL FROM domain checked (the HELO for a null sender)
};

struct DkimInput {
  DkimResult result = DkimResult::none;
  std::string domain;    // d=
  std::string selector;  // s= (for reports)
};

struct Message {
  Author author;  // extract_author over the value of every From field
  SpfInput spf;
  std::vector<DkimInput> dkim;
};

// An authenticated identifier and whether it aligned with the author domain.
struct IdentifierCheck {
  std::string domain;
  bool authenticated = false;  // SPF/DKIM pass
  bool aligned = false;        // authenticated and in alignment
};

struct Options {
  OrgDomainMode mode = OrgDomainMode::rfc9989_tree_walk;
  const PublicSuffixList* psl = nullptr;  // required by rfc7489_psl; must outlive evaluate()
  // pct sampling (RFC 7489 6.6.4): a number in 0..99; a failing message is
  // "selected" when it is below pct. Unset: a per-thread PRNG.
  std::function<int()> random_percent;
};

struct Outcome {
  Result result = Result::none;
  FromHandling from_handling = FromHandling::evaluate;  // what RFC 7489 6.6.1 says for this From
  std::vector<std::string> author_domains;              // every From domain
  std::string author_domain;                            // the one this outcome describes
  std::string policy_domain;                            // where the record was found
  std::optional<std::string> org_domain;                // of the author domain, when it was needed
  std::optional<Record> record;                         // the record applied, as published
  std::string record_text;
  Policy policy = Policy::none;  // the domain owner's policy for this author domain
  PolicySource policy_source = PolicySource::p;
  Policy disposition = Policy::none;  // for this message: none unless fail; after pct / t=y
  bool sampled_out = false;           // RFC 7489 pct: not selected, policy lowered
  bool testing = false;               // RFC 9989 t=y: policy lowered
  IdentifierCheck spf;
  std::vector<IdentifierCheck> dkim;  // one per DkimInput, same order
  int dns_queries = 0;
  std::string reason;
};

// RFC 7489 6.6.2 / RFC 9989 5.3. A From with several domains is checked once
// per domain and the strictest failing policy applies (RFC 7489 6.6.1); a From
// that is missing, repeated or malformed gives permerror with from_handling
// reject (repeated From fields still carry the record of the strictest of
// their domains), one with no meaningful domain none with from_handling ignore. DNS
// failures give temperror. resolver and options must outlive the awaitable.
asio::awaitable<Outcome> evaluate(dns::Resolver& resolver, const Options& options, Message message);

// RFC 9989 4.10 steps 3-7: the names (without "_dmarc.") a tree walk from
// domain queries, domain first; at most kMaxTreeWalkQueries.
inline constexpr std::size_t kMaxTreeWalkQueries = 8;
[[nodiscard]] std::vector<std::string> tree_walk_names(std::string_view domain);

// A DMARC record found during a walk.
struct FoundRecord {
  std::string domain;
  Record record;
};
// RFC 9989 4.10.2: the Organizational Domain chosen from the records a walk
// from start found (longest name first).
[[nodiscard]] std::string select_organizational_domain(std::string_view start, const std::vector<FoundRecord>& found);

// Identifier alignment (RFC 7489 3.1, RFC 9989 3.2.10) given both
// Organizational Domains: strict compares the names, relaxed the org domains.
// Names compare case-insensitively, one trailing dot ignored.
[[nodiscard]] bool is_aligned(AlignmentMode mode, std::string_view author, std::string_view identifier,
                              std::string_view author_org, std::string_view identifier_org);
// The same with RFC 7489 Organizational Domains from the public suffix list.
[[nodiscard]] bool is_aligned(AlignmentMode mode, std::string_view author, std::string_view identifier,
                              const PublicSuffixList& psl);

}  // namespace domainauth::dmarc
