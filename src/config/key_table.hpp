// Internal to config/: the declared-key machinery shared by the files that
// declare keys (config.cpp: dns, policy, spf, daemon; milter_keys.cpp: milter,
// sign, verify) and the loader. A key is declared once with its type, default
// (TOML text), documentation and the function that applies a type-checked value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <toml.hpp>
#include <vector>

#include "config/config.hpp"

namespace domainauth::config::detail {

enum class Type : std::uint8_t { boolean, integer, seconds, string, string_list, table_list };

[[nodiscard]] std::string_view type_name(Type type);
[[nodiscard]] bool has_type(const toml::value& value, Type type);
[[nodiscard]] std::vector<std::string> strings(const toml::value& value);

// Applies a type-checked value; returns an error text when its content is wrong.
using Apply = std::optional<std::string> (*)(Config&, const toml::value&);

struct Key {
  std::string_view name;
  Type type;
  std::string_view default_value;  // TOML text; the embedded defaults are parsed from it
  std::string_view doc;
  Apply apply;
};

// Limits on values so a typo cannot make the daemon useless.
inline constexpr double kMaxSeconds = 24 * 3600;

[[nodiscard]] std::optional<std::string> to_duration(const toml::value& value, std::chrono::milliseconds& out);
[[nodiscard]] std::optional<std::string> to_count(const toml::value& value, std::int64_t max, std::size_t& out);
// "0660" -> 0660.
[[nodiscard]] std::optional<std::string> to_mode(const toml::value& value, unsigned& out);
// A list of listen addresses (net/listen.hpp), each HOST an IP address or
// localhost: the listeners bind without a DNS lookup (net/listener.hpp). what
// names a value in errors ("a milter socket").
[[nodiscard]] std::optional<std::string> to_listen(const toml::value& value, std::string_view what,
                                                   std::vector<net::ListenAddress>& out);

// A default path or name (paths.hpp) as TOML text: "..." (they hold no quote or backslash).
[[nodiscard]] std::string toml_default(std::string_view plain);

[[nodiscard]] std::optional<std::string> to_flag(const toml::value& value, bool& out);
[[nodiscard]] std::optional<std::string> to_text(const toml::value& value, std::string& out);

[[nodiscard]] std::span<const Key> core_keys();    // config.cpp
[[nodiscard]] std::span<const Key> milter_keys();  // milter_keys.cpp
[[nodiscard]] std::span<const Key> store_keys();   // store_keys.cpp
[[nodiscard]] std::span<const Key> dmarc_keys();   // dmarc_keys.cpp
[[nodiscard]] std::span<const Key> failure_keys(); // failure_keys.cpp
[[nodiscard]] std::span<const Key> arc_keys();     // arc_keys.cpp
[[nodiscard]] std::span<const Key> web_keys();     // web_keys.cpp

// After every key is applied: reads the OpenDKIM tables and host lists the
// sign.* keys name and loads every private key (signing.cpp). Each problem is
// reported through error(key, what, line); line 0 means "the line of that key".
using ErrorSink = std::function<void(std::string_view key, const std::string& what, std::uint_least32_t line)>;
void resolve_signing(SignSettings& sign, const ErrorSink& error);
// Loads the public suffix list in rfc7489_psl mode and checks the keys that
// depend on each other (dmarc_keys.cpp).
void resolve_dmarc(DmarcSettings& settings, const ErrorSink& error);
// With arc.seal: checks domain, selector and key are set and loads the RSA key
// (arc_keys.cpp).
void resolve_arc(ArcSettings& arc, bool allow_group_readable, const ErrorSink& error);
// Refuses a web.listen address beyond loopback without web.token (web_keys.cpp).
void resolve_web(const WebSettings& web, const ErrorSink& error);

}  // namespace domainauth::config::detail
