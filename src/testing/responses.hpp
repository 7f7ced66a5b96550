// The mock server's response bodies and ids, in the exact shapes the API documentation shows.
#pragma once

#include <chrono>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace talkory::testing::detail {

using provider_list = std::vector<std::pair<std::string, std::string>>; // name, status; in order

/// "req_" and 8 lowercase hex digits.
std::string make_request_id(std::mt19937_64& random);

/// ISO 8601 UTC with milliseconds, as the API writes checkedAt: "2026-06-27T10:00:00.000Z".
std::string format_checked_at(std::chrono::system_clock::time_point when);

/// {"error":{"code","message","status","requestId"}}
std::string error_body(std::string_view code, std::string_view message, int status,
                       std::string_view request_id);

/// {"status","checkedAt","providers":{name:{"status"}}}; "ok" only when every provider is "ok".
std::string health_body(std::string_view checked_at, const provider_list& providers);

} // namespace talkory::testing::detail
