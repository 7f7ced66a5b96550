// The README's examples as processes against the embedded mock (--demo): each runs and says
// what it should; the gateway answers /healthz and /providers from the watcher's latest state
// while the mock flips providers, without a Talkory call per request, and stops on SIGINT.
#include <optional>
#include <set>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include "programs/child_process.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::test::child_process;
using talkory::test::program_path;

namespace {

constexpr auto exit_bound = 30s;

struct answer {
  int status = 0;
  json::value body;
  std::chrono::steady_clock::duration took{};
};

/// One GET on a fresh connection, bounded by a socket timeout.
answer get(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(5s);
  const auto start = std::chrono::steady_clock::now();
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  answer a;
  a.took = std::chrono::steady_clock::now() - start;
  a.status = static_cast<int>(response.result_int());
  a.body = json::parse(response.body());
  return a;
}

std::string text(const json::value& v, const char* key) {
  return std::string(v.at(key).as_string());
}

} // namespace

BOOST_AUTO_TEST_SUITE(example_tests)

BOOST_AUTO_TEST_CASE(the_coroutine_quick_start_prints_every_provider) {
  child_process p({program_path("TALKORY_EXAMPLE_COROUTINE"), "--demo"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0, p.error_output());
  BOOST_TEST(p.pending_output() ==
             "overall: ok\ngpt: ok\nclaude: ok\ngemini: ok\ngrok: ok\nperplexity: ok\n");
}

BOOST_AUTO_TEST_CASE(the_callbacks_example_completes_all_three_tokens) {
  child_process p({program_path("TALKORY_EXAMPLE_CALLBACKS"), "--demo"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0, p.error_output());
  const auto& out = p.pending_output();
  BOOST_TEST(out.find("callback: ok at ") != std::string::npos, out);
  BOOST_TEST(out.find("future: ok, 5 providers") != std::string::npos, out);
  BOOST_TEST(out.find("deferred: requests before invoking: 0") != std::string::npos, out);
  BOOST_TEST(out.find("deferred: request req_") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(the_watch_example_prints_transitions) {
  child_process p(
      {program_path("TALKORY_EXAMPLE_WATCH"), "--demo", "--events", "3", "--interval", "0.05"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0, p.error_output());
  const auto& out = p.pending_output();
  BOOST_TEST(out.find(" snapshot ok (gpt ok, claude ok") != std::string::npos, out);
  BOOST_TEST(out.find(" change ") != std::string::npos, out);
  BOOST_TEST(out.find(": ok -> error\n") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(the_watch_example_stops_on_sigint) {
  child_process p({program_path("TALKORY_EXAMPLE_WATCH"), "--demo", "--interval", "0.05"});
  BOOST_TEST_REQUIRE(p.read_line(20s).has_value(), p.error_output()); // the snapshot
  p.send(SIGINT);
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
}

BOOST_AUTO_TEST_CASE(the_observability_example_traces_calls_and_prints_metrics) {
  child_process p({program_path("TALKORY_EXAMPLE_OBSERVABILITY"), "--demo"});
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0, p.error_output());
  const auto& out = p.pending_output();
  // The trace of the retried call, in order, then the shared ones.
  const auto failed = out.find("  trace: call 1 attempt 1 failed in ");
  const auto retry = out.find("  trace: call 1 retry in ");
  const auto finished = out.find("  trace: call 1 finished in ");
  BOOST_TEST(failed != std::string::npos, out);
  BOOST_TEST((failed < retry && retry < finished && finished != std::string::npos), out);
  BOOST_TEST(out.find(", sharing the request of call 2\n") != std::string::npos, out);
  BOOST_TEST(out.find("latency histogram (calls by duration):\n") != std::string::npos, out);
  BOOST_TEST(
      out.find("# TYPE talkory_calls_started_total counter\ntalkory_calls_started_total 4\n") !=
          std::string::npos,
      out);
  BOOST_TEST(out.find("\ntalkory_retries_total 1\n") != std::string::npos, out);
  BOOST_TEST(out.find("\ntalkory_coalesced_calls_total 2\n") != std::string::npos, out);
  BOOST_TEST(out.ends_with("talkory_idle_connections_retired_total 0\n"), out);
  // The log at info level: the retry, nothing from the successful calls.
  BOOST_TEST(p.error_output().find("log [info] call 1 retry in ") != std::string::npos,
             p.error_output());
  BOOST_TEST(p.error_output().find("log [debug]") == std::string::npos, p.error_output());
}

BOOST_AUTO_TEST_CASE(the_gateway_answers_from_latest_while_providers_flip) {
  child_process p({program_path("TALKORY_EXAMPLE_GATEWAY"), "--demo", "--port", "0", "--interval",
                   "0.05", "--threads", "3", "--route", "gpt,claude,gemini"});
  const auto first = p.read_line(20s);
  BOOST_TEST_REQUIRE(first.has_value(), p.error_output());
  const std::string prefix = "listening on http://127.0.0.1:";
  BOOST_TEST_REQUIRE(first->starts_with(prefix), *first);
  const auto port = static_cast<std::uint16_t>(std::stoi(first->substr(prefix.size())));

  // Until the first poll is in, /healthz says so with a 503.
  answer health;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  do {
    health = get(port, "/healthz");
    BOOST_TEST_REQUIRE((health.status == 200 || health.status == 503));
  } while (!health.body.as_object().contains("fetchedAt") &&
           std::chrono::steady_clock::now() < give_up);
  BOOST_TEST_REQUIRE(health.body.as_object().contains("fetchedAt"));

  // Answers are instant and consistent: 200 exactly when no routed provider is down, and the
  // state moves as the mock flips (a provider every 500 ms).
  std::set<std::string> states;
  while (states.size() < 3 && std::chrono::steady_clock::now() < give_up) {
    const auto h = get(port, "/healthz");
    BOOST_TEST((h.took < 1s));
    const bool down = h.body.as_object().contains("down");
    BOOST_TEST(h.status == (down ? 503 : 200));
    BOOST_TEST(text(h.body, "status") == (down ? "unavailable" : "ok"));

    const auto providers = get(port, "/providers");
    BOOST_TEST_REQUIRE(providers.status == 200);
    const auto& body = providers.body.as_object();
    BOOST_TEST(body.at("providers").as_object().size() == 5u);
    BOOST_TEST(body.at("routes").as_array().size() == 3u);
    std::string state;
    for (const auto& entry : body.at("providers").as_object())
      state += std::string(entry.key()) + "=" + text(entry.value(), "status") + " ";
    states.insert(state);
  }
  BOOST_TEST(states.size() >= 3u); // the watcher's view follows the flips

  // Fifty quick requests make (nearly) no Talkory call: answers come from latest().
  const auto before = get(port, "/providers").body.at("talkoryCalls").to_number<std::uint64_t>();
  for (int i = 0; i < 50; ++i)
    BOOST_TEST(get(port, "/healthz").status != 0);
  const auto after = get(port, "/providers").body.at("talkoryCalls").to_number<std::uint64_t>();
  BOOST_TEST(after - before < 50u, "calls " << before << " -> " << after);

  BOOST_TEST(get(port, "/nope").status == 404);

  p.send(SIGINT);
  const auto status = p.wait(exit_bound);
  BOOST_TEST_REQUIRE(status.has_value(), "the gateway did not stop on SIGINT");
  BOOST_TEST(*status == 0, p.error_output());
}

BOOST_AUTO_TEST_SUITE_END()
