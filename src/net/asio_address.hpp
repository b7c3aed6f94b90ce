// net::IpAddress as an Asio address, for code that opens sockets (the milter
// and policy listeners, the DNS stub resolver).
#pragma once

#include <algorithm>
#include <asio/ip/address.hpp>

#include "net/address.hpp"

namespace domainauth::net {

inline asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.is_v4()) {
    asio::ip::address_v4::bytes_type bytes{};
    std::copy_n(ip.bytes().begin(), bytes.size(), bytes.begin());
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes{};
  std::copy_n(ip.bytes().begin(), bytes.size(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

}  // namespace domainauth::net
