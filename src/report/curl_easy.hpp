// What every libcurl user of the program shares: owners of libcurl handles
// (RAII) and the one-time global initialisation. Used by report/submit.cpp
// (SMTP submission) and setup/web_fetch.cpp (check's HTTPS fetches and SMTP probe).
#pragma once

#include <curl/curl.h>

namespace domainauth::report::curl {

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct EasyFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

// curl_global_init is not thread-safe before libcurl 7.84; run it once.
inline bool global_init() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

}  // namespace domainauth::report::curl
