// talkory-health against a server that sends hostile text: a report naming a thousand providers,
// one of them with a 20 000-character name, terminal escapes (U+009B CSI), bidirectional
// overrides (U+202E) and the key itself. Whatever the mode, the output stays small, carries no
// raw C1 or bidi character and never the key.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <talkory/testing/mock_server.hpp>

#include "programs/child_process.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::test::child_process;
using talkory::test::program_path;

namespace {

constexpr auto run_bound = 30s;
constexpr auto line_bound = 20s;
// A documented-shape key (tk_live_ plus 32 characters) that must never be printed.
const std::string secret_key = "tk_live_SECRETSENTINEL000000000000000000";

// The characters no output may carry raw, as UTF-8 bytes.
constexpr std::string_view raw_csi = "\xc2\x9b";     // U+009B
constexpr std::string_view raw_rlo = "\xe2\x80\xae"; // U+202E
constexpr std::string_view raw_lri = "\xe2\x81\xa6"; // U+2066

constexpr std::size_t hostile_providers = 1000;

// The body as JSON text: its escapes decode to the raw characters above.
std::string hostile_body() {
  std::string body = R"({"status":"degraded","checkedAt":"2026-06-27T10:00:00.000Z","providers":{)";
  body += R"("gpt\u009b31m\u202eBearer )" + secret_key + std::string(20'000, 'x') +
          R"(":{"status":"ok"})";
  for (std::size_t i = 0; i < hostile_providers; ++i) {
    body += ",\"p" + std::to_string(i) + R"(\u2066\u009b[2J":{"status":"\u009b\u202ebad"})";
  }
  body += "}}";
  return body;
}

std::vector<std::pair<std::string, std::string>> hostile_headers() {
  // Raw bytes in a header (HTTP allows obs-text): the request id the report and errors quote.
  return {{"X-Request-Id", "req_" + std::string(raw_csi) + std::string(raw_rlo) + secret_key +
                               std::string(500, 'r')}};
}

/// A mock server whose CA is in a file, as talkory-health needs it.
struct hostile_server {
  talkory::testing::mock_server server;
  std::string ca_file = "/tmp/talkory-hostile-ca-" + std::to_string(::getpid()) + ".pem";

  hostile_server() {
    server.add_key({secret_key}); // the polls after the scripted answers are answered normally
    std::FILE* f = std::fopen(ca_file.c_str(), "w");
    BOOST_TEST_REQUIRE(f != nullptr);
    std::fputs(server.ca_pem().c_str(), f);
    std::fclose(f);
  }
  ~hostile_server() { std::remove(ca_file.c_str()); }

