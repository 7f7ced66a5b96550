// The one table of errc texts: each code's name, what it means and what to do about it. The
// error category, to_string and the error decoder's advice all read it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <talkory/errors.hpp>

namespace talkory::detail {

struct errc_row {
  errc code;
  std::string_view name;    // the enumerator's name, and the server's `code` for server codes
  std::string_view summary; // what happened
  std::string_view advice;  // what to do (for server codes, the spec's "What to do" column)
};

// One row per enumerator, in declaration order, so that the table is indexed by value - 1.
inline constexpr std::array<errc_row, 21> errc_rows{{
    {
        .code = errc::invalid_request,
        .name = "invalid_request",
        .summary = "invalid request (the server rejected its format)",
        .advice = "fix the request format",
    },
    {
        .code = errc::missing_api_key,
        .name = "missing_api_key",
        .summary = "missing API key (no Authorization header)",
        .advice = "send the Bearer key (set client_options::api_key or TALKORY_API_KEY)",
    },
    {
        .code = errc::invalid_api_key,
        .name = "invalid_api_key",
        .summary = "invalid API key (wrong, revoked or expired)",
        .advice = "create a new key at app.talkory.ai, Settings > API Keys",
    },
    {
        .code = errc::insufficient_balance,
        .name = "insufficient_balance",
        .summary = "insufficient balance (the wallet is empty)",
        .advice = "top up your wallet",
    },
    {
        .code = errc::spend_cap_reached,
        .name = "spend_cap_reached",
        .summary = "spend cap reached (the key's monthly cap is hit)",
        .advice = "raise the key's monthly spend cap or wait for next month",
    },
    {
        .code = errc::insufficient_scope,
        .name = "insufficient_scope",
        .summary = "insufficient scope (the key lacks the required scope)",
        .advice = "use a key with the right scope (health:read for the health endpoint)",
    },
    {
        .code = errc::not_found,
        .name = "not_found",
        .summary = "not found (the endpoint or resource does not exist)",
        .advice = "check the URL (base_url and its path prefix)",
    },
    {
        .code = errc::payload_too_large,
        .name = "payload_too_large",
        .summary = "payload too large (the request body is too large)",
        .advice = "send a smaller payload",
    },
    {
        .code = errc::rate_limited,
        .name = "rate_limited",
        .summary = "rate limit exceeded",
        .advice = "retry after the Retry-After delay",
    },
    {
        .code = errc::internal_error,
        .name = "internal_error",
        .summary = "internal server error",
        .advice = "retry; contact support with the requestId if it persists",
    },
    {
        .code = errc::service_unavailable,
        .name = "service_unavailable",
        .summary = "service unavailable (temporary outage or maintenance)",
        .advice = "retry shortly",
    },
    {
        .code = errc::invalid_options,
        .name = "invalid_options",
        .summary = "invalid client options (nothing was sent)",
        .advice = "fix the option named in the message",
    },
    {
        .code = errc::connection_failed,
        .name = "connection_failed",
        .summary = "connection failed (could not resolve or connect to the server)",
        .advice = "check the base URL and the network",
    },
    {
        .code = errc::tls_error,
        .name = "tls_error",
        .summary = "TLS error (the handshake or certificate verification failed; nothing was sent)",
        .advice = "check the CA settings and the host name",
    },
    {
        .code = errc::timeout,
        .name = "timeout",
        .summary = "timed out (a connect, handshake, attempt, pool or overall bound expired)",
        .advice = "retry later or raise the timeout",
    },
    {
        .code = errc::cancelled,
        .name = "cancelled",
        .summary = "cancelled (by the caller, or the client was shut down)",
        .advice = "call again if the result is still needed",
    },
    {
        .code = errc::connection_lost,
        .name = "connection_lost",
        .summary = "connection lost (the server closed or reset the connection mid-exchange)",
        .advice = "retry",
    },
    {
        .code = errc::invalid_response,
        .name = "invalid_response",
        .summary = "invalid response (the reply broke HTTP or the documented JSON shape)",
        .advice = "check that the base URL points at the Talkory API",
    },
    {
        .code = errc::response_too_large,
        .name = "response_too_large",
        .summary = "response too large (beyond max_response_header or max_response_body)",
        .advice = "raise those limits if such a response is expected",
    },
    {
        .code = errc::unknown_api_error,
        .name = "unknown_api_error",
        .summary = "unknown API error (an unrecognised error code or a non-JSON error body)",
        .advice = "see the HTTP status and the body snippet",
    },
    {
        .code = errc::fleet_unavailable,
        .name = "fleet_unavailable",
        .summary = "fleet rate limit unavailable (Redis unreachable or slower than "
                   "fleet.command_timeout; nothing was sent)",
        .advice = "check that Redis runs at fleet.redis_url, or set fleet.on_unavailable = "
                  "fallback_local",
    },
}};

/// The server codes are exactly the first rows, up to service_unavailable.
inline constexpr std::size_t server_errc_count =
    static_cast<std::size_t>(errc::service_unavailable);

/// The row of `code`, or null for a value that is no enumerator.
constexpr const errc_row* find_errc_row(errc code) noexcept {
  const auto index = static_cast<std::size_t>(code) - 1;
  return index < errc_rows.size() ? &errc_rows[index] : nullptr;
}

namespace errc_table_checks {

// Every enumerator, where -Wswitch (in -Wall) sees them: an errc added to errors.hpp without a
// case here is a warning, an error with TALKORY_WERROR.
constexpr bool is_enumerator(errc code) noexcept {
  switch (code) {
  case errc::invalid_request:
  case errc::missing_api_key:
  case errc::invalid_api_key:
  case errc::insufficient_balance:
  case errc::spend_cap_reached:
  case errc::insufficient_scope:
  case errc::not_found:
  case errc::payload_too_large:
  case errc::rate_limited:
  case errc::internal_error:
  case errc::service_unavailable:
  case errc::invalid_options:
  case errc::connection_failed:
  case errc::tls_error:
  case errc::timeout:
  case errc::cancelled:
  case errc::connection_lost:
  case errc::invalid_response:
  case errc::response_too_large:
  case errc::unknown_api_error:
  case errc::fleet_unavailable:
    return true;
  }
  return false;
}

constexpr bool rows_match_codes() noexcept {
  for (std::size_t i = 0; i < errc_rows.size(); ++i)
    if (errc_rows[i].code != static_cast<errc>(i + 1) || !is_enumerator(errc_rows[i].code))
      return false;
  return true;
}

static_assert(rows_match_codes(), "errc_rows[i] must hold the errc whose value is i + 1");
static_assert(!is_enumerator(static_cast<errc>(0)) &&
                  !is_enumerator(static_cast<errc>(errc_rows.size() + 1)),
              "every errc needs a row in errc_rows, and the enumerators start at 1");
static_assert(errc_rows[server_errc_count - 1].code == errc::service_unavailable &&
                  errc_rows[server_errc_count].code == errc::invalid_options,
              "the server codes come first");

} // namespace errc_table_checks

} // namespace talkory::detail
