// What the web listener answers to a request head, without the sockets: the
// parser's error for a malformed head, 401 without the configured token, 405
// for a method other than GET, 404 for a path no page has, else the page's
// response. The token travels as "Authorization: Bearer TOKEN" (Prometheus,
// curl) or as the password of HTTP Basic authentication (RFC 7617, any user
// name), which a browser asks for itself when it sees the Basic challenge.
// Pages are added by path (exact match): plain pages answer at once, deferred
// pages (the dashboard's database reads) later. Pure apart from what the pages do.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "web/http.hpp"

namespace domainauth::web {

using Page = std::function<Response(const Request&)>;
// Takes a request's response; called exactly once per request.
using Reply = std::function<void(Response)>;
// A page that answers later: it calls reply once, on the event loop's thread.
using DeferredPage = std::function<void(const Request&, Reply)>;

class Router {
 public:
  // token: the token every request must carry; empty: none asked for.
  explicit Router(std::string token) : token_(std::move(token)) {}
  void add(std::string path, Page page);
  void add_deferred(std::string path, DeferredPage page) { pages_[std::move(path)] = std::move(page); }
  // Gives reply the response: inside this call for every refusal and plain
  // page, whenever a deferred page is done otherwise.
  void answer(const Parsed& parsed, const Reply& reply) const;

 private:
  [[nodiscard]] bool authorized(const Request& request) const;

  std::string token_;
  std::map<std::string, DeferredPage, std::less<>> pages_;
};

}  // namespace domainauth::web
