// parse_base_url: which base URLs are accepted, and the origin each one gives.
#include <boost/test/unit_test.hpp>

#include <string>

#include "base_url.hpp"

using talkory::errc;
using talkory::detail::origin;
using talkory::detail::parse_base_url;

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(talkory::error_origin)

namespace {

origin accepted(std::string_view url, bool insecure = false) {
  auto result = parse_base_url(url, insecure);
  BOOST_TEST_REQUIRE(result.has_value(), url << ": " << result.error().message);
  return *result;
}

std::string refused(std::string_view url, bool insecure = false) {
  const auto result = parse_base_url(url, insecure);
  BOOST_TEST_REQUIRE(!result.has_value(), url);
  BOOST_TEST(result.error().code == errc::invalid_options);
  BOOST_TEST(result.error().origin == talkory::error_origin::client);
  return result.error().message;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base_url_tests)

BOOST_AUTO_TEST_CASE(default_url_gives_tls_on_port_443_without_prefix) {
  const auto ep = accepted("https://api.talkory.ai");
  BOOST_TEST(ep.tls);
  BOOST_TEST(ep.host == "api.talkory.ai");
  BOOST_TEST(ep.port == 443);
  BOOST_TEST(ep.path_prefix == "");
  BOOST_TEST(ep.host_header == "api.talkory.ai");
  BOOST_TEST(!ep.host_is_ip_literal());
  BOOST_TEST(ep.target("/v1/health/llm") == "/v1/health/llm");
}

BOOST_AUTO_TEST_CASE(root_path_and_trailing_slashes_are_dropped) {
  BOOST_TEST(accepted("https://api.talkory.ai/").path_prefix == "");
  BOOST_TEST(accepted("https://api.talkory.ai/talkory/").path_prefix == "/talkory");
  BOOST_TEST(accepted("https://api.talkory.ai/a/b//").path_prefix == "/a/b");
}

BOOST_AUTO_TEST_CASE(path_prefix_is_prepended_to_the_target) {
  const auto ep = accepted("https://gateway.example.com/proxy/talkory");
  BOOST_TEST(ep.path_prefix == "/proxy/talkory");
  BOOST_TEST(ep.target("/v1/health/llm") == "/proxy/talkory/v1/health/llm");
  BOOST_TEST(ep.target("v1/health/llm") == "/proxy/talkory/v1/health/llm");
}

BOOST_AUTO_TEST_CASE(dot_segments_in_the_prefix_are_refused) {
  BOOST_TEST(contains(refused("https://api.talkory.ai/a/../b"), "'..'"));
  BOOST_TEST(contains(refused("https://api.talkory.ai/./b"), "'.'"));
  BOOST_TEST(contains(refused("https://api.talkory.ai/a/%2e%2e/b"), "'..'"));
}

BOOST_AUTO_TEST_CASE(explicit_port_appears_in_the_host_header) {
  const auto ep = accepted("https://api.talkory.ai:8443");
  BOOST_TEST(ep.port == 8443);
  BOOST_TEST(ep.host_header == "api.talkory.ai:8443");
}

BOOST_AUTO_TEST_CASE(explicit_default_port_is_left_out_of_the_host_header) {
  const auto ep = accepted("https://api.talkory.ai:443/");
  BOOST_TEST(ep.port == 443);
  BOOST_TEST(ep.host_header == "api.talkory.ai");
}

BOOST_AUTO_TEST_CASE(bad_ports_are_refused) {
  for (const char* url : {"https://api.talkory.ai:0", "https://api.talkory.ai:65536",
                          "https://api.talkory.ai:99999999", "https://api.talkory.ai:",
                          "https://api.talkory.ai:-1", "https://api.talkory.ai:https"}) {
    BOOST_TEST_CONTEXT(url) {
      refused(url);
    }
  }
  BOOST_TEST(contains(refused("https://api.talkory.ai:70000"), "port"));
  BOOST_TEST(accepted("https://api.talkory.ai:65535").port == 65535);
  BOOST_TEST(accepted("https://api.talkory.ai:1").port == 1);
}

BOOST_AUTO_TEST_CASE(ipv4_literal_is_kept_and_flagged) {
  const auto ep = accepted("https://127.0.0.1:9443/");
  BOOST_TEST(ep.host == "127.0.0.1");
  BOOST_TEST(ep.host_header == "127.0.0.1:9443");
  BOOST_TEST(ep.host_is_ip_literal());
}

BOOST_AUTO_TEST_CASE(ipv6_literal_has_no_brackets_in_host_but_has_them_in_the_host_header) {
  const auto ep = accepted("https://[::1]:9443/x");
  BOOST_TEST(ep.host == "::1");
  BOOST_TEST(ep.port == 9443);
  BOOST_TEST(ep.host_header == "[::1]:9443");
  BOOST_TEST(ep.path_prefix == "/x");
  BOOST_TEST(ep.host_is_ip_literal());
  const auto default_port = accepted("https://[2001:db8::1]");
  BOOST_TEST(default_port.host == "2001:db8::1");
  BOOST_TEST(default_port.host_header == "[2001:db8::1]");
}

BOOST_AUTO_TEST_CASE(malformed_ipv6_literals_are_refused) {
  refused("https://[::1/");
  refused("https://[zz::1]/");
  refused("https://::1/");
}

BOOST_AUTO_TEST_CASE(http_is_refused_unless_explicitly_allowed) {
  const auto message = refused("http://127.0.0.1:8080");
  BOOST_TEST(contains(message, "use https://"));
  BOOST_TEST(contains(message, "allow_insecure_http"));
  const auto ep = accepted("http://127.0.0.1:8080", true);
  BOOST_TEST(!ep.tls);
  BOOST_TEST(ep.port == 8080);
}

BOOST_AUTO_TEST_CASE(http_defaults_to_port_80) {
  const auto ep = accepted("http://localhost", true);
  BOOST_TEST(ep.port == 80);
  BOOST_TEST(ep.host_header == "localhost");
  BOOST_TEST(accepted("http://localhost:80", true).host_header == "localhost");
  BOOST_TEST(accepted("http://localhost:443", true).host_header == "localhost:443");
}

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive) {
  BOOST_TEST(accepted("HTTPS://api.talkory.ai").tls);
}

