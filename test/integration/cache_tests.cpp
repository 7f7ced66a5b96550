// The client's cache (cache_ttl, call_options::max_age) and stale-on-error (serve_stale_for),
// against the mock server, with the cache's clock injected so that no test waits for a TTL.
#include <atomic>
#include <memory>
#include <string>

#include "client_impl.hpp"
#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

/// The time the client's cache reads: moved only by the test.
struct manual_time {
  using clock = std::chrono::steady_clock;
  std::atomic<clock::rep> offset{0};
  clock::time_point now() const { return clock::time_point(clock::duration(offset.load())); }
  void advance(std::chrono::milliseconds d) {
    offset += std::chrono::duration_cast<clock::duration>(d).count();
  }
};

client client_with_clock(asio::io_context& ioc, client_options o, manual_time& time) {
  auto impl = std::make_shared<detail::client_impl>(ioc.get_executor(), std::move(o),
                                                    detail::make_default_unit_random(),
                                                    [&time] { return time.now(); });
  return detail::client_access::make(std::move(impl));
}

client_options caching(const testing::mock_server& server, std::chrono::milliseconds ttl) {
  auto o = test::unthrottled(server);
  o.cache_ttl = ttl;
  o.retry.max_retries = 0; // a scripted failure is the call's answer
  return o;
}

std::string error_json(std::string_view code, int status) {
  return R"({"error":{"code":")" + std::string(code) + R"(","message":"scripted","status":)" +
         std::to_string(status) + R"(,"requestId":"req_scripted_error"}})";
}

} // namespace

BOOST_AUTO_TEST_SUITE(cache_tests)

BOOST_AUTO_TEST_CASE(the_cache_is_off_by_default) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  for (int i = 0; i < 3; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(!r->meta.from_cache);
  }
  BOOST_TEST(server.counters().requests == 3u);
  BOOST_TEST(client_options{}.cache_ttl.count() == 0);
  BOOST_TEST(client_options{}.serve_stale_for.count() == 0);
}

BOOST_AUTO_TEST_CASE(within_the_ttl_calls_are_answered_without_a_request_and_say_how_old) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto c = client_with_clock(ioc, caching(server, 30s), time);
  auto first = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(first.has_value(), test::why(first));
  BOOST_TEST(!first->meta.from_cache);
  BOOST_TEST(first->meta.age.count() == 0);

  time.advance(12'345ms);
  auto second = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(second.has_value(), test::why(second));
  BOOST_TEST(second->meta.from_cache);
  BOOST_TEST(!second->meta.stale);
  BOOST_TEST(second->meta.age == 12'345ms);
  BOOST_TEST(second->meta.request_id == first->meta.request_id);
  BOOST_TEST(server.counters().requests == 1u);
  BOOST_TEST(c.stats().cache_hits == 1u);
  BOOST_TEST(c.stats().calls_succeeded == 2u);
}

BOOST_AUTO_TEST_CASE(after_the_ttl_one_request_refreshes_the_cache) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto c = client_with_clock(ioc, caching(server, 30s), time);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  time.advance(30s); // the TTL is a strict bound: a report exactly 30 s old is too old
  auto refreshed = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(refreshed.has_value(), test::why(refreshed));
  BOOST_TEST(!refreshed->meta.from_cache);
  BOOST_TEST(server.counters().requests == 2u);
  time.advance(29s); // measured from the refresh, not from the first report
  auto cached = test::one_call(ioc, c);
  BOOST_REQUIRE(cached.has_value());
  BOOST_TEST(cached->meta.from_cache);
  BOOST_TEST(cached->meta.age == 29s);
  BOOST_TEST(server.counters().requests == 2u);
}

BOOST_AUTO_TEST_CASE(max_age_demands_a_fresher_answer_and_never_extends_the_ttl) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto c = client_with_clock(ioc, caching(server, 60s), time);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  time.advance(10s);

  call_options bypass;
  bypass.max_age = 0ms;
  auto fresh = test::one_call(ioc, c, bypass);
  BOOST_REQUIRE_MESSAGE(fresh.has_value(), test::why(fresh));
  BOOST_TEST(!fresh->meta.from_cache);
  BOOST_TEST(server.counters().requests == 2u);

  time.advance(10s);
  call_options younger_than_5s;
  younger_than_5s.max_age = 5s;
  BOOST_TEST(!test::one_call(ioc, c, younger_than_5s)->meta.from_cache); // 10 s old: asks
  BOOST_TEST(server.counters().requests == 3u);

  time.advance(4s);
  BOOST_TEST(test::one_call(ioc, c, younger_than_5s)->meta.from_cache); // 4 s old: cached
  BOOST_TEST(server.counters().requests == 3u);

  time.advance(60s);
  call_options lenient;
  lenient.max_age = 10min;
  BOOST_TEST(!test::one_call(ioc, c, lenient)->meta.from_cache); // past the client's TTL
  BOOST_TEST(server.counters().requests == 4u);

  call_options negative;
  negative.max_age = -1ms;
  auto refused = test::one_call(ioc, c, negative);
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().code == errc::invalid_options);
  BOOST_TEST(refused.error().message.find("max_age") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_refresh_does_not_replace_the_last_good_report) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto c = client_with_clock(ioc, caching(server, 30s), time);
  auto good = test::one_call(ioc, c);
  BOOST_REQUIRE(good.has_value());
  time.advance(31s);
  server.script(503, error_json("service_unavailable", 503));
  auto failed = test::one_call(ioc, c); // no serve_stale_for: the error, as without a cache
  BOOST_REQUIRE(!failed.has_value());
  BOOST_TEST(failed.error().code == errc::service_unavailable);
  BOOST_TEST(c.stats().stale_answers == 0u);
}

