// DMARC record lookups, the RFC 9989 4.10 DNS Tree Walk and Organizational
// Domain selection (4.10.2), and the RFC 7489 3.2 PSL alternative. Reads
// untrusted DNS answers.
#include "dmarc/discovery.hpp"

#include "dmarc/text.hpp"
#include "dns/await.hpp"

namespace domainauth::dmarc {

namespace {

// The right-most n labels of name.
std::string_view last_labels(std::string_view name, std::size_t n) {
  std::size_t total = label_count(name);
  while (total > n) {
    name = parent_domain(name);
    --total;
  }
  return name;
}

}  // namespace

std::vector<std::string> tree_walk_names(std::string_view domain) {
  std::string start = normalize_domain(domain);
  std::vector<std::string> names;
  if (start.empty()) return names;
  names.push_back(start);
  std::size_t labels = label_count(start);
  if (labels <= 1) return names;
  // Step 4: one label off, or down to 7 labels when there are 8 or more.
  std::string_view next = labels >= kMaxTreeWalkQueries ? last_labels(start, kMaxTreeWalkQueries - 1) : parent_domain(start);
  // Steps 5-7: then one label at a time, down to the last one.
  for (; !next.empty(); next = parent_domain(next)) names.emplace_back(next);
  return names;
}

std::string select_organizational_domain(std::string_view start, const std::vector<FoundRecord>& found) {
  std::string origin = normalize_domain(start);
  for (const FoundRecord& f : found) {
    if (f.record.psd == PsdFlag::no) return f.domain;  // rule 1
    if (f.record.psd == PsdFlag::yes && f.domain != origin) {
      return std::string(last_labels(origin, label_count(f.domain) + 1));  // rule 2
    }
  }
  if (!found.empty()) return found.back().domain;  // rule 3: the fewest labels
  return origin;  // nothing found: the starting domain
}

namespace detail {

asio::awaitable<const Lookup*> RecordCache::get(const std::string& domain) {
  std::string key = normalize_domain(domain);
  if (auto it = cache_.find(key); it != cache_.end()) co_return &it->second;
  Lookup out;
  std::string name = "_dmarc." + key;
  if (name.size() > kMaxDomainLength) {
    out.reason = name + " is longer than a domain name can be";
    co_return &cache_.emplace(key, std::move(out)).first->second;
  }
  ++queries_;
  dns::Answer answer = co_await dns::lookup(resolver_, name, dns::RecordType::txt);
  if (answer.transient()) {
    out.kind = Lookup::Kind::temperror;
    out.reason = "DNS " + std::string(dns::to_string(answer.status)) + " for " + name;
  } else {
    std::vector<const std::string*> dmarc;
    for (const std::string& txt : answer.txt) {
      if (is_dmarc_record(txt)) dmarc.push_back(&txt);
    }
    if (dmarc.empty()) {
      out.reason = "no DMARC record at " + name;
    } else if (dmarc.size() > 1) {
      out.kind = Lookup::Kind::multiple;
      out.reason = std::to_string(dmarc.size()) + " DMARC records at " + name;
    } else {
      out.kind = Lookup::Kind::record;
      out.text = *dmarc.front();
      out.record = std::move(*parse_record(out.text).record);
      out.reason = "DMARC record at " + name;
    }
  }
  co_return &cache_.emplace(key, std::move(out)).first->second;
}

asio::awaitable<std::optional<bool>> RecordCache::exists(const std::string& domain) {
  ++queries_;
  dns::Answer answer = co_await dns::lookup(resolver_, domain, dns::RecordType::a);
  if (answer.transient()) co_return std::nullopt;
  co_return answer.status != dns::Status::nxdomain;
}

asio::awaitable<Walk> tree_walk(RecordCache& cache, const std::string& domain) {
  Walk walk;
  for (const std::string& name : tree_walk_names(domain)) {
    const Lookup* lookup = co_await cache.get(name);
    if (lookup->kind == Lookup::Kind::temperror) {
      walk.temperror = true;
      walk.reason = lookup->reason;
      co_return walk;
    }
    if (lookup->kind != Lookup::Kind::record) continue;  // none, or several (discarded, step 2)
    walk.found.push_back({name, lookup->record});
    if (lookup->record.psd != PsdFlag::unknown) break;  // steps 2 and 6: psd=y / psd=n stops
  }
  co_return walk;
}

asio::awaitable<std::optional<std::string>> OrgDomains::of(const std::string& domain, std::string& why) {
  std::string key = normalize_domain(domain);
  if (auto it = known_.find(key); it != known_.end()) co_return it->second;
  std::string org;
  if (options_.mode == OrgDomainMode::rfc7489_psl) {
    if (options_.psl == nullptr) {
      why = "RFC 7489 mode without a public suffix list";
      co_return std::nullopt;
    }
    org = options_.psl->organizational_domain(key).value_or(key);
  } else {
    Walk walk = co_await tree_walk(cache_, key);
    if (walk.temperror) {
      why = walk.reason;
      co_return std::nullopt;
    }
    org = select_organizational_domain(key, walk.found);
  }
  known_.emplace(key, org);
  co_return org;
}

std::optional<std::string> OrgDomains::known(const std::string& domain) const {
  auto it = known_.find(normalize_domain(domain));
  if (it == known_.end()) return std::nullopt;
  return it->second;
}

}  // namespace detail
}  // namespace domainauth::dmarc
