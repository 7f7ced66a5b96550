// Fleet mode across real processes: talkory-bench --redis starts the mock server (30 requests
// per sliding 2 s window for one key) and four child processes sharing 120 calls through Redis.
#include <boost/test/unit_test.hpp>

#include <string>

#include <boost/json/parse.hpp>

#include "fleet/redis_server.hpp"
#include "programs/child_process.hpp"

using namespace std::chrono_literals;
namespace test = talkory::test;

namespace {

boost::json::object run_bench(const std::vector<std::string>& extra) {
  std::vector<std::string> argv{test::program_path("TALKORY_BENCH")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  test::child_process bench(argv);
  const auto line = bench.read_line(60s);
  const auto status = bench.wait(10s);
  BOOST_TEST_MESSAGE("talkory-bench: " << line.value_or("<nothing>") << "\n"
                                       << bench.error_output());
  BOOST_REQUIRE(line.has_value());
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
  return boost::json::parse(*line).as_object();
}

std::int64_t field(const boost::json::object& fleet, const char* name) {
  return fleet.at(name).to_number<std::int64_t>();
}

// Every key in Redis and the DUMP of its value: the API key must be in neither.
void expect_key_absent_from(const test::redis_server& redis, std::string_view api_key,
                            std::size_t at_least) {
  std::size_t seen = 0;
  std::string cursor = "0";
  do {
    const auto page = redis.command({"SCAN", cursor, "COUNT", "1000"});
    BOOST_REQUIRE(!page.empty());
    cursor = page[0];
    for (std::size_t i = 1; i < page.size(); ++i) {
      ++seen;
      BOOST_TEST(page[i].find(api_key) == std::string::npos, page[i]);
      for (const auto& dumped : redis.command({"DUMP", page[i]}))
        BOOST_TEST(dumped.find(api_key) == std::string::npos);
    }
  } while (cursor != "0");
  BOOST_TEST(seen >= at_least); // the fleet did write there: an empty Redis proves nothing
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_process_tests)

BOOST_AUTO_TEST_CASE(four_processes_never_exceed_thirty_in_any_window) {
  test::redis_server redis;
  const auto out = run_bench({"--redis", redis.url(), "--processes", "4", "--window-ms", "2000",
                              "--requests", "120", "--json"});
  const auto& fleet = out.at("fleet").as_object();
  BOOST_TEST(field(fleet, "processes") == 4);
  BOOST_TEST(field(fleet, "window_ms") == 2000);
  BOOST_TEST(field(fleet, "max_requests_in_any_window") <= 30);
  BOOST_TEST(field(fleet, "max_requests_in_any_window") >= 25); // and the budget is used
  BOOST_TEST(field(fleet, "responses_429") == 0);
  BOOST_TEST(field(fleet, "calls_ok") == 120);
  BOOST_TEST(field(fleet, "calls_failed") == 0);
  BOOST_TEST(out.at("fleet_fallbacks").to_number<std::int64_t>() == 0);
  // 120 calls at 30 per window of 2 s (+ the 100 ms margin) need three windows after the first.
  const double seconds = out.at("seconds").to_number<double>();
  BOOST_TEST(seconds >= 6.0);
  BOOST_TEST(seconds < 12.0);
  expect_key_absent_from(redis, "tk_live_demo0000000000000000000000000000", 1);
}

BOOST_AUTO_TEST_CASE(without_redis_the_fallback_keeps_four_processes_under_the_limit) {
  // Nothing listens on the port: every process falls back to 30 / 4 per window.
  const auto out =
      run_bench({"--redis", "redis://127.0.0.1:" + std::to_string(test::free_port()), "--processes",
                 "4", "--window-ms", "1000", "--requests", "40", "--json"});
  const auto& fleet = out.at("fleet").as_object();
  BOOST_TEST(field(fleet, "max_requests_in_any_window") <= 28); // 4 x 7
  BOOST_TEST(field(fleet, "responses_429") == 0);
  BOOST_TEST(field(fleet, "calls_ok") == 40);
  BOOST_TEST(out.at("fleet_fallbacks").to_number<std::int64_t>() == 40);
}

BOOST_AUTO_TEST_CASE(four_processes_of_a_hundred_callers_share_one_request) {
  // Coalescing and a 60 s cache: each process's 100 concurrent callers share one flight, and the
  // four flights share one request through the fleet's lease and cached answer.
  test::redis_server redis;
  const auto out = run_bench({"--redis", redis.url(), "--processes", "4", "--requests", "400",
                              "--cache-ttl-ms", "60000", "--json"});
  const auto& fleet = out.at("fleet").as_object();
  BOOST_TEST(field(fleet, "calls_ok") == 400);
  BOOST_TEST(field(fleet, "calls_failed") == 0);
  BOOST_TEST(out.at("http_requests").to_number<std::int64_t>() == 1); // the server's count
  expect_key_absent_from(redis, "tk_live_demo0000000000000000000000000000", 1);
}

BOOST_AUTO_TEST_SUITE_END()
