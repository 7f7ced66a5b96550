// client_options: loading from the environment, validation with actionable messages, printing
// with the key redacted.
#include <talkory/options.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <string>
#include <system_error>

#include "base_url.hpp"
#include "call_settings.hpp"
#include "fleet/redis_url.hpp"
#include "text.hpp"

namespace talkory {

namespace {

// Shorter "keys" are not real keys (tk_live_ plus 32 characters), and redacting every
// occurrence of, say, "ab" would garble the message without protecting anything.
constexpr std::size_t min_redactable_key = 8;

// Belt and braces for rule 2 of the design: whatever a message quotes (a URL, a path), the
// key never appears in it.
std::string redact_key(std::string text, std::string_view key) {
  if (key.size() < min_redactable_key)
    return text;
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos))
    text.replace(pos, key.size(), "<redacted>");
  return text;
}

api_error invalid_options(std::string message) {
  api_error error;
  error.code = errc::invalid_options;
  error.origin = error_origin::client;
  error.message = std::move(message);
  return error;
}

// Names the kind of character that makes a key unusable, without ever showing the key.
std::string bad_key_reason(std::string_view key) {
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n')
      return "a line break (CR or LF), often the trailing newline of a file or a shell variable";
    if (detail::is_control_character(c))
      return "a control character";
    if (c == ' ')
      return "a space";
    if (u >= 0x80)
      return "a non-ASCII byte";
  }
  return "an unexpected character";
}

std::string ms(milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

struct named_duration {
  std::string_view name;
  milliseconds value;
};

// The first of `bounds` that is not greater than zero, in the order given.
std::optional<api_error> check_positive(std::initializer_list<named_duration> bounds) {
  for (const auto& [name, value] : bounds)
    if (value <= milliseconds::zero())
      return invalid_options(std::string(name) + " must be greater than zero (got " + ms(value) +
                             ")");
  return std::nullopt;
}

std::optional<api_error> check_not_negative(std::string_view name, milliseconds value) {
  if (value >= milliseconds::zero())
    return std::nullopt;
  return invalid_options(std::string(name) + " must not be negative (got " + ms(value) + ")");
}

// A file the TLS layer will load later; checking it now turns a late, obscure TLS failure
// into an immediate message naming the file.
std::optional<api_error> check_ca_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return invalid_options("tls.ca_file \"" + path +
                           "\" does not exist: give the path of a PEM file of trusted CAs, or "
                           "leave it empty for the system's store");
  if (std::filesystem::is_directory(status))
    return invalid_options("tls.ca_file \"" + path +
                           "\" is a directory: give the path of a PEM file of trusted CAs");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return invalid_options("tls.ca_file \"" + path + "\" cannot be read: check its permissions");
  return std::nullopt;
}

// fleet_options, checked only when fleet mode is asked for (a non-empty redis_url).
std::optional<api_error> check_fleet(const client_options& o) {
  const auto& f = o.fleet;
#if !defined(TALKORY_HAS_FLEET)
  return invalid_options("fleet.redis_url is set, but this build of talkory has no fleet mode "
                         "(hiredis was not found when it was built): install libhiredis-dev "
                         "and rebuild talkory, or leave fleet.redis_url empty");
#endif
  if (!o.rate_limit.enabled)
    return invalid_options("fleet mode shares the client-side rate limit across processes: set "
                           "rate_limit.enabled = true, or leave fleet.redis_url empty");
  if (auto address = detail::parse_redis_url(f.redis_url); !address)
    return std::move(address.error());
  if (auto e = check_positive({{"fleet.connect_timeout", f.connect_timeout},
                               {"fleet.command_timeout", f.command_timeout},
                               {"fleet.reconnect_backoff", f.reconnect_backoff},
                               {"fleet.max_reconnect_backoff", f.max_reconnect_backoff}}))
    return e;
  if (f.max_reconnect_backoff < f.reconnect_backoff)
    return invalid_options("fleet.max_reconnect_backoff (" + ms(f.max_reconnect_backoff) +
                           ") must not be less than fleet.reconnect_backoff (" +
                           ms(f.reconnect_backoff) + ")");
  if (auto e = check_not_negative("fleet.window_margin", f.window_margin))
    return e;
  if (f.expected_processes == 0)
    return invalid_options("fleet.expected_processes must be at least 1: the number of "
                           "processes sharing the key (the fallback allows rate_limit / it)");
  constexpr std::size_t max_prefix = 128;
  if (f.key_prefix.size() > max_prefix || detail::has_control_character(f.key_prefix))
    return invalid_options("fleet.key_prefix must be at most " + std::to_string(max_prefix) +
                           " characters without control characters (default \"talkory:\")");
  if (!f.password_env.empty()) {
    const char* password = std::getenv(f.password_env.c_str());
    if (password == nullptr || *password == '\0')
      return invalid_options("fleet.password_env names the environment variable \"" +
                             f.password_env +
                             "\", which is not set or empty: export the Redis password there, "
                             "or leave fleet.password_env empty for a Redis without AUTH");
  }
  return std::nullopt;
}

