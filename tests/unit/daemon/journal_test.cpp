// daemon::stderr_is_journal: true only when $JOURNAL_STREAM names the device and
// inode of file descriptor 2 (a child's stderr inherited elsewhere is not the journal).
#include "daemon/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

using domainauth::daemon::stderr_is_journal;

std::string stream_of(int fd) {
  struct stat status {};
  EXPECT_EQ(::fstat(fd, &status), 0);
  return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

TEST(Journal, StderrNamedByJournalStreamIsTheJournal) {
  ::setenv("JOURNAL_STREAM", stream_of(STDERR_FILENO).c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
}

TEST(Journal, AnotherStreamIsNot) {
  struct stat status {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &status), 0);
  const auto other = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino + 1);
  ::setenv("JOURNAL_STREAM", other.c_str(), 1);
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

}  // namespace
