// The files the web listener serves as they are: the dashboard's page, script
// and style sheet (src/web/dashboard/) and Chart.js 3.9 (Debian's
// libjs-chart.js, MIT), embedded at build time by cmake/embed.cmake; nothing
// is read from disk at run time.
#pragma once

#include <span>
#include <string_view>

namespace domainauth::web {

struct Asset {
  std::string_view path;  // the URL path
  std::string_view content_type;
  std::string_view body;
};

[[nodiscard]] std::span<const Asset> assets();

}  // namespace domainauth::web
