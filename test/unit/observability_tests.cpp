// The observability dispatcher without a client: level names and filtering, the level of each
// event, the text of events and log lines (scrubbed, one line, bounded), and that neither an
// observer nor a sink can throw into the library.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <talkory/observability.hpp>
#include <talkory/options.hpp>

#include "observability.hpp"
#include "support/terminal_safe.hpp"
#include "text.hpp"

using namespace talkory;
using detail::event_hub;
using std::chrono::microseconds;

namespace {

const std::string key = "tk_live_SECRETSENTINEL0000000000000000";

struct recorded_line {
  log_level level;
  std::string text;
};

// A hub logging at `level` into `lines`.
std::shared_ptr<const event_hub> logging_hub(log_level level, std::vector<recorded_line>& lines,
                                             std::shared_ptr<call_observer> observer = nullptr) {
  client_options o;
  o.api_key = key;
  o.log.level = level;
  o.log.sink = [&lines](log_level l, std::string_view text) {
    lines.push_back({l, std::string(text)});
  };
  o.observer = std::move(observer);
  return event_hub::create(o);
}

api_error server_error(int status, errc code, std::string message) {
  api_error e;
  e.code = code;
  e.origin = error_origin::server;
  e.http_status = status;
  e.message = std::move(message);
  return e;
}

// One event of each kind, a failed call among them.
std::vector<call_event> one_of_each() {
  return {{.kind = event_kind::call_started, .call_id = 1},
          {.kind = event_kind::attempt_started, .call_id = 1, .attempt = 1},
          {.kind = event_kind::connection_opened, .call_id = 1, .connection_id = 4},
          {.kind = event_kind::connection_reused, .call_id = 1, .connection_id = 4},
          {.kind = event_kind::attempt_finished, .call_id = 1, .attempt = 1, .http_status = 200},
          {.kind = event_kind::retry_scheduled, .call_id = 1, .attempt = 1, .error = errc::timeout},
          {.kind = event_kind::limiter_waited, .call_id = 1},
          {.kind = event_kind::pool_waited, .call_id = 1},
          {.kind = event_kind::connection_retired, .connection_id = 4},
          {.kind = event_kind::call_finished, .call_id = 1},
          {.kind = event_kind::call_finished, .call_id = 2, .error = errc::invalid_api_key}};
}

struct counting_observer : call_observer {
  int events = 0;
  void on_event(const call_event&) override { ++events; }
};

struct throwing_observer : call_observer {
  int events = 0;
  void on_event(const call_event&) override {
    ++events;
    throw std::runtime_error("observer failure");
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(observability_tests)

BOOST_AUTO_TEST_CASE(log_levels_have_the_names_users_expect) {
  BOOST_TEST(to_string(log_level::trace) == "trace");
  BOOST_TEST(to_string(log_level::debug) == "debug");
  BOOST_TEST(to_string(log_level::info) == "info");
  BOOST_TEST(to_string(log_level::warning) == "warning");
  BOOST_TEST(to_string(log_level::error) == "error");
  BOOST_TEST(to_string(log_level::off) == "off");
}

BOOST_AUTO_TEST_CASE(nothing_observes_by_default) {
  const client_options o;
  BOOST_TEST((o.log.level == log_level::off));
  BOOST_TEST(!o.log.sink);
  BOOST_TEST(!o.observer);
  BOOST_TEST(!event_hub::create(o)); // no hub: the call paths skip every event in one branch
}

BOOST_AUTO_TEST_CASE(a_sink_without_a_level_or_a_level_without_a_sink_logs_nothing) {
  client_options o;
  o.log.sink = [](log_level, std::string_view) { BOOST_FAIL("logged at level off"); };
  BOOST_TEST(!event_hub::create(o));
  client_options no_sink;
  no_sink.log.level = log_level::trace;
  BOOST_TEST(!event_hub::create(no_sink));
}

BOOST_AUTO_TEST_CASE(each_event_has_its_documented_level) {
  using detail::level_of;
  const auto transient = server_error(503, errc::service_unavailable, "busy");
  const auto permanent = server_error(401, errc::invalid_api_key, "bad key");
  auto cancelled = permanent;
  cancelled.code = errc::cancelled;
  const auto e = [](event_kind k, std::optional<errc> error = std::nullopt) {
    return call_event{.kind = k, .error = error};
  };
  BOOST_TEST((level_of(e(event_kind::call_started), nullptr) == log_level::trace));
  BOOST_TEST((level_of(e(event_kind::attempt_started), nullptr) == log_level::trace));
  BOOST_TEST((level_of(e(event_kind::attempt_finished), nullptr) == log_level::trace));
  BOOST_TEST((level_of(e(event_kind::connection_reused), nullptr) == log_level::trace));
  BOOST_TEST((level_of(e(event_kind::call_finished), nullptr) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::limiter_waited), nullptr) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::pool_waited), nullptr) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::connection_opened), nullptr) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::connection_retired), nullptr) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::retry_scheduled), &transient) == log_level::info));
  BOOST_TEST(
      (level_of(e(event_kind::call_finished, errc::cancelled), &cancelled) == log_level::debug));
  BOOST_TEST((level_of(e(event_kind::call_finished, errc::service_unavailable), &transient) ==
              log_level::warning));
  BOOST_TEST((level_of(e(event_kind::call_finished, errc::invalid_api_key), &permanent) ==
              log_level::error));
}

