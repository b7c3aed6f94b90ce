// ARC set parsing and collection (see set.hpp). RFC 8617 4.1.1-4.1.3, 4.2.1,
// 5.2 steps 1 and 3.
#include "arc/set.hpp"

#include <array>

#include "dkim/tag_list.hpp"
#include "dns/domain_name.hpp"

namespace domainauth::arc {
namespace {

constexpr std::size_t kMaxTimeDigits = 12;  // RFC 6376 3.5 t=

std::optional<unsigned> parse_instance(std::string_view text) {
  auto v = dkim::parse_decimal(text, kMaxInstanceDigits);
  if (!v || *v < 1 || *v > kMaxInstances) return std::nullopt;
  return static_cast<unsigned>(*v);
}

std::string read_seal(const dkim::TagList& tags, Seal& s) {
  if (!tags.ok()) return tags.error;
  for (std::string_view required : {"a", "b", "cv", "d", "i", "s"}) {
    if (!tags.find(required)) return "missing required tag " + std::string(required) + "=";
  }
  if (tags.find("h")) return "h= is not allowed in ARC-Seal";  // RFC 8617 4.1.3
  auto instance = parse_instance(*tags.find("i"));
  if (!instance) return "i= is not an instance 1.." + std::to_string(kMaxInstances);
  s.instance = *instance;
  auto algorithm = dkim::parse_algorithm(*tags.find("a"));
  if (!algorithm) return "unsupported algorithm a=" + std::string(*tags.find("a"));
  s.algorithm = *algorithm;
  auto b = dkim::base64_decode(*tags.find("b"));
  if (!b || b->empty()) return "b= is not valid base64";
  s.b = std::move(*b);
  auto cv = parse_chain_status(*tags.find("cv"));
  if (!cv) return "unknown cv=" + std::string(*tags.find("cv"));
  s.cv = *cv;
  s.domain = *tags.find("d");
  s.selector = *tags.find("s");
  if (s.domain.empty()) return "empty d=";
  if (s.selector.empty()) return "empty s=";
  if (!dns::is_domain_name(s.domain)) return "d= is not a domain name";
  if (!dns::is_domain_name(s.selector)) return "s= is not a selector";
  if (auto t = tags.find("t")) {
    s.timestamp = dkim::parse_decimal(*t, kMaxTimeDigits);
    if (!s.timestamp) return "malformed t=";
  }
  return {};
}

// "i=N;" at the start of an AAR value (FWS allowed around the tokens).
std::optional<unsigned> aar_instance(std::string_view value) {
  auto skip = [&] { value.remove_prefix(std::min(value.find_first_not_of(" \t\r\n"), value.size())); };
  skip();
  if (!value.starts_with("i")) return std::nullopt;
  value.remove_prefix(1);
  skip();
  if (!value.starts_with("=")) return std::nullopt;
  value.remove_prefix(1);
  skip();
  auto semi = value.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view number = value.substr(0, semi);
  number = number.substr(0, number.find_last_not_of(" \t\r\n") + 1);
  return parse_instance(number);
}

// "name=value;", the last tag of a field without its ";".
std::string tag(std::string_view name, std::string_view value, bool last = false) {
  return std::string(name) + "=" + std::string(value) + (last ? "" : ";");
}

}  // namespace

std::string format_seal(const Seal& s) {
  dkim::FoldedTagWriter w(kSealField);
  w.tag(tag("i", std::to_string(s.instance)));
  w.tag(tag("a", dkim::to_string(s.algorithm)));
  w.base64("b", dkim::base64_encode(s.b), ";");
  w.tag(tag("cv", to_string(s.cv)));
  w.tag(tag("d", s.domain));
  w.tag(tag("s", s.selector, !s.timestamp));
  if (s.timestamp) w.tag(tag("t", std::to_string(*s.timestamp), true));
  return w.take();
}

std::string format_message_signature(const dkim::Signature& s, unsigned instance) {
  dkim::FoldedTagWriter w(kMessageSignatureField);
  w.tag(tag("i", std::to_string(instance)));
  w.tag(tag("a", dkim::to_string(s.algorithm)));
  w.base64("b", dkim::base64_encode(s.b), ";");
  w.tag(tag("bh", dkim::base64_encode(s.bh)));
  w.tag(tag("c", std::string(mail::to_string(s.header_canon)) + "/" + std::string(mail::to_string(s.body_canon))));
  w.tag(tag("d", s.domain));
  std::string h;
  for (std::size_t k = 0; k < s.headers.size(); ++k) h += (k ? ":" : "") + s.headers[k];
  w.tag(tag("h", h));
  if (s.length) w.tag(tag("l", std::to_string(*s.length)));
  const bool more = s.timestamp || s.expiration;
  w.tag(tag("s", s.selector, !more));
  if (s.timestamp) w.tag(tag("t", std::to_string(*s.timestamp), !s.expiration));
  if (s.expiration) w.tag(tag("x", std::to_string(*s.expiration), true));
  return w.take();
}

std::string_view to_string(ChainStatus status) {
  switch (status) {
    case ChainStatus::none: return "none";
    case ChainStatus::pass: return "pass";
    case ChainStatus::fail: return "fail";
  }
  return "fail";
}

std::optional<ChainStatus> parse_chain_status(std::string_view text) {
  if (text == "none") return ChainStatus::none;
  if (text == "pass") return ChainStatus::pass;
  if (text == "fail") return ChainStatus::fail;
  return std::nullopt;
}

ParsedSeal parse_seal(std::string_view value) {
  ParsedSeal out;
  out.error = read_seal(dkim::parse_tag_list(value), out.seal);
  return out;
}

std::optional<unsigned> instance_of(const mail::HeaderField& field) {
  if (field.is(kAuthResultsField)) return aar_instance(field.value());
  auto tags = dkim::parse_tag_list(field.value());
  auto i = tags.find("i");
  if (!i) return std::nullopt;
  return parse_instance(*i);
}

Chain collect_sets(std::span<const mail::HeaderField> headers) {
  Chain chain;
  std::array<ArcSet, kMaxInstances> found{};
  std::size_t arc_fields = 0;
  for (const auto& field : headers) {
    const mail::HeaderField* ArcSet::*slot = nullptr;
    if (field.is(kSealField)) {
      slot = &ArcSet::seal;
    } else if (field.is(kMessageSignatureField)) {
      slot = &ArcSet::ams;
    } else if (field.is(kAuthResultsField)) {
      slot = &ArcSet::aar;
    } else {
      continue;
    }
    // RFC 8617 5.2 step 1: more than 50 sets fail (checked before parsing more).
    if (++arc_fields > 3 * kMaxInstances) {
      chain.error = "more than " + std::to_string(kMaxInstances) + " ARC sets";
      chain.highest = kMaxInstances;
      return chain;
    }
    auto instance = instance_of(field);
    if (!instance) {
      if (chain.error.empty()) chain.error = field.name + " without a valid instance i=";
      continue;
    }
    ArcSet& set = found.at(*instance - 1);
    if (set.*slot != nullptr && chain.error.empty())
      chain.error = "two " + field.name + " fields of instance " + std::to_string(*instance);  // 5.2 step 3 A
    set.*slot = &field;
    set.instance = *instance;
    if (*instance > chain.highest) chain.highest = *instance;
  }
  if (chain.highest > 0) chain.highest_seal = found.at(chain.highest - 1).seal;
  if (chain.highest == 0 && arc_fields > 0 && chain.error.empty()) chain.error = "no ARC field has an instance";
  for (unsigned i = 1; i <= chain.highest; ++i) {
    const ArcSet& set = found.at(i - 1);
    if (chain.error.empty() && (!set.aar || !set.ams || !set.seal))  // 5.2 step 3 A, B
      chain.error = "ARC set " + std::to_string(i) + " is incomplete";
    chain.sets.push_back(set);
  }
  if (!chain.error.empty()) chain.sets.clear();
  return chain;
}

}  // namespace domainauth::arc
