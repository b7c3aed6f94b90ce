// DKIM header and body canonicalization (see canonicalize.hpp).
// RFC 6376 3.4.1 simple header, 3.4.2 relaxed header, 3.4.3 simple body,
// 3.4.4 relaxed body (with the empty-body rule of erratum 3192 / RFC 6376 3.4.3).
#include "text/ascii.hpp"
#include "mail/canonicalize.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// A run of content; it may hold whole lines (CRLF included) when verbatim_end() found it.
void BodyCanonicalizer::content(std::string_view run) {
  for (; empty_lines_ > 0; --empty_lines_) emit("\r\n");
  if (pending_wsp_) emit(" ");  // 3.4.4: a WSP run inside a line is one SP
  pending_wsp_ = false;
  emit(run);
  line_has_content_ = run.back() != '\n';
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

// The end of the run starting at `from` that canonicalization leaves unchanged:
// content, and CRLFs ending non-empty lines. It stops before a bare LF, the CR
// of an empty line (it may be trailing), a CR ending the chunk, and in relaxed
// before a TAB or a SP followed by WSP, a line end or the end of the chunk.
// Where SSE2 exists, 16 positions are tested at once (each against the octets
// before and after it).
std::size_t BodyCanonicalizer::verbatim_end(std::string_view chunk, std::size_t from) const {
  const bool relaxed = canon_ == Canonicalization::relaxed;
  const char* s = chunk.data();
  const std::size_t n = chunk.size();
  auto stop = [&](std::size_t k) {
    const char c = s[k];
    const bool last = k + 1 == n;
    if (c == '\n') return k == from || s[k - 1] != '\r';
    if (c == '\r') {
      const bool line_empty = k == from ? !line_has_content_ : s[k - 1] == '\n';
      return last || (line_empty && s[k + 1] == '\n');
    }
    if (!relaxed) return false;
    if (c == '\t') return true;
    return c == ' ' && (last || is_wsp(s[k + 1]) || s[k + 1] == '\r' || s[k + 1] == '\n');
  };
  std::size_t k = from;
  if (stop(k)) return k;
  ++k;
#if defined(__SSE2__)
  // A superset of the stops above is fine (each is looked at again): the CR of
  // any line after a CRLF that starts with CR, and in relaxed a SP followed by
  // any octet up to 0x20.
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t'),
                sp = _mm_set1_epi8(' ');
  auto block = [&](const char* p) {
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 1));
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i bare_lf = _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), _mm_cmpeq_epi8(x, lf));
    const __m128i line_starts_cr = _mm_and_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(before, lf));
    __m128i m = _mm_or_si128(bare_lf, line_starts_cr);
    if (relaxed) {
      const __m128i after = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
      const __m128i after_low = _mm_cmpeq_epi8(_mm_min_epu8(after, sp), after);  // after <= 0x20
      m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_and_si128(_mm_cmpeq_epi8(x, sp), after_low)));
    }
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  };
  for (; k + 33 <= n; k += 32) {
    if (const unsigned bits = block(s + k) | (block(s + k + 16) << 16); bits != 0)
      return k + static_cast<std::size_t>(__builtin_ctz(bits));
  }
#endif
  for (; k < n; ++k) {
    if (stop(k)) return k;
  }
  return n;
}

void BodyCanonicalizer::feed(std::string_view chunk) {
  const bool relaxed = canon_ == Canonicalization::relaxed;
  auto line_end = [](char c) { return c == '\r' || c == '\n'; };
  std::size_t i = 0;
  while (i < chunk.size()) {
    const char c = chunk[i];
    if (pending_cr_ || (pending_wsp_ && (is_wsp(c) || line_end(c)))) {
      i = step(chunk, i);
      continue;
    }
    std::size_t end = verbatim_end(chunk, i);
    if (relaxed && end < chunk.size() && is_wsp(chunk[end])) {
      // 3.4.4: a WSP run followed by content in this chunk becomes one SP.
      std::size_t after = end;
      while (after < chunk.size() && is_wsp(chunk[after])) ++after;
      if (after < chunk.size() && !line_end(chunk[after])) {
        if (chunk[end] == ' ') {
          content(chunk.substr(i, end + 1 - i));
        } else {
          if (end > i) content(chunk.substr(i, end - i));
          pending_wsp_ = true;
        }
        i = after;
        continue;
      }
    }
    if (end > i) {
      content(chunk.substr(i, end - i));
      i = end;
    } else {
      i = step(chunk, i);
    }
  }
}

// One octet (or one run of content) the careful way; returns where to go on.
std::size_t BodyCanonicalizer::step(std::string_view chunk, std::size_t i) {
  const bool relaxed = canon_ == Canonicalization::relaxed;
  char c = chunk[i];
  if (pending_cr_) {
    pending_cr_ = false;
    if (c == '\n') {
      end_line();
      return i + 1;
    }
    content("\r");  // a bare CR is ordinary content
  }
  if (c == '\r') {
    pending_cr_ = true;
    return i + 1;
  }
  if (c == '\n') {  // bare LF input: the line ends here too
    end_line();
    return i + 1;
  }
  if (relaxed && is_wsp(c)) {
    pending_wsp_ = true;
    return i + 1;
  }
  std::size_t j = i + 1;
  while (j < chunk.size() && chunk[j] != '\r' && chunk[j] != '\n' && !(relaxed && is_wsp(chunk[j]))) ++j;
  content(chunk.substr(i, j - i));
  return j;
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