BOOST_AUTO_TEST_CASE(the_warning_level_gets_no_trace_debug_or_info_lines) {
  std::vector<recorded_line> lines;
  auto hub = logging_hub(log_level::warning, lines);
  const auto permanent = server_error(401, errc::invalid_api_key, "bad key");
  for (const auto& e : one_of_each())
    hub->emit(e, e.error ? &permanent : nullptr);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST((lines[0].level == log_level::error));
  BOOST_TEST(lines[0].text.starts_with("call 2 failed in "), lines[0].text);
}

BOOST_AUTO_TEST_CASE(the_trace_level_gets_every_event) {
  std::vector<recorded_line> lines;
  auto hub = logging_hub(log_level::trace, lines);
  for (const auto& e : one_of_each())
    hub->emit(e);
  BOOST_TEST(lines.size() == one_of_each().size());
}

BOOST_AUTO_TEST_CASE(events_read_as_one_line_each) {
  const auto text = [](call_event e) { return e.describe(); };
  BOOST_TEST(text({.kind = event_kind::call_started, .call_id = 3}) == "call 3 started");
  BOOST_TEST(text({.kind = event_kind::attempt_finished,
                   .call_id = 3,
                   .attempt = 1,
                   .error = errc::service_unavailable,
                   .http_status = 503,
                   .duration = microseconds(5120)}) ==
             "call 3 attempt 1 failed in 5.120 ms: service_unavailable (HTTP 503)");
  BOOST_TEST(text({.kind = event_kind::attempt_finished,
                   .call_id = 3,
                   .attempt = 2,
                   .http_status = 200,
                   .duration = microseconds(999)}) ==
             "call 3 attempt 2 finished in 0.999 ms: HTTP 200");
  BOOST_TEST(text({.kind = event_kind::retry_scheduled,
                   .call_id = 3,
                   .attempt = 1,
                   .error = errc::timeout,
                   .duration = microseconds(7000)}) ==
             "call 3 retry in 7.000 ms after attempt 1 failed: timeout");
  BOOST_TEST(text({.kind = event_kind::connection_opened,
                   .call_id = 3,
                   .duration = microseconds(12'345'678),
                   .connection_id = 9,
                   .handshake = handshake_kind::resumed}) ==
             "call 3 opened connection 9 in 12345.678 ms (resumed TLS session)");
  BOOST_TEST(text({.kind = event_kind::connection_retired,
                   .connection_id = 9,
                   .reason = retire_reason::idle_timeout}) ==
             "connection 9 retired (idle_timeout)");
  BOOST_TEST(text({.kind = event_kind::call_finished,
                   .call_id = 5,
                   .duration = microseconds(40),
                   .shared_call_id = 4}) ==
             "call 5 finished in 0.040 ms, sharing the request of call 4");
}

