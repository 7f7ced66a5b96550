// A non-2xx response → api_error: the documented error shape, an unknown code, or whatever a
// proxy in front of the API sent. Pure: the time Retry-After is relative to is a parameter.
#pragma once

#include <chrono>
#include <exception>

#include <talkory/errors.hpp>

#include "http_message.hpp"

namespace talkory::detail {

/// A non-2xx response → api_error (origin server): documented codes map to their errc, an
/// unknown code or a non-JSON body gives unknown_api_error with server_code / body_snippet.
/// Fills http_status, message, request_id (body, else X-Request-Id), and retry_after (an
/// HTTP-date is taken relative to `now`). A failure to decode (only allocation can fail) gives
/// invalid_response rather than an exception.
api_error decode_error_response(const http_response& response,
                                std::chrono::system_clock::time_point now);

/// The last line of defence of "no exception escapes a decoder": `failure` (only allocation can
/// throw while decoding) as an invalid_response error for `response`.
api_error decoding_failure(const http_response& response, const std::exception& failure) noexcept;

} // namespace talkory::detail
