// The error model: errc names, the "talkory" std::error_category and api_error's log line.
#include <talkory/errors.hpp>

#include <array>
#include <ostream>
#include <string>

namespace talkory {

namespace {

struct errc_entry {
  errc code;
  std::string_view name;
  std::string_view meaning; // what happened and what to do, for error_category::message
};

// One row per enumerator, in declaration order, so that the table is indexed by value - 1.
constexpr std::array<errc_entry, 20> errc_table{{
    {errc::invalid_request, "invalid_request",
     "invalid request: the server rejected the request's format; fix the request"},
    {errc::missing_api_key, "missing_api_key",
     "missing API key: send the Bearer key (set client_options::api_key or TALKORY_API_KEY)"},
    {errc::invalid_api_key, "invalid_api_key",
     "invalid API key: the key is wrong, revoked or expired; create a new key in settings"},
    {errc::insufficient_balance, "insufficient_balance",
     "insufficient balance: the wallet is empty; top up your wallet"},
    {errc::spend_cap_reached, "spend_cap_reached",
     "spend cap reached: the key's monthly cap is hit; raise the cap or wait for next month"},
    {errc::insufficient_scope, "insufficient_scope",
     "insufficient scope: the key lacks the required scope; use a key with the right scope "
     "(health:read for the health endpoint)"},
    {errc::not_found, "not_found",
     "not found: the endpoint or resource does not exist; check the base URL"},
    {errc::payload_too_large, "payload_too_large",
     "payload too large: the request body is too large; send a smaller payload"},
    {errc::rate_limited, "rate_limited", "rate limit exceeded: retry after the Retry-After delay"},
    {errc::internal_error, "internal_error",
     "internal server error: retry; contact support with the request id if it persists"},
    {errc::service_unavailable, "service_unavailable",
     "service unavailable: temporary outage or maintenance; retry shortly"},
    {errc::invalid_options, "invalid_options",
     "invalid client options: fix the option named in the message; nothing was sent"},
    {errc::connection_failed, "connection_failed",
     "connection failed: could not resolve or connect to the server; check the base URL and "
     "the network"},
    {errc::tls_error, "tls_error",
     "TLS error: the handshake or certificate verification failed; check the CA settings and "
     "the host name; nothing was sent"},
    {errc::timeout, "timeout",
     "timed out: a connect, handshake, attempt, pool or overall bound expired; retry later or "
     "raise the timeout"},
    {errc::cancelled, "cancelled", "cancelled: the call was cancelled or the client was shut down"},
    {errc::connection_lost, "connection_lost",
     "connection lost: the server closed or reset the connection mid-exchange; retry"},
    {errc::invalid_response, "invalid_response",
     "invalid response: the reply broke HTTP or the documented JSON shape; check that the base "
     "URL points at the Talkory API"},
    {errc::response_too_large, "response_too_large",
     "response too large: the response exceeded max_response_header or max_response_body"},
    {errc::unknown_api_error, "unknown_api_error",
     "unknown API error: the server sent an unrecognised error code or a non-JSON error body; "
     "see the HTTP status and the body snippet"},
}};

const errc_entry* find_entry(errc code) noexcept {
  const auto index = static_cast<std::size_t>(code) - 1;
  if (index >= errc_table.size())
    return nullptr;
  return &errc_table[index];
}

// The server codes are exactly the first eleven enumerators.
constexpr std::size_t server_code_count = static_cast<std::size_t>(errc::service_unavailable);

class talkory_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "talkory"; }

  std::string message(int value) const override {
    if (const auto* entry = find_entry(static_cast<errc>(value)))
      return std::string(entry->meaning);
    return "unknown talkory error " + std::to_string(value);
  }

  // Lets portable code test `ec == std::errc::timed_out` without knowing talkory's codes.
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
    case errc::timeout:
      return std::make_error_condition(std::errc::timed_out);
    case errc::cancelled:
      return std::make_error_condition(std::errc::operation_canceled);
    default:
      return {value, *this};
    }
  }
};

// Control characters would break the one-line promise of describe(); the server's text is
// untrusted and may contain CR/LF.
void append_one_line(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
}

} // namespace

std::string_view to_string(errc code) noexcept {
  if (const auto* entry = find_entry(code))
    return entry->name;
  return "unknown_errc";
}

std::optional<errc> server_errc_from_string(std::string_view code) noexcept {
  for (std::size_t i = 0; i < server_code_count; ++i)
    if (errc_table[i].name == code)
      return errc_table[i].code;
  return std::nullopt;
}

const std::error_category& talkory_category() noexcept {
  static const talkory_category_impl category;
  return category;
}

std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), talkory_category()};
}

std::string api_error::describe() const {
  std::string out(to_string(code));
  if (http_status != 0) {
    out += " (HTTP ";
    out += std::to_string(http_status);
    out += ')';
  }
  out += ": ";
  if (!message.empty())
    append_one_line(out, message);
  else
    out += talkory_category().message(static_cast<int>(code));
  if (retry_after) {
    out += "; retry after ";
    out += std::to_string(retry_after->count());
    out += 's';
  }
  if (cause) {
    out += "; cause: ";
    append_one_line(out, cause.message());
    out += " [";
    out += cause.category().name();
    out += ':';
    out += std::to_string(cause.value());
    out += ']';
  }
  if (attempts > 1) {
    out += "; after ";
    out += std::to_string(attempts);
    out += " attempts";
  }
  if (!request_id.empty()) {
    out += " [request ";
    append_one_line(out, request_id);
    out += ']';
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, errc code) {
  return os << to_string(code);
}

std::ostream& operator<<(std::ostream& os, error_origin origin) {
  return os << (origin == error_origin::server ? "server" : "client");
}

std::ostream& operator<<(std::ostream& os, const api_error& error) {
  return os << error.describe();
}

} // namespace talkory
