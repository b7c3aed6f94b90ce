// Parsers of postconf(1) output (see postfix_config.hpp).
#include "setup/postfix_config.hpp"

#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!text::trim_wsp(line).empty()) out.push_back(line);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string PostfixConfig::get(const std::string& name) const {
  const auto it = parameters.find(name);
  return it == parameters.end() ? std::string() : it->second;
}

std::optional<std::map<std::string, std::string>> parse_postconf_parameters(std::string_view text, std::string& error) {
  std::map<std::string, std::string> out;
  for (std::string_view line : lines_of(text)) {
    const auto eq = line.find(" =");
    const std::string_view name = eq == std::string_view::npos ? std::string_view{} : text::trim_wsp(line.substr(0, eq));
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      error = "not a \"name = value\" line: " + std::string(line.substr(0, 200));
      return std::nullopt;
    }
    out[std::string(name)] = std::string(text::trim_wsp(line.substr(eq + 2)));
  }
  return out;
}

std::optional<std::vector<PostfixService>> parse_postconf_services(std::string_view master, std::string_view overrides,
                                                                   std::string& error) {
  std::vector<PostfixService> out;
  for (std::string_view line : lines_of(master)) {
    auto words = words_of(line);
    // service type private unpriv chroot wakeup maxproc command [arguments]
    if (words.size() < 8) {
      error = "not a master.cf service line: " + std::string(line.substr(0, 200));
      return std::nullopt;
    }
    PostfixService service{words[0], words[1], words[7], {words.begin() + 8, words.end()}, {}, words[4]};
    out.push_back(std::move(service));
  }
  auto settings = parse_postconf_parameters(overrides, error);
  if (!settings) return std::nullopt;
  for (const auto& [key, value] : *settings) {
    // service/type/name: the service name itself may hold a slash-free host:port.
    const auto last = key.rfind('/');
    const auto middle = last == std::string::npos || last == 0 ? std::string::npos : key.rfind('/', last - 1);
    if (middle == std::string::npos || middle == 0) {
      error = "not a service/type/name parameter: " + key.substr(0, 200);
      return std::nullopt;
    }
    const std::string name = key.substr(0, middle), type = key.substr(middle + 1, last - middle - 1);
    for (auto& service : out) {
      if (service.name == name && service.type == type) service.overrides[key.substr(last + 1)] = value;
    }
  }
  return out;
}

std::vector<std::string> split_postfix_list(std::string_view value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && is_separator(value[i])) ++i;
    if (i >= value.size()) break;
    const std::size_t start = i;
    if (value[i] != '{') {
      while (i < value.size() && !is_separator(value[i]) && value[i] != '{') ++i;
    }
    // A group, alone or right after "type:" (inline:{ ... }).
    if (i < value.size() && value[i] == '{' && (i == start || value[i - 1] == ':')) {
      int depth = 0;
      for (; i < value.size(); ++i) {
        if (value[i] == '{') ++depth;
        else if (value[i] == '}' && --depth == 0) break;
      }
      if (i < value.size()) ++i;  // past the closing brace; an unclosed group runs to the end
    }
    out.emplace_back(value.substr(start, i - start));
  }
  return out;
}

PostfixEndpoint parse_postfix_endpoint(std::string_view item) {
  item = text::trim_wsp(item);
  if (item.empty() || item.front() != '{') return {std::string(item), {}};
  item.remove_prefix(1);
  if (!item.empty() && item.back() == '}') item.remove_suffix(1);
  PostfixEndpoint out;
  // Inside the braces: the address first, then name=value settings.
  std::size_t i = 0;
  bool first = true;
  while (i <= item.size()) {
    const auto comma = item.find(',', i);
    const std::string_view part = text::trim_wsp(item.substr(i, comma == std::string_view::npos ? item.npos : comma - i));
    if (first) {
      out.address = std::string(part);
      first = false;
    } else if (const auto eq = part.find('='); eq != std::string_view::npos) {
      out.settings[std::string(text::trim_wsp(part.substr(0, eq)))] = std::string(text::trim_wsp(part.substr(eq + 1)));
    }
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  return out;
}

std::optional<net::ListenAddress> postfix_socket(std::string_view address, const std::string& queue_directory,
                                                 bool chrooted, std::string& error) {
  for (std::string_view prefix : {"unix:", "local:"}) {
    if (!address.starts_with(prefix)) continue;
    const std::string_view path = address.substr(prefix.size());
    if (!path.empty() && path.front() != '/') {
      return net::ListenAddress::parse("unix:" + queue_directory + "/" + std::string(path), error);
    }
    if (chrooted && !path.empty()) return net::ListenAddress::parse("unix:" + queue_directory + std::string(path), error);
  }
  return net::ListenAddress::parse(address, error);
}

}  // namespace domainauth::setup
