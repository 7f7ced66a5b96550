// The client's TLS context: what it enforces whatever the system's OpenSSL defaults are.
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include "tls_context.hpp"

using talkory::tls_options;
using talkory::detail::make_tls_context;

BOOST_AUTO_TEST_SUITE(tls_context_tests)

BOOST_AUTO_TEST_CASE(security_level_two_is_set_explicitly) {
  auto ctx = make_tls_context(tls_options{});
  BOOST_REQUIRE(ctx.has_value());
  BOOST_TEST(SSL_CTX_get_security_level((*ctx)->native_handle()) == 2);
}

BOOST_AUTO_TEST_CASE(tls_1_2_is_the_oldest_version_offered) {
  auto ctx = make_tls_context(tls_options{});
  BOOST_REQUIRE(ctx.has_value());
  BOOST_TEST(SSL_CTX_get_min_proto_version((*ctx)->native_handle()) == TLS1_2_VERSION);
}

BOOST_AUTO_TEST_CASE(peer_verification_is_on) {
  auto ctx = make_tls_context(tls_options{});
  BOOST_REQUIRE(ctx.has_value());
  BOOST_TEST((SSL_CTX_get_verify_mode((*ctx)->native_handle()) & SSL_VERIFY_PEER) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
