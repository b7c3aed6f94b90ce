// Whether serve could bind its listen addresses now (see listen_check.hpp).
#include "cli/listen_check.hpp"

#include <sys/stat.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <filesystem>

#include "net/asio_address.hpp"
#include "net/listen.hpp"

namespace domainauth::cli {
namespace {

constexpr const char* kInUse = "in use (by a running daemon?)";

void check_inet(asio::io_context& io, const net::ListenAddress& address, const std::string& where,
                ListenFindings& out) {
  const auto ip = address.ip();
  if (!ip || address.port == 0) return;  // a host name is resolved at start; port 0 is any free port
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint endpoint(net::to_asio(*ip), address.port);
  asio::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) out.warnings.push_back(where + kInUse);
  else if (ec) out.errors.push_back(where + "cannot bind: " + ec.message());
}

void check_unix(asio::io_context& io, const net::ListenAddress& address, const std::string& where,
                const std::optional<config::Account>& account, ListenFindings& out) {
  const auto folder = std::filesystem::path(address.path).parent_path().string();
  std::error_code exists_error;
  if (!std::filesystem::is_directory(folder, exists_error)) {
    out.errors.push_back(where + "folder " + folder + " does not exist");
    return;
  }
  if (account) {
    if (auto reason = config::unwritable_folder_reason(folder, *account)) {
      out.errors.push_back(where + "folder " + folder + " is not writable by user " + account->name + ": " + *reason);
    }
  }
  struct stat st {};
  if (::lstat(address.path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) {
    out.errors.push_back(where + address.path + " exists and is not a socket");
    return;
  }
  // What serve does before replacing a socket file: something accepts on it, or it is stale.
  asio::local::stream_protocol::socket probe(io);
  asio::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(address.path), ec);
  if (!ec) out.warnings.push_back(where + kInUse);
}

}  // namespace

ListenFindings check_listeners(const config::Config& config, const std::optional<config::Account>& account) {
  ListenFindings out;
  asio::io_context io;
  std::vector<std::pair<std::string, net::ListenAddress>> addresses;
  for (const auto& spec : config.milter.listen) {
    std::string unused;
    if (auto address = net::ListenAddress::parse(spec, unused)) addresses.emplace_back("milter.listen", *address);
  }
  for (const auto& address : config.policy.listen) addresses.emplace_back("policy.listen", address);
  for (const auto& address : config.web.listen) addresses.emplace_back("web.listen", address);
  for (const auto& [key, address] : addresses) {
    const auto where = key + ": " + address.to_string() + ": ";
    if (address.kind == net::ListenAddress::Kind::inet) check_inet(io, address, where, out);
    else check_unix(io, address, where, account, out);
  }
  return out;
}

}  // namespace domainauth::cli
