// The SPF policy service: one Postfix policy request in, one action out,
// behaving as postfix-policyd-spf-perl / pypolicyd-spf do: at the RCPT stage it
// checks HELO and MAIL FROM (RFC 7208 2.3, 2.4) and answers PREPEND
// Received-SPF (RFC 7208 9.1), a 550 5.7.23 / 451 4.4.3 reply, or DUNNO. The
// request comes from the policy client and is untrusted; SPF work goes through
// spf/ and the verdict through spf::decide.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "policy/cache.hpp"
#include "policy/request.hpp"

namespace domainauth::policy {

// What one request was answered, with the fields of its log line.
struct Answer {
  std::string action;  // the access(5) action, e.g. "DUNNO"
  std::string log;     // key=value pairs describing the request and outcome
};

// The settings a request is served with. Replaced as a whole on reload;
// requests in flight keep the snapshot they started with.
struct Settings {
  config::SpfSettings spf;
  std::shared_ptr<dns::Resolver> resolver;
};

class Service {
 public:
  Service(std::shared_ptr<const Settings> settings, std::size_t cache_size);

  void update(std::shared_ptr<const Settings> settings, std::size_t cache_size);

  [[nodiscard]] asio::awaitable<Answer> handle(const Request& request);

 private:
  std::shared_ptr<const Settings> settings_;
  InstanceCache cache_;
};

// `key=value` for a log line, with value quoted and escaped when it holds
// spaces, quotes, '=' or control characters (request text is untrusted).
[[nodiscard]] std::string log_field(std::string_view key, std::string_view value);

}  // namespace domainauth::policy
