// The names of the observability enums and the one-line text of a call_event.
#include <talkory/observability.hpp>

#include <array>
#include <cstdio>

#include "observability.hpp"

namespace talkory {

namespace {

// Indexed by the enumerator's value; the sizes keep each table in step with its enum.
constexpr std::array<std::string_view, 6> level_names{"trace",   "debug", "info",
                                                      "warning", "error", "off"};
constexpr std::array<std::string_view, 10> kind_names{
    "call_started",      "call_finished",     "attempt_started", "attempt_finished",
    "retry_scheduled",   "limiter_waited",    "pool_waited",     "connection_opened",
    "connection_reused", "connection_retired"};
constexpr std::array<std::string_view, 3> handshake_names{"none", "full", "resumed"};
constexpr std::array<std::string_view, 8> reason_names{
    "idle_timeout",   "max_age", "unsolicited_data", "peer_closed", "server_close",
    "reuse_disabled", "error",   "shutdown"};
static_assert(static_cast<std::size_t>(log_level::off) + 1 == level_names.size());
static_assert(static_cast<std::size_t>(event_kind::connection_retired) + 1 == kind_names.size());
static_assert(static_cast<std::size_t>(handshake_kind::resumed) + 1 == handshake_names.size());
static_assert(static_cast<std::size_t>(retire_reason::shutdown) + 1 == reason_names.size());

template <class Enum, std::size_t N>
std::string_view name_in(const std::array<std::string_view, N>& names, Enum value) noexcept {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view("unknown");
}

// "12.345 ms": microsecond precision, whatever the magnitude.
std::string milliseconds_text(std::chrono::microseconds d) {
  char buffer[48];
  const auto us = d.count();
  const auto whole = us / 1000;
  const auto fraction = (us < 0 ? -us : us) % 1000;
  std::snprintf(buffer, sizeof buffer, "%s%lld.%03lld ms", (us < 0 && whole == 0) ? "-" : "",
                static_cast<long long>(whole), static_cast<long long>(fraction));
  return buffer;
}

// "service_unavailable (HTTP 503)", or `error`'s whole describe() when there is one.
std::string error_text(const call_event& e, const api_error* error) {
  if (error)
    return error->describe();
  std::string out(e.error ? to_string(*e.error) : std::string_view("ok"));
  if (e.http_status != 0)
    out += " (HTTP " + std::to_string(e.http_status) + ')';
  return out;
}

std::string handshake_text(handshake_kind h) {
  switch (h) {
  case handshake_kind::full:
    return "full TLS handshake";
  case handshake_kind::resumed:
    return "resumed TLS session";
  case handshake_kind::none:
    break;
  }
  return "plain TCP";
}

} // namespace

std::string_view to_string(log_level level) noexcept {
  return name_in(level_names, level);
}
std::string_view to_string(event_kind kind) noexcept {
  return name_in(kind_names, kind);
}
std::string_view to_string(handshake_kind kind) noexcept {
  return name_in(handshake_names, kind);
}
std::string_view to_string(retire_reason reason) noexcept {
  return name_in(reason_names, reason);
}

std::string call_event::describe() const {
  return detail::event_text(*this, nullptr);
}

namespace detail {

std::string event_text(const call_event& e, const api_error* error) {
  const std::string call = "call " + std::to_string(e.call_id);
  const std::string attempt = " attempt " + std::to_string(e.attempt);
  const std::string conn = "connection " + std::to_string(e.connection_id);
  const std::string took = " in " + milliseconds_text(e.duration);
  switch (e.kind) {
  case event_kind::call_started:
    return call + " started";
  case event_kind::call_finished: {
    std::string out = call + (e.error ? " failed" : " finished") + took;
    if (e.from_cache)
      out += ", from the cache";
    if (e.shared_call_id != 0)
      out += ", sharing the request of call " + std::to_string(e.shared_call_id);
    return e.error ? out + ": " + error_text(e, error) : out;
  }
  case event_kind::attempt_started:
    return call + attempt + " started";
  case event_kind::attempt_finished:
    return call + attempt + (e.error ? " failed" : " finished") + took + ": " +
           (e.error ? error_text(e, error) : "HTTP " + std::to_string(e.http_status));
  case event_kind::retry_scheduled:
    return call + " retry" + took + " after attempt " + std::to_string(e.attempt) +
           " failed: " + error_text(e, error);
  case event_kind::limiter_waited:
    return call + " waited " + milliseconds_text(e.duration) + " for the rate limiter";
  case event_kind::pool_waited:
    return call + " waited " + milliseconds_text(e.duration) + " for a pooled connection";
  case event_kind::connection_opened:
    return call + " opened " + conn + took + " (" + handshake_text(e.handshake) + ")";
  case event_kind::connection_reused:
    return call + " reused " + conn;
  case event_kind::connection_retired:
    return (e.call_id != 0 ? call + ": " : std::string()) + conn + " retired (" +
           std::string(to_string(e.reason)) + ")";
  }
  return call + " " + std::string(to_string(e.kind));
}

} // namespace detail

} // namespace talkory
