// Error responses: the documented {"error":{...}} shape with the spec's advice appended, and a
// useful message for everything else (HTML pages, redirects, empty bodies).
#include "error_decoder.hpp"

#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "errc_table.hpp"
#include "http_dates.hpp"
#include "json_fields.hpp"
#include "text.hpp"

namespace talkory::detail {

namespace {

// Bounds the server's message copied into ours.
constexpr std::size_t max_server_message = 512;

// What to do about an error response that is not the documented JSON shape.
std::string status_advice(const http_response& response) {
  const unsigned status = response.result_int();
  if (status >= 300 && status < 400) {
    std::string out = "; redirects are not followed: check base_url";
    const auto location = header_value(response, "Location");
    if (!location.empty())
      out += " (Location: " + quoted(location) + ")";
    return out;
  }
  if (status >= 500)
    return "; a server or proxy in front of the API failed: retry shortly";
  return "; check that base_url points at the Talkory API";
}

enum class error_body { documented, other_json, not_json };

// Where the body has the documented shape, fills code, server_code, message and request_id.
error_body decode_error_body(std::string_view body, api_error& error) {
  std::string problem;
  const auto value = parse_json(body, problem);
  if (!value)
    return error_body::not_json;
  const auto* fields = value->is_object() ? find_object(value->get_object(), "error") : nullptr;
  const auto code = fields != nullptr ? find_string(*fields, "code") : std::nullopt;
  if (!code)
    return error_body::other_json;

  std::string server_message;
  if (const auto m = find_string(*fields, "message"))
    server_message = bounded_snippet(*m, max_server_message);
  if (const auto id = find_string(*fields, "requestId"))
    error.request_id = bounded_snippet(*id, max_quoted_value);

  error.server_code = bounded_snippet(*code, max_quoted_value);
  if (const auto known = server_errc_from_string(*code)) {
    error.code = *known;
    error.message = server_message.empty()
                        ? talkory_category().message(static_cast<int>(*known))
                        : server_message + " (" + std::string(find_errc_row(*known)->advice) + ")";
  } else {
    error.code = errc::unknown_api_error;
    error.message =
        (server_message.empty() ? "HTTP " + std::to_string(error.http_status) : server_message) +
        " (unrecognised error code " + quoted(*code) + ")";
  }
  return error_body::documented;
}

api_error decode(const http_response& response, std::chrono::system_clock::time_point now) {
  api_error error;
  error.origin = error_origin::server;
  error.http_status = static_cast<int>(response.result_int());

  const std::string_view body = response.body();
  const auto kind = decode_error_body(body, error);
  if (kind != error_body::documented) {
    error.code = errc::unknown_api_error;
    const auto prefix = "HTTP " + std::to_string(error.http_status);
    if (is_blank(body)) {
      error.message = prefix + " with an empty body" + status_advice(response);
    } else {
      error.body_snippet = bounded_snippet(body);
      error.message = prefix +
                      (kind == error_body::other_json
                           ? " with a JSON body that is not the documented error shape: "
                           : " with a non-JSON body: ") +
                      error.body_snippet + status_advice(response);
    }
  }
  if (error.request_id.empty())
    error.request_id = bounded_snippet(header_value(response, "X-Request-Id"), max_quoted_value);
  if (has_header(response, "Retry-After"))
    error.retry_after = parse_retry_after(header_value(response, "Retry-After"), now);
  return error;
}

} // namespace

api_error decode_error_response(const http_response& response,
                                std::chrono::system_clock::time_point now) {
  try {
    return decode(response, now);
  } catch (const std::exception& e) {
    return decoding_failure(response, e);
  }
}

api_error decoding_failure(const http_response& response, const std::exception& failure) noexcept {
  api_error error;
  error.code = errc::invalid_response;
  error.http_status = static_cast<int>(response.result_int());
  try {
    const bool out_of_memory = dynamic_cast<const std::bad_alloc*>(&failure) != nullptr;
    error.message = std::string("could not decode the response: ") +
                    (out_of_memory ? "out of memory" : failure.what());
  } catch (...) {
    // Leave the message empty; describe() falls back to the category's text.
  }
  return error;
}

} // namespace talkory::detail
