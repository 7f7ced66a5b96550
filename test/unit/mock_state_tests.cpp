// The mock server's decisions (keys, rate and cache windows, scripts, counters) on a manual clock,
// without sockets: the bodies' JSON is checked against the shapes the API documentation shows.
#include "testing/mock_state.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::testing::fault;
using talkory::testing::mock_key;
using talkory::testing::mock_server_options;
using talkory::testing::scripted_response;
using talkory::testing::detail::mock_state;
using talkory::testing::detail::mock_state_sources;
using talkory::testing::detail::planned_response;

const std::string demo_key = mock_server_options::demo_key_value;
constexpr std::string_view health_path = "/v1/health/llm";

/// Both clocks the state reads, moved only by the test. The wall clock starts at the instant of
/// the documentation's example, so checkedAt can be compared with literal text.
struct manual_clock {
  std::chrono::steady_clock::time_point steady{std::chrono::hours{1000}};
  std::chrono::system_clock::time_point wall =
      std::chrono::sys_days{std::chrono::year{2026} / 6 / 27} + 10h;

  void advance(std::chrono::milliseconds by) {
    steady += by;
    wall += by;
  }
  mock_state_sources sources() {
    return {.now = [this] { return steady; }, .wall_now = [this] { return wall; }, .seed = 42};
  }
};

/// A state on `clock`, with the given options.
struct fixture {
  explicit fixture(mock_server_options options = {}) : state(options, clock.sources()) {}
  fixture(const fixture&) = delete; // the state's clock points into this object
  fixture& operator=(const fixture&) = delete;

  planned_response get(std::optional<std::string> key = demo_key,
                       std::string_view target = health_path, std::string_view method = "GET") {
    authorization = key ? std::optional("Bearer " + *key) : std::nullopt;
    return raw(method, target, authorization);
  }
  planned_response raw(std::string_view method, std::string_view target,
                       std::optional<std::string_view> auth) {
    return state.respond({.method = method, .target = target, .authorization = auth});
  }

  manual_clock clock;
  mock_state state;
  std::optional<std::string> authorization; // keeps the header alive during respond()
};

mock_server_options with_rate_limit(std::size_t limit, std::chrono::milliseconds window = 60s) {
  mock_server_options options;
  options.rate_limit = limit;
  options.rate_window = window;
  return options;
}

mock_key key_named(std::string value, bool revoked = false, bool health_scope = true) {
  return {.key = std::move(value),
          .revoked = revoked,
          .health_scope = health_scope,
          .no_balance = false,
          .spend_cap_reached = false};
}

/// A scripted response; the fields not given keep their defaults.
scripted_response scripted(int status, std::string body = {},
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  scripted_response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

/// Every value of the header `name` (names compare case-insensitively, as in HTTP).
std::vector<std::string> headers_named(const planned_response& response, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [field, value] : response.headers) {
    if (iequals(field, name)) {
      values.push_back(value);
    }
  }
  return values;
}

/// The header's only value; a test failure (and "") when it is absent or repeated.
std::string header(const planned_response& response, std::string_view name) {
  const auto values = headers_named(response, name);
  BOOST_TEST(values.size() == 1U, name << " appears " << values.size() << " times");
  return values.empty() ? std::string() : values.front();
}

bool has_header(const planned_response& response, std::string_view name) {
  return !headers_named(response, name).empty();
}

