// What the web listener answers to a request head, without the sockets: the
// parser's error for a malformed head, 401 without the configured bearer token,
// 405 for a method other than GET, 404 for a path no page has, else the page's
// response. Pages are added by path (exact match), so the dashboard's can join
// /metrics. Pure apart from what the pages do.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "web/http.hpp"

namespace domainauth::web {

using Page = std::function<Response(const Request&)>;

class Router {
 public:
  // token: the bearer token every request must carry; empty: none asked for.
  explicit Router(std::string token) : token_(std::move(token)) {}
  void add(std::string path, Page page) { pages_[std::move(path)] = std::move(page); }
  [[nodiscard]] Response answer(const Parsed& parsed) const;

 private:
  [[nodiscard]] bool authorized(const Request& request) const;

  std::string token_;
  std::map<std::string, Page, std::less<>> pages_;
};

}  // namespace domainauth::web
