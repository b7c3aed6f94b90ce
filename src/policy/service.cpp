// Policy request -> SPF checks -> action (see service.hpp). Reads the untrusted
// attributes protocol_state, client_address, helo_name, sender, sasl_username
// and instance of a Postfix policy request (SMTPD_POLICY_README).
#include "policy/service.hpp"

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// once awaitable operators are inlined here (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>

#include "spf/decision.hpp"
#include "spf/spf.hpp"
#include "text/ascii.hpp"

namespace domainauth::policy {

std::string log_field(std::string_view key, std::string_view value) {
  bool quote = value.empty();
  std::string escaped;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (text::is_control(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      escaped += "\\x";
      escaped += kHex[byte >> 4];
      escaped += kHex[byte & 0xf];
      quote = true;
      continue;
    }
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == ' ' || c == '"' || c == '=' || c == '\\') quote = true;
    escaped += c;
  }
  std::string out(key);
  out += '=';
  out += quote ? '"' + escaped + '"' : escaped;
  return out;
}

namespace {

constexpr std::string_view kDunno = "DUNNO";

bool skipped(const config::SpfSettings& settings, const net::IpAddress& ip) {
  for (const auto& network : settings.skip_addresses) {
    if (network.contains(ip)) return true;
  }
  return false;
}

std::string request_fields(const Request& request) {
  return log_field("instance", request.get("instance")) + " " +
         log_field("queue_id", request.get("queue_id")) + " " +
         log_field("client", request.get("client_address")) + " " + log_field("helo", request.get("helo_name")) +
         " " + log_field("sender", request.get("sender")) + " " + log_field("recipient", request.get("recipient"));
}

std::string accept_action(const config::SpfSettings& settings, const spf::Outcome& outcome,
                          const net::IpAddress& ip, std::string_view helo) {
  if (!settings.received_spf) return std::string(kDunno);
  return "PREPEND Received-SPF: " + spf::received_spf(outcome, ip, helo, settings.receiver);
}

}  // namespace

Service::Service(std::shared_ptr<const Settings> settings, std::size_t cache_size)
    : settings_(std::move(settings)), cache_(cache_size) {}

void Service::update(std::shared_ptr<const Settings> settings, std::size_t cache_size) {
  settings_ = std::move(settings);
  cache_.set_capacity(cache_size);
}

asio::awaitable<Answer> Service::handle(const Request& request) {
  const auto settings = settings_;  // this request's snapshot, kept across co_await
  Answer answer{std::string(kDunno), request_fields(request)};
  // SMTPD_POLICY_README: only RCPT TO carries the full envelope policyd-spf checks.
  if (request.get("request") != "smtpd_access_policy" || request.get("protocol_state") != "RCPT") {
    answer.log += " decision=ignored " + log_field("state", request.get("protocol_state"));
    co_return answer;
  }
  const auto ip = net::IpAddress::parse(request.get("client_address"));
  if (!ip) {
    answer.log += " decision=ignored reason=\"no usable client_address\"";
    co_return answer;
  }
  const auto client = ip->unmapped();
  if (skipped(settings->spf, client)) {
    answer.log += " decision=skipped reason=skip_addresses";
    co_return answer;
  }
  if (settings->spf.skip_authenticated && !request.get("sasl_username").empty()) {
    answer.log += " decision=skipped reason=authenticated";
    co_return answer;
  }
  const std::string instance(request.get("instance"));
  if (!instance.empty()) {
    if (auto cached = cache_.find(instance)) {
      answer.action = std::move(*cached);
      answer.log += " cached=yes";
      co_return answer;
    }
  }

  const auto started = std::chrono::steady_clock::now();
  const auto options = settings->spf.check_options();
  const std::string helo(request.get("helo_name"));
  std::optional<spf::Outcome> helo_outcome;
  spf::Outcome mail_from;
  auto& resolver = *settings->resolver;
  std::string sender(request.get("sender"));
  if (helo.empty()) {
    mail_from = co_await spf::check_mail_from(resolver, options, client, std::move(sender), helo);
  } else {
    // Both identities at once: their DNS waits overlap.
    using asio::experimental::awaitable_operators::operator&&;
    auto [helo_result, mail_from_result] = co_await (spf::check_helo(resolver, options, client, helo) &&
                                                     spf::check_mail_from(resolver, options, client, sender, helo));
    helo_outcome = std::move(helo_result);
    mail_from = std::move(mail_from_result);
  }
  const auto decision =
      spf::decide(settings->spf.policy, helo_outcome ? &*helo_outcome : nullptr, mail_from);

  if (decision.verdict == spf::Verdict::accept) {
    const auto& outcome = decision.identity == spf::Identity::helo ? *helo_outcome : mail_from;
    answer.action = accept_action(settings->spf, outcome, client, helo);
  } else {
    answer.action = decision.smtp_reply;
  }
  if (!instance.empty()) cache_.put(instance, answer.action);

  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  if (helo_outcome) answer.log += " " + log_field("helo_result", spf::to_string(helo_outcome->result));
  answer.log += " " + log_field("mailfrom_result", spf::to_string(mail_from.result)) + " " +
                log_field("mechanism", mail_from.mechanism) + " " +
                log_field("decision", spf::to_string(decision.verdict)) + " " +
                log_field("identity", spf::to_string(decision.identity)) + " " +
                log_field("us", std::to_string(elapsed.count())) + " cached=no";
  co_return answer;
}

}  // namespace domainauth::policy