/// "req_" and 8 lowercase hex digits, like the documentation's "req_a1b2c3d4".
bool is_request_id(std::string_view id) {
  return id.size() == 12 && id.starts_with("req_") && std::ranges::all_of(id.substr(4), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// The documented error shape, exactly: {"error":{"code","message","status","requestId"}}, with
/// the status equal to the HTTP status and the X-Request-Id header equal to the body's id.
/// Returns the requestId.
std::string check_error(const planned_response& response, int status, std::string_view code) {
  BOOST_TEST(response.status == status);
  BOOST_TEST(header(response, "Content-Type") == "application/json");
  const auto body = json::parse(response.body);
  BOOST_REQUIRE(body.is_object());
  BOOST_TEST(body.as_object().size() == 1U);
  BOOST_REQUIRE(body.as_object().contains("error"));
  const auto& error = body.at("error");
  BOOST_REQUIRE(error.is_object());
  BOOST_TEST(error.as_object().size() == 4U);
  BOOST_REQUIRE(error.at("code").is_string());
  BOOST_TEST(error.at("code").as_string() == code);
  BOOST_REQUIRE(error.at("message").is_string());
  BOOST_TEST(!error.at("message").as_string().empty());
  BOOST_REQUIRE(error.at("status").is_int64());
  BOOST_TEST(error.at("status").as_int64() == status);
  BOOST_REQUIRE(error.at("requestId").is_string());
  const std::string id(error.at("requestId").as_string());
  BOOST_TEST(is_request_id(id), id);
  BOOST_TEST(header(response, "X-Request-Id") == id);
  return id;
}

/// The documented 200 body with the five providers in the documented order; returns checkedAt.
std::string check_health(const planned_response& response, std::string_view overall = "ok") {
  BOOST_TEST(response.status == 200);
  BOOST_TEST(header(response, "Content-Type") == "application/json");
  BOOST_TEST(is_request_id(header(response, "X-Request-Id")));
  const auto body = json::parse(response.body);
  BOOST_REQUIRE(body.is_object());
  BOOST_TEST(body.as_object().size() == 3U);
  BOOST_TEST(body.at("status").as_string() == overall);
  BOOST_REQUIRE(body.at("checkedAt").is_string());
  BOOST_REQUIRE(body.at("providers").is_object());
  for (const auto& provider : body.at("providers").as_object()) {
    BOOST_TEST(provider.value().as_object().size() == 1U, provider.key());
    BOOST_TEST(provider.value().at("status").is_string(), provider.key());
  }
  return std::string(body.at("checkedAt").as_string());
}

std::vector<std::string> provider_names(const planned_response& response) {
  const auto body = json::parse(response.body); // kept: a range-for would not extend its life
  std::vector<std::string> names;
  for (const auto& provider : body.at("providers").as_object()) {
    names.emplace_back(provider.key());
  }
  return names;
}

std::string checked_at(const planned_response& response) {
  return std::string(json::parse(response.body).at("checkedAt").as_string());
}

int retry_after(const planned_response& response) {
  return std::stoi(header(response, "Retry-After"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(mock_state_tests)

// ---- Keys ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(missing_authorization_is_401_missing_api_key_without_rate_headers) {
  fixture f;
  const auto response = f.get(std::nullopt);
  check_error(response, 401, "missing_api_key");
  BOOST_TEST(!has_header(response, "X-RateLimit-Limit"));
  BOOST_TEST(!has_header(response, "X-RateLimit-Remaining"));
  BOOST_TEST(!response.close);
  BOOST_TEST(!response.scripted);
  BOOST_TEST(f.state.counters().requests == 1U);
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(malformed_authorization_is_401_missing_api_key) {
  fixture f;
  const std::string wrong_scheme = "Basic dXNlcjpwYXNz";
  const std::string with_space = "Bearer " + demo_key + " x";
  for (const std::string& value :
       {wrong_scheme, std::string("Bearer"), std::string("Bearer "), demo_key, with_space}) {
    BOOST_TEST_CONTEXT("Authorization: " << value) {
      check_error(f.raw("GET", health_path, value), 401, "missing_api_key");
    }
  }
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(bearer_scheme_is_case_insensitive) {
  fixture f;
  const std::string value = "bEARER " + demo_key;
  check_health(f.raw("GET", health_path, value));
}

BOOST_AUTO_TEST_CASE(unknown_key_is_401_invalid_api_key) {
  fixture f;
  const auto response = f.get("tk_live_unknown");
  check_error(response, 401, "invalid_api_key");
  BOOST_TEST(!has_header(response, "X-RateLimit-Limit"));
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(revoking_a_known_key_makes_it_401_invalid_api_key) {
  fixture f;
  check_health(f.get());
  f.state.add_key(key_named(demo_key, /*revoked=*/true));
  check_error(f.get(), 401, "invalid_api_key");
  BOOST_TEST(f.state.counters().health_requests == 1U);
}

BOOST_AUTO_TEST_CASE(added_key_is_accepted) {
  fixture f;
  check_error(f.get("tk_live_new"), 401, "invalid_api_key");
  f.state.add_key(key_named("tk_live_new"));
  check_health(f.get("tk_live_new"));
}

BOOST_AUTO_TEST_CASE(key_without_health_scope_is_403_insufficient_scope) {
  mock_server_options options;
  options.keys.push_back(key_named("tk_live_noscope", false, /*health_scope=*/false));
  fixture f{options};
  const auto response = f.get("tk_live_noscope");
  check_error(response, 403, "insufficient_scope");
  BOOST_TEST(header(response, "X-RateLimit-Remaining") == "29"); // authenticated, so counted
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(error_body_is_exactly_the_documented_shape) {
  fixture f;
  const auto response = f.get(std::nullopt);
  const auto id = check_error(response, 401, "missing_api_key");
  // The whole body, compared as JSON with the documentation's example filled in.
  const auto body = json::parse(response.body);
  const auto message = body.at("error").at("message");
  const json::value expected = {
      {"error",
       {{"code", "missing_api_key"}, {"message", message}, {"status", 401}, {"requestId", id}}}};
  BOOST_TEST(body == expected);
}

BOOST_AUTO_TEST_CASE(every_response_has_a_fresh_request_id) {
  fixture f;
  const auto first = check_error(f.get(std::nullopt), 401, "missing_api_key");
  const auto second = check_error(f.get(std::nullopt), 401, "missing_api_key");
  const auto third = header(f.get(), "X-Request-Id");
  const auto fourth = header(f.get(), "X-Request-Id");
  BOOST_TEST(first != second);
  BOOST_TEST(third != fourth);
  BOOST_TEST(first != third);
}

// ---- Routing ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(health_is_the_documented_body_with_rate_headers) {
  fixture f;
  const auto response = f.get();
  check_health(response);
  BOOST_TEST(header(response, "X-RateLimit-Limit") == "30");
  BOOST_TEST(header(response, "X-RateLimit-Remaining") == "29");
  BOOST_TEST(!has_header(response, "Retry-After"));
  const json::value expected = json::parse(R"({
    "status": "ok",
    "checkedAt": "2026-06-27T10:00:00.000Z",
    "providers": {
      "gpt":        { "status": "ok" },
      "claude":     { "status": "ok" },
      "gemini":     { "status": "ok" },
      "grok":       { "status": "ok" },
      "perplexity": { "status": "ok" }
    }
  })");
  BOOST_TEST(json::parse(response.body) == expected);
  const std::vector<std::string> order{"gpt", "claude", "gemini", "grok", "perplexity"};
  BOOST_TEST(provider_names(response) == order, boost::test_tools::per_element());
  BOOST_TEST(response.delay == 0ms);
  BOOST_TEST((response.inject == fault::none));
  BOOST_TEST(!response.close);
  BOOST_TEST(f.state.counters().health_requests == 1U);
}

BOOST_AUTO_TEST_CASE(a_provider_error_degrades_and_new_providers_are_appended) {
  fixture f;
  f.state.set_provider_status("grok", "error");
  f.state.set_provider_status("mistral", "ok");
  const auto response = f.get();
  check_health(response, "degraded");
  const auto body = json::parse(response.body);
  BOOST_TEST(body.at("providers").at("grok").at("status").as_string() == "error");
  BOOST_TEST(body.at("providers").at("mistral").at("status").as_string() == "ok");
  const std::vector<std::string> order{"gpt", "claude", "gemini", "grok", "perplexity", "mistral"};
  BOOST_TEST(provider_names(response) == order, boost::test_tools::per_element());
  f.state.set_provider_status("grok", "ok");
  check_health(f.get(), "ok");
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_not_found_after_authentication) {
  fixture f;
  const auto found = f.get(demo_key, "/v1/nothing");
  check_error(found, 404, "not_found");
  BOOST_TEST(header(found, "X-RateLimit-Remaining") == "29"); // counted against the key
  check_error(f.get(std::nullopt, "/v1/nothing"), 401, "missing_api_key");
  check_error(f.get(demo_key, "/v1/health"), 404, "not_found");
  check_error(f.get(demo_key, "/v1/health/llm/extra"), 404, "not_found");
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(query_string_does_not_change_the_route) {
  fixture f;
  check_health(f.get(demo_key, "/v1/health/llm?verbose=1"));
}

BOOST_AUTO_TEST_CASE(other_method_on_health_is_400_invalid_request) {
  fixture f;
  check_error(f.get(demo_key, health_path, "POST"), 400, "invalid_request");
  BOOST_TEST(f.state.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(unreadable_request_is_an_error_that_closes) {
  fixture f;
  const auto response = f.state.unreadable_request(413, "payload_too_large", "Too large.");
  check_error(response, 413, "payload_too_large");
  BOOST_TEST(response.close);
  BOOST_TEST(f.state.counters().requests == 0U); // never fully read
  check_error(f.state.unreadable_request(400, "invalid_request", "Malformed."), 400,
              "invalid_request");
}

// ---- Rate window --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(default_limit_is_30_requests_per_minute) {
  fixture f;
  for (int i = 1; i <= 30; ++i) {
    const auto response = f.get();
    BOOST_TEST_CONTEXT("request " << i) {
      BOOST_TEST(response.status == 200);
      BOOST_TEST(header(response, "X-RateLimit-Remaining") == std::to_string(30 - i));
    }
  }
  const auto limited = f.get();
  check_error(limited, 429, "rate_limited");
  BOOST_TEST(retry_after(limited) == 60);
}

BOOST_AUTO_TEST_CASE(requests_over_the_limit_get_429_with_retry_after_and_counted_headers) {
  fixture f{with_rate_limit(3)};
  for (const std::string remaining : {"2", "1", "0"}) {
    const auto response = f.get();
    check_health(response);
    BOOST_TEST(header(response, "X-RateLimit-Limit") == "3");
    BOOST_TEST(header(response, "X-RateLimit-Remaining") == remaining);
  }
  const auto limited = f.get();
  check_error(limited, 429, "rate_limited");
  BOOST_TEST(json::parse(limited.body).at("error").at("message").as_string() ==
             "Rate limit exceeded. Slow down and retry."); // the documentation's wording
  BOOST_TEST(header(limited, "X-RateLimit-Limit") == "3");
  BOOST_TEST(header(limited, "X-RateLimit-Remaining") == "0");
  BOOST_TEST(retry_after(limited) == 60); // the clock has not moved: the whole window is left
  const auto counters = f.state.counters();
  BOOST_TEST(counters.requests == 4U);
  BOOST_TEST(counters.health_requests == 3U);
  BOOST_TEST(counters.responses_429 == 1U);
}

BOOST_AUTO_TEST_CASE(retry_after_is_the_rest_of_the_window_rounded_up) {
  fixture f{with_rate_limit(1)};
  check_health(f.get());
  f.clock.advance(10'500ms);
  BOOST_TEST(retry_after(f.get()) == 50); // 49.5 s left
  f.clock.advance(49'000ms);
  BOOST_TEST(retry_after(f.get()) == 1); // 0.5 s left
  f.clock.advance(499ms);
  BOOST_TEST(retry_after(f.get()) == 1); // 1 ms left: never 0
  BOOST_TEST(f.state.counters().responses_429 == 3U);
}

BOOST_AUTO_TEST_CASE(window_resets_once_it_has_passed_and_429s_do_not_extend_it) {
  fixture f{with_rate_limit(2, 1s)};
  check_health(f.get());
  check_health(f.get());
  f.clock.advance(999ms);
  check_error(f.get(), 429, "rate_limited");
  f.clock.advance(1ms); // exactly one window after the first request
  const auto renewed = f.get();
  check_health(renewed);
  BOOST_TEST(header(renewed, "X-RateLimit-Remaining") == "1");
  check_health(f.get());
  check_error(f.get(), 429, "rate_limited");
  BOOST_TEST(f.state.counters().health_requests == 4U);
}

BOOST_AUTO_TEST_CASE(a_sliding_window_counts_the_last_window_of_admissions) {
  // Two fixed windows would let 2 + 2 through around their boundary; a sliding one never more
  // than 2 in any second, and each admission frees its place one window later.
  auto options = with_rate_limit(2, 1s);
  options.sliding_rate_window = true;
  fixture f{options};
  check_health(f.get());
  f.clock.advance(600ms);
  const auto second = f.get();
  check_health(second);
  BOOST_TEST(header(second, "X-RateLimit-Remaining") == "0");
  f.clock.advance(399ms); // 999 ms after the first
  const auto limited = f.get();
  check_error(limited, 429, "rate_limited");
  BOOST_TEST(retry_after(limited) == 1);
  f.clock.advance(1ms); // the first admission is a window old: its place is free
  check_health(f.get());
  check_error(f.get(), 429, "rate_limited");
  f.clock.advance(600ms); // the second one's too
  check_health(f.get());
  const auto times = f.state.admitted_times();
  BOOST_REQUIRE_EQUAL(times.size(), 4u);
  BOOST_TEST((times[1] - times[0] == 600ms));
  BOOST_TEST((times[3] - times[2] == 600ms));
}

BOOST_AUTO_TEST_CASE(window_opens_at_the_first_request_not_at_start) {
  fixture f{with_rate_limit(1, 1s)};
  f.clock.advance(5'000ms); // idle time before the first request does not count
  check_health(f.get());
  f.clock.advance(500ms);
  const auto limited = f.get();
  check_error(limited, 429, "rate_limited");
  BOOST_TEST(retry_after(limited) == 1);
  f.clock.advance(500ms);
  check_health(f.get());
}

BOOST_AUTO_TEST_CASE(each_key_has_its_own_rate_window) {
  mock_server_options options = with_rate_limit(1);
  options.keys.push_back(key_named("tk_live_other"));
  fixture f{options};
  check_health(f.get());
  check_error(f.get(), 429, "rate_limited");
  const auto other = f.get("tk_live_other");
  check_health(other);
  BOOST_TEST(header(other, "X-RateLimit-Remaining") == "0");
}

BOOST_AUTO_TEST_CASE(unauthenticated_requests_do_not_use_the_window) {
  fixture f{with_rate_limit(1)};
  check_error(f.get(std::nullopt), 401, "missing_api_key");
  check_error(f.get("tk_live_unknown"), 401, "invalid_api_key");
  const auto response = f.get();
  check_health(response);
  BOOST_TEST(header(response, "X-RateLimit-Remaining") == "0");
}

// ---- Cache window -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(checked_at_is_stable_inside_the_cache_window_and_renewed_after_it) {
  fixture f; // cache_window: 5 minutes, as documented
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.000Z");
  f.clock.advance(299'999ms);
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.000Z");
  f.clock.advance(1ms);
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:05:00.000Z");
  f.clock.advance(1'234ms);
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:05:00.000Z");
}

BOOST_AUTO_TEST_CASE(a_short_cache_window_renews_with_the_clock) {
  mock_server_options options;
  options.cache_window = 100ms;
  fixture f{options};
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.000Z");
  f.clock.advance(99ms);
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.000Z");
  f.clock.advance(1ms);
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.100Z");
}

BOOST_AUTO_TEST_CASE(invalidating_or_changing_a_provider_starts_a_later_snapshot) {
  fixture f;
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.000Z");
  f.state.invalidate_cache(); // the wall clock has not moved: still a later checkedAt
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.001Z");
  f.state.set_provider_status("gpt", "ok");
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:00.002Z");
  f.clock.advance(1'000ms);
  f.state.invalidate_cache();
  BOOST_TEST(checked_at(f.get()) == "2026-06-27T10:00:01.000Z");
}

// ---- Scripts ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(scripted_responses_are_served_in_order_before_authentication) {
  fixture f;
  const std::string unavailable = R"({"error":{"code":"service_unavailable","message":"down",)"
                                  R"("status":503,"requestId":"req_0badf00d"}})";
  f.state.script(scripted(503, unavailable, {{"Retry-After", "3"}}));
  f.state.script(scripted(200, "{}"));

  const auto first = f.get(std::nullopt); // no key at all: the script does not care
  BOOST_TEST(first.scripted);
  BOOST_TEST(first.status == 503);
  BOOST_TEST(first.body == unavailable); // sent as given
  BOOST_TEST(header(first, "Retry-After") == "3");
  BOOST_TEST(header(first, "Content-Type") == "application/json"); // added: it has a body
  BOOST_TEST(!has_header(first, "X-Request-Id"));
  BOOST_TEST(!has_header(first, "X-RateLimit-Limit"));
  BOOST_TEST(first.headers.size() == 2U);

  const auto second = f.get("tk_live_unknown");
  BOOST_TEST(second.scripted);
  BOOST_TEST(second.status == 200);
  BOOST_TEST(second.body == "{}");

  check_error(f.get(std::nullopt), 401, "missing_api_key"); // the queue is empty again
  const auto counters = f.state.counters();
  BOOST_TEST(counters.requests == 3U);
  BOOST_TEST(counters.scripted_served == 2U);
  BOOST_TEST(counters.health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(scripted_responses_do_not_use_the_rate_window) {
  fixture f{with_rate_limit(1)};
  f.state.script(scripted(200, "{}"));
  f.state.script(scripted(200, "{}"));
  BOOST_TEST(f.get().scripted);
  BOOST_TEST(f.get().scripted);
  const auto real = f.get();
  check_health(real);
  BOOST_TEST(header(real, "X-RateLimit-Remaining") == "0");
}

BOOST_AUTO_TEST_CASE(scripted_content_type_is_kept_and_bodiless_responses_get_none) {
  fixture f;
  f.state.script(scripted(503, "<html>down</html>", {{"content-type", "text/html"}}));
  f.state.script(scripted(204));
  const auto html = f.get();
  BOOST_TEST(header(html, "Content-Type") == "text/html");
  const auto empty = f.get();
  BOOST_TEST(empty.status == 204);
  BOOST_TEST(!has_header(empty, "Content-Type"));
  BOOST_TEST(empty.headers.empty());
}

BOOST_AUTO_TEST_CASE(scripted_delay_fault_and_close_are_carried_over) {
  fixture f;
  auto slow = scripted(200, "{}");
  slow.delay = 250ms;
  slow.inject = fault::close_mid_response;
  auto closing = scripted(200, "{}");
  closing.close_connection = true;
  f.state.script(slow);
  f.state.script(closing);
  f.state.script(scripted(200, "{}", {{"Connection", "Close"}}));
  f.state.script(scripted(200, "{}"));
  const auto delayed = f.get();
  BOOST_TEST(delayed.delay == 250ms);
  BOOST_TEST((delayed.inject == fault::close_mid_response));
  BOOST_TEST(!delayed.close);
  BOOST_TEST(f.get().close);
  BOOST_TEST(f.get().close); // asked for by its own Connection header
  BOOST_TEST(!f.get().close);
}

BOOST_AUTO_TEST_CASE(a_scripted_429_is_counted) {
  fixture f;
  f.state.script(scripted(429, "{}", {{"Retry-After", "1"}}));
  BOOST_TEST(f.get().status == 429);
  BOOST_TEST(f.state.counters().responses_429 == 1U);
  BOOST_TEST(f.state.counters().scripted_served == 1U);
}

BOOST_AUTO_TEST_CASE(script_rejects_responses_http_cannot_carry) {
  fixture f;
  auto negative_delay = scripted(200);
  negative_delay.delay = -1ms;
  const std::vector<scripted_response> refused{
      scripted(99),
      scripted(1000),
      scripted(-200),
      scripted(204, "x"),
      scripted(304, "x"),
      scripted(101, "x"),
      scripted(200, {}, {{"X-Evil", "a\r\nSet-Cookie: b"}}),
      scripted(200, {}, {{"X-Evil", "a\nb"}}),
      scripted(200, {}, {{"X-Evil", "a\rb"}}),
      scripted(200, {}, {{"X-Evil", std::string("a\0b", 3)}}),
      scripted(200, {}, {{"X-Evil\r\nX-More", "a"}}),
      scripted(200, {}, {{"X-Evil:", "a"}}),
      scripted(200, {}, {{"X Evil", "a"}}),
      scripted(200, {}, {{"", "a"}}),
      negative_delay,
  };
  for (std::size_t i = 0; i < refused.size(); ++i) {
    BOOST_TEST_CONTEXT("response " << i) {
      BOOST_CHECK_THROW(f.state.script(refused[i]), std::invalid_argument);
    }
  }
  // Nothing was queued: the next request gets the API's behaviour.
  check_health(f.get());
  BOOST_TEST(f.state.counters().scripted_served == 0U);
  // The edges of what is allowed.
  BOOST_CHECK_NO_THROW(f.state.script(scripted(100)));
  BOOST_CHECK_NO_THROW(f.state.script(scripted(999, "x")));
  BOOST_CHECK_NO_THROW(f.state.script(scripted(200, {}, {{"X-Ok", "a\tb: c"}})));
}

// ---- Connections and counters -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(close_every_closes_every_nth_response) {
  mock_server_options options;
  options.close_every = 3;
  fixture f{options};
  std::vector<bool> closes;
  for (int i = 0; i < 7; ++i) {
    closes.push_back(f.state.count_response());
  }
  const std::vector<bool> expected{false, false, true, false, false, true, false};
  BOOST_TEST(closes == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(close_every_zero_never_closes) {
  fixture f;
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST_REQUIRE(!f.state.count_response());
  }
}

BOOST_AUTO_TEST_CASE(counters_count_and_reset_keeps_connections_open) {
  fixture f{with_rate_limit(1)};
  f.state.count_connection_accepted();
  f.state.count_connection_accepted();
  f.state.count_connection_accepted();
  f.state.count_connection_closed();
  f.state.count_handshake(false);
  f.state.count_handshake(true);
  f.get();             // health
  f.get();             // 429
  f.get(std::nullopt); // 401
  f.state.script(scripted(200, "{}"));
  f.get(); // scripted
  auto counters = f.state.counters();
  BOOST_TEST(counters.connections_accepted == 3U);
  BOOST_TEST(counters.connections_open == 2U);
  BOOST_TEST(counters.tls_handshakes == 2U);
  BOOST_TEST(counters.tls_resumed_handshakes == 1U);
  BOOST_TEST(counters.requests == 4U);
  BOOST_TEST(counters.health_requests == 1U);
  BOOST_TEST(counters.responses_429 == 1U);
  BOOST_TEST(counters.scripted_served == 1U);

  f.state.reset_counters();
  counters = f.state.counters();
  BOOST_TEST(counters.connections_accepted == 0U);
  BOOST_TEST(counters.tls_handshakes == 0U);
  BOOST_TEST(counters.tls_resumed_handshakes == 0U);
  BOOST_TEST(counters.requests == 0U);
  BOOST_TEST(counters.health_requests == 0U);
  BOOST_TEST(counters.responses_429 == 0U);
  BOOST_TEST(counters.scripted_served == 0U);
  BOOST_TEST(counters.connections_open == 2U); // a state, not a total

  f.state.count_connection_closed();
  f.state.count_connection_closed();
  f.state.count_connection_closed(); // one too many: stays at zero
  BOOST_TEST(f.state.counters().connections_open == 0U);
}

BOOST_AUTO_TEST_CASE(reset_counters_leaves_the_rate_window_alone) {
  fixture f{with_rate_limit(1)};
  check_health(f.get());
  f.state.reset_counters();
  check_error(f.get(), 429, "rate_limited");
  BOOST_TEST(f.state.counters().responses_429 == 1U);
}

BOOST_AUTO_TEST_CASE(same_seed_and_clock_give_the_same_responses) {
  fixture a;
  fixture b;
  for (int i = 0; i < 3; ++i) {
    const auto x = a.get(i == 1 ? std::nullopt : std::optional(demo_key));
    const auto y = b.get(i == 1 ? std::nullopt : std::optional(demo_key));
    BOOST_TEST(x.status == y.status);
    BOOST_TEST(x.body == y.body);
    BOOST_TEST((x.headers == y.headers));
  }
}

BOOST_AUTO_TEST_SUITE_END()
