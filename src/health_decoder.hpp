// The response to GET /v1/health/llm → health_report, or a precise api_error. Pure: no sockets,
// no clocks (the time a Retry-After date is relative to is a parameter).
#pragma once

#include <chrono>

#include <talkory/health.hpp>
#include <talkory/result.hpp>

#include "http_message.hpp"

namespace talkory::detail {

/// How a 2xx body is read. `reader_first`: read_documented_health_body, and the DOM decoder
/// only when it declines. `dom_only`: the DOM decoder alone, the reference the reader is
/// checked against (it must give the same result whenever the reader accepts).
enum class body_reading { reader_first, dom_only };

/// A 2xx response → report (meta.http_status, request id and rate-limit headers filled in;
/// latency/attempts/reuse are the caller's). A non-2xx response → decode_error_response at `now`.
result<health_report> decode_health_response(const http_response& response,
                                             std::chrono::system_clock::time_point now,
                                             body_reading reading = body_reading::reader_first);

} // namespace talkory::detail