BOOST_AUTO_TEST_CASE(other_schemes_are_refused) {
  for (const char* url : {"ftp://api.talkory.ai", "wss://api.talkory.ai", "file:///etc/passwd",
                          "mailto:ops@talkory.ai", "talkory://api"}) {
    BOOST_TEST_CONTEXT(url) {
      BOOST_TEST(contains(refused(url, true), "only https"));
    }
  }
}

BOOST_AUTO_TEST_CASE(user_info_is_refused_without_echoing_it) {
  const auto message = refused("https://user:hunter2@api.talkory.ai");
  BOOST_TEST(contains(message, "user info"));
  BOOST_TEST(!contains(message, "hunter2"));
  refused("https://user@api.talkory.ai");
  refused("https://@api.talkory.ai");
}

BOOST_AUTO_TEST_CASE(query_and_fragment_are_refused) {
  BOOST_TEST(contains(refused("https://api.talkory.ai/?x=1"), "query"));
  BOOST_TEST(contains(refused("https://api.talkory.ai?"), "query"));
  BOOST_TEST(contains(refused("https://api.talkory.ai/#top"), "fragment"));
  BOOST_TEST(contains(refused("https://api.talkory.ai#"), "fragment"));
}

BOOST_AUTO_TEST_CASE(missing_or_empty_host_is_refused) {
  BOOST_TEST(contains(refused("https://"), "empty host"));
  BOOST_TEST(contains(refused("https:///v1"), "empty host"));
  BOOST_TEST(contains(refused("https://:443"), "empty host"));
  BOOST_TEST(contains(refused("https:api.talkory.ai"), "no host"));
}

BOOST_AUTO_TEST_CASE(junk_is_refused_with_an_example_of_the_expected_form) {
  for (const char* url :
       {"", "api.talkory.ai", "//api.talkory.ai", "https//api.talkory.ai", "https://api talkory.ai",
        " https://api.talkory.ai", "https://api.talkory.ai\n", "https://api.talkory.ai/a b",
        "https://api.tal%6Bory.ai", "https://api!.talkory.ai", "https://api.talkory.ai\\v1"}) {
    BOOST_TEST_CONTEXT(url) {
      BOOST_TEST(contains(refused(url), "base_url"));
    }
  }
  BOOST_TEST(contains(refused("api.talkory.ai"), "https://api.talkory.ai"));
}

BOOST_AUTO_TEST_CASE(error_message_does_not_echo_control_characters) {
  const auto message = refused("https://api.talkory.ai/\r\nX-Injected: 1");
  BOOST_TEST(message.find('\r') == std::string::npos);
  BOOST_TEST(message.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(host_names_keep_their_spelling) {
  BOOST_TEST(accepted("https://API.Talkory.AI").host == "API.Talkory.AI");
  BOOST_TEST(accepted("https://my_host.internal").host == "my_host.internal");
}

BOOST_AUTO_TEST_SUITE_END()
