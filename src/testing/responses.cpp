// Bodies are built with Boost.JSON so that any provider name or status is escaped correctly.
#include "testing/responses.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstdio>
#include <ctime>

namespace talkory::testing::detail {

std::string make_request_id(std::mt19937_64& random) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string id = "req_";
  auto bits = random();
  for (int i = 0; i < 8; ++i, bits >>= 4) {
    id += digits[bits & 0xfU];
  }
  return id;
}

std::string format_checked_at(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(when);
  const auto seconds_part = floor<seconds>(millis);
  const std::time_t whole = system_clock::to_time_t(seconds_part);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  // The moduli tell GCC each field's width, so -Wformat-truncation can prove the buffer fits.
  auto field = [](long value, unsigned modulus) { return static_cast<unsigned>(value) % modulus; };
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
                field(utc.tm_year + 1900L, 10000), field(utc.tm_mon + 1L, 100),
                field(utc.tm_mday, 100), field(utc.tm_hour, 100), field(utc.tm_min, 100),
                field(utc.tm_sec, 100), field((millis - seconds_part).count(), 1000));
  return text.data();
}

std::string error_body(std::string_view code, std::string_view message, int status,
                       std::string_view request_id) {
  // json::object keeps insertion order, so the body reads like the documentation's example.
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  error["status"] = status;
  error["requestId"] = request_id;
  boost::json::object body;
  body["error"] = std::move(error);
  return boost::json::serialize(body);
}

std::string health_body(std::string_view checked_at, const provider_list& providers) {
  bool all_ok = true;
  boost::json::object by_name;
  for (const auto& [name, status] : providers) {
    all_ok = all_ok && status == "ok";
    boost::json::object entry;
    entry["status"] = status;
    by_name[name] = std::move(entry);
  }
  boost::json::object body;
  body["status"] = all_ok ? "ok" : "degraded";
  body["checkedAt"] = checked_at;
  body["providers"] = std::move(by_name);
  return boost::json::serialize(body);
}

} // namespace talkory::testing::detail
