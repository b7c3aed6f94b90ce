// Deterministic test messages for the benchmarks: a realistic header block and a
// body of text lines (some with runs of white space and trailing blanks, as
// mail has) of a requested total size, CRLF line endings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace domainauth::bench {

inline std::string message_headers() {
  return "Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n"
         "\tby mx.example.com (Postfix) with ESMTPS id 4Qx1y2Z3abc\r\n"
         "\tfor <ann@example.com>; Mon, 1 Jan 2024 10:00:00 +0000 (UTC)\r\n"
         "From: Joe Sender <joe@example.com>\r\n"
         "To: Ann Receiver <ann@example.org>, Bob <bob@example.org>\r\n"
         "Cc: team@example.org\r\n"
         "Subject: Quarterly figures and the plan for the next   release\r\n"
         "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
         "Message-ID: <20240101100000.12345@mail.example.com>\r\n"
         "In-Reply-To: <20231231090000.999@example.org>\r\n"
         "References: <20231230080000.111@example.org>\r\n"
         " <20231231090000.999@example.org>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n"
         "List-Id: <team.example.org>\r\n"
         "List-Unsubscribe: <mailto:team-leave@example.org>\r\n"
         "\r\n";
}

// A body of about `size` octets.
inline std::string message_body(std::size_t size) {
  static const char* const words[] = {"the", "quarterly", "figures", "are", "attached;", "please", "review",
                                      "them", "before", "Friday", "and", "send", "comments", "to", "me.",
                                      "Thanks,", "release", "plan", "schedule", "meeting"};
  std::string body;
  body.reserve(size + 100);
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  std::string line;
  while (body.size() < size) {
    line.clear();
    while (line.size() < 60 + next() % 12) {
      if (!line.empty()) line += (next() % 16 == 0) ? "  " : " ";
      line += words[next() % 20];
    }
    if (next() % 8 == 0) line += " \t";  // trailing white space (relaxed removes it)
    body += line;
    body += "\r\n";
    if (next() % 10 == 0) body += "\r\n";  // paragraph break
  }
  return body;
}

// A body of about `size` octets of base64 lines (76 characters), as attachments are.
inline std::string base64_body(std::size_t size) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string body;
  body.reserve(size + 80);
  std::uint32_t seed = 6376;
  while (body.size() < size) {
    for (int i = 0; i < 76; ++i) body.push_back(alphabet[(seed = seed * 1103515245u + 12345u) >> 26]);
    body += "\r\n";
  }
  return body;
}

// Header block + body: a whole message of about `size` octets.
inline std::string message(std::size_t size) {
  std::string headers = message_headers();
  return headers + message_body(size > headers.size() ? size - headers.size() : 0);
}

}  // namespace domainauth::bench
