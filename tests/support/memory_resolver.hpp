// An in-memory dns::Resolver for unit and conformance tests: zone data is added
// record by record; answers are posted to the given executor, never delivered
// from inside query(). Follows CNAMEs (a loop is a SERVFAIL), and can make a
// name time out or fail for the types it has no records of.
#pragma once

#include <asio/any_io_executor.hpp>
#include <map>
#include <string>
#include <vector>

#include "dns/resolver.hpp"

namespace domainauth::testing {

class MemoryResolver : public dns::Resolver {
 public:
  explicit MemoryResolver(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void add_txt(std::string_view name, std::string text);
  void add_address(std::string_view name, const net::IpAddress& ip);
  void add_mx(std::string_view name, std::uint16_t preference, std::string_view exchange);
  void add_ptr(std::string_view name, std::string_view target);
  void add_tlsa(std::string_view name, dns::TlsaRecord record);
  void add_cname(std::string_view name, std::string_view target);
  // The name exists (NODATA for every type it has no records of).
  void add_name(std::string_view name);
  // Queries of this name for types with no records time out / fail.
  void set_timeout(std::string_view name);
  void set_servfail(std::string_view name);
  void set_dnssec(std::string_view name, dns::Dnssec status);

  void query(std::string_view name, dns::RecordType type, Handler handler) override;

  // Lookups made so far ("name/TYPE"), for tests that count DNS work.
  [[nodiscard]] const std::vector<std::string>& log() const { return log_; }

  // Synchronous form of query(): the answer the resolver would deliver.
  [[nodiscard]] dns::Answer answer(std::string_view name, dns::RecordType type) const;

 private:
  enum class Failure { none, timeout, servfail };
  struct Node {
    std::vector<std::string> txt;
    std::vector<net::IpAddress> a, aaaa;
    std::vector<dns::MxRecord> mx;
    std::vector<std::string> ptr;
    std::vector<dns::TlsaRecord> tlsa;
    std::string cname;
    Failure failure = Failure::none;
    dns::Dnssec dnssec = dns::Dnssec::insecure;
  };
  Node& node(std::string_view name);

  asio::any_io_executor executor_;
  std::map<std::string, Node> zone_;
  std::vector<std::string> log_;
};

// Lower case, without a trailing dot: the key used for every name.
[[nodiscard]] std::string normalize_name(std::string_view name);

}  // namespace domainauth::testing
