// The libcurl WebFetcher (see web_fetch.hpp). Reads untrusted input: HTTP
// responses (bounded in size and time) and TLS certificates (PEM from
// libcurl's certificate info, decoded by OpenSSL).
#include "setup/web_fetch.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <memory>

#include "report/curl_easy.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

using report::curl::EasyFree;
using report::curl::SlistFree;

struct Sink {
  std::string body;
  std::size_t max = 0;
  bool overflow = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->max) {
    sink->overflow = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

// "host:port" of an https:// or smtp:// URL (port defaulted).
std::pair<std::string, std::string> host_port(const std::string& url, const char* default_port) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.starts_with("[")) {
    const std::size_t close = rest.find(']');
    const std::string port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : default_port;
    return {rest.substr(0, close + 1), port};
  }
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return {rest, default_port};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

// CURLOPT_RESOLVE's "host:port:addr,addr": libcurl connects where our DNS said.
std::unique_ptr<curl_slist, SlistFree> resolve_list(const std::string& host, const std::string& port,
                                                    const std::vector<net::IpAddress>& addresses) {
  std::string entry = host + ":" + port + ":";
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) entry += ",";
    entry += addresses[i].is_v4() ? addresses[i].to_string() : "[" + addresses[i].to_string() + "]";
  }
  return std::unique_ptr<curl_slist, SlistFree>(curl_slist_append(nullptr, entry.c_str()));
}

std::string failure(CURLcode code, const std::array<char, CURL_ERROR_SIZE>& buffer) {
  return buffer[0] != '\0' ? std::string(buffer.data()) : std::string(curl_easy_strerror(code));
}

// A "Cert:" entry of CURLINFO_CERTINFO (PEM) as DER; empty when unreadable.
std::vector<std::uint8_t> der_of(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return {};
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                   &X509_free);
  if (!cert) return {};
  const int length = i2d_X509(cert.get(), nullptr);
  if (length <= 0) return {};
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  if (i2d_X509(cert.get(), &out) != length) return {};
  return der;
}

// A handle with what both requests share: the addresses to connect to, the
// time bound, no signals, the error buffer. nullptr when libcurl cannot start.
std::unique_ptr<CURL, EasyFree> new_handle(curl_slist* resolve, std::chrono::milliseconds timeout,
                                           std::array<char, CURL_ERROR_SIZE>& error) {
  std::unique_ptr<CURL, EasyFree> handle(report::curl::global_init() ? curl_easy_init() : nullptr);
  if (!handle) return handle;
  curl_easy_setopt(handle.get(), CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, error.data());
  return handle;
}

constexpr const char* kNoLibcurl = "libcurl could not be initialized";
// With no address CURLOPT_RESOLVE would be ignored and libcurl would resolve the
// name itself, outside check's DNS: refused instead.
constexpr const char* kNoAddress = "no address to connect to";

class CurlFetcher : public WebFetcher {
 public:
  explicit CurlFetcher(std::string ca_file) : ca_file_(std::move(ca_file)) {}

  HttpsResult get(const HttpsGet& request) override {
    HttpsResult result;
    if (request.addresses.empty()) return {kNoAddress, 0, {}, {}};
    const auto [host, port] = host_port(request.url, "443");
    const auto resolve = resolve_list(host, port, request.addresses);
    std::array<char, CURL_ERROR_SIZE> error{};
    const auto handle = new_handle(resolve.get(), request.timeout, error);
    if (!handle) return {kNoLibcurl, 0, {}, {}};
    CURL* c = handle.get();
    Sink sink{{}, request.max_octets, false};
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    const CURLcode code = curl_easy_perform(c);
    if (sink.overflow) {
      result.error = "the body is larger than " + std::to_string(request.max_octets) + " octets";
      return result;
    }
    if (code != CURLE_OK) {
      result.error = failure(code, error);
      return result;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
    const char* type = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) {
      result.content_type = text::to_lower(type);
    }
    result.body = std::move(sink.body);
    return result;
  }

  ProbeResult smtp_certificates(const SmtpProbe& request) override {
    ProbeResult result;
    if (request.addresses.empty()) return {kNoAddress, {}};
    const std::string port = std::to_string(request.port);
    const std::string url = "smtp://" + request.host + ":" + port;
    const auto resolve = resolve_list(request.host, port, request.addresses);
    std::array<char, CURL_ERROR_SIZE> error{};
    const auto handle = new_handle(resolve.get(), request.timeout, error);
    if (!handle) return {kNoLibcurl, {}};
    CURL* c = handle.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp");
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);  // greeting, EHLO, STARTTLS, EHLO; then stop
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    // DANE replaces PKIX here (RFC 7672 3.1): the caller matches the chain.
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    const CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) {
      result.error = failure(code, error);
      return result;
    }
    curl_certinfo* info = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr || info->num_of_certs <= 0) {
      result.error = "no certificate was presented";
      return result;
    }
    for (int i = 0; i < info->num_of_certs; ++i) {
      for (curl_slist* field = info->certinfo[i]; field != nullptr; field = field->next) {
        const std::string_view line(field->data);
        if (line.starts_with("Cert:")) result.chain.push_back(der_of(line.substr(5)));
      }
    }
    if (result.chain.empty() || result.chain.front().empty()) {
      result.error = "the server's certificate could not be read";
      result.chain.clear();
    }
    return result;
  }

 private:
  std::string ca_file_;
};

}  // namespace

std::unique_ptr<WebFetcher> make_web_fetcher(std::string ca_file) {
  return std::make_unique<CurlFetcher>(std::move(ca_file));
}

}  // namespace domainauth::setup
