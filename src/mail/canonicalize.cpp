// DKIM header and body canonicalization (see canonicalize.hpp).
// RFC 6376 3.4.1 simple header, 3.4.2 relaxed header, 3.4.3 simple body,
// 3.4.4 relaxed body (with the empty-body rule of erratum 3192 / RFC 6376 3.4.3).
#include "text/ascii.hpp"
#include "mail/canonicalize.hpp"

namespace domainauth::mail {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string_view to_string(Canonicalization c) { return c == Canonicalization::simple ? "simple" : "relaxed"; }

std::optional<Canonicalization> parse_canonicalization(std::string_view text) {
  if (text == "simple") return Canonicalization::simple;
  if (text == "relaxed") return Canonicalization::relaxed;
  return std::nullopt;
}

std::string canonicalize_header(const HeaderField& field, Canonicalization c) {
  if (c == Canonicalization::simple) return field.raw + "\r\n";  // 3.4.1: unchanged
  // 3.4.2: lower-case name; unfold; WSP runs -> one SP; no WSP at the ends of the value.
  std::string out;
  out.reserve(field.raw.size() + 2);
  for (char ch : field.name) out.push_back(text::to_lower(ch));
  out.push_back(':');
  bool wsp = false;
  bool started = false;
  for (char ch : field.value()) {
    if (ch == '\r' || ch == '\n') continue;
    if (is_wsp(ch)) {
      wsp = true;
      continue;
    }
    if (wsp && started) out.push_back(' ');
    wsp = false;
    started = true;
    out.push_back(ch);
  }
  out += "\r\n";
  return out;
}

void BodyCanonicalizer::flush() {
  if (!out_.empty()) sink_.write(out_);
  out_.clear();
}

void BodyCanonicalizer::emit(std::string_view bytes) {
  any_output_ = true;
  if (out_.size() + bytes.size() > kBuffer) {
    flush();
    if (bytes.size() >= kBuffer) {
      sink_.write(bytes);
      return;
    }
  }
  out_.append(bytes);
}

void BodyCanonicalizer::content(std::string_view run) {
  for (; empty_lines_ > 0; --empty_lines_) emit("\r\n");
  if (pending_wsp_) emit(" ");  // 3.4.4: a WSP run inside a line is one SP
  pending_wsp_ = false;
  emit(run);
  line_has_content_ = true;
}

void BodyCanonicalizer::end_line() {
  pending_wsp_ = false;  // 3.4.4: WSP at the end of a line is removed
  if (line_has_content_) {
    emit("\r\n");
    line_has_content_ = false;
  } else {
    ++empty_lines_;  // 3.4.3 / 3.4.4: empty lines at the end are removed
  }
}

void BodyCanonicalizer::feed(std::string_view chunk) {
  const bool relaxed = canon_ == Canonicalization::relaxed;
  std::size_t i = 0;
  const std::size_t n = chunk.size();
  while (i < n) {
    char c = chunk[i];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        end_line();
        ++i;
        continue;
      }
      content("\r");  // a bare CR is ordinary content
    }
    if (c == '\r') {
      pending_cr_ = true;
      ++i;
    } else if (c == '\n') {  // bare LF input: the line ends here too
      end_line();
      ++i;
    } else if (relaxed && is_wsp(c)) {
      pending_wsp_ = true;
      ++i;
    } else {
      std::size_t j = i + 1;
      while (j < n && chunk[j] != '\r' && chunk[j] != '\n' && !(relaxed && is_wsp(chunk[j]))) ++j;
      content(chunk.substr(i, j - i));
      i = j;
    }
  }
}

void BodyCanonicalizer::finish() {
  if (pending_cr_) content("\r");
  pending_cr_ = false;
  // A body not ending in a line break gets CRLF.
  if (line_has_content_) end_line();
  empty_lines_ = 0;
  pending_wsp_ = false;
  // 3.4.3: an empty body is one CRLF in simple; relaxed leaves it empty (3.4.4).
  if (canon_ == Canonicalization::simple && !any_output_) emit("\r\n");
  flush();
}

}  // namespace domainauth::mail
