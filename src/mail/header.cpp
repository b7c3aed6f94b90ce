// RFC 5322 header fields and the message splitter (see header.hpp).
// RFC 5322 2.2 (fields), 2.2.3 (folding), 3.6.8 (field names), 4.5 (obsolete syntax).
#include "mail/header.hpp"

#include <algorithm>
#include <utility>

#include "text/ascii.hpp"

namespace domainauth::mail {
namespace {

using text::is_wsp;

// RFC 5322 3.6.8: ftext = %d33-57 / %d59-126.
bool is_ftext(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && c != ':';
}

// The name of a field (text before the colon, RFC 5322 4.5.8 white space
// dropped); nothing when there is no colon or the name is not ftext.
std::optional<std::string_view> field_name(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = text.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  if (!is_field_name(name)) return std::nullopt;
  return name;
}

}  // namespace

bool is_field_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_ftext);
}

namespace {

// Every bare LF becomes CRLF; a final line ending is dropped.
std::string to_crlf(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  bool bare_lf = false;
  for (std::size_t at = text.find('\n'); at != std::string::npos && !bare_lf; at = text.find('\n', at + 1))
    bare_lf = at == 0 || text[at - 1] != '\r';
  if (!bare_lf) return text;  // already CRLF (what the splitter builds)
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace


std::string_view HeaderField::value() const {
  std::string_view r = raw;
  auto colon = r.find(':');
  return colon == std::string_view::npos ? std::string_view{} : r.substr(colon + 1);
}

bool HeaderField::is(std::string_view other) const { return iequals(name, other); }

std::optional<HeaderField> parse_header_field(std::string_view text) {
  auto name = field_name(text);
  if (!name) return std::nullopt;
  return HeaderField{std::string(*name), to_crlf(std::string(text))};
}

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  auto first = out.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  auto last = out.find_last_not_of(" \t");
  return out.substr(first, last - first + 1);
}

void MessageSplitter::fail(std::string why) {
  state_ = State::failed;
  error_ = std::move(why);
  fields_.clear();
}

void MessageSplitter::flush_field() {
  if (field_.empty()) return;
  auto name = field_name(field_);
  if (!name) {
    std::string shown = field_.substr(0, std::min<std::size_t>(field_.find('\r'), 60));
    fail("malformed header field \"" + shown + "\"");
    return;
  }
  if (fields_.size() >= kMaxHeaderFields) {
    fail("more than " + std::to_string(kMaxHeaderFields) + " header fields");
    return;
  }
  std::string name_text(*name);
  fields_.push_back({std::move(name_text), to_crlf(std::move(field_))});
  field_.clear();
}

void MessageSplitter::end_line(std::string_view line) {
  bool first = first_line_;
  first_line_ = false;
  if (first && line.substr(0, 5) == "From ") return;  // mbox separator
  if (line.empty()) {
    flush_field();
    if (state_ != State::failed) state_ = State::body;
    return;
  }
  if (is_wsp(line.front())) {  // RFC 5322 2.2.3: a folded continuation
    if (field_.empty()) {
      fail("header block starts with a continuation line");
      return;
    }
    field_ += "\r\n";
    field_ += line;
    return;
  }
  flush_field();
  field_.assign(line);
}

std::string_view MessageSplitter::feed(std::string_view chunk) {
  while (state_ == State::headers && !chunk.empty()) {
    auto nl = chunk.find('\n');
    std::size_t take = nl == std::string_view::npos ? chunk.size() : nl + 1;
    total_ += take;
    if (total_ > kMaxHeaderBytes) {
      fail("header block larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
      return {};
    }
    if (nl == std::string_view::npos) {
      line_.append(chunk);
      return {};
    }
    std::string_view line = chunk.substr(0, nl);
    chunk.remove_prefix(take);
    if (!line_.empty()) {  // the line began in an earlier chunk
      line_.append(line);
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    end_line(line);
    line_.clear();
  }
  return state_ == State::body ? chunk : std::string_view{};
}

void MessageSplitter::finish() {
  if (state_ != State::headers) return;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (!line_.empty()) end_line(std::exchange(line_, {}));
  flush_field();
  if (state_ != State::failed) state_ = State::body;
}

}  // namespace domainauth::mail
