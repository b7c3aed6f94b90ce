// SMTP submission of report messages with libcurl (RFC 5321; STARTTLS,
// RFC 3207, when the relay offers it). Reads the relay's replies (through
// libcurl) and nothing else untrusted.
#include "report/submit.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>

#include "report/curl_easy.hpp"

namespace domainauth::report {
namespace {

// Loopback relays never need TLS (RFC 7435 opportunistic security elsewhere).
bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

struct Reader {
  std::string_view rest;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* reader = static_cast<Reader*>(user);
  const std::size_t n = std::min(size * count, reader->rest.size());
  std::memcpy(buffer, reader->rest.data(), n);
  reader->rest.remove_prefix(n);
  return n;
}

using curl::EasyFree;
using curl::SlistFree;

// libcurl's progress callback: non-zero abandons the transaction.
int past_deadline(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                  curl_off_t /*ulnow*/) {
  const auto& deadline = *static_cast<const Deadline*>(user);
  return std::chrono::steady_clock::now() >= deadline() ? 1 : 0;
}


}  // namespace

std::optional<std::string> submit(const Relay& relay, const std::string& mail_from,
                                  const std::vector<std::string>& recipients, std::string_view message,
                                  const Deadline& deadline) {
  if (recipients.empty()) return "no recipients";
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(relay.timeout);
  if (deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline() - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "relay " + relay.to_string() + ": not attempted: its deadline has passed";
    timeout = std::min(timeout, left);
  }
  if (!curl::global_init()) return "libcurl could not be initialized";
  const std::unique_ptr<CURL, EasyFree> curl(curl_easy_init());
  if (!curl) return "libcurl could not be initialized";
  curl_slist* list = nullptr;
  for (const auto& recipient : recipients) {
    curl_slist* next = curl_slist_append(list, ("<" + recipient + ">").c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      return "out of memory";
    }
    list = next;
  }
  const std::unique_ptr<curl_slist, SlistFree> rcpt(list);
  const std::string url = "smtp://" + relay.to_string();
  const std::string from = "<" + mail_from + ">";
  Reader reader{message};
  std::array<char, CURL_ERROR_SIZE> error{};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(c, CURLOPT_READDATA, &reader);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_USE_SSL, is_loopback(relay.host) ? CURLUSESSL_NONE : CURLUSESSL_TRY);
  // Opportunistic TLS authenticates nobody (RFC 7435 1.3): no certificate checks.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  if (deadline) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, past_deadline);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &deadline);
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
  const CURLcode code = curl_easy_perform(c);
  if (code == CURLE_OK) return std::nullopt;
  if (code == CURLE_ABORTED_BY_CALLBACK) return "relay " + relay.to_string() + ": abandoned at its deadline";
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  std::string why = "relay " + relay.to_string() + ": " + (error[0] != '\0' ? error.data() : curl_easy_strerror(code));
  if (reply != 0) why += " (last reply " + std::to_string(reply) + ")";
  return why;
}

}  // namespace domainauth::report
