// The AVX2 build of the body canonicalization scan (body_scan.hpp): 32 octets
// at a time, and in relaxed the WSP runs inside a line compacted in the block
// (a shuffle squeezes out the octets to delete) instead of stopping at each.
// This file alone is compiled with -mavx2; canonicalize.cpp calls it only where
// the CPU has AVX2. RFC 6376 3.4.3, 3.4.4. Reads untrusted input: the message
// body.
#include <immintrin.h>

#include <array>
#include <cstdint>

#include "mail/body_scan.hpp"

namespace domainauth::mail::scan {
namespace {

// For each 8-bit mask of octets to keep: the pshufb indexes that gather them
// to the front of 8 octets (the rest pick octet 0, stored but not counted).
constexpr std::array<std::uint64_t, 256> kPack = [] {
  std::array<std::uint64_t, 256> table{};
  for (unsigned keep = 0; keep < 256; ++keep) {
    unsigned at = 0;
    for (unsigned j = 0; j < 8; ++j)
      if (keep & (1u << j)) table[keep] |= static_cast<std::uint64_t>(j) << (8 * at++);
  }
  return table;
}();

// Stores the 16 octets of x without those whose bit in `drop` is set; returns
// how many it kept. Writes 16 octets at most past out.
unsigned pack16(__m128i x, unsigned drop, char* out) {
  const unsigned keep_lo = ~drop & 0xff, keep_hi = (~drop >> 8) & 0xff;
  const __m128i index = _mm_set_epi64x(static_cast<long long>(kPack[keep_hi] + 0x0808080808080808ull),
                                       static_cast<long long>(kPack[keep_lo]));
  const __m128i packed = _mm_shuffle_epi8(x, index);
  const auto lo = static_cast<unsigned>(__builtin_popcount(keep_lo));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), packed);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + lo), _mm_unpackhi_epi64(packed, packed));
  return lo + static_cast<unsigned>(__builtin_popcount(keep_hi));
}

unsigned mask(__m256i x) { return static_cast<unsigned>(_mm256_movemask_epi8(x)); }

struct Avx2 {
  static constexpr std::size_t kWidth = 32;
  // The SSE2 block's tests on 32 octets (stops: a bare LF, a line starting
  // with CR, in relaxed a TAB or a SP followed by an octet up to 0x20). A
  // relaxed block with such stops is compacted instead when all of them are
  // WSP runs inside its lines.
  Block copy_block(const char* p, char* out, bool relaxed) const {
    const __m256i before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p - 1));
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i bare_lf = _mm256_andnot_si256(_mm256_cmpeq_epi8(before, cr), _mm256_cmpeq_epi8(x, lf));
    const __m256i line_starts_cr = _mm256_and_si256(_mm256_cmpeq_epi8(x, cr), _mm256_cmpeq_epi8(before, lf));
    const __m256i line_stops = _mm256_or_si256(bare_lf, line_starts_cr);
    if (!relaxed) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), x);
      return {mask(line_stops), 0};
    }
    const __m256i after = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
    const __m256i is_tab = _mm256_cmpeq_epi8(x, tab), is_sp = _mm256_cmpeq_epi8(x, sp);
    const __m256i after_low = _mm256_cmpeq_epi8(_mm256_min_epu8(after, sp), after);  // after <= 0x20
    const unsigned stops =
        mask(_mm256_or_si256(line_stops, _mm256_or_si256(is_tab, _mm256_and_si256(is_sp, after_low))));
    if (stops == 0) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), x);
      return {0, 0};
    }
    return compact(p, x, before, after, is_tab, is_sp, line_stops, stops, out);
  }

  // A relaxed block with stops: the WSP runs inside its lines become one SP
  // before content (TAB -> SP) and nothing before CRLF, squeezed out with a
  // shuffle; an empty line followed by a line starting with content in the
  // block stays as it is. Not when anything else needs a stop: a bare LF,
  // another line starting with CR, a line starting with WSP, a WSP run before
  // CRLF longer than 8, or a WSP run reaching the end of the block that content
  // (above 0x20; a superset is fine) does not follow. Then the block is stored
  // unchanged with its stops.
  Block compact(const char* p, __m256i x, __m256i before, __m256i after, __m256i is_tab, __m256i is_sp,
                __m256i line_stops, unsigned stops, char* out) const {
    const unsigned wsp = mask(_mm256_or_si256(is_sp, is_tab));
    const unsigned is_cr = mask(_mm256_cmpeq_epi8(x, cr));
    const unsigned crlf = is_cr & mask(_mm256_cmpeq_epi8(after, lf));
    const unsigned line_start = mask(_mm256_cmpeq_epi8(before, lf));
    const unsigned line_start_cr = is_cr & line_start;
    const unsigned bare_lf = mask(line_stops) & ~is_cr;
    const unsigned content_after_empty = line_start_cr & crlf & ((line_start & ~(wsp | is_cr)) >> 2);
    // WSP runs before CRLF, up to 8 long: spread down from the CR in 3 steps.
    unsigned trailing = (crlf >> 1) & wsp, all_wsp = wsp;
    for (unsigned shift = 1; shift <= 4; shift *= 2) {
      trailing |= (trailing >> shift) & all_wsp;
      all_wsp &= all_wsp >> shift;
    }
    const unsigned longer = (trailing >> 1) & wsp & ~trailing;  // inside a longer run
    const bool open_end = (wsp >> 31) != 0 && static_cast<unsigned char>(p[kWidth]) <= ' ';
    if ((bare_lf | (line_start_cr & ~content_after_empty) | (wsp & line_start) | longer) != 0 || open_end) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), x);
      return {stops, 0};
    }
    const unsigned deleted = (wsp & (wsp << 1)) | trailing;  // a block never starts inside a run
    const __m256i y = _mm256_add_epi8(x, _mm256_and_si256(is_tab, tab_to_sp));
    const unsigned lo = pack16(_mm256_castsi256_si128(y), deleted & 0xffff, out);
    pack16(_mm256_extracti128_si256(y, 1), deleted >> 16, out + lo);
    return {0, deleted};
  }

  unsigned wsp_mask(const char* p) const {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return mask(_mm256_or_si256(_mm256_cmpeq_epi8(x, sp), _mm256_cmpeq_epi8(x, tab)));
  }
  const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n'), sp = _mm256_set1_epi8(' '),
                tab = _mm256_set1_epi8('\t'), tab_to_sp = _mm256_set1_epi8(' ' - '\t');
};

}  // namespace

Run copy_unchanged_avx2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  return copy_unchanged<Avx2>(s, i, n, out, limit, relaxed);
}

}  // namespace domainauth::mail::scan
