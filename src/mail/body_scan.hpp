// The vector scan of DKIM body canonicalization (RFC 6376 3.4.3, 3.4.4; see
// canonicalize.hpp), private to src/mail. It copies the octets canonicalization
// leaves unchanged block by block and handles the common changes inside the
// loop; everything else stops it and goes through the octet state machine. It is
// instantiated three times: for SSE2 (canonicalize.cpp) and, each in a
// translation unit of its own built for it, for AVX2 and AVX-512 (the best the
// CPU has is picked at run time). Reads untrusted input: the message body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace domainauth::mail::scan {

// Where a scan ended: the input position and the output position.
struct Run {
  std::size_t i;
  char* out;
};

// What one block did: either it has stops, a bit for each position the copy
// must stop before (a superset is fine: each stop is looked at again), and was
// stored unchanged; or it has none and was stored without the octets whose bit
// is set in `deleted` (relaxed WSP runs compacted in the block, by a build that
// can; otherwise always 0).
struct Block {
  std::uint64_t stops;
  std::uint64_t deleted;
};

// Copies from the plain octet after s[i - 1] (i >= 1) into out, one block of
// V::kWidth octets at a time (a block is stored whole, so `out` needs
// V::kWidth octets of room past `limit`). Copied unchanged: content, single
// SPs between content, CRLFs ending non-empty lines. Handled here: in relaxed
// a WSP run inside a non-empty line (one SP before content, nothing before
// CRLF), in the block when V compacts, else at a stop; empty lines followed by
// content. It stops before anything else (a bare LF, a line starting with WSP
// or CR that may be empty, a WSP run before a bare LF or CR), when out reaches
// limit, and when fewer than V::kWidth + 1 octets are left (the caller goes on
// octet by octet). A block never starts inside a WSP run: s[i - 1] is WSP only
// when s[i] is not.
template <class V>
Run copy_unchanged(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed) {
  const V v;  // its constants, made once
  while (i + V::kWidth + 1 <= n && out < limit) {
    const Block b = v.copy_block(s + i, out, relaxed);
    if (b.stops == 0) {
      out += V::kWidth - static_cast<std::size_t>(__builtin_popcountll(b.deleted));
      i += V::kWidth;
      continue;
    }
    const auto k = static_cast<std::size_t>(__builtin_ctzll(b.stops));
    const char* const block = s + i;
    out += k;
    i += k;
    if (relaxed && (s[i] == ' ' || s[i] == '\t') && s[i - 1] != '\n') {
      // A WSP run inside a non-empty line: its end within this block from the mask
      // (bits past the block are 0), then octet by octet.
      const std::uint64_t past_run = ~(static_cast<std::uint64_t>(v.wsp_mask(block)) >> k);
      std::size_t end = i + (past_run != 0 ? static_cast<std::size_t>(__builtin_ctzll(past_run)) : V::kWidth - k);
      while (end < n && (s[end] == ' ' || s[end] == '\t')) ++end;
      if (end + 1 >= n) break;
      // Bitwise, not short-circuit: which of content or CRLF follows is not predictable.
      const bool cr = s[end] == '\r';
      if ((s[end] == '\n') | (cr & (s[end + 1] != '\n'))) break;
      *out = ' ';  // 3.4.4: the run is one SP before content, nothing before CRLF
      out += cr ? 0 : 1;
      i = end;
      continue;
    }
    if (s[i] == '\r' && s[i - 1] == '\n') {
      // Empty lines: unchanged when content follows them (so they are not trailing).
      std::size_t end = i;
      while (end + 1 < n && s[end] == '\r' && s[end + 1] == '\n') end += 2;
      const bool content = end < n && s[end] != '\r' && s[end] != '\n' && !(relaxed && (s[end] == ' ' || s[end] == '\t'));
      if (!content || out + (end - i) > limit + V::kWidth) break;
      std::memcpy(out, s + i, end - i);
      out += end - i;
      i = end;
      continue;
    }
    break;
  }
  return {i, out};
}

// The builds of copy_unchanged, each only where the CPU has it (have()).
using CopyUnchanged = Run (*)(const char* s, std::size_t i, std::size_t n, char* out, const char* limit,
                              bool relaxed);
Run copy_unchanged_sse2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed);
Run copy_unchanged_avx2(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed);
Run copy_unchanged_avx512(const char* s, std::size_t i, std::size_t n, char* out, const char* limit, bool relaxed);

enum class Build { sse2, avx2, avx512 };  // avx512: AVX-512BW, VBMI2 and BMI2
[[nodiscard]] bool have(Build build);
// The build the canonicalizer uses: the best the CPU has, up to the one given
// to limit_build() (so the tests run every build; the default is no limit).
[[nodiscard]] CopyUnchanged chosen();
void limit_build(Build best);

}  // namespace domainauth::mail::scan