const call_event failed_call{.kind = event_kind::call_finished,
                             .call_id = 1,
                             .error = errc::service_unavailable,
                             .http_status = 503};

BOOST_AUTO_TEST_CASE(a_log_line_never_carries_the_key_or_a_control_character) {
  // What a server reflecting the request could put into an error: the key alone and as a
  // bearer token, in the request id too, with line breaks and terminal escapes around it.
  auto e = server_error(503, errc::service_unavailable,
                        "Authorization: Bearer " + key + "\r\n\x1b[31m" + key +
                            "\u202e\xc2\x9b"
                            "2J");
  e.request_id = "req_" + key;
  const auto line = detail::log_line(failed_call, &e, key);
  BOOST_TEST(line.find(key) == std::string::npos, line);
  BOOST_TEST(line.find("Bearer <redacted>") != std::string::npos, line);
  BOOST_TEST(line.find("[request req_<redacted>]") != std::string::npos, line);
  test::expect_terminal_safe(line);
}

BOOST_AUTO_TEST_CASE(a_log_line_is_bounded_and_a_cut_leaves_no_part_of_the_key) {
  // The key just where describe() cuts the message: scrubbed before the cut, not after.
  auto e = server_error(503, errc::service_unavailable, std::string(1010, 'x') + key);
  const auto line = detail::log_line(failed_call, &e, key);
  BOOST_TEST(line.find("tk_live_SECRET") == std::string::npos, line);
  BOOST_TEST(detail::character_count(line) == log_options::max_message_length);
  BOOST_TEST(line.ends_with("..."));
  test::expect_terminal_safe(line);
}

BOOST_AUTO_TEST_CASE(a_client_hub_scrubs_with_the_clients_own_key) {
  std::vector<recorded_line> lines;
  auto hub = logging_hub(log_level::trace, lines);
  auto e = server_error(503, errc::service_unavailable, "echo " + key);
  hub->emit(failed_call, &e);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].text.ends_with("service_unavailable (HTTP 503): echo <redacted>"),
             lines[0].text);
}

BOOST_AUTO_TEST_CASE(an_observer_that_throws_is_dropped_and_the_log_still_written) {
  std::vector<recorded_line> lines;
  auto observer = std::make_shared<throwing_observer>();
  auto hub = logging_hub(log_level::trace, lines, observer);
  BOOST_CHECK_NO_THROW(hub->emit({.kind = event_kind::call_started, .call_id = 1}));
  BOOST_CHECK_NO_THROW(hub->emit({.kind = event_kind::call_started, .call_id = 2}));
  BOOST_TEST(observer->events == 2);
  BOOST_TEST(lines.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_sink_that_throws_is_dropped_and_the_observer_still_called) {
  client_options o;
  auto observer = std::make_shared<counting_observer>();
  o.observer = observer;
  o.log.level = log_level::trace;
  o.log.sink = [](log_level, std::string_view) { throw std::runtime_error("sink failure"); };
  auto hub = event_hub::create(o);
  BOOST_CHECK_NO_THROW(hub->emit({.kind = event_kind::call_started, .call_id = 1}));
  BOOST_CHECK_NO_THROW(hub->emit({.kind = event_kind::call_started, .call_id = 2}));
  BOOST_TEST(observer->events == 2);
}

BOOST_AUTO_TEST_CASE(call_ids_count_from_one) {
  client_options o;
  o.observer = std::make_shared<counting_observer>();
  auto hub = event_hub::create(o);
  BOOST_TEST(hub->next_call_id() == 1u);
  BOOST_TEST(hub->next_call_id() == 2u);
  BOOST_TEST(hub->next_call_id() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
