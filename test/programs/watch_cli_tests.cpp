// talkory-health --watch as a process: the text and JSON Lines shapes, flushed per event into a
// pipe, exit 0 on SIGINT / SIGTERM, 2 when the first poll fails for good, transient errors as
// events, usage errors 64, and the key never printed.
#include <set>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include "programs/child_process.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::test::child_process;
using talkory::test::program_path;

namespace {

constexpr auto line_bound = 20s;
constexpr auto exit_bound = 20s;
const std::string demo_key = "tk_live_demo0000000000000000000000000000";
const std::string secret_key = "tk_live_SECRETSENTINEL0000000000000000";

std::string health() {
  return program_path("TALKORY_HEALTH");
}

/// Whether `text` matches `pattern`, where 'd' is a decimal digit and any other character is
/// itself.
bool matches(std::string_view text, std::string_view pattern) {
  if (text.size() != pattern.size())
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (pattern[i] == 'd' ? !digit : text[i] != pattern[i])
      return false;
  }
  return true;
}

bool is_iso8601(std::string_view text) {
  return matches(text, "dddd-dd-ddTdd:dd:dd.dddZ");
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> keys;
  for (const auto& member : o)
    keys.insert(std::string(member.key()));
  return keys;
}

/// Checks one JSON Lines event against the documented shape; returns its "event".
std::string check_event_shape(const std::string& line) {
  BOOST_TEST_CONTEXT("line: " << line) {
    const auto value = json::parse(line);
    BOOST_TEST_REQUIRE(value.is_object());
    const auto& o = value.as_object();
    const std::string event(o.at("event").as_string());
    BOOST_TEST(is_iso8601(o.at("observedAt").as_string()));
    if (event == "error") {
      BOOST_TEST((keys_of(o) == std::set<std::string>{"event", "observedAt", "error"}));
      const auto& e = o.at("error").as_object();
      BOOST_TEST((keys_of(e) == std::set<std::string>{"code", "message", "status", "requestId"}));
      BOOST_TEST(e.at("code").is_string());
      BOOST_TEST(e.at("status").is_int64());
      return event;
    }
    std::set<std::string> expected{"event", "observedAt", "status", "checkedAt", "providers"};
    if (event != "snapshot") {
      BOOST_TEST((event == "change" || event == "recovered"), event);
      expected.insert("changes");
      if (o.contains("statusFrom")) {
        expected.insert("statusFrom");
        BOOST_TEST(o.at("statusFrom").is_string());
      }
      for (const auto& c : o.at("changes").as_array()) {
        const auto& change = c.as_object();
        BOOST_TEST((keys_of(change) == std::set<std::string>{"provider", "from", "to"}));
        BOOST_TEST(change.at("provider").is_string());
        BOOST_TEST((change.at("from").is_string() || change.at("from").is_null()));
        BOOST_TEST((change.at("to").is_string() || change.at("to").is_null()));
      }
    }
    BOOST_TEST((keys_of(o) == expected));
    BOOST_TEST(o.at("status").is_string());
    BOOST_TEST(is_iso8601(o.at("checkedAt").as_string()));
    for (const auto& p : o.at("providers").as_object()) {
      BOOST_TEST((keys_of(p.value().as_object()) == std::set<std::string>{"status"}));
      BOOST_TEST(p.value().at("status").is_string());
    }
    return event;
  }
  return {};
}

/// A talkory-mock-server process: its base URL and CA file.
struct external_mock {
  std::string ca_file = "/tmp/talkory-watch-cli-ca-" + std::to_string(::getpid()) + ".pem";
  child_process process{{program_path("TALKORY_MOCK_SERVER"), "--ca-out", ca_file}};
  std::string url;