  std::vector<std::string> command(std::vector<std::string> extra) const {
    std::vector<std::string> argv{program_path("TALKORY_HEALTH"),
                                  "--base-url",
                                  server.base_url(),
                                  "--ca-file",
                                  ca_file,
                                  "--timeout",
                                  "20"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

child_process start(const hostile_server& s, std::vector<std::string> extra) {
  return child_process(s.command(std::move(extra)), {{"TALKORY_API_KEY", secret_key}},
                       {"TALKORY_BASE_URL"});
}

void check_no_raw_controls_or_key(std::string_view out) {
  BOOST_TEST(out.find(raw_csi) == std::string_view::npos);
  BOOST_TEST(out.find(raw_rlo) == std::string_view::npos);
  BOOST_TEST(out.find(raw_lri) == std::string_view::npos);
  BOOST_TEST(out.find('\x1b') == std::string_view::npos);
  BOOST_TEST(out.find("SECRETSENTINEL") == std::string_view::npos);
}

/// The first two events of talkory-health `flags` (a watch) against a server whose first answer
/// is the hostile report and whose next ones are the mock's own five providers, so that the
/// second event is a change listing a thousand providers; the watch is then stopped.
struct two_events {
  std::string snapshot, change, error_output;
};

two_events first_two_events(std::vector<std::string> flags) {
  hostile_server s;
  s.server.script(200, hostile_body(), hostile_headers());
  auto p = start(s, std::move(flags));
  const auto snapshot = p.read_line(line_bound);
  BOOST_TEST_REQUIRE(snapshot.has_value(), "stderr: " << p.error_output());
  const auto change = p.read_line(line_bound);
  BOOST_TEST_REQUIRE(change.has_value(), "stderr: " << p.error_output());
  p.send(SIGTERM);
  BOOST_TEST(p.wait(run_bound).has_value());
  return {*snapshot, *change, p.error_output()};
}

std::size_t count_lines(std::string_view text) {
  return static_cast<std::size_t>(std::ranges::count(text, '\n'));
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_output_tests)

BOOST_AUTO_TEST_CASE(a_hostile_report_prints_a_bounded_safe_table) {
  hostile_server s;
  const auto body = hostile_body();
  s.server.script(200, body, hostile_headers());
  auto p = start(s, {});
  const auto status = p.wait(run_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 1, "stderr: " << p.error_output()); // degraded
  const auto& out = p.pending_output();
  // 50 rows of at most 32-character names: the whole table is a few KB, not the 20 MB that
  // padding every row to the longest name made of this 90 KB body.
  BOOST_TEST(out.size() < 16u * 1024u, out.size());
  BOOST_TEST(count_lines(out) == 4u + 1u + 2u + 50u + 1u);
  check_no_raw_controls_or_key(out);
  check_no_raw_controls_or_key(p.error_output());
  // The long name: scrubbed, neutralised, cut to the column's cap with the marker; the column is
  // exactly that wide.
  BOOST_TEST(out.find("\ngpt?31m?Bearer <redacted>xxxx...  ok\n") != std::string::npos, out);
  BOOST_TEST(out.find("\np0??[2J                           unknown (\"??bad\")\n") !=
                 std::string::npos,
             out);
  BOOST_TEST(out.find("\n... 951 more (--json lists them all)\n") != std::string::npos, out);
  BOOST_TEST(out.find("request id  req_  <redacted>rrr") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(a_hostile_report_in_json_escapes_c1_and_bidi_and_keeps_every_provider) {
  hostile_server s;
  s.server.script(200, hostile_body(), hostile_headers());
  auto p = start(s, {"--json"});
  const auto status = p.wait(run_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 1, "stderr: " << p.error_output());
  const auto& out = p.pending_output();
  check_no_raw_controls_or_key(out);
  BOOST_TEST(out.find(R"("p0\u2066\u009b[2J":{"status":"\u009b\u202ebad"})") != std::string::npos);
  // Machine-readable output is complete (bounded by max_response_body, not cut) and still
  // means the same characters once parsed.
  const auto report = json::parse(out);
  const auto& providers = report.at("providers").as_object();
  BOOST_TEST(providers.size() == hostile_providers + 1);
  BOOST_TEST(providers.contains("p999\xe2\x81\xa6\xc2\x9b[2J"));
  BOOST_TEST(report.at("providers").at("p7\xe2\x81\xa6\xc2\x9b[2J").at("status").as_string() ==
             "\xc2\x9b\xe2\x80\xae"
             "bad");
}

BOOST_AUTO_TEST_CASE(a_hostile_error_prints_one_bounded_safe_line_also_verbose) {
  hostile_server s;
  // 400 is not retried: one scripted answer is the whole exchange.
  const std::string message =
      "bad\\u009b[31m\\u202e" + std::string(5000, 'm') + " Bearer " + secret_key;
  s.server.script(400,
                  R"({"error":{"code":"invalid_request","message":")" + message +
                      R"(","status":400,"requestId":"req_\u009b\u202e"}})",
                  hostile_headers());
  auto p = start(s, {"--verbose"});
  const auto status = p.wait(run_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 2);
  const auto& err = p.error_output();
  check_no_raw_controls_or_key(err);
  check_no_raw_controls_or_key(p.pending_output());
  BOOST_TEST(err.find("talkory-health: error: invalid_request (HTTP 400): bad [31m mmm") !=
                 std::string::npos,
             err);
  BOOST_TEST(err.size() < 8u * 1024u, err.size());
}

BOOST_AUTO_TEST_CASE(a_hostile_error_in_json_escapes_what_the_message_carries) {
  hostile_server s;
  s.server.script(400,
                  R"({"error":{"code":"invalid_request","message":"m\u009b\u202e","status":400}})",
                  hostile_headers());
  auto p = start(s, {"--json"});
  const auto status = p.wait(run_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 2);
  check_no_raw_controls_or_key(p.pending_output());
  check_no_raw_controls_or_key(p.error_output());
  BOOST_TEST(json::parse(p.pending_output()).at("error").at("code").as_string() ==
             "invalid_request");
}

BOOST_AUTO_TEST_CASE(watch_text_lines_of_a_hostile_report_and_its_change_are_bounded) {
  const auto [snapshot, change, err] = first_two_events({"--watch", "--interval", "0.05"});
  for (const auto& line : {snapshot, change}) {
    check_no_raw_controls_or_key(line);
    BOOST_TEST(line.size() < 8u * 1024u, line.size());
  }
  BOOST_TEST(snapshot.find(" snapshot degraded (gpt?31m?Bearer <redacted>xxxx") !=
                 std::string::npos,
             snapshot);
  BOOST_TEST(snapshot.ends_with(", ... 981 more)"), snapshot);
  // Five providers appeared and 1001 disappeared: 20 listed, then the count.
  BOOST_TEST(change.find(" change gpt absent -> ok, claude absent -> ok") != std::string::npos,
             change);
  BOOST_TEST(change.ends_with(", ... 986 more; status degraded -> ok"), change);
  check_no_raw_controls_or_key(err);
}

BOOST_AUTO_TEST_CASE(watch_json_lines_escape_c1_and_bidi) {
  const auto [snapshot, change, err] =
      first_two_events({"--watch", "--json", "--interval", "0.05"});
  for (const auto& line : {snapshot, change}) {
    check_no_raw_controls_or_key(line);
    BOOST_TEST(line.find(R"(p0\u2066\u009b[2J)") != std::string::npos);
  }
  check_no_raw_controls_or_key(err);
  const auto event = json::parse(snapshot);
  BOOST_TEST(event.at("event").as_string() == "snapshot");
  BOOST_TEST(event.at("providers").as_object().size() == hostile_providers + 1);
  BOOST_TEST(json::parse(change).at("event").as_string() == "change");
}

BOOST_AUTO_TEST_SUITE_END()
