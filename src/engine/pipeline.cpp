// The pure steps of the milter pipeline (see pipeline.hpp). RFC 8601 2.7
// (result names and properties), RFC 6008 2 (header.b), RFC 6376 (signing
// choices), RFC 7489 / RFC 9989 (DMARC inputs).
#include "engine/pipeline.hpp"

#include <algorithm>

#include "dmarc/author.hpp"
#include "mail/lexical.hpp"
#include "text/ascii.hpp"

namespace domainauth::engine {
namespace {

constexpr std::string_view kAuthResField = "Authentication-Results";
constexpr std::string_view kSignatureField = "DKIM-Signature";

std::string without_space(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out += c;
  }
  return out;
}

// header.b of each signature (RFC 6008 2): the shortest prefix of its b= (at
// least kHeaderBPrefix, at most kMaxHeaderB) that no other, different, b= of
// the message shares. Sorted, the longest prefix a value shares is with a
// neighbour, so this is linear in the b= text after the sort.
std::vector<std::string> header_bs(const std::vector<const dkim::SignatureResult*>& all) {
  std::vector<std::string> b(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) b[i] = without_space(all[i]->b);
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&b](std::size_t x, std::size_t y) { return b[x] < b[y]; });
  auto shared = [](const std::string& x, const std::string& y) {
    return static_cast<std::size_t>(std::mismatch(x.begin(), x.begin() + std::min(x.size(), y.size()), y.begin()).first -
                                    x.begin());
  };
  std::vector<std::string> out(all.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& mine = b[order[k]];
    std::size_t length = std::min(kHeaderBPrefix, mine.size());
    // The nearest different values on each side (the same signature twice: no prefix tells them apart).
    std::size_t before = k, after = k;
    while (before > 0 && b[order[before - 1]] == mine) --before;
    while (after + 1 < order.size() && b[order[after + 1]] == mine) ++after;
    if (before > 0) length = std::max(length, std::min(shared(mine, b[order[before - 1]]) + 1, mine.size()));
    if (after + 1 < order.size()) length = std::max(length, std::min(shared(mine, b[order[after + 1]]) + 1, mine.size()));
    out[order[k]] = mine.substr(0, std::min(length, kMaxHeaderB));
  }
  return out;
}

dmarc::SpfResult to_dmarc(spf::Result result) {
  switch (result) {
    case spf::Result::none: return dmarc::SpfResult::none;
    case spf::Result::neutral: return dmarc::SpfResult::neutral;
    case spf::Result::pass: return dmarc::SpfResult::pass;
    case spf::Result::fail: return dmarc::SpfResult::fail;
    case spf::Result::softfail: return dmarc::SpfResult::softfail;
    case spf::Result::temperror: return dmarc::SpfResult::temperror;
    case spf::Result::permerror: return dmarc::SpfResult::permerror;
  }
  return dmarc::SpfResult::none;
}

dmarc::DkimResult to_dmarc(dkim::Result result) {
  switch (result) {
    case dkim::Result::pass: return dmarc::DkimResult::pass;
    case dkim::Result::fail: return dmarc::DkimResult::fail;
    case dkim::Result::neutral: return dmarc::DkimResult::neutral;
    case dkim::Result::policy: return dmarc::DkimResult::policy;
    case dkim::Result::temperror: return dmarc::DkimResult::temperror;
    case dkim::Result::permerror: return dmarc::DkimResult::permerror;
  }
  return dmarc::DkimResult::permerror;
}

authres::MethodResult spf_result(const Results& results) {
  const auto& spf = *results.spf;
  authres::MethodResult m{"spf", std::string(spf::to_string(spf.result)), "", "", {}};
  if (spf.identity == spf::Identity::mailfrom && !results.mail_from.empty()) {
    m.properties.push_back({"smtp", "mailfrom", results.mail_from});
  } else {
    m.properties.push_back({"smtp", "helo", results.helo});
  }
  return m;
}

