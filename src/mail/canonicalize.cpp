// DKIM header and body canonicalization (see canonicalize.hpp).
// RFC 6376 3.4.1 simple header, 3.4.2 relaxed header, 3.4.3 simple body,
// 3.4.4 relaxed body (with the empty-body rule of erratum 3192 / RFC 6376 3.4.3).
#include "text/ascii.hpp"
#include "mail/canonicalize.hpp"

#include <algorithm>
#include <cstring>

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

void append_canonical_header(std::string& out, const HeaderField& field, Canonicalization c) {
  if (c == Canonicalization::simple) {  // 3.4.1: unchanged
    out += field.raw;
    out += "\r\n";
    return;
  }
  // 3.4.2: lower-case name; unfold; WSP runs -> one SP; no WSP at the ends of the value.
  out.reserve(out.size() + field.raw.size() + 2);
  for (char ch : field.name) out.push_back(text::to_lower(ch));
  out.push_back(':');
  const std::string_view value = field.value();
  auto skip = [](char ch) { return is_wsp(ch) || ch == '\r' || ch == '\n'; };
  bool started = false;
  for (std::size_t i = 0; i < value.size();) {
    if (skip(value[i])) {  // a run of WSP and folds
      std::size_t j = i + 1;
      bool wsp = is_wsp(value[i]);
      for (; j < value.size() && skip(value[j]); ++j) wsp = wsp || is_wsp(value[j]);
      if (wsp && started && j < value.size()) out.push_back(' ');
      i = j;
      continue;
    }
    std::size_t j = i + 1;
    while (j < value.size() && !skip(value[j])) ++j;
    out.append(value.substr(i, j - i));  // a word, copied whole
    started = true;
    i = j;
  }
  out += "\r\n";
}

std::string canonicalize_header(const HeaderField& field, Canonicalization c) {
  std::string out;
  append_canonical_header(out, field, c);
  return out;
}

BodyCanonicalizer::BodyCanonicalizer(Canonicalization c, ByteSink& sink)
    : canon_(c), sink_(sink), out_(kBuffer + kSlack, '\0') {}

void BodyCanonicalizer::flush() {
  if (used_ > 0) sink_.write(std::string_view(out_.data(), used_));
  used_ = 0;
}

void BodyCanonicalizer::emit(std::string_view bytes) {
  any_output_ = true;
  while (!bytes.empty()) {
    if (used_ >= kBuffer) flush();
    std::size_t n = std::min(bytes.size(), kBuffer - used_);
    std::memcpy(out_.data() + used_, bytes.data(), n);
    used_ += n;
    bytes.remove_prefix(n);
  }
}

// An octet that starts (or continues) a verbatim run: not a line-end octet, and
// in relaxed not WSP.
bool BodyCanonicalizer::plain(char c) const {
  return c != '\r' && c != '\n' && !(canon_ == Canonicalization::relaxed && is_wsp(c));
}

