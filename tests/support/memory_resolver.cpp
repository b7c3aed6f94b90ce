// In-memory resolver for tests (see memory_resolver.hpp).
#include "memory_resolver.hpp"

#include <asio/post.hpp>
#include <cctype>

namespace domainauth::testing {

std::string normalize_name(std::string_view name) {
  std::string out(name);
  while (!out.empty() && out.back() == '.') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

MemoryResolver::Node& MemoryResolver::node(std::string_view name) { return zone_[normalize_name(name)]; }

void MemoryResolver::add_txt(std::string_view name, std::string text) { node(name).txt.push_back(std::move(text)); }

void MemoryResolver::add_address(std::string_view name, const net::IpAddress& ip) {
  (ip.is_v4() ? node(name).a : node(name).aaaa).push_back(ip);
}

void MemoryResolver::add_mx(std::string_view name, std::uint16_t preference, std::string_view exchange) {
  node(name).mx.push_back({preference, normalize_name(exchange)});
}

void MemoryResolver::add_ptr(std::string_view name, std::string_view target) {
  node(name).ptr.push_back(normalize_name(target));
}

void MemoryResolver::add_tlsa(std::string_view name, dns::TlsaRecord record) {
  node(name).tlsa.push_back(std::move(record));
}

void MemoryResolver::add_cname(std::string_view name, std::string_view target) {
  node(name).cname = normalize_name(target);
}

void MemoryResolver::add_name(std::string_view name) { node(name); }
void MemoryResolver::set_timeout(std::string_view name) { node(name).failure = Failure::timeout; }
void MemoryResolver::set_servfail(std::string_view name) { node(name).failure = Failure::servfail; }
void MemoryResolver::set_dnssec(std::string_view name, dns::Dnssec status) { node(name).dnssec = status; }

dns::Answer MemoryResolver::answer(std::string_view name, dns::RecordType type) const {
  using dns::RecordType;
  using dns::Status;
  dns::Answer out;
  std::string key = normalize_name(name);
  for (int hops = 0; hops < 10; ++hops) {
    auto it = zone_.find(key);
    if (it == zone_.end()) {
      out.status = Status::nxdomain;
      return out;
    }
    const Node& n = it->second;
    out.dnssec = n.dnssec;
    bool has = false;
    switch (type) {
      case RecordType::txt: out.txt = n.txt; has = !n.txt.empty(); break;
      case RecordType::a: out.addresses = n.a; has = !n.a.empty(); break;
      case RecordType::aaaa: out.addresses = n.aaaa; has = !n.aaaa.empty(); break;
      case RecordType::mx: out.mx = n.mx; has = !n.mx.empty(); break;
      case RecordType::ptr: out.names = n.ptr; has = !n.ptr.empty(); break;
      case RecordType::tlsa: out.tlsa = n.tlsa; has = !n.tlsa.empty(); break;
    }
    if (has) {
      out.status = Status::answer;
      return out;
    }
    if (!n.cname.empty()) {
      key = n.cname;
      continue;
    }
    switch (n.failure) {
      case Failure::timeout: out.status = Status::timeout; break;
      case Failure::servfail: out.status = Status::servfail; break;
      case Failure::none: out.status = Status::nodata; break;
    }
    return out;
  }
  out.status = Status::servfail;
  out.detail = "CNAME loop";
  return out;
}

void MemoryResolver::query(std::string_view name, dns::RecordType type, Handler handler) {
  log_.push_back(normalize_name(name) + "/" + std::string(dns::to_string(type)));
  asio::post(executor_, [answer = answer(name, type), handler = std::move(handler)]() mutable {
    handler(std::move(answer));
  });
}

}  // namespace domainauth::testing
