// talkory-health (one shot) and talkory-bench as processes against an in-process mock server:
// exit 1 for a degraded report, --ca-file as the only trust, the error line with the HTTP
// status and the request id, the key absent from --json, and the bench's figures consistent.
#include <chrono>
#include <fstream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <talkory/testing/mock_server.hpp>

#include "programs/child_process.hpp"
#include "support/fault_server.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::test::child_process;
using talkory::test::program_path;

namespace {

constexpr auto exit_bound = 30s;
const std::string secret_key = "tk_live_SECRETSENTINEL0000000000000000";

/// A mock server that knows the secret key, with its CA written where --ca-file can read it.
struct served_mock {
  talkory::testing::mock_server server;
  std::string ca_file = "/tmp/talkory-health-cli-ca-" + std::to_string(::getpid()) + ".pem";

  served_mock() {
    server.add_key({.key = secret_key});
    std::ofstream(ca_file) << server.ca_pem();
  }
  ~served_mock() { ::unlink(ca_file.c_str()); }

  /// Runs talkory-health against the server with the secret key; returns its exit status.
  int run_health(child_process& p) {
    const auto status = p.wait(exit_bound);
    BOOST_TEST_REQUIRE(status.has_value(), "talkory-health did not exit");
    return *status;
  }
  std::vector<std::string> health_args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{program_path("TALKORY_HEALTH"), "--base-url", server.base_url(),
                                  "--ca-file", ca_file};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

const std::vector<std::pair<std::string, std::string>> with_secret{{"TALKORY_API_KEY", secret_key}};

} // namespace

BOOST_AUTO_TEST_SUITE(health_cli_tests)

BOOST_AUTO_TEST_CASE(a_healthy_report_exits_0_and_a_degraded_one_exits_1) {
  served_mock mock;
  child_process healthy(mock.health_args(), with_secret);
  BOOST_TEST(mock.run_health(healthy) == 0, healthy.error_output());
  mock.server.set_provider_status("grok", "error");
  child_process degraded(mock.health_args(), with_secret);
  BOOST_TEST(mock.run_health(degraded) == 1, degraded.error_output());
  BOOST_TEST(degraded.pending_output().find("degraded") != std::string::npos);
  BOOST_TEST(degraded.pending_output().find("SECRETSENTINEL") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_the_ca_file_the_mocks_certificate_is_refused) {
  served_mock mock;
  child_process p({program_path("TALKORY_HEALTH"), "--base-url", mock.server.base_url()},
                  with_secret);
  BOOST_TEST(mock.run_health(p) == 2);
  BOOST_TEST(p.error_output().find("error: tls_error") != std::string::npos, p.error_output());
}

BOOST_AUTO_TEST_CASE(the_error_line_names_the_http_status_and_the_request_id) {
  served_mock mock;
  for (int i = 0; i < 3; ++i) // the first attempt and the CLI's two retries
    mock.server.script(
        503,
        R"({"error":{"code":"service_unavailable","message":"down","status":503,"requestId":"req_cli503"}})");
  child_process p(mock.health_args(), with_secret);
  BOOST_TEST(mock.run_health(p) == 2);
  const auto& err = p.error_output();
  BOOST_TEST(err.find("error: service_unavailable (HTTP 503)") != std::string::npos, err);
  BOOST_TEST(err.find("req_cli503") != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(json_output_never_contains_the_key) {
  served_mock mock;
  child_process ok(mock.health_args({"--json", "--verbose"}), with_secret);
  BOOST_TEST(mock.run_health(ok) == 0, ok.error_output());
  BOOST_TEST(json::parse(ok.pending_output()).at("status").as_string() == "ok");
  // An error answer that echoes the request's Authorization header, as a careless proxy does.
  for (int i = 0; i < 3; ++i)
    mock.server.script(502, "<html>Bad gateway for Authorization: Bearer " + secret_key + "</html>",
                       {{"Content-Type", "text/html"}});
  child_process echoed(mock.health_args({"--json"}), with_secret);
  BOOST_TEST(mock.run_health(echoed) == 2);
  const auto out = echoed.pending_output() + echoed.error_output();
  BOOST_TEST(out.find("SECRETSENTINEL") == std::string::npos, out);
  BOOST_TEST(ok.pending_output().find("SECRETSENTINEL") == std::string::npos);
  BOOST_TEST(ok.error_output().find("SECRETSENTINEL") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_whole_run_stays_within_timeout_when_the_server_ignores_close_notify) {
  // The answer comes at once; then the server never answers the client's close_notify and keeps
  // the connection open. The polite shutdown must not add its own 2 s to a 1.5 s --timeout.
  namespace ft = talkory::test;
  const std::string all_ok =
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{"gpt":{"status":"ok"}}})";
  ft::fault_server server;
  server.script({ft::fault_step::read_request(), ft::fault_step::send(ft::ok_response({}, all_ok)),
                 ft::fault_step::await_close_notify(false), ft::fault_step::stall()});
  const std::string ca_file =
      "/tmp/talkory-health-cli-fault-ca-" + std::to_string(::getpid()) + ".pem";
  std::ofstream(ca_file) << server.ca_pem();
  const auto started = std::chrono::steady_clock::now();
  child_process p({program_path("TALKORY_HEALTH"), "--base-url", server.base_url(), "--ca-file",
                   ca_file, "--timeout", "1.5"},
                  with_secret);
  const auto status = p.wait(exit_bound);
  const auto took = std::chrono::steady_clock::now() - started;
  ::unlink(ca_file.c_str());
  server.release_stalled();
  BOOST_TEST_REQUIRE(status.has_value(), "talkory-health did not exit");
  BOOST_TEST(*status == 0, p.error_output());
  BOOST_TEST((took < 1500ms),
             "the run took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                             << " ms");
}

BOOST_AUTO_TEST_CASE(the_bench_reuses_connections_within_its_bound) {
  child_process p({program_path("TALKORY_BENCH"), "--requests", "200", "--concurrency", "4",
                   "--connections", "2", "--json"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST_REQUIRE(*status == 0, p.error_output());
  const auto report = json::parse(p.pending_output()).as_object();
  const auto number = [&](const char* name) { return report.at(name).to_number<double>(); };
  BOOST_TEST(number("errors") == 0);
  BOOST_TEST(number("http_requests") == 200); // one request per call: nothing coalesced
  BOOST_TEST(number("connections_opened") <= 2);
  BOOST_TEST(number("handshakes_full") + number("handshakes_resumed") ==
             number("connections_opened"));
  BOOST_TEST(number("handshakes_full") <= number("connections_opened"));
  // At most two connections serve 200 requests: at least 198 ran on a reused one.
  BOOST_TEST(number("reused_ratio") >= 198.0 / 200.0);
  BOOST_TEST(number("reused_ratio") <= 1.0);
  BOOST_TEST(report.at("rate_limiter").as_string() == "disabled");
}

BOOST_AUTO_TEST_SUITE_END()