// Content follows: the held-back empty lines were not trailing, and a WSP run
// before it is one SP (3.4.4).
void BodyCanonicalizer::begin_content() {
  for (; empty_lines_ > 0; --empty_lines_) emit("\r\n");
  if (pending_wsp_) emit(" ");
  pending_wsp_ = false;
  any_output_ = true;
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

// One octet through the state machine.
void BodyCanonicalizer::step(char c) {
  if (pending_cr_) {
    pending_cr_ = false;
    if (c == '\n') {
      end_line();
      return;
    }
    begin_content();
    emit("\r");  // a bare CR is ordinary content
  }
  if (c == '\r') {
    pending_cr_ = true;
  } else if (c == '\n') {  // bare LF input: the line ends here too
    end_line();
  } else if (canon_ == Canonicalization::relaxed && is_wsp(c)) {
    pending_wsp_ = true;
  } else {
    begin_content();
    emit(std::string_view(&c, 1));
  }
}

namespace {

// Relaxed: where a WSP run at s[i] inside a non-empty line ends, when what
// follows it in this chunk is content (the run becomes one SP) or a CRLF (the
// run is removed); 0 when the state machine must decide (the run starts the
// line, or is followed by a bare LF or CR, or reaches the end of the chunk).
// wsp: bit j tells whether s[i + j] is WSP, for the rest of the scan block.
std::size_t wsp_run_end(const char* s, std::size_t i, std::size_t n, unsigned wsp) {
  if ((wsp & 1) == 0 || s[i - 1] == '\n') return 0;
  std::size_t end = i + static_cast<std::size_t>(__builtin_ctz(~wsp));
  while (end < n && is_wsp(s[end])) ++end;  // a run past the block
  if (end + 1 >= n || s[end] == '\n' || (s[end] == '\r' && s[end + 1] != '\n')) return 0;
  return end;
}

// Where a run of empty lines (CRLF pairs) starting at s[i], just after a line
// end, ends; 0 when there is none or it reaches the end of the chunk.
std::size_t empty_lines_end(const char* s, std::size_t i, std::size_t n) {
  if (s[i - 1] != '\n') return 0;
  std::size_t end = i;
  while (end + 1 < n && s[end] == '\r' && s[end + 1] == '\n') end += 2;
  return end == i || end >= n ? 0 : end;
}
}  // namespace

// Copies the run starting at the plain octet s[i] that canonicalization leaves
// unchanged: content, single SPs between content, and CRLFs ending non-empty
// lines. It stops before a bare LF, the CR of a line that starts with CR (maybe
// an empty line), in relaxed before a TAB or a SP followed by an octet up to
// 0x20 (WSP, a line end), and near the end of the chunk before any octet that
// is not plain. Where SSE2 exists, 16 positions are tested at once against the
// octets before and after them, the block stored whole and the output
// position advanced to the first stop. Returns where the run ends.
std::size_t BodyCanonicalizer::copy_run(const char* s, std::size_t i, std::size_t n) {
  char* const base = out_.data();
  char* out = base + used_;
  *out++ = s[i++];
#if defined(__SSE2__)
  const bool relaxed = canon_ == Canonicalization::relaxed;
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t'),
                sp = _mm_set1_epi8(' ');
  while (i + 17 <= n) {
    if (out >= base + kBuffer) {
      used_ = static_cast<std::size_t>(out - base);
      flush();
      out = base;
    }
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 1));
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
    const __m128i bare_lf = _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), _mm_cmpeq_epi8(x, lf));
    const __m128i line_starts_cr = _mm_and_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(before, lf));
    __m128i m = _mm_or_si128(bare_lf, line_starts_cr);
    if (relaxed) {
      const __m128i after = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 1));
      const __m128i after_low = _mm_cmpeq_epi8(_mm_min_epu8(after, sp), after);  // after <= 0x20
      m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_and_si128(_mm_cmpeq_epi8(x, sp), after_low)));
    }
    if (const unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(m)); bits != 0) {
      const auto k = static_cast<std::size_t>(__builtin_ctz(bits));
      out += k;
      i += k;
      // The common stops are handled here: a WSP run inside a non-empty line,
      // and empty lines followed by content (so not trailing).
      const auto wsp = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, tab))));
      if (const std::size_t end = relaxed ? wsp_run_end(s, i, n, wsp >> k) : 0; end != 0) {
        *out = ' ';  // 3.4.4: the run is one SP before content, removed before CRLF
        out += s[end] != '\r' ? 1 : 0;
        i = end;
        continue;
      }
      if (const std::size_t end = empty_lines_end(s, i, n); end != 0 && plain(s[end])) {
        if (static_cast<std::size_t>(out - base) + (end - i) > kBuffer) {
          used_ = static_cast<std::size_t>(out - base);
          flush();
          out = base;
        }
        std::memcpy(out, s + i, end - i);  // the CRLFs, unchanged
        out += end - i;
        i = end;
        continue;
      }
      used_ = static_cast<std::size_t>(out - base);
      line_has_content_ = s[i - 1] != '\n';
      return i;
    }
    out += 16;
    i += 16;
  }
  if (s[i - 1] == '\r') {  // an LF may follow in the next chunk: the state machine decides
    --out;
    --i;
  }
#endif
  used_ = static_cast<std::size_t>(out - base);
  line_has_content_ = s[i - 1] != '\n';
  // The end of the chunk: plain octets only (what follows may be in the next chunk).
  while (i < n && plain(s[i])) {
    if (used_ >= kBuffer) flush();
    out_[used_++] = s[i++];
    line_has_content_ = true;
  }
  return i;
}

void BodyCanonicalizer::feed(std::string_view chunk) {
  const char* s = chunk.data();
  const std::size_t n = chunk.size();
  std::size_t i = 0;
  while (i < n) {
    if (!pending_cr_ && plain(s[i])) {
      begin_content();
      if (used_ >= kBuffer) flush();
      i = copy_run(s, i, n);
    } else {
      step(s[i++]);
    }
  }
}

void BodyCanonicalizer::finish() {
  if (pending_cr_) {
    begin_content();
    emit("\r");
  }
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
