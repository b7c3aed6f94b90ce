// MacroTable (see macros.hpp).
#include "milter/macros.hpp"

namespace domainauth::milter {

namespace {

std::size_t index_of(MacroStage stage) {
  switch (stage) {
    case MacroStage::connect: return 0;
    case MacroStage::helo: return 1;
    case MacroStage::mail: return 2;
    case MacroStage::rcpt: return 3;
    case MacroStage::data: return 4;
    case MacroStage::end_of_headers: return 5;
    case MacroStage::end_of_message: return 6;
    case MacroStage::unknown: return 7;
  }
  return 7;
}

// "{name}" -> "name"; single-letter names stay as they are.
std::string_view bare(std::string_view name) {
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}') {
    return name.substr(1, name.size() - 2);
  }
  return name;
}

}  // namespace

void MacroTable::define(const MacroDefinition& definition) {
  auto& entries = stages_[index_of(definition.stage)];
  entries.clear();
  for (const auto& macro : definition.macros) {
    entries.emplace_back(std::string(bare(macro.name)), std::string(macro.value));
  }
}

void MacroTable::clear_message() {
  for (auto stage : {MacroStage::mail, MacroStage::rcpt, MacroStage::data, MacroStage::end_of_headers,
                     MacroStage::end_of_message}) {
    stages_[index_of(stage)].clear();
  }
}

void MacroTable::clear() {
  for (auto& entries : stages_) {
    entries.clear();
  }
}

std::optional<std::string_view> MacroTable::get(std::string_view name) const {
  const auto key = bare(name);
  // Latest protocol stage first; "unknown" can come at any time and is looked at last.
  for (std::size_t i = 7; i-- > 0;) {
    for (const auto& [n, v] : stages_[i]) {
      if (n == key) {
        return std::string_view(v);
      }
    }
  }
  for (const auto& [n, v] : stages_[7]) {
    if (n == key) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

const MacroTable::Entries& MacroTable::stage(MacroStage stage) const { return stages_[index_of(stage)]; }

}  // namespace domainauth::milter