BOOST_AUTO_TEST_CASE(ttl_validation_refuses_more_than_the_servers_five_minutes) {
  client_options o;
  o.api_key = testing::mock_server_options::demo_key_value;
  o.cache_ttl = 5min;
  BOOST_TEST(!o.validate().has_value());
  o.cache_ttl = 5min + 1ms;
  auto e = o.validate();
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->code == errc::invalid_options);
  BOOST_TEST(e->message.find("cache_ttl") != std::string::npos);
  o.cache_ttl = -1ms;
  BOOST_TEST(o.validate().has_value());
  o.cache_ttl = 0ms;
  o.serve_stale_for = -1ms;
  BOOST_REQUIRE(o.validate().has_value());
  BOOST_TEST(o.validate()->message.find("serve_stale_for") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(after_shutdown_the_cache_answers_nothing) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto c = client_with_clock(ioc, caching(server, 60s), time);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  bool shut = false;
  c.async_shutdown([&] { shut = true; });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return shut; }));
  ioc.restart();
  auto late = test::one_call(ioc, c);
  BOOST_REQUIRE(!late.has_value());
  BOOST_TEST(late.error().code == errc::cancelled);
}

// serve_stale_for

BOOST_AUTO_TEST_CASE(a_transient_failure_is_answered_with_the_last_good_report_marked_stale) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto o = caching(server, 0ms); // stale-on-error works without the TTL cache
  o.serve_stale_for = 10min;
  auto c = client_with_clock(ioc, o, time);
  auto good = test::one_call(ioc, c);
  BOOST_REQUIRE(good.has_value());

  time.advance(90s);
  server.script(503, error_json("service_unavailable", 503));
  auto stale = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(stale.has_value(), test::why(stale));
  BOOST_TEST(stale->meta.stale);
  BOOST_TEST(stale->meta.from_cache);
  BOOST_TEST(stale->meta.age == 90s);
  BOOST_TEST(stale->meta.request_id == good->meta.request_id);
  BOOST_REQUIRE(stale->meta.refresh_error.has_value());
  BOOST_TEST(stale->meta.refresh_error->code == errc::service_unavailable);
  BOOST_TEST(stale->meta.refresh_error->http_status == 503);
  BOOST_TEST(stale->meta.refresh_error->request_id == "req_scripted_error");
  BOOST_TEST(c.stats().stale_answers == 1u);
  BOOST_TEST(server.counters().requests == 2u); // the refresh was tried

  // Each transient kind: a 429, a 500, a dropped connection.
  for (auto [status, code] : {std::pair{429, "rate_limited"}, std::pair{500, "internal_error"}}) {
    server.script(status, error_json(code, status));
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(r->meta.stale);
    BOOST_TEST(r->meta.refresh_error->http_status == status);
  }
  // Dropped twice: a pooled connection that dies is replayed once on a fresh one, which the
  // second drop fails too.
  testing::scripted_response dropped;
  dropped.inject = testing::fault::close_before_response;
  server.script(dropped);
  server.script(dropped);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  BOOST_TEST(r->meta.stale);
  BOOST_TEST(r->meta.refresh_error->code == errc::connection_lost);

  // A success refreshes the last good report and is not stale.
  auto fresh = test::one_call(ioc, c);
  BOOST_REQUIRE(fresh.has_value());
  BOOST_TEST(!fresh->meta.stale);
  BOOST_TEST(!fresh->meta.from_cache);
  BOOST_TEST(!fresh->meta.refresh_error.has_value());
}

BOOST_AUTO_TEST_CASE(stale_answers_stop_at_their_bound) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto o = caching(server, 0ms);
  o.serve_stale_for = 2min;
  auto c = client_with_clock(ioc, o, time);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  time.advance(2min); // exactly the bound: too old
  server.script(503, error_json("service_unavailable", 503));
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable);
  BOOST_TEST(c.stats().stale_answers == 0u);
}

BOOST_AUTO_TEST_CASE(auth_and_other_client_errors_are_never_covered_by_a_stale_report) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto o = caching(server, 0ms);
  o.serve_stale_for = 10min;
  auto c = client_with_clock(ioc, o, time);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  time.advance(1s);
  for (auto [status, code] : {std::pair{401, "invalid_api_key"}, std::pair{403, "insufficient_scope"},
                              std::pair{404, "not_found"}, std::pair{400, "invalid_request"}}) {
    server.script(status, error_json(code, status));
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(!r.has_value(), "a " << status << " must surface, not a stale report");
    BOOST_TEST(r.error().http_status == status);
  }
  server.script(200, R"({"status":"ok"})"); // a malformed answer is not transient either
  auto malformed = test::one_call(ioc, c);
  BOOST_REQUIRE(!malformed.has_value());
  BOOST_TEST(malformed.error().code == errc::invalid_response);
  BOOST_TEST(c.stats().stale_answers == 0u);
}

BOOST_AUTO_TEST_CASE(with_nothing_good_yet_a_failure_is_the_answer) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  manual_time time;
  auto o = caching(server, 60s);
  o.serve_stale_for = 10min;
  auto c = client_with_clock(ioc, o, time);
  server.script(503, error_json("service_unavailable", 503));
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable);
}

BOOST_AUTO_TEST_SUITE_END()
