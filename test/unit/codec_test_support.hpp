// Responses as the codec's tests build them: the spec's example body, error bodies, and a fixed
// clock reading for the decoders (which take "now" as a parameter).
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "http_message.hpp"

namespace codec_test {

using talkory::detail::http_response;
using header_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

inline http_response make_response(unsigned status, std::string body, header_list headers = {}) {
  http_response response{static_cast<boost::beast::http::status>(status), 11};
  for (const auto& [name, value] : headers)
    response.set(boost::beast::string_view(name.data(), name.size()),
                 boost::beast::string_view(value.data(), value.size()));
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

inline const std::string spec_body = R"({
  "status": "ok",
  "checkedAt": "2026-06-27T10:00:00.000Z",
  "providers": {
    "gpt":        { "status": "ok" },
    "claude":     { "status": "ok" },
    "gemini":     { "status": "ok" },
    "grok":       { "status": "error" },
    "perplexity": { "status": "ok" }
  }
})";

inline std::string error_body(std::string_view code, std::string_view message, int status,
                              std::string_view request_id) {
  return R"({"error":{"code":")" + std::string(code) + R"(","message":")" + std::string(message) +
         R"(","status":)" + std::to_string(status) + R"(,"requestId":")" + std::string(request_id) +
         R"("}})";
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// The decoders' "now" in these tests: the spec example's checkedAt, 2026-06-27T10:00:00Z.
inline const std::chrono::system_clock::time_point test_now{
    std::chrono::sys_days{std::chrono::year{2026} / 6 / 27}.time_since_epoch() +
    std::chrono::hours{10}};

} // namespace codec_test
