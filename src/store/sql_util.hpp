// What the store's SQL code shares (schema.cpp, ingested.cpp): value
// conversions, row ids and transactions. Internal to store/. Numbers read
// from the database that do not parse are read as 0.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace domainauth::store {

[[nodiscard]] std::string text(std::int64_t n);
[[nodiscard]] std::int64_t number(const Value& v);
[[nodiscard]] std::string str(const Value& v);

// A row id unique across hosts sharing one database: 128 random bits in hex.
[[nodiscard]] std::string new_id();

// Runs body between BEGIN and COMMIT; ROLLBACK when body or COMMIT fails.
[[nodiscard]] std::optional<std::string> in_transaction(Database& db,
                                                        const std::function<std::optional<std::string>()>& body);

// A received report stored once, in one transaction: insert is an "INSERT ...
// ON CONFLICT DO NOTHING RETURNING id"; when it inserted the row, child(i)
// writes the i-th of the children rows that belong to it. outcome says which happened.
[[nodiscard]] std::optional<std::string> insert_once(Database& db, std::string_view insert,
                                                     std::span<const Value> values, std::size_t children,
                                                     const std::function<std::optional<std::string>(std::size_t)>& child,
                                                     StoreOutcome& outcome);

}  // namespace domainauth::store
