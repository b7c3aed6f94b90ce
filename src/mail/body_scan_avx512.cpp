// The AVX-512 build of the body canonicalization scan (body_scan.hpp): 64
// octets at a time, without a branch for the common changes. Every relaxed
// block is compacted (VBMI2 vpcompressb squeezes out the octets to delete; none
// when there is nothing to delete), so WSP runs and trailing WSP cost no
// mispredicted branch; only what the block cannot decide stops the copy. This
// file alone is compiled with -mavx512bw -mavx512vbmi2 -mbmi2; canonicalize.cpp
// calls it only where the CPU has all three. RFC 6376 3.4.3, 3.4.4. Reads untrusted input:
// the message body.
#include <immintrin.h>

#include <cstdint>

#include "mail/body_scan.hpp"

namespace domainauth::mail::scan {
namespace {

using Mask = std::uint64_t;

// Bit 63 set when `c` is true (the octet after the block, as the last bit of a
// mask shifted down by one).
Mask top_if(bool c) { return static_cast<Mask>(c) << 63; }

struct Avx512 {
  static constexpr std::size_t kWidth = 64;

  // One load: the tests on the octets before and after each one are the masks
  // shifted by one bit, with p[-1] and p[64] filling the ends.
  Block copy_block(const char* p, char* out, bool relaxed) const {
    const __m512i x = _mm512_loadu_si512(p);
    const Mask is_cr = _mm512_cmpeq_epi8_mask(x, cr), is_lf = _mm512_cmpeq_epi8_mask(x, lf);
    const Mask prev_cr = (is_cr << 1) | static_cast<Mask>(p[-1] == '\r');  // the octet before is CR
    const Mask prev_lf = (is_lf << 1) | static_cast<Mask>(p[-1] == '\n');  // a line starts here
    const Mask bare_lf = is_lf & ~prev_cr;
    const Mask line_start_cr = is_cr & prev_lf;
    if (!relaxed) {
      _mm512_storeu_si512(out, x);
      return {bare_lf | line_start_cr, 0};
    }
    const Mask is_tab = _mm512_cmpeq_epi8_mask(x, tab), is_sp = _mm512_cmpeq_epi8_mask(x, sp);
    const Mask wsp = is_tab | is_sp;
    if ((wsp | bare_lf | line_start_cr) == 0) {  // no WSP, no odd line end: as in base64 lines
      _mm512_storeu_si512(out, x);
      return {0, 0};
    }
    const auto next = static_cast<unsigned char>(p[kWidth]);
    const Mask low = _mm512_cmple_epu8_mask(x, sp);  // up to 0x20: WSP, CR, LF, controls
    const Mask next_low = (low >> 1) | top_if(next <= ' ');
    const Mask crlf = is_cr & ((is_lf >> 1) | top_if(next == '\n'));
    // What the block decides itself: the WSP runs inside its lines become one
    // SP before content (TAB -> SP) and nothing before CRLF; an empty line
    // followed by a line starting with content in the block stays as it is.
    const Mask content_after_empty = line_start_cr & crlf & ((prev_lf & ~(wsp | is_cr)) >> 2);
    // WSP runs before CRLF. Adding each run's first bit carries to the bit after
    // it; pext picks, run by run, those whose next octet starts a CRLF, and pdep
    // puts that back on their first bits: after - first is the run.
    const Mask first = wsp & ~(wsp << 1);  // a block never starts inside a run
    const Mask after = wsp + first;
    const Mask trailing_after = after & crlf;
    const Mask trailing = trailing_after - _pdep_u64(_pext_u64(trailing_after, after), first);
    // Anything else stops the copy, the block stored unchanged: a bare LF, another
    // line starting with CR, a line starting with WSP (it may be empty), a WSP run
    // reaching the end of the block that content does not follow.
    const bool open_end = (wsp >> 63) != 0 && next <= ' ';
    if ((bare_lf | (line_start_cr & ~content_after_empty) | (wsp & prev_lf)) != 0 || open_end) {
      _mm512_storeu_si512(out, x);
      return {bare_lf | line_start_cr | is_tab | (is_sp & next_low), 0};
    }
    const Mask deleted = (wsp & ~first) | trailing;
    const __m512i y = _mm512_mask_mov_epi8(x, is_tab, sp);
    _mm512_storeu_si512(out, _mm512_maskz_compress_epi8(~deleted, y));
    return {0, deleted};
  }

  Mask wsp_mask(const char* p) const {
    const __m512i x = _mm512_loadu_si512(p);
    return _mm512_cmpeq_epi8_mask(x, sp) | _mm512_cmpeq_epi8_mask(x, tab);
  }
  const __m512i cr = _mm512_set1_epi8('\r'), lf = _mm512_set1_epi8('\n'), sp = _mm512_set1_epi8(' '),
                tab = _mm512_set1_epi8('\t');
};

}  // namespace

Run copy_unchanged_avx512(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  return copy_unchanged<Avx512>(s, i, n, out, limit, relaxed);
}

}  // namespace domainauth::mail::scan
