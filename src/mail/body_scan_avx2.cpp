// The AVX2 build of the body canonicalization scan (body_scan.hpp): 32 octets
// at a time. This file alone is compiled with -mavx2; canonicalize.cpp calls it
// only where the CPU has AVX2. RFC 6376 3.4.3, 3.4.4. Reads untrusted input:
// the message body.
#include <immintrin.h>

#include "mail/body_scan.hpp"

namespace domainauth::mail::scan {
namespace {

// The same tests as the SSE2 block of canonicalize.cpp, on 32 octets.
struct Avx2 {
  static constexpr std::size_t kWidth = 32;
  static unsigned copy_block(const char* p, char* out, bool relaxed) {
    const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
    const __m256i before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p - 1));
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), x);
    const __m256i bare_lf = _mm256_andnot_si256(_mm256_cmpeq_epi8(before, cr), _mm256_cmpeq_epi8(x, lf));
    const __m256i line_starts_cr = _mm256_and_si256(_mm256_cmpeq_epi8(x, cr), _mm256_cmpeq_epi8(before, lf));
    __m256i m = _mm256_or_si256(bare_lf, line_starts_cr);
    if (relaxed) {
      const __m256i sp = _mm256_set1_epi8(' ');
      const __m256i after = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
      const __m256i after_low = _mm256_cmpeq_epi8(_mm256_min_epu8(after, sp), after);  // after <= 0x20
      m = _mm256_or_si256(m, _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t')),
                                             _mm256_and_si256(_mm256_cmpeq_epi8(x, sp), after_low)));
    }
    return static_cast<unsigned>(_mm256_movemask_epi8(m));
  }
  static unsigned wsp_mask(const char* p) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return static_cast<unsigned>(_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(' ')), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t')))));
  }
};

}  // namespace

Run copy_unchanged_avx2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  return copy_unchanged<Avx2>(s, i, n, out, limit, relaxed);
}

}  // namespace domainauth::mail::scan
