// A whole milter session in memory, as Postfix 3.7 conducts it for one message
// per SMTP connection: option negotiation, the connect, HELO, MAIL and end of
// message macros, the header fields, the body and the end of message, then
// QUIT, decoded by the session's FrameReader and played into the session's
// Conversation and the engine's front end (milter::make_engine_handler), the
// replies encoded into memory. No sockets, no event-loop wake-ups, no other
// threads: the cost of the conversation and the checks themselves, without
// Postfix's noise. Setups: signing with Ed25519 or RSA-2048 (the signature
// made inline), and inbound SPF + DKIM (RSA-2048) + DMARC with the answers
// from the in-memory resolver (no history row). scripts/bench.sh compares each
// with the cryptographic operation alone, measured in the same process.
// Reads no untrusted input.

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "dkim/crypto.hpp"
#include "dkim/signer.hpp"
#include "engine/context.hpp"
#include "messages.hpp"
#include "postfix_wire.hpp"
#include "milter/conversation.hpp"
#include "milter/engine_handler.hpp"
#include "support/memory_resolver.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::bench {
namespace {

class MemoryOutput final : public milter::Output {
 public:
  void write(std::string_view bytes) override { written += bytes; }
  std::string written;
};

asio::awaitable<void> converse(milter::Conversation& conversation, milter::FrameReader& reader) {
  for (auto next = reader.next(); next.status == milter::FrameReader::Status::frame; next = reader.next()) {
    auto command = milter::decode(next.frame);
    if (!command.ok()) break;
    bool go_on = true;  // statements: g++ 12 miscompiles co_await inside ?:
    if (const auto* eom = std::get_if<milter::EndOfMessage>(&command.value())) {
      go_on = co_await conversation.end_of_message(*eom);
    } else {
      go_on = conversation.handle(command.value());
    }
    if (!go_on) break;
  }
}

class Setup {
 public:
  Setup(dkim::KeyType sign_type, bool inbound) : resolver_(std::make_shared<testing::MemoryResolver>(io_.get_executor())) {
    spdlog::set_level(spdlog::level::warn);  // as the Postfix benchmark runs the daemon
    std::string error;
    const auto key = dkim::PrivateKey::generate(sign_type, sign_type == dkim::KeyType::rsa ? 2048 : 0, &error);
    const auto key_file = dir_.write("sel.private", key->to_pem());
    auto loaded = config::load_string(
        "[milter]\nauthserv_id = \"mx.example.org\"\nreceived_spf = true\n[store]\nbackend = \"none\"\n"
        "[sign]\ninternal_hosts = [\"127.0.0.1\"]\n[[sign.key]]\ndomain = \"example.com\"\nselector = \"sel\"\n"
        "key_file = \"" + key_file + "\"\n",
        "bench.toml");
    if (!loaded.config) throw std::runtime_error("bench configuration: " + loaded.errors.front());
    context_ = std::make_shared<engine::Context>(engine::Context{
        std::make_shared<config::Config>(*loaded.config), resolver_, {}, nullptr, nullptr});
    std::string message = bench::message(4 * 1024);
    if (inbound) {
      // The sender of the Postfix benchmark: signed with RSA-2048, SPF and DMARC p=reject.
      const auto in_key = dkim::PrivateKey::generate(dkim::KeyType::rsa, 2048, &error);
      resolver_->add_txt("in._domainkey.sender.example.net", in_key->key_record());
      resolver_->add_txt("sender.example.net", "v=spf1 ip4:192.0.2.1 -all");
      resolver_->add_txt("_dmarc.sender.example.net", "v=DMARC1; p=reject; rua=mailto:dmarc@sender.example.net");
      message = sign(with_from(message, "joe@sender.example.net"), *in_key);
      wire_ = postfix_session(message, "192.0.2.1", "joe@sender.example.net");
    } else {
      wire_ = postfix_session(with_from(message, "joe@example.com"), "127.0.0.1", "joe@example.com");
    }
    // Once, the whole way: the output must carry what the setup is for.
    const auto out = run_once();
    const char* want = inbound ? "dmarc=pass" : "DKIM-Signature";
    if (out.find(want) == std::string::npos || (inbound && out.find("dkim=pass") == std::string::npos)) {
      throw std::runtime_error(std::string("milter bench: the session's output lacks ") + want);
    }
  }

  std::string run_once() {
    MemoryOutput output;
    const milter::HandlerFactory factory = [this](const milter::SessionContext& session) {
      return milter::make_engine_handler(context_, session);
    };
    milter::Conversation conversation(options_, factory, "bench", output, io_.get_executor());
    milter::FrameReader reader;
    for (std::size_t at = 0; at < wire_.size();) {
      const auto space = reader.prepare();
      const auto n = std::min(space.size(), wire_.size() - at);
      std::memcpy(space.data(), wire_.data() + at, n);
      reader.commit(n);
      at += n;
    }
    asio::co_spawn(io_, converse(conversation, reader), asio::detached);
    io_.restart();
    io_.run();
    return output.written;
  }

 private:
  static std::string with_from(std::string message, const std::string& from) {
    const std::string ours = "<joe@example.com>";
    message.replace(message.find(ours), ours.size(), "<" + from + ">");
    return message;
  }
  static std::string sign(const std::string& message, const dkim::PrivateKey& key) {
    mail::MessageSplitter splitter;
    std::string body(splitter.feed(message));
    splitter.finish();
    dkim::Signer signer({dkim::SignRequest("sender.example.net", "in", key)}, splitter.take_headers());
    signer.body(body);
    return signer.finish().at(0).field + "\r\n" + message;
  }

  asio::io_context io_;
  testing::TempDir dir_;
  std::shared_ptr<testing::MemoryResolver> resolver_;
  std::shared_ptr<engine::Context> context_;
  milter::ServerOptions options_{milter::engine_capabilities()};
  std::string wire_;
};

void milter_session(benchmark::State& state, dkim::KeyType type, bool inbound) {
  Setup setup(type, inbound);
  for (auto _ : state) benchmark::DoNotOptimize(setup.run_once());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(milter_session, sign_ed25519/4KB, dkim::KeyType::ed25519, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(milter_session, sign_rsa2048/4KB, dkim::KeyType::rsa, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(milter_session, inbound/4KB, dkim::KeyType::ed25519, true)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace domainauth::bench
