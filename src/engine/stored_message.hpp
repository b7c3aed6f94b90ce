// The checks the milter makes at end of message, run once on a message that is
// already whole (the `domainauth verify` command): SPF of the envelope, every
// DKIM signature, the ARC chain (RFC 8617 5.2), the upstream SPF result when configured, DMARC and the
// action local policy would take. Reads untrusted input: the message, the
// envelope values and DNS answers.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "engine/dmarc_decision.hpp"
#include "engine/pipeline.hpp"

namespace domainauth::engine {

struct Envelope {
  std::optional<net::IpAddress> ip;  // none (or dmarc.spf_self_validate off): SPF is not checked
  std::string helo;
  std::string mail_from;  // without <>; "" for the null sender
};

struct StoredVerdict {
  Results results;
  std::optional<DmarcDecision> decision;  // what the milter would do, with the configuration's overrides
};

// resolver and config must outlive the awaitable.
[[nodiscard]] asio::awaitable<StoredVerdict> verify_stored(dns::Resolver& resolver, const config::Config& config,
                                                           Envelope envelope, std::vector<mail::HeaderField> headers,
                                                           std::string_view body);

}  // namespace domainauth::engine
