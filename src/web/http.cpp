// The HTTP/1.1 request head parser and response writer (http.hpp).
#include "web/http.hpp"

#include "text/ascii.hpp"

namespace domainauth::web {

namespace {

// RFC 9110 5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

// RFC 9110 5.5: field-vchar, SP, HTAB (obs-text allowed); no CTL.
bool is_field_value(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX an octet; a
// '%' without two hex digits after it stays as it is.
std::string form_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Parsed refuse(std::string error, std::uint16_t status = 400) { return {std::nullopt, status, std::move(error)}; }

// request-line = method SP request-target SP HTTP-version (RFC 9112 3).
std::optional<std::string> parse_request_line(std::string_view line, Request& request, std::string& version) {
  const auto first = line.find(' ');
  const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return "request line is not METHOD SP TARGET SP VERSION";
  }
  const auto method = line.substr(0, first);
  const auto target = line.substr(first + 1, second - first - 1);
  version = std::string(line.substr(second + 1));
  if (!is_token(method)) return "method is not a token";
  if (target.empty() || target.front() != '/') return "target is not an absolute path (origin-form)";
  for (const char c : target) {
    if (c <= 0x20 || c >= 0x7f) return "target holds a control, space or non-ASCII octet";
  }
  request.method = std::string(method);
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  return std::nullopt;
}

}  // namespace

Parsed parse_request(std::string_view head) {
  if (head.size() > kMaxRequestHead) return refuse("request head over " + std::to_string(kMaxRequestHead) + " octets", 431);
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return refuse("request head does not end in CRLF CRLF");
  head.remove_suffix(2);  // each line below ends in CRLF
  Request request;
  std::string version;
  bool first = true;
  std::size_t fields = 0;
  std::size_t hosts = 0;
  while (!head.empty()) {
    const auto end = head.find("\r\n");
    const auto line = head.substr(0, end);
    head.remove_prefix(end + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) return refuse("bare CR or LF in the request head");
    if (first) {
      first = false;
      if (auto error = parse_request_line(line, request, version)) return refuse(*error);
      if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !text::is_digit(version[5]) ||
          version[6] != '.' || !text::is_digit(version[7])) {
        return refuse("\"" + version + "\" is not an HTTP version");
      }
      if (version[5] != '1') return refuse(version + " is not supported; use HTTP/1.1", 505);
      continue;
    }
    if (++fields > kMaxHeaderFields) return refuse("more than " + std::to_string(kMaxHeaderFields) + " header fields", 431);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      return refuse("folded header field (obs-fold, RFC 9112 5.2)");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return refuse("header field is not NAME: VALUE");
    }
    const auto name = line.substr(0, colon);
    const auto value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return refuse("control octet in the " + std::string(name) + " field");
    if (text::iequals(name, "Host")) {
      ++hosts;
    } else if (text::iequals(name, "Authorization")) {
      if (request.authorization) return refuse("more than one Authorization field");
      request.authorization = std::string(value);
    }
  }
  // RFC 9112 3.2: an HTTP/1.1 request carries exactly one Host field.
  if (version == "HTTP/1.1" && hosts != 1) return refuse("an HTTP/1.1 request needs exactly one Host field");
  if (hosts > 1) return refuse("more than one Host field");
  return {std::move(request), 200, {}};
}

std::string_view reason_phrase(std::uint16_t status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

Response error_response(std::uint16_t status, std::string_view detail) {
  Response response;
  response.status = status;
  response.body = std::string(reason_phrase(status));
  if (!detail.empty()) response.body.append(": ").append(detail);
  response.body += "\n";
  return response;
}

std::string serialize(const Response& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason_phrase(response.status)) +
                    "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\nCache-Control: no-store\r\n";
  for (const auto& [name, value] : response.fields) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n").append(response.body);
  return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    }
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace domainauth::web