// One entry per checked signature while the entries stay within
// kMaxDkimResultsText; the rest, and the signatures beyond verify.max_signatures,
// are summed up in one entry, so the field stays far below what an MTA keeps
// of a header field (Postfix header_size_limit: 100 KiB) and dmarc= after it survives.
void add_dkim_results(const Results& results, authres::Field& field) {
  if (!results.dkim_error.empty()) {
    field.results.push_back({"dkim", "permerror", "", results.dkim_error, {}});
    return;
  }
  if (results.dkim.empty()) {
    field.results.push_back({"dkim", "none", "", "", {}});
    return;
  }
  std::vector<const dkim::SignatureResult*> checked;
  for (const auto& r : results.dkim) {
    if (r.checked) checked.push_back(&r);
  }
  const auto bs = header_bs(checked);
  std::size_t text = 0;
  std::size_t listed = 0;
  for (std::size_t i = 0; i < checked.size(); ++i) {
    const auto& r = *checked[i];
    authres::MethodResult m{"dkim", std::string(dkim::to_string(r.result)), "", "", {}};
    if (r.result != dkim::Result::pass) m.reason = r.reason;
    if (r.testing) m.comment = "test mode";
    if (!r.domain.empty()) m.properties.push_back({"header", "d", r.domain});
    if (!r.identity.empty()) m.properties.push_back({"header", "i", r.identity});
    if (!r.algorithm.empty()) m.properties.push_back({"header", "a", r.algorithm});
    if (!r.selector.empty()) m.properties.push_back({"header", "s", r.selector});
    if (!bs[i].empty()) m.properties.push_back({"header", "b", bs[i]});
    // The values, and about what the names and separators around them take.
    text += 64 + m.reason.size() + r.domain.size() + r.identity.size() + r.algorithm.size() + r.selector.size() +
            bs[i].size();
    if (text > kMaxDkimResultsText) break;
    field.results.push_back(std::move(m));
    ++listed;
  }
  if (const auto rest = results.dkim.size() - listed; rest > 0) {
    field.results.push_back({"dkim", "policy", "", std::to_string(rest) + " more signatures not listed (" +
                                                       std::to_string(results.dkim.size() - checked.size()) +
                                                       " beyond verify.max_signatures, not checked)",
                             {}});
  }
}

// The comment names the domain owner's policy (p=) and what was done (dis=),
// as OpenDMARC writes them: dis=none when the mail went through.
authres::MethodResult dmarc_result(const dmarc::Outcome& outcome, dmarc::Policy applied) {
  authres::MethodResult m{"dmarc", std::string(dmarc::to_string(outcome.result)), "", "", {}};
  if (outcome.record) {
    m.comment =
        "p=" + std::string(dmarc::to_string(outcome.policy)) + " dis=" + std::string(dmarc::to_string(applied));
  }
  if (outcome.result == dmarc::Result::temperror || outcome.result == dmarc::Result::permerror) {
    m.reason = outcome.reason;
  }
  if (!outcome.author_domain.empty()) m.properties.push_back({"header", "from", outcome.author_domain});
  return m;
}

}  // namespace

Origin classify_client(const config::SignSettings& sign, const Client& client) {
  Origin origin;
  auto listed = [&client](const config::HostList& list) {
    return (client.ip && list.contains(*client.ip)) || list.contains_host(client.hostname);
  };
  origin.internal = listed(sign.internal_hosts);
  origin.ignored = listed(sign.external_ignore);
  origin.authenticated = !client.auth_user.empty();
  return origin;
}

std::string envelope_address(std::string_view address) {
  while (!address.empty() && (address.front() == ' ' || address.front() == '<')) address.remove_prefix(1);
  while (!address.empty() && (address.back() == ' ' || address.back() == '>')) address.remove_suffix(1);
  return std::string(address);
}

bool HeaderBlock::ours(std::string_view name, std::string_view value) const {
  if (!mail::iequals(name, kAuthResField)) return false;
  auto id = authres::authserv_id(value);
  return id && authres::same_authserv_id(*id, authserv_id_);
}

void HeaderBlock::add(mail::HeaderField field) {
  if (field.is(kAuthResField)) {
    ++authres_seen_;
    if (ours(field.name, field.value())) forged_.push_back(authres_seen_);
  }
  for (std::size_t i = 0; i < kCountedFields.size(); ++i) {
    if (field.is(kCountedFields[i])) ++counts_[i];
  }
  if (field.is("From") && from_.size() < kKeptFromFields) {
    from_.emplace_back(field.value().substr(0, dmarc::kMaxFromFieldLength + 1));
  }
  if (over_limit_) return;
  bytes_ += field.raw.size() + 2;
  if (fields_.size() >= max_fields_ || bytes_ > max_bytes_) {
    over_limit_ = true;
    fields_.clear();
    fields_.shrink_to_fit();
    return;
  }
  if (field.is(kSignatureField)) ++signatures_;
  fields_.push_back(std::move(field));
}

