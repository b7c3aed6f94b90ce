// DMARC record discovery inside the module: one TXT lookup per _dmarc name per
// evaluation (a cache shared by policy discovery and the alignment walks), the
// RFC 9989 4.10 tree walk, and the Organizational Domain in either mode. Reads
// untrusted DNS answers.
#pragma once

#include <asio/awaitable.hpp>
#include <map>
#include <string>

#include "dmarc/dmarc.hpp"

namespace domainauth::dmarc::detail {

// What one _dmarc.<domain> TXT query gave.
struct Lookup {
  enum class Kind : std::uint8_t { record, none, multiple, temperror } kind = Kind::none;
  Record record;     // kind record
  std::string text;  // kind record: the TXT text
  std::string reason;
};

class RecordCache {
 public:
  explicit RecordCache(dns::Resolver& resolver) : resolver_(resolver) {}
  // The DMARC record(s) at _dmarc.<domain>; queried once. The pointer stays valid.
  asio::awaitable<const Lookup*> get(const std::string& domain);
  // Does domain exist (RFC 9989 3.2.13: not NXDOMAIN)? nullopt on a DNS failure.
  asio::awaitable<std::optional<bool>> exists(const std::string& domain);
  [[nodiscard]] int queries() const { return queries_; }

 private:
  dns::Resolver& resolver_;
  std::map<std::string, Lookup, std::less<>> cache_;
  int queries_ = 0;
};

// RFC 9989 4.10 walk from domain: the records found (longest first), stopping
// at psd=y / psd=n. Several records at one name are discarded (step 2).
struct Walk {
  bool temperror = false;
  std::string reason;
  std::vector<FoundRecord> found;
};
asio::awaitable<Walk> tree_walk(RecordCache& cache, const std::string& domain);

// The Organizational Domain of domain in the selected mode (memoized).
class OrgDomains {
 public:
  OrgDomains(RecordCache& cache, const Options& options) : cache_(cache), options_(options) {}
  // nullopt on a DNS failure (tree walk) or a missing list (PSL mode); why says which.
  asio::awaitable<std::optional<std::string>> of(const std::string& domain, std::string& why);
  // The answer of an earlier of(), without any lookup.
  [[nodiscard]] std::optional<std::string> known(const std::string& domain) const;

 private:
  RecordCache& cache_;
  const Options& options_;
  std::map<std::string, std::string, std::less<>> known_;
};

}  // namespace domainauth::dmarc::detail
