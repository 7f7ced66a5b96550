// The log hook on real calls against the mock server: no line at the most verbose level carries
// the key or a control character when the server reflects the key, the levels filter, and the
// default level logs nothing.
#include <string>
#include <vector>

#include <talkory/observability.hpp>

#include "fixture.hpp"
#include "support/terminal_safe.hpp"
#include "text.hpp"

namespace asio = boost::asio;
using namespace talkory;

namespace {

struct log_record {
  log_level level;
  std::string text;
};

/// Collects a client's log lines (the client runs on one thread here).
struct log_capture {
  std::vector<log_record> lines;
  log_options at(log_level level) {
    return {level, [this](log_level l, std::string_view text) {
              lines.push_back({l, std::string(text)});
            }};
  }
};

const std::string busy_body =
    R"({"error":{"code":"service_unavailable","message":"busy","status":503,"requestId":"req_1"}})";

} // namespace

BOOST_AUTO_TEST_SUITE(log_line_tests)

BOOST_AUTO_TEST_CASE(no_log_line_at_trace_carries_the_key_or_a_control_character) {
  const std::string key = "tk_live_SECRETSENTINEL0000000000000000";
  auto server_options = test::generous_server();
  server_options.keys.push_back({key});
  testing::mock_server server(server_options);
  // A proxy echoing the request: the key in the body, as a bearer token and in headers, among
  // line breaks, an ANSI escape, a C1 CSI and a bidi override in the message (JSON escapes).
  const auto echo = [&key](std::string code, int status) {
    return R"({"error":{"code":")" + code + R"(","message":"echo: Authorization: Bearer )" + key +
           R"(\r\n\u001b[31m\u009b2J\u202e )" + key + R"(","status":)" + std::to_string(status) +
           R"(,"requestId":")" + key + R"("}})";
  };
  server.script(503, echo("service_unavailable", 503),
                {{"X-Request-Id", key}, {"X-Echo", "Bearer " + key}});
  server.script(401, echo("invalid_api_key", 401), {{"X-Request-Id", "req_" + key}});
  log_capture log;
  auto o = test::options_for(server);
  o.api_key = key;
  o.log = log.at(log_level::trace);
  asio::io_context ioc;
  client c(ioc.get_executor(), o);
  const auto r = test::one_call(ioc, c); // 503, retried, then 401: not retried
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST((r.error().code == errc::invalid_api_key));

  BOOST_TEST_REQUIRE(log.lines.size() >= 8u);
  bool redacted = false;
  for (const auto& line : log.lines) {
    BOOST_TEST_CONTEXT(line.text) {
      BOOST_TEST(line.text.find(key) == std::string::npos);
      BOOST_TEST(line.text.find("SECRETSENTINEL") == std::string::npos);
      BOOST_TEST(detail::character_count(line.text) <= log_options::max_message_length);
      test::expect_terminal_safe(line.text);
    }
    redacted = redacted || line.text.find("Bearer <redacted>") != std::string::npos;
  }
  BOOST_TEST(redacted); // the echoed text did reach the log, scrubbed
  BOOST_TEST((log.lines.back().level == log_level::error));
  BOOST_TEST(log.lines.back().text.starts_with("call 1 failed in "), log.lines.back().text);
}

BOOST_AUTO_TEST_CASE(the_warning_level_logs_only_failed_calls) {
  testing::mock_server server(test::generous_server());
  server.script(503, busy_body); // retried: an info line, filtered out
  log_capture log;
  auto o = test::options_for(server);
  o.log = log.at(log_level::warning);
  asio::io_context ioc;
  client c(ioc.get_executor(), o);
  BOOST_TEST_REQUIRE(test::one_call(ioc, c).has_value());
  BOOST_TEST(log.lines.empty());

  server.script(503, busy_body);
  call_options once;
  once.max_retries = 0;
  BOOST_TEST_REQUIRE(!test::one_call(ioc, c, once).has_value());
  BOOST_TEST_REQUIRE(log.lines.size() == 1u);
  BOOST_TEST((log.lines[0].level == log_level::warning)); // transient: retrying later may help
  BOOST_TEST(log.lines[0].text.starts_with("call 2 failed in "), log.lines[0].text);
  BOOST_TEST(log.lines[0].text.find("service_unavailable (HTTP 503): busy") != std::string::npos,
             log.lines[0].text);
}

BOOST_AUTO_TEST_CASE(a_sink_with_the_default_level_is_never_called) {
  testing::mock_server server(test::generous_server());
  server.script(503, busy_body);
  auto o = test::options_for(server);
  int calls = 0;
  o.log.sink = [&calls](log_level, std::string_view) { ++calls; };
  asio::io_context ioc;
  client c(ioc.get_executor(), o);
  BOOST_TEST_REQUIRE(test::one_call(ioc, c).has_value());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()