std::vector<mail::HeaderField> HeaderBlock::delivered_fields() const {
  std::vector<mail::HeaderField> out;
  for (const auto& field : fields_) {
    if (!ours(field.name, field.value())) out.push_back(field);
  }
  return out;
}

std::vector<std::uint32_t> HeaderBlock::forged() const { return {forged_.rbegin(), forged_.rend()}; }

Sender sender_of(const std::vector<std::string>& from_values) {
  Sender sender{dmarc::extract_author(from_values), std::nullopt};
  const dmarc::Author& author = sender.author;
  if (author.status != dmarc::AuthorStatus::single || author.domains.size() != 1) return sender;
  // The local part as written: the addr-spec inside <...>, else the whole value.
  std::string_view text = from_values.front();
  if (auto open = text.find('<'); open != std::string_view::npos) {
    text.remove_prefix(open + 1);
    text = text.substr(0, text.find('>'));
  }
  const auto at = text.rfind('@');
  std::string local = at == std::string_view::npos ? "" : mail::unfold(text.substr(0, at));
  sender.address = local + "@" + author.domains.front();
  return sender;
}

SignPlan plan_signing(const config::SignSettings& sign, const Origin& origin,
                      const std::optional<std::string>& address) {
  SignPlan plan;
  if (!origin.originator() || !sign.can_sign()) return plan;
  if (!address) {
    plan.note = "not-signed:no-single-from-domain";
    return plan;
  }
  for (const auto* key : sign.keys_for(*address)) {
    dkim::SignRequest request(key->domain, key->selector, key->key);
    request.header_canon = sign.header_canon;
    request.body_canon = sign.body_canon;
    if (!sign.headers.empty()) request.headers = sign.headers;
    request.oversign = sign.oversign;
    if (sign.expire.count() > 0) request.expire_after = sign.expire.count();
    request.request_reports = sign.request_reports;
    plan.requests.push_back(std::move(request));
  }
  if (plan.requests.empty()) plan.note = "not-signed:no-key-for-from";
  return plan;
}

dmarc::Message dmarc_input(const Results& results, dmarc::Author author) {
  dmarc::Message message;
  message.author = std::move(author);
  if (results.spf) message.spf = {to_dmarc(results.spf->result), results.spf->domain};
  else if (results.upstream_spf) message.spf = *results.upstream_spf;
  for (const auto& r : results.dkim) message.dkim.push_back({to_dmarc(r.result), r.domain, r.selector});
  return message;
}

namespace {

std::optional<dmarc::SpfResult> spf_token(std::string_view token) {
  using R = dmarc::SpfResult;
  static constexpr std::pair<std::string_view, R> kTokens[] = {
      {"none", R::none},         {"neutral", R::neutral},     {"pass", R::pass},          {"fail", R::fail},
      {"softfail", R::softfail}, {"temperror", R::temperror}, {"permerror", R::permerror},
  };
  for (const auto& [name, result] : kTokens) {
    if (text::iequals(name, token)) return result;
  }
  return std::nullopt;
}

// The domain SPF checked: smtp.mailfrom's domain, else smtp.helo.
std::string spf_domain(const authres::MethodResult& spf) {
  std::string helo;
  for (const auto& p : spf.properties) {
    if (!text::iequals(p.ptype, "smtp")) continue;
    if (text::iequals(p.property, "mailfrom")) {
      // RFC 8601 2.7.2: smtp.mailfrom is an address, or a domain alone.
      const auto domain = p.value.find('@') == std::string::npos ? p.value : mail::address_domain(p.value);
      if (!domain.empty()) return std::string(domain);
    }
    if (text::iequals(p.property, "helo")) helo = p.value;
  }
  return helo;
}

}  // namespace

