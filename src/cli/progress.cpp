// The progress line of long commands (progress.hpp).
#include "cli/progress.hpp"

#include <unistd.h>

#include <iostream>

namespace domainauth::cli {

namespace {
constexpr std::string_view kEraseLine = "\r\033[K";  // to the start of the line, clear it (ECMA-48 EL)
}  // namespace

Progress::Progress(std::string label) : label_(std::move(label)), shown_(::isatty(STDERR_FILENO) == 1) {}

void Progress::advance(std::string_view detail) {
  ++done_;
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < kRedraw && done_ != total_) return;
  last_ = now;
  std::cerr << kEraseLine << label_ << ": " << done_;
  if (total_ >= done_) std::cerr << "/" << total_;
  if (!detail.empty()) std::cerr << " (" << detail << ")";
  std::cerr << std::flush;
  drawn_ = true;
}

void Progress::erase() {
  if (!drawn_) return;
  std::cerr << kEraseLine << std::flush;
  drawn_ = false;
}

void Progress::finish(std::string_view summary) {
  erase();
  if (shown_) std::cerr << label_ << ": " << summary << "\n";
}

}  // namespace domainauth::cli
