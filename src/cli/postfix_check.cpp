// Running postconf(1) and trying sockets for `check --postfix` (see postfix_check.hpp).
#include "cli/postfix_check.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <vector>

#include "config/config.hpp"
#include "net/asio_address.hpp"
#include "text/ascii.hpp"

namespace domainauth::cli {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(3);
constexpr std::size_t kMaxOutput = 16 * 1024 * 1024;

// PROGRAM [-c DIR] ARGS... (postconf or postmap): its standard output; its
// warnings go to our stderr.
std::optional<std::string> run_tool(const std::string& program, const std::string& directory,
                                    std::vector<std::string> args, std::string& error) {
  std::vector<std::string> argv{program};
  if (!directory.empty()) argv.insert(argv.end(), {"-c", directory});
  argv.insert(argv.end(), args.begin(), args.end());
  int fds[2];
  if (::pipe(fds) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    ::execvp(program.c_str(), c_argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0 && out.size() < kMaxOutput) out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    error = code == 127 ? program + " not found (is Postfix installed?)"
                        : program + (directory.empty() ? "" : " -c " + directory) + " failed (exit status " +
                              std::to_string(code) + ")";
    return std::nullopt;
  }
  if (out.size() >= kMaxOutput) {
    error = program + " printed more than 16 MiB";
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> postconf(const std::string& directory, std::vector<std::string> args, std::string& error) {
  return run_tool("postconf", directory, std::move(args), error);
}

// A whole regular file (a FIFO or device would block or never end), at most
// kMaxOutput bytes; nothing, error set, when it cannot be read.
std::optional<std::string> read_small_file(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + " is not a regular file";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    out.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (out.size() > kMaxOutput) {
      error = path + " is larger than 16 MiB";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return out;
}

// The keys of a domain table: postmap -s for the indexed types, the file otherwise.
setup::PostfixTableListing list_table(const std::string& directory, const setup::PostfixTable& table) {
  setup::PostfixTableListing out;
  std::optional<std::string> text;
  if (table.kind == setup::PostfixTable::Kind::postmap) {
    text = run_tool("postmap", directory, {"-s", table.type + ":" + table.path}, out.error);
    if (!text) out.error = "postmap -s could not list it (" + out.error + ")";
  } else {
    text = read_small_file(table.path, out.error);
  }
  if (!text) return out;
  out.keys = table.kind == setup::PostfixTable::Kind::list_file ? setup::postfix_list_file_items(*text)
                                                                 : setup::postfix_table_keys(*text);
  return out;
}

bool reachable(const net::ListenAddress& address) {
  asio::io_context io;
  asio::error_code result = asio::error::timed_out;
  if (address.kind == net::ListenAddress::Kind::unix_socket) {
    asio::local::stream_protocol::socket socket(io);
    socket.async_connect(asio::local::stream_protocol::endpoint(address.path),
                         [&](const asio::error_code& ec) { result = ec; });
    io.run_for(kConnectTimeout);
    return !result;
  }
  asio::ip::tcp::resolver resolver(io);
  asio::ip::tcp::socket socket(io);
  resolver.async_resolve(address.host, std::to_string(address.port),
                         [&](const asio::error_code& ec, const asio::ip::tcp::resolver::results_type& endpoints) {
                           if (ec) {
                             result = ec;
                             return;
                           }
                           asio::async_connect(socket, endpoints,
                                               [&](const asio::error_code& e, const auto&) { result = e; });
                         });
  io.run_for(kConnectTimeout);
  return !result;
}

}  // namespace

std::optional<setup::PostfixConfig> read_postfix_config(const std::string& directory, std::string& error) {
  std::vector<std::string> names{"-x"};
  const auto& wanted = setup::postfix_parameters_read();
  names.insert(names.end(), wanted.begin(), wanted.end());
  const auto parameters = postconf(directory, names, error);
  const auto master = parameters ? postconf(directory, {"-M"}, error) : std::nullopt;
  const auto overrides = master ? postconf(directory, {"-P", "-x"}, error) : std::nullopt;
  if (!overrides) return std::nullopt;
  setup::PostfixConfig config;
  auto parsed = setup::parse_postconf_parameters(*parameters, error);
  auto services = parsed ? setup::parse_postconf_services(*master, *overrides, error) : std::nullopt;
  if (!services) {
    error = "cannot read postconf's output: " + error;
    return std::nullopt;
  }
  config.parameters = std::move(*parsed);
  config.services = std::move(*services);
  for (const auto& table : setup::postfix_tables_to_list(config)) config.tables[table.name] = list_table(directory, table);
  return config;
}

std::optional<setup::PostfixExpectations> postfix_expectations(const std::string& config_file, std::string& error) {
  config::Config config;
  if (config_file.empty()) {
    config = config::defaults();
  } else {
    auto loaded = config::load_file(config_file);
    if (!loaded.config) {
      error.clear();
      for (const auto& e : loaded.errors) error += (error.empty() ? "" : "; ") + e;
      return std::nullopt;
    }
    config = std::move(*loaded.config);
  }
  setup::PostfixExpectations out;
  for (const auto& spec : config.milter.listen) {
    std::string unused;
    if (auto address = net::ListenAddress::parse(spec, unused)) out.milter.push_back(*address);
  }
  out.policy = config.policy.listen;
  for (const auto& key : config.sign.keys) out.signing_domains.push_back(text::to_lower(key.domain));
  out.subdomains = config.sign.subdomains;
  out.reachable = reachable;
  return out;
}

}  // namespace domainauth::cli