std::optional<dmarc::SpfInput> upstream_spf(const std::vector<mail::HeaderField>& headers,
                                            const std::vector<std::string>& trusted_ids) {
  for (const auto& field : headers) {
    if (!field.is("Authentication-Results")) continue;
    const auto id = authres::authserv_id(field.value());
    if (!id || std::none_of(trusted_ids.begin(), trusted_ids.end(),
                            [&](const std::string& t) { return authres::same_authserv_id(t, *id); })) {
      continue;
    }
    const auto parsed = authres::parse(field.value());
    if (!parsed.field) continue;
    for (const auto& r : parsed.field->results) {
      if (!text::iequals(r.method, "spf")) continue;
      const auto result = spf_token(r.result);
      const auto domain = spf_domain(r);
      if (result && !domain.empty()) return dmarc::SpfInput{*result, domain};
    }
  }
  return std::nullopt;
}

// RFC 8617 7.2 (arc= method) and 10.1 (header.oldest-pass), RFC 8601 2.7.
authres::MethodResult arc_result(const arc::ChainResult& chain) {
  authres::MethodResult m{"arc", std::string(arc::to_string(chain.status)), "", chain.reason, {}};
  if (chain.status == arc::ChainStatus::pass && chain.oldest_pass > 0)
    m.properties.push_back({"header", "oldest-pass", std::to_string(chain.oldest_pass)});
  return m;
}

authres::Field authentication_results(std::string_view authserv_id, const Results& results) {
  authres::Field field;
  field.authserv_id = std::string(authserv_id);
  if (results.spf) field.results.push_back(spf_result(results));
  add_dkim_results(results, field);
  if (results.dmarc) field.results.push_back(dmarc_result(*results.dmarc, results.applied));
  if (results.arc) field.results.push_back(arc_result(*results.arc));
  return field;
}

SingleMethodResults single_method_results(std::string_view authserv_id, const Results& results) {
  SingleMethodResults out;
  const auto all = authentication_results(authserv_id, results);
  for (const auto& method : all.results) {
    authres::Field one;
    one.authserv_id = all.authserv_id;
    one.results.push_back(method);
    auto text = authres::format(one, " ");
    if (method.method == "spf") out.spf = std::move(text);
    else if (method.method == "dmarc") out.dmarc = std::move(text);
    else out.dkim.push_back(std::move(text));
  }
  return out;
}

std::string required_headers_problem(const HeaderBlock& headers, const dmarc::Author& author) {
  for (std::size_t i = 0; i < kCountedFields.size(); ++i) {
    const auto n = headers.count(i);
    const bool required = i < 2;  // From, Date
    if (n > 1 || (required && n == 0)) {
      return (n == 0 ? std::string("no") : std::to_string(n)) + " " + std::string(kCountedFields[i]) + " field" +
             (n > 1 ? "s" : "");
    }
  }
  if (author.status == dmarc::AuthorStatus::no_domain || author.status == dmarc::AuthorStatus::malformed) {
    return "a From field with no usable domain";
  }
  return "";
}

bool has_temperror(const Results& results) {
  if (results.spf && results.spf->result == spf::Result::temperror) return true;
  if (results.dmarc && results.dmarc->result == dmarc::Result::temperror) return true;
  const auto& d = results.dkim;
  return std::any_of(d.begin(), d.end(), [](const auto& r) { return r.result == dkim::Result::temperror; }) &&
         std::none_of(d.begin(), d.end(), [](const auto& r) { return r.result == dkim::Result::pass; });
}

SmtpReply internal_error_reply() {
  return SmtpReply{451, "4.3.0", "Temporary local problem checking the message; try again later"};
}

SmtpReply dns_error_reply() {
  return SmtpReply{451, "4.4.3", "Temporary DNS failure checking sender authentication; try again later"};
}

std::string summary(const Results& results) {
  std::string out = "spf=" + std::string(results.spf ? spf::to_string(results.spf->result) : "skipped");
  out += " dkim=";
  if (!results.dkim_error.empty()) {
    out += "permerror";
  } else if (results.dkim.empty()) {
    out += "none";
  }
  for (std::size_t i = 0; i < results.dkim.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::string(dkim::to_string(results.dkim[i].result));
  }
  out += " dmarc=" + std::string(results.dmarc ? dmarc::to_string(results.dmarc->result) : "skipped");
  if (results.dmarc && !results.dmarc->author_domain.empty()) out += " from_domain=" + results.dmarc->author_domain;
  if (results.arc) out += " arc=" + std::string(arc::to_string(results.arc->status));
  return out;
}

}  // namespace domainauth::engine
