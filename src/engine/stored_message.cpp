// Verifying a whole message as the milter would (see stored_message.hpp).
#include "engine/stored_message.hpp"

namespace domainauth::engine {

asio::awaitable<StoredVerdict> verify_stored(dns::Resolver& resolver, const config::Config& config, Envelope envelope,
                                             std::vector<mail::HeaderField> headers, std::string_view body) {
  StoredVerdict verdict;
  Results& r = verdict.results;
  r.mail_from = envelope.mail_from;
  r.helo = envelope.helo;
  // Arguments are locals moved in: g++ 12 mishandles temporaries with
  // destructors inside co_await expressions (see dns/await.hpp).
  if (envelope.ip && config.dmarc.spf_self_validate) {
    const spf::Options spf_options = config.spf.check_options();
    std::string sender = envelope.mail_from;
    std::string helo = envelope.helo;
    r.spf = co_await spf::check_mail_from(resolver, spf_options, *envelope.ip, std::move(sender), std::move(helo));
  }
  const dkim::VerifyOptions dkim_options = config.verify.options();
  std::vector<mail::HeaderField> signed_headers = headers;
  r.dkim = co_await dkim::verify_message(resolver, dkim_options, std::move(signed_headers), body);
  std::vector<mail::HeaderField> sealed_headers = headers;
  const arc::ValidateOptions arc_options;
  r.arc = co_await arc::validate_message(resolver, arc_options, std::move(sealed_headers), body);
  if (!config.dmarc.spf_self_validate) r.upstream_spf = upstream_spf(headers, config.dmarc.trusted_authserv_ids);
  dmarc::Options dmarc_options;
  dmarc_options.mode = config.dmarc.mode;
  dmarc_options.psl = config.dmarc.psl.get();
  dmarc::Message dmarc_message = dmarc_input(r, headers);
  r.dmarc = co_await dmarc::evaluate(resolver, dmarc_options, std::move(dmarc_message));
  verdict.decision = decide_dmarc(config.dmarc, *r.dmarc, {false, false});
  co_return verdict;
}

}  // namespace domainauth::engine
