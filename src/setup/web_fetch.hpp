// The network reads of `domainauth check` beyond DNS: HTTPS GETs (the MTA-STS
// policy, the BIMI logo) and the certificate chain an MX presents after
// STARTTLS (DANE with --probe). An interface, so the check logic runs over a
// fake in unit tests; make_web_fetcher() gives the libcurl one.
// Host names are never resolved here: the caller passes the addresses it
// looked up through dns::Resolver, so every name check uses comes from the
// same DNS (the --dns server in tests).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/address.hpp"

namespace domainauth::setup {

struct HttpsGet {
  std::string url;                         // https://host[:port]/path
  std::vector<net::IpAddress> addresses;   // of the URL's host
  std::size_t max_octets = 0;              // a longer body is an error, not truncated
  std::chrono::milliseconds timeout{10000};
};

struct HttpsResult {
  std::string error;         // empty on a completed exchange (any HTTP status)
  long status = 0;           // HTTP status
  std::string content_type;  // as sent, lower case
  std::string body;
};

struct SmtpProbe {
  std::string host;                        // the MX name (SNI and EHLO target)
  std::vector<net::IpAddress> addresses;
  std::uint16_t port = 25;
  std::chrono::milliseconds timeout{15000};
};

struct ProbeResult {
  std::string error;  // empty when STARTTLS completed
  std::vector<std::vector<std::uint8_t>> chain;  // DER certificates as presented, the server's first
};

class WebFetcher {
 public:
  virtual ~WebFetcher() = default;
  // No redirects followed (RFC 8461 3.3), the certificate verified against the
  // CA store for the URL's host.
  [[nodiscard]] virtual HttpsResult get(const HttpsGet& request) = 0;
  // Connects, EHLO, STARTTLS (required), and returns the chain; no certificate
  // is verified (that is the caller's job: DANE).
  [[nodiscard]] virtual ProbeResult smtp_certificates(const SmtpProbe& request) = 0;
};

// libcurl; blocking (the CLI runs one check at a time). ca_file: PEM CA
// certificates to trust instead of the system's (private CAs, tests); empty:
// the system's store.
[[nodiscard]] std::unique_ptr<WebFetcher> make_web_fetcher(std::string ca_file);

}  // namespace domainauth::setup
