// Postfix policy delegation request parser (SMTPD_POLICY_README "Protocol
// description"). Reads untrusted bytes from the policy client; every limit is a
// named constant from request.hpp and every violation a specific ParseError.
#include "policy/request.hpp"

#include <algorithm>

#include "text/ascii.hpp"

namespace domainauth::policy {

std::string_view Request::get(std::string_view name) const {
  for (const auto& [key, value] : attributes_) {
    if (key == name) return value;
  }
  return {};
}

bool Request::has(std::string_view name) const {
  return std::any_of(attributes_.begin(), attributes_.end(),
                     [name](const auto& attribute) { return attribute.first == name; });
}

bool Request::add(std::string name, std::string value) {
  if (has(name)) return false;
  attributes_.emplace_back(std::move(name), std::move(value));
  return true;
}

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::line_too_long: return "line too long";
    case ParseError::too_many_attributes: return "too many attributes";
    case ParseError::request_too_large: return "request too large";
    case ParseError::missing_equals: return "line without '='";
    case ParseError::bad_name: return "bad attribute name";
    case ParseError::duplicate_attribute: return "duplicate attribute";
    case ParseError::nul_byte: return "NUL byte in request";
  }
  return "unknown error";
}

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return text::is_alnum(c) || c == '_' || c == '-' || c == '.';
  });
}

}  // namespace

void RequestParser::feed(std::string_view bytes) {
  if (failed_) return;
  // Drop what earlier next() calls consumed before growing the buffer.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<ParseError> RequestParser::take_line(std::string_view line) {
  current_size_ += line.size() + 1;
  if (current_size_ > kMaxRequestSize) return ParseError::request_too_large;
  if (line.size() > kMaxLineLength) return ParseError::line_too_long;
  if (line.find('\0') != std::string_view::npos) return ParseError::nul_byte;
  if (++current_lines_ > kMaxAttributes) return ParseError::too_many_attributes;
  const auto equals = line.find('=');
  if (equals == std::string_view::npos) return ParseError::missing_equals;
  const auto name = line.substr(0, equals);
  if (!valid_name(name)) return ParseError::bad_name;
  if (!current_.add(std::string(name), std::string(line.substr(equals + 1)))) {
    return ParseError::duplicate_attribute;
  }
  return std::nullopt;
}

RequestParser::Next RequestParser::next() {
  Next out;
  while (!failed_) {
    const auto newline = buffer_.find('\n', consumed_);
    if (newline == std::string::npos) {
      const auto pending = buffer_.size() - consumed_;
      if (pending > kMaxLineLength + 1) failed_ = ParseError::line_too_long;
      else if (current_size_ + pending > kMaxRequestSize) failed_ = ParseError::request_too_large;
      else return out;  // need_more
      break;
    }
    std::string_view line(buffer_.data() + consumed_, newline - consumed_);
    consumed_ = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF clients
    if (line.empty()) {
      out.kind = Next::Kind::request;
      out.request = std::move(current_);
      current_ = Request{};
      current_size_ = 0;
      current_lines_ = 0;
      if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
      }
      return out;
    }
    failed_ = take_line(line);
  }
  out.kind = Next::Kind::error;
  out.error = *failed_;
  return out;
}

ParseResult parse_request(std::string_view text) {
  RequestParser parser;
  parser.feed(text);
  auto next = parser.next();
  ParseResult result;
  if (next.kind == RequestParser::Next::Kind::request) result.request = std::move(next.request);
  if (next.kind == RequestParser::Next::Kind::error) result.error = next.error;
  return result;
}

}  // namespace domainauth::policy