std::optional<api_error> check_options(const client_options& o, detail::origin* parsed) {
  if (o.api_key.empty())
    return invalid_options("api_key is empty: set client_options::api_key (or the TALKORY_API_KEY "
                           "environment variable) to your tk_live_ key from app.talkory.ai, "
                           "Settings > API Keys");
  if (o.api_key.size() > client_options::max_api_key_length)
    return invalid_options("api_key is " + std::to_string(o.api_key.size()) +
                           " characters long, more than the " +
                           std::to_string(client_options::max_api_key_length) +
                           " accepted (a Talkory key is tk_live_ plus 32 characters): copy the "
                           "key again (the key is not shown here)");
  if (!detail::is_valid_api_key(o.api_key))
    return invalid_options("api_key contains " + bad_key_reason(o.api_key) +
                           ": copy the key again, without surrounding whitespace (the key is "
                           "not shown here)");

  auto url = detail::parse_base_url(o.base_url, o.allow_insecure_http);
  if (!url)
    return std::move(url.error());
  if (parsed)
    *parsed = std::move(*url);

  if (auto e = check_positive({{"timeouts.connect", o.timeouts.connect},
                               {"timeouts.handshake", o.timeouts.handshake},
                               {"timeouts.attempt", o.timeouts.attempt},
                               {"timeouts.total", o.timeouts.total},
                               {"timeouts.shutdown", o.timeouts.shutdown}}))
    return e;

  if (o.pool.max_connections == 0)
    return invalid_options("pool.max_connections must be at least 1");
  if (auto e = check_positive({{"pool.idle_timeout", o.pool.idle_timeout},
                               {"pool.max_connection_age", o.pool.max_connection_age},
                               {"pool.acquire_timeout", o.pool.acquire_timeout}}))
    return e;

  if (o.rate_limit.enabled) {
    constexpr std::string_view or_disable = " (or set rate_limit.enabled = false)";
    if (o.rate_limit.requests_per_window == 0)
      return invalid_options("rate_limit.requests_per_window must be at least 1" +
                             std::string(or_disable));
    if (o.rate_limit.burst == 0)
      return invalid_options("rate_limit.burst must be at least 1" + std::string(or_disable));
    if (o.rate_limit.burst > client_options::max_rate_limit_burst)
      return invalid_options("rate_limit.burst must be at most " +
                             std::to_string(client_options::max_rate_limit_burst) + " (got " +
                             std::to_string(o.rate_limit.burst) +
                             "): the limiter keeps one timestamp per token" +
                             std::string(or_disable));
    if (o.rate_limit.window <= milliseconds::zero())
      return invalid_options("rate_limit.window must be greater than zero (got " +
                             ms(o.rate_limit.window) + ")" + std::string(or_disable));
  }

  if (!o.fleet.redis_url.empty())
    if (auto e = check_fleet(o))
      return e;

  if (o.retry.max_retries < 0)
    return invalid_options("retry.max_retries must not be negative (got " +
                           std::to_string(o.retry.max_retries) + "); 0 disables retries");
  if (auto e = check_not_negative("retry.initial_backoff", o.retry.initial_backoff))
    return e;
  if (auto e = check_not_negative("retry.max_backoff", o.retry.max_backoff))
    return e;
  if (o.retry.max_retry_after < std::chrono::seconds::zero())
    return invalid_options("retry.max_retry_after must not be negative (got " +
                           std::to_string(o.retry.max_retry_after.count()) + " s)");

  if (auto e = check_not_negative("cache_ttl", o.cache_ttl))
    return e;
  if (o.cache_ttl > client_options::max_cache_ttl)
    return invalid_options("cache_ttl is " + ms(o.cache_ttl) + ", more than the " +
                           ms(client_options::max_cache_ttl) +
                           " the server itself caches its check: a longer cache would only "
                           "serve outdated reports");
  if (auto e = check_not_negative("serve_stale_for", o.serve_stale_for))
    return e;

  if (o.max_response_body == 0)
    return invalid_options("max_response_body must be at least 1 byte");
  if (o.max_response_header == 0)
    return invalid_options("max_response_header must be at least 1 byte");

  if (detail::has_control_character(o.user_agent))
    return invalid_options("user_agent contains a control character (such as CR or LF), which "
                           "an HTTP header cannot carry: remove it");

  if (!o.tls.ca_file.empty())
    if (auto e = check_ca_file(o.tls.ca_file))
      return e;
  return std::nullopt;
}

// Quoted, with control characters (C1 and bidirectional ones too) escaped so that one printed
// option stays on one line and shows what it holds; bounded, as every output is.
std::string printable_quoted(std::string_view text) {
  constexpr std::size_t max_shown = 256;
  std::string out = "\"";
  detail::append_escaped(out, text.substr(0, max_shown));
  out += text.size() > max_shown ? "...\"" : "\"";
  return out;
}

