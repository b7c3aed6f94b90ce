// DKIM header and body canonicalization (see canonicalize.hpp).
// RFC 6376 3.4.1 simple header, 3.4.2 relaxed header, 3.4.3 simple body,
// 3.4.4 relaxed body (with the empty-body rule of erratum 3192 / RFC 6376 3.4.3).
#include "text/ascii.hpp"
#include "mail/canonicalize.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "mail/body_scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace domainauth::mail {

using text::is_wsp;

namespace scan {
namespace {

#if defined(__SSE2__)
// 16 octets at a time; each is tested against the octets before and after it.
struct Sse2 {
  static constexpr std::size_t kWidth = 16;
  // Stores the block at p to out unchanged (deletes nothing). Stops: a bare
  // LF, a CR after LF (a line starting with CR), in relaxed a TAB or a SP
  // followed by an octet up to 0x20 (WSP, a line end).
  Block copy_block(const char* p, char* out, bool relaxed) const {
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 1));
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
    const __m128i bare_lf = _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), _mm_cmpeq_epi8(x, lf));
    const __m128i line_starts_cr = _mm_and_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(before, lf));
    __m128i m = _mm_or_si128(bare_lf, line_starts_cr);
    if (relaxed) {
      const __m128i after = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
      const __m128i after_low = _mm_cmpeq_epi8(_mm_min_epu8(after, sp), after);  // after <= 0x20
      m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_and_si128(_mm_cmpeq_epi8(x, sp), after_low)));
    }
    return {static_cast<unsigned>(_mm_movemask_epi8(m)), 0};
  }
  // Bit j: p[j] is WSP.
  unsigned wsp_mask(const char* p) const {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, tab))));
  }
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
};
#endif

}  // namespace

Run copy_unchanged_sse2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
#if defined(__SSE2__)
  return copy_unchanged<Sse2>(s, i, n, out, limit, relaxed);
#else
  (void)n, (void)limit, (void)relaxed;
  return {i, out};  // no vector scan: the state machine does it all
#endif
}

bool have(Build build) {
  switch (build) {
    case Build::sse2:
      return true;  // the build without SSE2 leaves everything to the state machine
    case Build::avx2:
#if defined(DOMAINAUTH_HAVE_AVX2)
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case Build::avx512:
#if defined(DOMAINAUTH_HAVE_AVX512)
      return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2") &&
             __builtin_cpu_supports("bmi2");
#else
      return false;
#endif
  }
  return false;
}

namespace {
std::atomic<Build> build_limit{Build::avx512};
}  // namespace

void limit_build(Build best) { build_limit.store(best, std::memory_order_relaxed); }

CopyUnchanged chosen() {
  static const bool avx512 = have(Build::avx512), avx2 = have(Build::avx2);
  const Build limit = build_limit.load(std::memory_order_relaxed);
  if (avx512 && limit == Build::avx512) return &copy_unchanged_avx512;
  if (avx2 && limit != Build::sse2) return &copy_unchanged_avx2;
  return &copy_unchanged_sse2;
}

#if !defined(DOMAINAUTH_HAVE_AVX2)
Run copy_unchanged_avx2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  return copy_unchanged_sse2(s, i, n, out, limit, relaxed);
}
#endif
#if !defined(DOMAINAUTH_HAVE_AVX512)
Run copy_unchanged_avx512(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  return copy_unchanged_sse2(s, i, n, out, limit, relaxed);
}
#endif

}  // namespace scan

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

BodyCanonicalizer::BodyCanonicalizer(Canonicalization c, ByteSink& sink, std::size_t buffer)
    : canon_(c), sink_(sink), buffer_(std::max<std::size_t>(buffer, 2)),
      out_(std::make_unique_for_overwrite<char[]>(buffer_ + kSlack)) {}

void BodyCanonicalizer::flush() {
  if (used_ > 0) sink_.write(std::string_view(out_.get(), used_));
  used_ = 0;
}

void BodyCanonicalizer::emit(std::string_view bytes) {
  any_output_ = true;
  while (!bytes.empty()) {
    if (used_ >= buffer_) flush();
    std::size_t n = std::min(bytes.size(), buffer_ - used_);
    std::memcpy(out_.get() + used_, bytes.data(), n);
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


// Copies the run starting at the plain octet s[i] that canonicalization leaves
// unchanged (scan::copy_unchanged, with AVX-512 or AVX2 where the CPU has it, else SSE2),
// then the plain octets left at the end of the chunk. Returns where it ends.
std::size_t BodyCanonicalizer::copy_run(const char* s, std::size_t i, std::size_t n) {
  const scan::CopyUnchanged copy = scan::chosen();
  char* const base = out_.get();
  out_[used_++] = s[i++];
  const bool relaxed = canon_ == Canonicalization::relaxed;
  for (;;) {
    const scan::Run run = copy(s, i, n, base + used_, base + buffer_, relaxed);
    used_ = static_cast<std::size_t>(run.out - base);
    i = run.i;
    if (used_ < buffer_) break;
    // The buffer is full: all but its last octet go to the sink. That octet may
    // be a CR the state machine must see again (below), so it stays.
    const char last = out_[--used_];
    flush();
    out_[used_++] = last;
  }
  if (s[i - 1] == '\r') {  // an LF may follow in the next chunk: the state machine decides
    --used_;
    --i;
  }
  line_has_content_ = s[i - 1] != '\n';
  // The end of the chunk: plain octets only (what follows may be in the next chunk).
  while (i < n && plain(s[i])) {
    if (used_ >= buffer_) flush();
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
      if (used_ >= buffer_) flush();
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