  external_mock() {
    auto first = process.read_line(line_bound);
    BOOST_TEST_REQUIRE(first.has_value(), "the mock server printed no URL");
    url = *first;
    BOOST_TEST_REQUIRE(url.starts_with("https://127.0.0.1:"));
  }
  ~external_mock() { ::unlink(ca_file.c_str()); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(watch_cli_tests)

BOOST_AUTO_TEST_CASE(demo_json_lines_have_the_documented_shapes_and_sigint_exits_0) {
  child_process p({health(), "--demo", "--watch", "--interval", "0.05", "--json"});
  std::vector<std::string> events;
  for (int i = 0; i < 4; ++i) {
    auto line = p.read_line(line_bound); // flushed per event: read from a pipe, not a terminal
    BOOST_TEST_REQUIRE(line.has_value(), "no event " << i << "; stderr: " << p.error_output());
    events.push_back(check_event_shape(*line));
  }
  BOOST_TEST(events.front() == "snapshot");
  for (std::size_t i = 1; i < events.size(); ++i)
    BOOST_TEST(events[i] == "change"); // the demo flips a provider every 200 ms
  p.send(SIGINT);
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value(), "no exit after SIGINT");
  BOOST_TEST(*status == 0, "stderr: " << p.error_output());
  // Anything printed before the exit is still whole JSON lines.
  std::string rest = p.pending_output();
  for (auto nl = rest.find('\n'); nl != std::string::npos; nl = rest.find('\n')) {
    check_event_shape(rest.substr(0, nl));
    rest.erase(0, nl + 1);
  }
  BOOST_TEST(rest.empty());
}

BOOST_AUTO_TEST_CASE(demo_text_lines_start_with_the_time_and_sigterm_exits_0) {
  child_process p({health(), "--demo", "--watch", "--interval", "0.05"});
  const auto first = p.read_line(line_bound);
  BOOST_TEST_REQUIRE(first.has_value(), "stderr: " << p.error_output());
  BOOST_TEST(is_iso8601(first->substr(0, 24)), *first);
  BOOST_TEST(first->substr(24) ==
                 " snapshot ok (gpt ok, claude ok, gemini ok, grok ok, perplexity ok)",
             *first);
  const auto second = p.read_line(line_bound);
  BOOST_TEST_REQUIRE(second.has_value());
  BOOST_TEST(is_iso8601(second->substr(0, 24)), *second);
  BOOST_TEST(second->substr(24, 8) == " change ", *second);
  BOOST_TEST(second->find(" ok -> error") != std::string::npos, *second);
  BOOST_TEST(second->ends_with("; status ok -> degraded"), *second);
  p.send(SIGTERM);
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value(), "no exit after SIGTERM");
  BOOST_TEST(*status == 0);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_ends_the_watch_with_2_and_is_never_printed) {
  external_mock mock;
  child_process p(
      {health(), "--watch", "--json", "--base-url", mock.url, "--ca-file", mock.ca_file},
      {{"TALKORY_API_KEY", secret_key}}, {"TALKORY_BASE_URL"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value(), "a wrong key must not spin forever");
  BOOST_TEST(*status == 2);
  auto out = p.pending_output();
  BOOST_TEST_REQUIRE(out.ends_with("\n"));
  out.pop_back();
  BOOST_TEST(check_event_shape(out) == "error");
  BOOST_TEST(json::parse(out).at("error").at("code").as_string() == "invalid_api_key");
  BOOST_TEST(json::parse(out).at("error").at("status").as_int64() == 401);
  BOOST_TEST(p.error_output().find("talkory-health: error: invalid_api_key (HTTP 401)") !=
             std::string::npos);
  BOOST_TEST(out.find("SECRETSENTINEL") == std::string::npos);
  BOOST_TEST(p.error_output().find("SECRETSENTINEL") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_wrong_url_ends_the_watch_with_2_in_text_mode) {
  external_mock mock;
  child_process p(
      {health(), "--watch", "--base-url", mock.url + "/wrong/prefix", "--ca-file", mock.ca_file},
      {{"TALKORY_API_KEY", demo_key}});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 2);
  BOOST_TEST(p.pending_output().empty()); // text mode: the error goes to stderr only
  BOOST_TEST(p.error_output().find("error: not_found (HTTP 404)") != std::string::npos,
             p.error_output());
}

BOOST_AUTO_TEST_CASE(a_transient_error_is_an_event_and_the_watch_goes_on) {
  // Nothing listens on port 1: connection_failed, which may heal, so it is printed and polled
  // again rather than ending the watch.
  child_process p({health(), "--watch", "--json", "--interval", "0.05", "--timeout", "2",
                   "--base-url", "https://127.0.0.1:1"},
                  {{"TALKORY_API_KEY", demo_key}});
  for (int i = 0; i < 2; ++i) {
    const auto line = p.read_line(line_bound);
    BOOST_TEST_REQUIRE(line.has_value(), "stderr: " << p.error_output());
    BOOST_TEST(check_event_shape(*line) == "error");
    BOOST_TEST(json::parse(*line).at("error").at("code").as_string() == "connection_failed");
    BOOST_TEST(json::parse(*line).at("error").at("status").as_int64() == 0);
  }
  p.send(SIGINT);
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
}

BOOST_AUTO_TEST_CASE(a_missing_key_cannot_start_the_watch) {
  child_process p({health(), "--watch", "--json"}, {}, {"TALKORY_API_KEY", "TALKORY_BASE_URL"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 2);
  BOOST_TEST(p.error_output().find("error: invalid_options") != std::string::npos);
  BOOST_TEST(p.error_output().find("set TALKORY_API_KEY") != std::string::npos);
  auto out = p.pending_output();
  BOOST_TEST_REQUIRE(out.ends_with("\n"));
  out.pop_back();
  BOOST_TEST(check_event_shape(out) == "error");
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_64) {
  const std::vector<std::vector<std::string>> cases{
      {"--watch", "--interval", "0"},
      {"--watch", "--interval", "-1"},
      {"--watch", "--interval", "2s"},
      {"--watch", "--interval"},
      {"--interval", "5"},
      {"--watch=yes"},
      {"--watch", "--demo", "--base-url", "https://127.0.0.1:1"}};
  for (const auto& args : cases) {
    std::vector<std::string> argv{health()};
    argv.insert(argv.end(), args.begin(), args.end());
    child_process p(argv);
    const auto status = p.wait(exit_bound);
    BOOST_TEST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 64, args.back());
  }
}

BOOST_AUTO_TEST_SUITE_END()
