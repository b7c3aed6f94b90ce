// libFuzzer target for whole milter sessions: the input is a script of MTA
// events (connect, HELO, MAIL FROM with or without a SASL login, header
// fields, end of headers, body chunks, end of message, abort) played in any
// order into the real engine front end (milter::make_engine_handler ->
// engine::MessageCheck) over an in-memory resolver that knows SPF, DMARC and
// DKIM records. Whatever the order and the bytes, every event must be answered
// and every end of message must give a reply and modifications the milter
// encoder accepts: a 4xx/5xx reply whose status has the code's class, inserted
// fields with a field name and properly folded values, deletions of
// Authentication-Results only. Two configurations alternate: enforcing DMARC
// (with Received-SPF), and small header limits with RequiredHeaders and the
// quarantine header mark.
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dkim/crypto.hpp"
#include "engine/context.hpp"
#include "milter/engine_handler.hpp"
#include "support/memory_resolver.hpp"

using namespace domainauth;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

// Reads the script: one byte picks the event, then length-prefixed data.
class Script {
 public:
  Script(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool done() const { return at_ >= size_; }
  std::uint8_t byte() { return done() ? 0 : data_[at_++]; }
  std::string_view text(std::size_t max) {
    std::size_t n = byte();
    if (max > 255) n = n * 64 + byte();
    n = std::min({n, max, size_ - at_});
    std::string_view out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// The conclusion as the session would send it must be encodable and well-formed.
void check_result(const milter::EndOfMessageResult& result) {
  const auto& reply = result.reply;
  if (reply.verdict == milter::Verdict::smtp_reply) {
    check(reply.smtp.code >= 400 && reply.smtp.code < 600);
    check(!reply.smtp.enhanced_status.empty() && reply.smtp.enhanced_status[0] == '0' + reply.smtp.code / 100);
    check(milter::encode(reply).ok());
  }
  for (const auto& modification : result.modifications) {
    check(milter::encode(modification).ok());
    if (const auto* insert = std::get_if<milter::InsertHeader>(&modification)) {
      check(!insert->name.empty() && insert->name.find(':') == std::string::npos);
      for (char c : insert->name) check(c > ' ' && c < 127);
      const auto& v = insert->value;
      for (std::size_t i = 0; i < v.size(); ++i) {
        check(v[i] != '\r' && v[i] != '\0');
        if (v[i] == '\n') check(i + 1 < v.size() && (v[i + 1] == ' ' || v[i + 1] == '\t'));
      }
    } else if (const auto* change = std::get_if<milter::ChangeHeader>(&modification)) {
      check(change->name == "Authentication-Results" && change->value.empty() && change->index >= 1);
    }
  }
}

struct World {
  asio::io_context io;
  std::shared_ptr<testing::MemoryResolver> dns = std::make_shared<testing::MemoryResolver>(io.get_executor());
  std::shared_ptr<const engine::Context> contexts[2];
};

World* make_world() {
  spdlog::set_level(spdlog::level::off);
  auto* w = new World;
  std::string error;
  auto key = dkim::PrivateKey::generate(dkim::KeyType::ed25519, 0, &error);
  check(key.has_value());
  w->dns->add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
  w->dns->add_txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s");
  w->dns->add_txt("s1._domainkey.example.com", key->key_record());
  w->dns->add_txt("example.org", "v=spf1 include:example.com ~all");
  w->dns->add_txt("_dmarc.example.org", "v=DMARC1; p=quarantine; sp=reject; fo=1");
  w->dns->add_txt("_dmarc.org", "v=DMARC1; p=none; psd=y");
  const char* configs[2] = {
      "[milter]\nreceived_spf = true\n[dmarc]\nenforce = true\n",
      "[milter]\nmax_headers = 6\nmax_header_bytes = 600\n[dmarc]\nenforce = true\nrequired_headers = true\n"
      "never_reject = true\nquarantine_as_header = true\nignore_mail_from = [\"example.net\"]\n",
  };
  for (int i = 0; i < 2; ++i) {
    auto loaded = config::load_string(configs[i], "fuzz.toml");
    check(loaded.config.has_value());
    auto config = std::make_shared<config::Config>(*loaded.config);
    config->milter.authserv_id = "mx.test";
    w->contexts[i] = std::make_shared<engine::Context>(engine::Context{config, w->dns, {}, nullptr, nullptr});
  }
  return w;
}

asio::awaitable<void> play(World& w, Script& script) {
  const std::uint8_t setup = script.byte();
  milter::MacroTable macros;
  milter::Negotiated negotiated;
  if (setup & 1) negotiated.steps = milter::Step::header_leading_space;
  auto handler =
      milter::make_engine_handler(w.contexts[(setup >> 1) & 1], {macros, negotiated, "fuzz", w.io.get_executor()});
  std::string ip_text;
  while (!script.done()) {
    try {
      switch (script.byte() % 9) {
        case 0: {  // connect from one of a few addresses
          static const char* kIps[] = {"192.0.2.7", "198.51.100.1", "127.0.0.1", "2001:db8::1"};
          ip_text = kIps[script.byte() % 4];
          milter::Connect connect{script.text(64), milter::Family::inet, 25, ip_text, net::IpAddress::parse(ip_text)};
          (void)handler->on_connect(connect);
          break;
        }
        case 1: (void)handler->on_helo(milter::Helo{script.text(64)}); break;
        case 2: {
          macros.clear_message();
          if (script.byte() & 1) {
            macros.define(milter::MacroDefinition{milter::MacroStage::mail, {{"{auth_authen}", "user"}}});
          }
          milter::MailFrom mail;
          mail.address = script.text(128);
          (void)handler->on_mail_from(mail);
          break;
        }
        case 3:
        case 4: {
          static const char* kNames[] = {"From", "DKIM-Signature", "Authentication-Results", "Date", "ARC-Seal",
                                         "Subject", "To", "X-Other"};
          const std::string_view picked = kNames[script.byte() % 8];
          const auto own = script.text(16);
          (void)handler->on_header(milter::Header{own.empty() ? picked : own, script.text(2048)});
          break;
        }
        case 5: (void)handler->on_end_of_headers(); break;
        case 6: (void)handler->on_body(script.text(16384)); break;
        case 7: check_result(co_await handler->on_end_of_message()); break;
        case 8: handler->on_abort(); break;
      }
    } catch (const std::exception&) {
      // The session answers a handler that throws with on_handler_error: not a crash.
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* world = make_world();
  Script script(data, size);
  asio::co_spawn(world->io, play(*world, script), asio::detached);
  world->io.restart();
  world->io.run();
  return 0;
}