// The base URL with any user info (user:password@) replaced: it would be a credential.
std::string printable_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_start);
  const auto authority = url.substr(authority_start, authority_end == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : authority_end - authority_start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos)
    return std::string(url);
  return std::string(url.substr(0, authority_start)) + "<redacted>" +
         std::string(url.substr(authority_start + at));
}

std::string_view to_string(rate_limit_mode mode) noexcept {
  return mode == rate_limit_mode::fail_fast ? "fail_fast" : "wait";
}

std::string_view to_string(fleet_unavailable_policy policy) noexcept {
  return policy == fleet_unavailable_policy::fail ? "fail" : "fallback_local";
}

} // namespace

client_options client_options::from_env() {
  client_options options;
  if (const char* key = std::getenv("TALKORY_API_KEY"))
    options.api_key = key;
  if (const char* url = std::getenv("TALKORY_BASE_URL"); url != nullptr && *url != '\0')
    options.base_url = url;
  return options;
}

std::optional<api_error> client_options::validate() const {
  return detail::validate_options(*this, nullptr);
}

namespace detail {

std::optional<api_error> validate_options(const client_options& options, origin* parsed) {
  auto error = check_options(options, parsed);
  if (error)
    error->message = redact_key(std::move(error->message), options.api_key);
  return error;
}

} // namespace detail

std::ostream& operator<<(std::ostream& os, const client_options& o) {
  const auto bool_text = [](bool b) { return b ? "true" : "false"; };
  const auto redis_url_text =
      o.fleet.redis_url.empty()
          ? std::string("<off>")
          : redact_key(printable_quoted(printable_url(o.fleet.redis_url)), o.api_key);
  os << "client_options{api_key=";
  if (o.api_key.empty())
    os << "<empty>";
  else
    os << "<redacted, " << o.api_key.size() << " chars>";
  os << ", base_url=" << redact_key(printable_quoted(printable_url(o.base_url)), o.api_key)
     << ", tls={ca_file=" << redact_key(printable_quoted(o.tls.ca_file), o.api_key) << ", ca_pem="
     << (o.tls.ca_pem.empty() ? "<none>" : std::to_string(o.tls.ca_pem.size()) + " bytes")
     << "}, timeouts={connect=" << ms(o.timeouts.connect)
     << ", handshake=" << ms(o.timeouts.handshake) << ", attempt=" << ms(o.timeouts.attempt)
     << ", total=" << ms(o.timeouts.total) << ", shutdown=" << ms(o.timeouts.shutdown)
     << "}, pool={max_connections=" << o.pool.max_connections
     << ", idle_timeout=" << ms(o.pool.idle_timeout)
     << ", max_connection_age=" << ms(o.pool.max_connection_age)
     << ", acquire_timeout=" << ms(o.pool.acquire_timeout) << ", reuse=" << bool_text(o.pool.reuse)
     << "}, rate_limit={enabled=" << bool_text(o.rate_limit.enabled)
     << ", requests_per_window=" << o.rate_limit.requests_per_window
     << ", window=" << ms(o.rate_limit.window) << ", burst=" << o.rate_limit.burst
     << ", mode=" << to_string(o.rate_limit.mode) << "}, retry={max_retries=" << o.retry.max_retries
     << ", initial_backoff=" << ms(o.retry.initial_backoff)
     << ", max_backoff=" << ms(o.retry.max_backoff)
     << ", max_retry_after=" << o.retry.max_retry_after.count() << " s}"
     << ", user_agent=" << redact_key(printable_quoted(o.user_agent), o.api_key)
     << ", allow_insecure_http=" << bool_text(o.allow_insecure_http)
     << ", coalesce_concurrent_calls=" << bool_text(o.coalesce_concurrent_calls)
     << ", cache_ttl=" << ms(o.cache_ttl) << ", serve_stale_for=" << ms(o.serve_stale_for)
     << ", max_response_body=" << o.max_response_body
     << ", max_response_header=" << o.max_response_header << ", fleet={redis_url=" << redis_url_text
     << ", password_env=" << redact_key(printable_quoted(o.fleet.password_env), o.api_key)
     << ", key_prefix=" << redact_key(printable_quoted(o.fleet.key_prefix), o.api_key)
     << ", connect_timeout=" << ms(o.fleet.connect_timeout)
     << ", command_timeout=" << ms(o.fleet.command_timeout)
     << ", reconnect_backoff=" << ms(o.fleet.reconnect_backoff)
     << ", max_reconnect_backoff=" << ms(o.fleet.max_reconnect_backoff)
     << ", window_margin=" << ms(o.fleet.window_margin)
     << ", expected_processes=" << o.fleet.expected_processes
     << ", on_unavailable=" << to_string(o.fleet.on_unavailable) << "}"
     << ", log={level=" << to_string(o.log.level) << ", sink=" << (o.log.sink ? "<set>" : "<none>")
     << "}, observer=" << (o.observer ? "<set>" : "<none>") << '}';
  return os;
}

} // namespace talkory
