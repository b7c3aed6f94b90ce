// Runs one coroutine to completion for code that is not itself on the event
// loop (the CLI): drives the io_context until the awaitable finishes and returns
// its value, rethrowing any exception it ended with.
//   dns::Answer a = dns::run_sync(io, dns::lookup(resolver, "example.com", dns::RecordType::txt));
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace domainauth::dns {

// Returns as soon as the task has finished (other work left on io stays queued
// for a later run). Throws std::logic_error if io runs out of work first, which
// means the task waits for something nobody will deliver.
template <typename T>
T run_sync(asio::io_context& io, asio::awaitable<T> task) {
  bool done = false;
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
      error = e;
      done = true;
    });
  } else {
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T result) {
      error = e;
      if (!e) value.emplace(std::move(result));
      done = true;
    });
  }
  io.restart();
  while (!done) {
    if (io.run_one() == 0) throw std::logic_error("run_sync: the event loop ran out of work before the task finished");
  }
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) return std::move(*value);
}

}  // namespace domainauth::dns
