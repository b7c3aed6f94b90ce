// Authentication-Results header field (RFC 8601): the model, the one writer every
// Authentication-Results we emit goes through (it escapes every value taken from
// a message or an SMTP session), and a parser for fields found in messages (to
// remove forged ones carrying our authserv-id, and for ARC). The parser reads
// untrusted header text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::authres {

// ptype.property=value, e.g. smtp.mailfrom=user@example.com, header.d=example.com.
struct Property {
  std::string ptype;
  std::string property;
  std::string value;
  friend bool operator==(const Property&, const Property&) = default;
};

// One resinfo: method=result [(comment)] [reason="..."] properties...
struct MethodResult {
  std::string method;   // spf, dkim, dmarc, arc, iprev, auth
  std::string result;   // RFC 8601 2.7 token: pass, fail, none, ...
  std::string comment;  // written as a comment after the result; not parsed back
  std::string reason;   // reason= value
  std::vector<Property> properties;
};

struct Field {
  std::string authserv_id;
  std::vector<MethodResult> results;  // empty: "; none"
};

// Longest line the writer produces before folding (RFC 5322 2.1.1 recommends 78).
inline constexpr std::size_t kFoldWidth = 78;
// Limits on what the parser accepts from a message.
inline constexpr std::size_t kMaxParsedResults = 64;
inline constexpr std::size_t kMaxParsedProperties = 64;

// The field value (what follows "Authentication-Results:"), starting with a space,
// folded with fold_break (e.g. "\r\n\t" on the wire, "\n\t" for a milter) between
// resinfos when a line would pass kFoldWidth. No trailing line break.
[[nodiscard]] std::string format(const Field& field, std::string_view fold_break = "\r\n\t");

// A value as RFC 8601 writes it: a MIME token when it is one, else a quoted-string
// with '"' and '\' escaped. Control characters (CR, LF, NUL, ...) never pass.
[[nodiscard]] std::string quote_value(std::string_view value);

// A pvalue: [local-part]@domain or a domain written bare when safe, else quote_value.
[[nodiscard]] std::string quote_pvalue(std::string_view value);

struct ParseResult {
  std::optional<Field> field;
  std::string error;  // when field is empty: what is wrong and where
};

// Parses a field value (unfolded or folded; comments anywhere CFWS may stand).
[[nodiscard]] ParseResult parse(std::string_view value);

// Just the authserv-id of a field value (the part before the first ';'), or
// nullopt when there is none. Cheaper and more lenient than parse(): enough to
// recognise a field claiming to come from us.
[[nodiscard]] std::optional<std::string> authserv_id(std::string_view value);

// RFC 8601 5: authserv-ids compare case-insensitively.
[[nodiscard]] bool same_authserv_id(std::string_view a, std::string_view b);

}  // namespace domainauth::authres
