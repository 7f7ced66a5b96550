// errc names, the "talkory" error category and api_error's one-line description.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <talkory/errors.hpp>

using talkory::api_error;
using talkory::errc;

namespace {

const std::vector<std::pair<errc, std::string_view>> all_codes{
    {errc::invalid_request, "invalid_request"},
    {errc::missing_api_key, "missing_api_key"},
    {errc::invalid_api_key, "invalid_api_key"},
    {errc::insufficient_balance, "insufficient_balance"},
    {errc::spend_cap_reached, "spend_cap_reached"},
    {errc::insufficient_scope, "insufficient_scope"},
    {errc::not_found, "not_found"},
    {errc::payload_too_large, "payload_too_large"},
    {errc::rate_limited, "rate_limited"},
    {errc::internal_error, "internal_error"},
    {errc::service_unavailable, "service_unavailable"},
    {errc::invalid_options, "invalid_options"},
    {errc::connection_failed, "connection_failed"},
    {errc::tls_error, "tls_error"},
    {errc::timeout, "timeout"},
    {errc::cancelled, "cancelled"},
    {errc::connection_lost, "connection_lost"},
    {errc::invalid_response, "invalid_response"},
    {errc::response_too_large, "response_too_large"},
    {errc::unknown_api_error, "unknown_api_error"},
};

constexpr std::size_t documented_server_codes = 11;

template <class T>
std::string printed(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(errors_tests)

BOOST_AUTO_TEST_CASE(to_string_gives_the_enumerator_name_for_every_code) {
  for (const auto& [code, name] : all_codes) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(talkory::to_string(code) == name);
      BOOST_TEST(printed(code) == name);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_documented_server_code_maps_back_to_its_errc) {
  for (std::size_t i = 0; i < documented_server_codes; ++i) {
    const auto& [code, name] = all_codes[i];
    BOOST_TEST_CONTEXT(name) {
      const auto found = talkory::server_errc_from_string(name);
      BOOST_TEST_REQUIRE(found.has_value());
      BOOST_TEST(*found == code);
    }
  }
}

BOOST_AUTO_TEST_CASE(client_side_codes_are_not_server_codes) {
  for (std::size_t i = documented_server_codes; i < all_codes.size(); ++i) {
    BOOST_TEST_CONTEXT(all_codes[i].second) {
      BOOST_TEST(!talkory::server_errc_from_string(all_codes[i].second).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_and_differently_cased_server_codes_are_not_recognised) {
  BOOST_TEST(!talkory::server_errc_from_string("").has_value());
  BOOST_TEST(!talkory::server_errc_from_string("teapot").has_value());
  BOOST_TEST(!talkory::server_errc_from_string("RATE_LIMITED").has_value());
  BOOST_TEST(!talkory::server_errc_from_string("rate_limited ").has_value());
}

BOOST_AUTO_TEST_CASE(category_is_named_talkory_and_every_code_has_a_message) {
  const auto& category = talkory::talkory_category();
  BOOST_TEST(std::string_view(category.name()) == "talkory");
  for (const auto& [code, name] : all_codes) {
    BOOST_TEST_CONTEXT(name) {
      const auto ec = talkory::make_error_code(code);
      BOOST_TEST(&ec.category() == &category);
      BOOST_TEST(ec.value() == static_cast<int>(code));
      BOOST_TEST(!ec.message().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(category_message_says_what_to_do) {
  BOOST_TEST(talkory::make_error_code(errc::rate_limited).message() ==
             "rate limit exceeded: retry after the Retry-After delay");
  BOOST_TEST(talkory::make_error_code(errc::invalid_api_key).message().find("create a new key") !=
             std::string::npos);
  // The advice is the decoder's too (errc_table.hpp), in the words of the spec's "What to do".
  BOOST_TEST(talkory::make_error_code(errc::spend_cap_reached)
                 .message()
                 .find("raise the key's monthly spend cap") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_value_has_a_message_rather_than_throwing) {
  BOOST_TEST(!talkory::talkory_category().message(999).empty());
  BOOST_TEST(talkory::to_string(static_cast<errc>(999)) == "unknown_errc");
}

BOOST_AUTO_TEST_CASE(errc_converts_implicitly_to_error_code) {
  const std::error_code ec = errc::timeout;
  BOOST_TEST(ec == errc::timeout);
  BOOST_TEST(ec != errc::cancelled);
}

BOOST_AUTO_TEST_CASE(timeout_and_cancelled_compare_equal_to_the_portable_conditions) {
  // Double parentheses: std::errc has no operator<< for Boost.Test to print.
  BOOST_TEST((talkory::make_error_code(errc::timeout) == std::errc::timed_out));
  BOOST_TEST((talkory::make_error_code(errc::cancelled) == std::errc::operation_canceled));
  BOOST_TEST((talkory::make_error_code(errc::rate_limited) != std::errc::timed_out));
}

BOOST_AUTO_TEST_CASE(error_code_member_uses_the_talkory_category) {
  api_error error;
  error.code = errc::not_found;
  BOOST_TEST(error.error_code() == talkory::make_error_code(errc::not_found));
}

BOOST_AUTO_TEST_CASE(describe_gives_code_status_message_and_request_id_on_one_line) {
  api_error error;
  error.code = errc::rate_limited;
  error.origin = talkory::error_origin::server;
  error.http_status = 429;
  error.message = "Rate limit exceeded. Slow down and retry.";
  error.request_id = "req_a1b2c3d4";
  BOOST_TEST(error.describe() ==
             "rate_limited (HTTP 429): Rate limit exceeded. Slow down and retry. "
             "[request req_a1b2c3d4]");
  BOOST_TEST(printed(error) == error.describe());
}

BOOST_AUTO_TEST_CASE(describe_omits_status_and_request_when_absent) {
  api_error error;
  error.code = errc::connection_failed;
  error.message = "could not connect";
  BOOST_TEST(error.describe() == "connection_failed: could not connect");
}

BOOST_AUTO_TEST_CASE(describe_adds_retry_after_cause_and_attempts) {
  api_error error;
  error.code = errc::service_unavailable;
  error.http_status = 503;
  error.message = "Down for maintenance.";
  error.retry_after = std::chrono::seconds{30};
  error.cause = std::make_error_code(std::errc::connection_reset);
  error.attempts = 3;
  error.request_id = "req_1";
  const auto text = error.describe();
  BOOST_TEST(text.starts_with("service_unavailable (HTTP 503): Down for maintenance."));
  BOOST_TEST(text.find("retry after 30s") != std::string::npos);
  BOOST_TEST(text.find("cause: " + error.cause.message()) != std::string::npos);
  BOOST_TEST(text.find("after 3 attempts") != std::string::npos);
  BOOST_TEST(text.ends_with("[request req_1]"));
}

BOOST_AUTO_TEST_CASE(describe_falls_back_to_the_category_message_when_message_is_empty) {
  api_error error;
  error.code = errc::timeout;
  BOOST_TEST(error.describe() == "timeout: " + talkory::make_error_code(errc::timeout).message());
}

BOOST_AUTO_TEST_CASE(describe_stays_on_one_line_when_the_server_message_has_line_breaks) {
  api_error error;
  error.code = errc::internal_error;
  error.http_status = 500;
  error.message = "boom\r\nX-Injected: yes";
  error.request_id = "req\nid";
  const auto text = error.describe();
  BOOST_TEST(text.find('\n') == std::string::npos);
  BOOST_TEST(text.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(describe_neutralises_c1_and_bidi_and_bounds_every_server_field) {
  talkory::api_error e;
  e.code = errc::internal_error;
  e.http_status = 500;
  e.message = "boom\xc2\x9b"
              "2J\xe2\x80\xae" +
              std::string(5000, 'm');
  e.request_id = "req\xe2\x81\xa6" + std::string(500, 'r');
  const auto line = e.describe();
  BOOST_TEST(line == "internal_error (HTTP 500): boom 2J " + std::string(1013, 'm') +
                         "... [request req " + std::string(57, 'r') + "...]");
  BOOST_TEST(printed(e) == line);
}

BOOST_AUTO_TEST_SUITE_END()
