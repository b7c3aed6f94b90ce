// libFuzzer target: the List-Unsubscribe reader and the rules of
// `check --message` over a header block read from the input (the engine's
// results fixed: every signature passed, aligned). Nothing may crash or hang;
// a read value has at least one URI and at most kMaxListUnsubscribeUris, each
// with a scheme, and a refused one has none.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dkim/signature.hpp"
#include "setup/message_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = setup::parse_list_unsubscribe(input);
  if (parsed.error.empty() == parsed.uris.empty()) std::abort();
  if (parsed.uris.size() > setup::kMaxListUnsubscribeUris) std::abort();
  for (const auto& uri : parsed.uris) {
    if (uri.find(':') == std::string::npos) std::abort();
  }
  mail::MessageSplitter splitter;
  (void)splitter.feed(input);
  splitter.finish();
  setup::MessageFacts facts;
  facts.headers = splitter.take_headers();
  for (const auto& field : facts.headers) {
    if (!field.is("DKIM-Signature")) continue;
    dkim::SignatureResult r;
    r.result = dkim::Result::pass;
    r.b = dkim::parse_signature(field.value()).signature.b_text;
    facts.dkim.push_back(r);
  }
  facts.spf_pass = true;
  facts.bulk = true;
  setup::Report report;
  setup::check_message_rules(facts, report);
  if (report.findings.empty()) std::abort();
  return 0;
}
