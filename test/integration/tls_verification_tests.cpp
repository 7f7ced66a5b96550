// Certificates a client must refuse: it fails with tls_error and never writes the request; and what
// is not a certificate problem: a hang-up mid-handshake, a host name resolved and verified.
#include <array>

#include <boost/asio/ip/tcp.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;

namespace {

api_error call_expecting_failure(testing::mock_server& server, std::string ca_pem) {
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.tls.ca_pem = std::move(ca_pem);
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  return r.error();
}

testing::mock_server_options with_certificate(testing::certificate_kind kind) {
  testing::mock_server_options o;
  o.certificate = kind;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_verification_tests)

BOOST_AUTO_TEST_CASE(untrusted_ca_is_refused) {
  testing::mock_server server;
  testing::mock_server other;
  auto e = call_expecting_failure(server, other.ca_pem());
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(e.attempts == 1); // a TLS failure is never retried
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(certificate_for_another_host_is_refused) {
  testing::mock_server server(with_certificate(testing::certificate_kind::wrong_host));
  auto e = call_expecting_failure(server, server.ca_pem());
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(expired_certificate_is_refused) {
  testing::mock_server server(with_certificate(testing::certificate_kind::expired));
  auto e = call_expecting_failure(server, server.ca_pem());
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(e.message.find("expired") != std::string::npos);
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(self_signed_certificate_is_refused) {
  testing::mock_server server(with_certificate(testing::certificate_kind::self_signed));
  auto e = call_expecting_failure(server, server.ca_pem());
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(plain_http_needs_an_explicit_opt_in) {
  testing::mock_server_options so;
  so.tls = false;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.allow_insecure_http = false;
  client refused(ioc.get_executor(), opts);
  BOOST_REQUIRE(refused.options_error().has_value());
  BOOST_TEST(refused.options_error()->code == errc::invalid_options);

  opts.allow_insecure_http = true;
  client allowed(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, allowed);
  BOOST_TEST(r.has_value());
}

api_error call_by_name_expecting_failure(testing::mock_server& server) {
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.base_url = "https://localhost:" + std::to_string(server.port());
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  return r.error();
}

// OpenSSL accepts a certificate without subjectAltName when its subject CN matches the host,
// unless told never to look at the subject: the SAN alone names the host (RFC 6125).
BOOST_AUTO_TEST_CASE(a_certificate_naming_the_host_only_in_its_cn_is_refused) {
  testing::mock_server server(with_certificate(testing::certificate_kind::cn_only));
  auto e = call_by_name_expecting_failure(server);
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(e.message.find("hostname mismatch") != std::string::npos, e.message);
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_wrong_host_name_is_reported_as_hostname_mismatch) {
  testing::mock_server server(with_certificate(testing::certificate_kind::wrong_host));
  auto e = call_by_name_expecting_failure(server);
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(e.message.find("hostname mismatch") != std::string::npos, e.message);
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_wrong_ip_address_is_reported_as_ip_address_mismatch) {
  testing::mock_server server(with_certificate(testing::certificate_kind::wrong_host));
  auto e = call_expecting_failure(server, server.ca_pem());
  BOOST_TEST(e.code == errc::tls_error);
  BOOST_TEST(e.message.find("IP address mismatch") != std::string::npos, e.message);
}

// A peer that accepts TCP and hangs up in the middle of the handshake is a network fault
// (retryable connection_lost), not a certificate problem. Asio reports the EOF as
// ssl::error::stream_truncated.
BOOST_AUTO_TEST_CASE(server_hanging_up_during_the_tls_handshake_is_connection_lost) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(ioc);
  std::array<char, 16 * 1024> hello{};
  acceptor.async_accept(peer, [&](boost::system::error_code ec) {
    if (ec)
      return;
    peer.async_read_some(asio::buffer(hello), [&](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      peer.shutdown(asio::ip::tcp::socket::shutdown_send, ignored); // FIN after the ClientHello
    });
  });
  testing::mock_server ca_source;
  client_options opts;
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.tls.ca_pem = ca_source.ca_pem();
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  std::optional<result<health_report>> got;
  c.async_health([&](result<health_report> r) { got.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return got.has_value(); }));
  BOOST_REQUIRE(!got->has_value());
  BOOST_TEST(got->error().code == errc::connection_lost, test::why(*got));
}

// The resolver path (host names rather than IP literals) works end to end, including reuse.
BOOST_AUTO_TEST_CASE(host_name_base_url_is_resolved_and_verified) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::unthrottled(server);
  opts.base_url = "https://localhost:" + std::to_string(server.port());
  client c(ioc.get_executor(), opts);
  for (int i = 0; i < 3; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  }
  BOOST_TEST(c.stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
