// Per-call overrides of the client's bounds.
#include <boost/asio/ip/tcp.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(call_options_tests)

BOOST_AUTO_TEST_CASE(per_call_handshake_timeout_overrides_the_clients) {
  // A TCP peer that accepts but never speaks TLS: only the handshake bound can end the call.
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(ioc);
  acceptor.async_accept(peer, [](boost::system::error_code) {});
  testing::mock_server ca_source;
  client_options opts;
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.tls.ca_pem = ca_source.ca_pem();
  opts.timeouts.handshake = 30s;
  client c(ioc.get_executor(), opts);

  call_options co;
  co.handshake_timeout = 200ms;
  co.max_retries = 0;
  std::optional<result<health_report>> got;
  const auto start = std::chrono::steady_clock::now();
  c.async_health(co, [&](result<health_report> r) { got.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return got.has_value(); }, 5s));
  BOOST_REQUIRE(!got->has_value());
  BOOST_TEST(got->error().code == errc::timeout);
  BOOST_TEST(got->error().message.find("handshake") != std::string::npos, got->error().message);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
}

BOOST_AUTO_TEST_CASE(per_call_max_retries_overrides_the_clients) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server)); // 2 retries by default
  for (int i = 0; i < 3; ++i)
    server.script(
        503,
        R"({"error":{"code":"service_unavailable","message":"down","status":503,"requestId":"req_1"}})");
  call_options co;
  co.max_retries = 0;
  auto r = test::one_call(ioc, c, co);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_call_options_fail_the_call_without_sending) {
  testing::mock_server server;
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  call_options co;
  co.timeout = 0ms;
  auto r = test::one_call(ioc, c, co);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::invalid_options);
  BOOST_TEST(r.error().message.find("timeout") != std::string::npos);
  BOOST_TEST(server.counters().connections_accepted == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
