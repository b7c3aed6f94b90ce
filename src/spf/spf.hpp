// SPF (RFC 7208): the public face of the module. check_host() is RFC 7208
// section 4; check_mail_from()/check_helo() pick the identity as section 2.3/2.4
// say; received_spf() writes the section 9.1 header field. DNS comes in through
// dns::Resolver only; no other I/O.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "net/address.hpp"

namespace domainauth::spf {

enum class Result : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };

// The RFC 7208 / RFC 8601 token: "pass", "fail", ...
[[nodiscard]] std::string_view to_string(Result result);

// RFC 7208 4.6.4 and 5.4/5.5 limits.
inline constexpr int kMaxDnsMechanisms = 10;
inline constexpr int kMaxVoidLookups = 2;
inline constexpr int kMaxMxOrPtrNames = 10;

struct Options {
  // Explanation used for fail when the record has no (usable) exp= modifier.
  std::string default_explanation = "%{d} does not designate %{i} as a permitted sender";
  // The receiving host's name (%{r}); "unknown" per RFC 7208 7.3 when not set.
  std::string receiver = "unknown";
  int max_dns_mechanisms = kMaxDnsMechanisms;
  int max_void_lookups = kMaxVoidLookups;
  // RFC 7208 4.6.4: elapsed-time limit of one check_host(); no query starts
  // after it, and a query it stops gives temperror.
  std::chrono::seconds max_elapsed{20};
  // %{t} (seconds since the epoch); the current time when not set.
  std::optional<std::int64_t> timestamp;
};

// Which identity was checked (RFC 7208 2.3, 2.4).
enum class Identity : std::uint8_t { helo, mailfrom };
[[nodiscard]] std::string_view to_string(Identity identity);

// One SPF record check_host() used: where it was found and its text.
struct RecordUsed {
  std::string domain;
  std::string text;
  friend bool operator==(const RecordUsed&, const RecordUsed&) = default;
};

struct Outcome {
  Result result = Result::none;
  Identity identity = Identity::mailfrom;
  std::string domain;       // the domain check_host() began with
  std::string sender;       // the <sender> argument (postmaster@helo for a null MAIL FROM)
  std::string mechanism;    // the mechanism or modifier that decided, e.g. "ip4:192.0.2.0/24", "default"
  std::string explanation;  // fail only: the expanded exp= text or default explanation
  std::string reason;       // one human sentence: why this result
  int dns_mechanisms = 0;   // terms that caused DNS queries (counted against 10)
  int void_lookups = 0;
  // Every SPF record used to reach the result, in the order fetched (the
  // top domain's, then include: and redirect= targets): RFC 6591 3.2.6 SPF-DNS.
  std::vector<RecordUsed> records;
};

// RFC 7208 4: check_host(<ip>, <domain>, <sender>). helo feeds %{h}. An
// IPv4-mapped IPv6 <ip> is treated as IPv4 (RFC 7208 5). resolver and options
// must outlive the returned awaitable.
asio::awaitable<Outcome> check_host(dns::Resolver& resolver, const Options& options, net::IpAddress ip,
                                    std::string domain, std::string sender, std::string helo);

// MAIL FROM identity; an empty sender becomes postmaster@<helo> (RFC 7208 2.4).
asio::awaitable<Outcome> check_mail_from(dns::Resolver& resolver, const Options& options,
                                         net::IpAddress ip, std::string sender, std::string helo);

// HELO identity (RFC 7208 2.3): check_host(ip, helo, postmaster@helo).
asio::awaitable<Outcome> check_helo(dns::Resolver& resolver, const Options& options, net::IpAddress ip,
                                    std::string helo);

// The Received-SPF field value (RFC 7208 9.1), without "Received-SPF: " and
// without a trailing CRLF, e.g.
//   pass (mx.example.org: domain of a@example.com designates 192.0.2.1 as permitted sender)
//   client-ip=192.0.2.1; envelope-from="a@example.com"; helo=mail.example.com;
//   receiver=mx.example.org; identity=mailfrom; mechanism="ip4:192.0.2.0/24"
// Values from the SMTP dialogue are quoted/escaped so they cannot inject fields.
[[nodiscard]] std::string received_spf(const Outcome& outcome, const net::IpAddress& ip,
                                       std::string_view helo, std::string_view receiver);

}  // namespace domainauth::spf
