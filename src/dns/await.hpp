// co_await adapter over dns::Resolver for code running on the Asio event loop:
//   dns::Answer a = co_await dns::lookup(resolver, name, dns::RecordType::txt);
#pragma once

#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <string>

#include "dns/resolver.hpp"

namespace domainauth::dns {

// A coroutine itself, so that the name lives in its frame and the initiation
// lambda captures only references: g++ 12 may destroy a co_await operand's
// by-value captures twice (seen under ASan), which is harmless only for
// trivially destructible captures.
inline asio::awaitable<Answer> lookup(Resolver& resolver, std::string name, RecordType type) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Answer)>(
      [&resolver, &name, type](auto handler) {
        // Resolver::Handler is copyable; the awaitable's handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        resolver.query(name, type, [shared](Answer answer) { std::move (*shared)(std::move(answer)); });
      },
      asio::use_awaitable);
}

}  // namespace domainauth::dns
