// The declared keys of [web]: the HTTP listener of `domainauth serve` (/metrics, the dashboard),
// off unless web.listen names an address. Beyond loopback it needs web.token:
// resolve_web refuses the configuration otherwise.
#include <array>

#include "config/key_table.hpp"
#include "net/listen.hpp"

namespace domainauth::config::detail {
namespace {

// Shortest token accepted: a bearer token is a password sent with every scrape.
constexpr std::size_t kMinTokenLength = 16;

const std::array kKeys{
    Key{"web.listen", Type::string_list, "[]",
        "HTTP listeners of `serve` (Prometheus metrics at /metrics, the dashboard at /), e.g. "
        "[\"inet:127.0.0.1:8893\"]; the same "
        "forms as milter.listen; empty: no HTTP listener. An address beyond loopback needs web.token",
        [](Config& c, const toml::value& v) { return to_listen(v, "a listen address", c.web.listen); }},
    Key{"web.token", Type::string, "\"\"",
        "token every HTTP request must carry (Authorization: Bearer TOKEN, or as the HTTP Basic password), at least "
        "16 characters; "
        "needed for a web.listen address beyond loopback (empty: loopback and unix: only, no token asked)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.web.token = v.as_string().str;
          if (!c.web.token.empty() && c.web.token.size() < kMinTokenLength) {
            return "must be at least " + std::to_string(kMinTokenLength) + " characters";
          }
          for (const char ch : c.web.token) {
            if (ch <= 0x20 || ch >= 0x7f) return "must be printable ASCII without spaces";
          }
          return std::nullopt;
        }},
};

}  // namespace

std::span<const Key> web_keys() { return kKeys; }

void resolve_web(const WebSettings& web, const ErrorSink& error) {
  if (!web.token.empty()) return;
  for (const auto& address : web.listen) {
    if (address.kind == net::ListenAddress::Kind::inet && !address.ip()->is_loopback()) {
      error("web.listen",
            "\"" + address.to_string() +
                "\" is beyond loopback: set web.token (clients then send Authorization: Bearer TOKEN) or listen "
                "on 127.0.0.1 / ::1",
            0);
    }
  }
}

}  // namespace domainauth::config::detail
