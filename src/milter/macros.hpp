// The macro values the MTA sends (SMFIC_MACRO) kept per stage, so the handler can
// ask for "i" (queue id), "j", "{daemon_name}", "{auth_authen}", "{client_addr}"...
// at any later point. A stage's set is replaced when the MTA sends it again; the
// message stages are forgotten at ABORT and end of message, everything at QUIT_NC.
// Stores untrusted text as given (bounded by the packet size limit).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "milter/protocol.hpp"

namespace domainauth::milter {

class MacroTable {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;  // name without braces, value

  void define(const MacroDefinition& definition);
  // Forgets the stages of one message (mail .. end of message), keeps connect and helo.
  void clear_message();
  void clear();

  // Looks a macro up by name, with or without braces ("{auth_authen}" or
  // "auth_authen"); the latest stage that defines it wins.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] const Entries& stage(MacroStage stage) const;

 private:
  // Indexed in protocol order: connect, helo, mail, rcpt, data, eoh, eom, unknown.
  std::array<Entries, 8> stages_;
};

}  // namespace domainauth::milter
