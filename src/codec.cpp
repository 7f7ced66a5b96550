// The codec: requests out, responses in, as pure functions. No sockets, no clocks (one
// system_clock::now() for an HTTP-date Retry-After), no exception escapes a decoder.
#include "codec.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <new>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

namespace talkory::detail {

namespace json = boost::json;
using namespace std::chrono;

namespace {

// Deep enough for any sane answer, shallow enough that a hostile body cannot make the
// parser's work (and the error path) expensive.
constexpr std::size_t max_json_depth = 32;
// An absurd Retry-After is treated as no Retry-After at all: the retry policy then falls back
// to its own backoff (and its max_retry_after cap) instead of trusting a broken header.
constexpr seconds max_retry_after{86'400};
// Bounds on untrusted text copied into messages.
constexpr std::size_t max_server_message = 512;
constexpr std::size_t max_quoted_value = 64;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Reads exactly `n` digits at `pos`.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size())
    return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i]))
      return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

std::optional<sys_days> make_date(int y, int m, int d) noexcept {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return std::nullopt;
  return sys_days{ymd};
}

// IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete RFC 850 and
// asctime forms are not accepted: the Talkory service sends delay-seconds, and a date it
// cannot parse only makes the client fall back to its own backoff.
std::optional<sys_seconds> parse_imf_fixdate(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 7> day_names{"Mon", "Tue", "Wed", "Thu",
                                                             "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> month_names{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  // The day name is checked for form only: a wrong weekday does not make the date unusable.
  bool known_day = false;
  for (const auto name : day_names)
    known_day = known_day || s.substr(0, 3) == name;
  int m = 0;
  for (std::size_t i = 0; i < month_names.size(); ++i)
    if (s.substr(8, 3) == month_names[i])
      m = static_cast<int>(i) + 1;
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  if (!known_day || m == 0 || !read_digits(s, 5, 2, d) || !read_digits(s, 12, 4, y) ||
      !read_digits(s, 17, 2, hh) || !read_digits(s, 20, 2, mm) || !read_digits(s, 23, 2, ss))
    return std::nullopt;
  const auto date = make_date(y, m, d);
  if (!date || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  // A leap second cannot be represented; a second early is close enough for a retry delay.
  return *date + hours{hh} + minutes{mm} + seconds{ss == 60 ? 59 : ss};
}

std::string quoted(std::string_view text) {
  return "\"" + bounded_snippet(text, max_quoted_value) + "\"";
}

std::string_view kind_name(const json::value& v) noexcept {
  switch (v.kind()) {
  case json::kind::null:
    return "null";
  case json::kind::bool_:
    return "a boolean";
  case json::kind::int64:
  case json::kind::uint64:
  case json::kind::double_:
    return "a number";
  case json::kind::string:
    return "a string";
  case json::kind::array:
    return "an array";
  case json::kind::object:
    return "an object";
  }
  return "an unknown JSON value";
}

std::string_view header(const http_response& response, std::string_view name) {
  const auto it = response.find(boost::beast::string_view(name.data(), name.size()));
  if (it == response.end())
    return {};
  const auto value = it->value();
  return {value.data(), value.size()};
}

bool has_header(const http_response& response, std::string_view name) {
  return response.find(boost::beast::string_view(name.data(), name.size())) != response.end();
}

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_blank(std::string_view body) noexcept {
  return std::ranges::all_of(body, is_json_space);
}

bool looks_like_html(std::string_view body) noexcept {
  while (!body.empty() && is_json_space(body.front()))
    body.remove_prefix(1);
  return !body.empty() && body.front() == '<';
}

// Parses `body` as one JSON value within the depth bound. On failure `problem` says why, with
// the byte offset where the parser stopped.
std::optional<json::value> parse_json(std::string_view body, std::string& problem) {
  json::parse_options options;
  options.max_depth = max_json_depth;
  json::parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec)
    return parser.release();
  if (ec == json::error::too_deep)
    problem = "nested deeper than " + std::to_string(max_json_depth) + " levels";
  else if (ec == json::error::incomplete)
    problem = "truncated after " + std::to_string(body.size()) + " bytes";
  else
    problem = ec.message() + " at byte " + std::to_string(consumed);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Health response.

// The decoding failure of a 2xx health response.
struct health_failure {
  std::string detail;
  std::string snippet; // set when the body could not be read as JSON at all
};

// A required string member, or a failure naming the member (with `where` as context).
std::optional<std::string_view> string_member(const json::object& object, std::string_view key,
                                              std::string_view where, health_failure& failure) {
  const auto* member = object.if_contains(json::string_view(key.data(), key.size()));
  if (member == nullptr) {
    failure.detail = std::string(where) + "\"" + std::string(key) + "\" is missing";
    return std::nullopt;
  }
  if (!member->is_string()) {
    failure.detail = std::string(where) + "\"" + std::string(key) + "\" is " +
                     std::string(kind_name(*member)) + ", expected a string";
    return std::nullopt;
  }
  const auto& s = member->get_string();
  return std::string_view(s.data(), s.size());
}

health_status to_health_status(std::string_view s) noexcept {
  if (s == "ok")
    return health_status::ok;
  if (s == "degraded")
    return health_status::degraded;
  return health_status::unknown;
}

provider_status to_provider_status(std::string_view s) noexcept {
  if (s == "ok")
    return provider_status::ok;
  if (s == "error")
    return provider_status::error;
  return provider_status::unknown;
}

// Fills `report` from the body, or explains the first thing that is wrong with it.
bool decode_health_body(std::string_view body, health_report& report, health_failure& failure) {
  if (is_blank(body)) {
    failure.detail = "the body is empty, expected a JSON object";
    return false;
  }
  std::string problem;
  const auto value = parse_json(body, problem);
  if (!value) {
    failure.snippet = bounded_snippet(body);
    failure.detail = looks_like_html(body)
                         ? "the body is an HTML page, not JSON (check that base_url points at "
                           "the Talkory API): " +
                               failure.snippet
                         : "the body is not valid JSON (" + problem + "): " + failure.snippet;
    return false;
  }
  if (!value->is_object()) {
    failure.detail = "the body is " + std::string(kind_name(*value)) + ", expected a JSON object";
    return false;
  }
  const auto& root = value->get_object();

  const auto status = string_member(root, "status", "", failure);
  if (!status)
    return false;
  report.status = to_health_status(*status);
  report.raw_status = std::string(*status);

  const auto checked_at = string_member(root, "checkedAt", "", failure);
  if (!checked_at)
    return false;
  const auto when = parse_iso8601(*checked_at);
  if (!when) {
    failure.detail = "\"checkedAt\" is not an ISO 8601 date-time: " + quoted(*checked_at);
    return false;
  }
  report.checked_at = *when;

  const auto* providers = root.if_contains("providers");
  if (providers == nullptr) {
    failure.detail = "\"providers\" is missing";
    return false;
  }
  if (!providers->is_object()) {
    failure.detail =
        "\"providers\" is " + std::string(kind_name(*providers)) + ", expected an object";
    return false;
  }
  const auto& members = providers->get_object();
  report.providers.reserve(members.size());
  // json::object keeps insertion order, which is the server's order.
  for (const auto& member : members) {
    const std::string_view name(member.key().data(), member.key().size());
    const std::string where = "provider " + quoted(name);
    if (!member.value().is_object()) {
      failure.detail =
          where + " is " + std::string(kind_name(member.value())) + ", expected an object";
      return false;
    }
    const auto provider_state =
        string_member(member.value().get_object(), "status", where + ": ", failure);
    if (!provider_state)
      return false;
    report.providers.push_back(provider_health{
        std::string(name), to_provider_status(*provider_state), std::string(*provider_state)});
  }
  return true;
}

result<health_report> decode_health_response_impl(const http_response& response) {
  const unsigned status = response.result_int();
  if (status < 200 || status > 299)
    return std::unexpected(decode_error_response(response));

  health_report report;
  report.meta.http_status = static_cast<int>(status);
  report.meta.request_id = bounded_snippet(header(response, "X-Request-Id"), max_quoted_value);
  report.meta.rate_limit_limit = parse_header_integer(header(response, "X-RateLimit-Limit"));
  report.meta.rate_limit_remaining =
      parse_header_integer(header(response, "X-RateLimit-Remaining"));

  health_failure failure;
  if (!decode_health_body(response.body(), report, failure)) {
    api_error error;
    error.code = errc::invalid_response;
    error.origin = error_origin::client;
    error.http_status = static_cast<int>(status);
    error.message = "the health response is invalid: " + failure.detail;
    error.request_id = report.meta.request_id;
    error.body_snippet = std::move(failure.snippet);
    return std::unexpected(std::move(error));
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Error responses.

// The spec's "What to do" column, appended to the server's message.
std::string_view advice(errc code) noexcept {
  switch (code) {
  case errc::invalid_request:
    return "fix the request format";
  case errc::missing_api_key:
    return "send the Bearer key: set client_options::api_key or TALKORY_API_KEY";
  case errc::invalid_api_key:
    return "the key is wrong, revoked or expired: create a new key at app.talkory.ai, Settings > "
           "API Keys";
  case errc::insufficient_balance:
    return "top up your wallet";
  case errc::spend_cap_reached:
    return "raise the key's monthly spend cap or wait for next month";
  case errc::insufficient_scope:
    return "use a key with the right scope (health:read for the health endpoint)";
  case errc::not_found:
    return "check the URL: base_url and its path prefix";
  case errc::payload_too_large:
    return "send a smaller payload";
  case errc::rate_limited:
    return "retry after the Retry-After delay";
  case errc::internal_error:
    return "retry; contact support with the requestId if it persists";
  case errc::service_unavailable:
    return "temporary outage or maintenance: retry shortly";
  default:
    return {};
  }
}

// What to do about an error response that is not the documented JSON shape.
std::string status_advice(const http_response& response) {
  const unsigned status = response.result_int();
  if (status >= 300 && status < 400) {
    std::string out = "; redirects are not followed: check base_url";
    const auto location = header(response, "Location");
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
  const auto* inner = value->is_object() ? value->get_object().if_contains("error") : nullptr;
  if (inner == nullptr || !inner->is_object())
    return error_body::other_json;
  const auto& fields = inner->get_object();
  const auto* code = fields.if_contains("code");
  if (code == nullptr || !code->is_string())
    return error_body::other_json;

  const std::string_view code_text(code->get_string().data(), code->get_string().size());
  std::string server_message;
  if (const auto* m = fields.if_contains("message"); m != nullptr && m->is_string())
    server_message =
        bounded_snippet({m->get_string().data(), m->get_string().size()}, max_server_message);
  if (const auto* id = fields.if_contains("requestId"); id != nullptr && id->is_string())
    error.request_id =
        bounded_snippet({id->get_string().data(), id->get_string().size()}, max_quoted_value);

  error.server_code = bounded_snippet(code_text, max_quoted_value);
  if (const auto known = server_errc_from_string(code_text)) {
    error.code = *known;
    error.message = server_message.empty()
                        ? talkory_category().message(static_cast<int>(*known))
                        : server_message + " (" + std::string(advice(*known)) + ")";
  } else {
    error.code = errc::unknown_api_error;
    error.message =
        (server_message.empty() ? "HTTP " + std::to_string(error.http_status) : server_message) +
        " (unrecognised error code " + quoted(code_text) + ")";
  }
  return error_body::documented;
}

api_error decode_error_response_impl(const http_response& response) {
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
    error.request_id = bounded_snippet(header(response, "X-Request-Id"), max_quoted_value);
  if (has_header(response, "Retry-After"))
    error.retry_after = parse_retry_after(header(response, "Retry-After"), system_clock::now());
  return error;
}

// The last line of defence of "no exception escapes the codec": only allocation can throw
// here, and an allocation failure becomes an error like any other.
api_error internal_failure(const http_response& response, const char* what) noexcept {
  api_error error;
  error.code = errc::invalid_response;
  error.http_status = static_cast<int>(response.result_int());
  try {
    error.message = std::string("could not decode the response: ") + what;
  } catch (...) {
    // Leave the message empty; describe() falls back to the category's text.
  }
  return error;
}

} // namespace

http_request make_get_request(const endpoint& ep, std::string_view path, std::string_view api_key,
                              std::string_view user_agent) {
  http_request request{http::verb::get, ep.target(path), 11};
  request.set(http::field::host, ep.host_header);
  std::string authorization = "Bearer ";
  authorization.append(api_key);
  request.set(http::field::authorization, authorization);
  if (!user_agent.empty())
    request.set(http::field::user_agent, user_agent);
  request.set(http::field::accept, "application/json");
  request.keep_alive(true); // HTTP/1.1's default: no Connection header is added
  return request;
}

bool is_valid_api_key(std::string_view key) noexcept {
  if (key.empty())
    return false;
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) // controls, space, DEL and every non-ASCII byte
      return false;
  }
  return true;
}

result<health_report> decode_health_response(const http_response& response) {
  try {
    return decode_health_response_impl(response);
  } catch (const std::bad_alloc&) {
    return std::unexpected(internal_failure(response, "out of memory"));
  } catch (const std::exception& e) {
    return std::unexpected(internal_failure(response, e.what()));
  }
}

api_error decode_error_response(const http_response& response) {
  try {
    return decode_error_response_impl(response);
  } catch (const std::bad_alloc&) {
    return internal_failure(response, "out of memory");
  } catch (const std::exception& e) {
    return internal_failure(response, e.what());
  }
}

std::optional<sys_time<milliseconds>> parse_iso8601(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS is fixed-width: 19 characters.
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
      s[7] != '-' || !read_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
      !read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
      !read_digits(s, 17, 2, sec))
    return std::nullopt;

  std::size_t pos = 19;
  int millis = 0;
  if (s[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < s.size() && is_digit(s[pos]))
      ++pos;
    const std::size_t count = pos - first;
    if (count == 0 || count > 9)
      return std::nullopt;
    // Truncated, not rounded, to milliseconds: rounding could carry into the next second.
    for (std::size_t i = 0; i < 3; ++i)
      millis = millis * 10 + (i < count ? s[first + i] - '0' : 0);
  }

  // The offset is mandatory: a local time without one names no instant.
  if (pos >= s.size())
    return std::nullopt;
  int offset_minutes = 0;
  const char sign = s[pos];
  if (sign == 'Z' || sign == 'z') {
    ++pos;
  } else if (sign == '+' || sign == '-') {
    int oh = 0, om = 0;
    if (!read_digits(s, pos + 1, 2, oh))
      return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == ':')
      ++pos;
    if (!read_digits(s, pos, 2, om))
      return std::nullopt;
    pos += 2;
    if (oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (oh * 60 + om) * (sign == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;

  const auto date = make_date(y, mo, d);
  if (!date || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  auto utc = sys_time<milliseconds>{*date} + hours{h} + minutes{mi} +
             seconds{sec == 60 ? 59 : sec} + milliseconds{millis} - minutes{offset_minutes};
  if (sec == 60) {
    // A leap second exists only as 23:59:60 UTC. sys_time cannot represent it, so it is
    // clamped to the last representable millisecond before the next minute: the instant stays
    // ordered before the following second.
    const auto tod = hh_mm_ss{utc - floor<days>(utc)};
    if (tod.hours() != hours{23} || tod.minutes() != minutes{59})
      return std::nullopt;
    utc = floor<seconds>(utc) + milliseconds{999};
  }
  return utc;
}

std::optional<seconds> parse_retry_after(std::string_view value,
                                         system_clock::time_point now) noexcept {
  value = trim_ows(value);
  if (value.empty())
    return std::nullopt;
  if (is_digit(value.front())) {
    // delay-seconds = 1*DIGIT; anything else starting with a digit is junk.
    std::int64_t total = 0;
    for (const char c : value) {
      if (!is_digit(c))
        return std::nullopt;
      total = total * 10 + (c - '0');
      if (total > max_retry_after.count())
        return std::nullopt;
    }
    return seconds{total};
  }
  const auto date = parse_imf_fixdate(value);
  if (!date)
    return std::nullopt;
  // In whole seconds: system_clock's nanoseconds overflow for dates outside 1678..2262, which
  // an IMF-fixdate (years 0000..9999) can name. The date is whole seconds, so
  // ceil(date - now) == date - floor(now).
  const auto delay = *date - floor<seconds>(now);
  if (delay <= seconds::zero())
    return seconds::zero();
  if (delay > max_retry_after)
    return std::nullopt;
  return delay;
}

std::optional<std::int64_t> parse_header_integer(std::string_view value) noexcept {
  value = trim_ows(value);
  if (value.empty())
    return std::nullopt;
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  for (const char c : value) {
    if (!is_digit(c))
      return std::nullopt;
    const int digit = c - '0';
    if (total > (max - digit) / 10)
      return std::nullopt;
    total = total * 10 + digit;
  }
  return total;
}

std::string bounded_snippet(std::string_view body, std::size_t max_bytes) {
  // Leading whitespace says nothing and would push the useful part (often "<html>") out.
  while (!body.empty() && is_json_space(body.front()))
    body.remove_prefix(1);
  const bool truncated = body.size() > max_bytes;
  body = body.substr(0, max_bytes);

  std::string out;
  out.reserve(body.size() + 3);
  std::size_t i = 0;
  while (i < body.size()) {
    const auto u = static_cast<unsigned char>(body[i]);
    if (u < 0x80) {
      out.push_back(u < 0x20 || u == 0x7f ? ' ' : static_cast<char>(u));
      ++i;
      continue;
    }
    // Keep well-formed UTF-8 sequences; replace anything else (and a sequence cut by the
    // bound) with '?' so that the snippet is always valid UTF-8 in a log line.
    const std::size_t length = u >= 0xf5 ? 0 : u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : u >= 0xc2 ? 2 : 0;
    bool well_formed = length != 0 && i + length <= body.size();
    for (std::size_t k = 1; well_formed && k < length; ++k)
      well_formed = (static_cast<unsigned char>(body[i + k]) & 0xc0) == 0x80;
    if (well_formed && length > 2) {
      // No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF (RFC 3629).
      const auto second = static_cast<unsigned char>(body[i + 1]);
      well_formed = !(u == 0xe0 && second < 0xa0) && !(u == 0xed && second >= 0xa0) &&
                    !(u == 0xf0 && second < 0x90) && !(u == 0xf4 && second >= 0x90);
    }
    if (well_formed) {
      out.append(body.substr(i, length));
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (truncated)
    out += "...";
  return out;
}

} // namespace talkory::detail
