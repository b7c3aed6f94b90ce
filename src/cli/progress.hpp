// Progress of a long command on a terminal (report ingest --maildir or FILE...,
// report aggregate over many domains): a line on stderr redrawn in place at
// most every kRedraw, and a one-line summary at the end; nothing at all when
// stderr is not a terminal (cron, a pipe, a Postfix alias), so those stay quiet.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace domainauth::cli {

class Progress {
 public:
  static constexpr auto kRedraw = std::chrono::milliseconds(100);

  // label starts each line ("report ingest"); shown only when stderr is a terminal.
  explicit Progress(std::string label);
  ~Progress() { erase(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // More items to expect (a total that grows as it becomes known).
  void expect(std::size_t items) { total_ += items; }
  // One item done; detail says where the run is ("42 stored, 1 refused").
  void advance(std::string_view detail);
  // Erases the line so other output to the terminal starts on a clean line (the next advance redraws).
  void erase();
  // Erases the line and writes "LABEL: summary" (on a terminal only).
  void finish(std::string_view summary);

 private:
  std::string label_;
  bool shown_;  // stderr is a terminal
  bool drawn_ = false;
  std::size_t done_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace domainauth::cli
