// client_options: every validation rule, the environment loader and the redacting printer.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <talkory/options.hpp>

using namespace std::chrono_literals;
using talkory::client_options;
using talkory::errc;

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(talkory::error_origin)

namespace {

const std::string secret_key = "tk_live_Zq8xS3cr3tV4lu3D0NotL0g1234567";
const std::string secret_part = "Zq8xS3cr3tV4lu3D0NotL0g1234567";

client_options valid_options() {
  client_options o;
  o.api_key = secret_key;
  return o;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string printed(const client_options& o) {
  std::ostringstream out;
  out << o;
  return out.str();
}

// Validates, requires a refusal, checks the invariants of every refusal and returns the message.
std::string refusal(const client_options& o) {
  const auto error = o.validate();
  BOOST_TEST_REQUIRE(error.has_value());
  BOOST_TEST(error->code == errc::invalid_options);
  BOOST_TEST(error->origin == talkory::error_origin::client);
  BOOST_TEST(error->http_status == 0);
  BOOST_TEST(!error->message.empty());
  if (o.api_key.size() >= 8) {
    BOOST_TEST(!contains(error->message, o.api_key));
    BOOST_TEST(!contains(error->describe(), o.api_key));
  }
  return error->message;
}

// Sets (or, with nullopt, unsets) an environment variable for one test and restores it after.
class scoped_env {
public:
  scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    set(value);
  }
  ~scoped_env() { set(old_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

private:
  void set(const std::optional<std::string>& value) {
    if (value)
      ::setenv(name_, value->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  const char* name_;
  std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(options_tests)

BOOST_AUTO_TEST_CASE(defaults_with_a_key_are_valid) {
  BOOST_TEST(!valid_options().validate().has_value());
}

BOOST_AUTO_TEST_CASE(empty_key_is_refused_with_where_to_get_one) {
  client_options o;
  const auto message = refusal(o);
  BOOST_TEST(contains(message, "api_key is empty"));
  BOOST_TEST(contains(message, "TALKORY_API_KEY"));
}

BOOST_AUTO_TEST_CASE(bad_keys_are_refused_without_showing_the_key) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {secret_key + "\n", "line break"},
      {secret_key + "\r\nX-Injected: 1", "line break"},
      {secret_key.substr(0, 10) + " " + secret_key.substr(10), "a space"},
      {" " + secret_key, "a space"},
      {secret_key + "\t", "a control character"},
      {secret_key + "\x01", "a control character"},
      {secret_key + "\xc3\xa9", "a non-ASCII byte"},
  };
  for (const auto& [key, reason] : cases) {
    BOOST_TEST_CONTEXT(reason) {
      auto o = valid_options();
      o.api_key = key;
      const auto message = refusal(o);
      BOOST_TEST(contains(message, reason), message);
      BOOST_TEST(!contains(message, secret_part));
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_base_url_is_refused) {
  for (const char* url : {"", "api.talkory.ai", "ftp://api.talkory.ai", "https://",
                          "https://api.talkory.ai?x=1", "https://api.talkory.ai:0"}) {
    BOOST_TEST_CONTEXT(url) {
      auto o = valid_options();
      o.base_url = url;
      BOOST_TEST(contains(refusal(o), "base_url"));
    }
  }
}

BOOST_AUTO_TEST_CASE(http_base_url_needs_allow_insecure_http) {
  auto o = valid_options();
  o.base_url = "http://127.0.0.1:8080";
  BOOST_TEST(contains(refusal(o), "allow_insecure_http"));
  o.allow_insecure_http = true;
  BOOST_TEST(!o.validate().has_value());
}

BOOST_AUTO_TEST_CASE(base_url_containing_the_key_never_echoes_it) {
  auto o = valid_options();
  o.base_url = "ftp://" + secret_key + ".example.com/";
  BOOST_TEST(!contains(refusal(o), secret_part));
  o.base_url = "https://user:" + secret_key + "@api.talkory.ai";
  BOOST_TEST(!contains(refusal(o), secret_part));
  o.base_url = "https://api.talkory.ai/?key=" + secret_key;
  BOOST_TEST(!contains(refusal(o), secret_part));
  o.base_url = "not a url " + secret_key;
  BOOST_TEST(!contains(refusal(o), secret_part));
}

BOOST_AUTO_TEST_CASE(zero_or_negative_timeouts_are_refused_by_name) {
  using field = talkory::milliseconds talkory::timeout_options::*;
  const std::vector<std::pair<field, std::string>> fields{
      {&talkory::timeout_options::connect, "timeouts.connect"},
      {&talkory::timeout_options::handshake, "timeouts.handshake"},
      {&talkory::timeout_options::attempt, "timeouts.attempt"},
      {&talkory::timeout_options::total, "timeouts.total"},
      {&talkory::timeout_options::shutdown, "timeouts.shutdown"},
  };
  for (const auto& [member, name] : fields) {
    for (const auto value : {0ms, -1ms}) {
      BOOST_TEST_CONTEXT(name << " = " << value.count()) {
        auto o = valid_options();
        o.timeouts.*member = value;
        BOOST_TEST(contains(refusal(o), name + " must be greater than zero"));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(pool_without_connections_is_refused) {
  auto o = valid_options();
  o.pool.max_connections = 0;
  BOOST_TEST(contains(refusal(o), "pool.max_connections"));
}

BOOST_AUTO_TEST_CASE(zero_pool_durations_are_refused_by_name) {
  auto idle = valid_options();
  idle.pool.idle_timeout = 0ms;
  BOOST_TEST(contains(refusal(idle), "pool.idle_timeout"));
  auto age = valid_options();
  age.pool.max_connection_age = -5ms;
  BOOST_TEST(contains(refusal(age), "pool.max_connection_age"));
  auto acquire = valid_options();
  acquire.pool.acquire_timeout = 0ms;
  BOOST_TEST(contains(refusal(acquire), "pool.acquire_timeout"));
}

BOOST_AUTO_TEST_CASE(enabled_rate_limit_needs_tokens_a_burst_and_a_window) {
  auto per_window = valid_options();
  per_window.rate_limit.requests_per_window = 0;
  BOOST_TEST(contains(refusal(per_window), "rate_limit.requests_per_window"));
  auto burst = valid_options();
  burst.rate_limit.burst = 0;
  BOOST_TEST(contains(refusal(burst), "rate_limit.burst"));
  auto window = valid_options();
  window.rate_limit.window = 0ms;
  BOOST_TEST(contains(refusal(window), "rate_limit.window"));
}

BOOST_AUTO_TEST_CASE(a_burst_above_its_documented_maximum_is_refused) {
  // The bucket holds one timestamp per token, and a server's "X-RateLimit-Remaining: 0" marks
  // them all used at once: without this bound a burst of 10^9 meant 8 GB from one header.
  auto largest = valid_options();
  largest.rate_limit.burst = talkory::client_options::max_rate_limit_burst;
  BOOST_TEST(!largest.validate().has_value());
  auto over = valid_options();
  over.rate_limit.burst = talkory::client_options::max_rate_limit_burst + 1;
  BOOST_TEST(contains(refusal(over), "rate_limit.burst must be at most 1000000"));
}

BOOST_AUTO_TEST_CASE(disabled_rate_limit_is_not_checked) {
  auto o = valid_options();
  o.rate_limit.enabled = false;
  o.rate_limit.requests_per_window = 0;
  o.rate_limit.burst = 0;
  o.rate_limit.window = 0ms;
  BOOST_TEST(!o.validate().has_value());
}

BOOST_AUTO_TEST_CASE(negative_retry_settings_are_refused) {
  auto retries = valid_options();
  retries.retry.max_retries = -1;
  BOOST_TEST(contains(refusal(retries), "retry.max_retries"));
  auto initial = valid_options();
  initial.retry.initial_backoff = -1ms;
  BOOST_TEST(contains(refusal(initial), "retry.initial_backoff"));
  auto max = valid_options();
  max.retry.max_backoff = -1ms;
  BOOST_TEST(contains(refusal(max), "retry.max_backoff"));
  auto retry_after = valid_options();
  retry_after.retry.max_retry_after = -1s;
  BOOST_TEST(contains(refusal(retry_after), "retry.max_retry_after"));
}

BOOST_AUTO_TEST_CASE(zero_retries_are_allowed) {
  auto o = valid_options();
  o.retry.max_retries = 0;
  BOOST_TEST(!o.validate().has_value());
}

BOOST_AUTO_TEST_CASE(zero_response_limits_are_refused) {
  auto body = valid_options();
  body.max_response_body = 0;
  BOOST_TEST(contains(refusal(body), "max_response_body"));
  auto header = valid_options();
  header.max_response_header = 0;
  BOOST_TEST(contains(refusal(header), "max_response_header"));
}

BOOST_AUTO_TEST_CASE(user_agent_with_line_breaks_or_controls_is_refused) {
  for (const char* agent : {"talkory\r\nX-Injected: 1", "talkory\n", "tal\x01kory"}) {
    auto o = valid_options();
    o.user_agent = agent;
    BOOST_TEST(contains(refusal(o), "user_agent"));
  }
}

BOOST_AUTO_TEST_CASE(missing_ca_file_is_refused_naming_the_path) {
  auto o = valid_options();
  o.tls.ca_file = "/nonexistent/talkory-test-ca.pem";
  const auto message = refusal(o);
  BOOST_TEST(contains(message, "tls.ca_file"));
  BOOST_TEST(contains(message, "/nonexistent/talkory-test-ca.pem"));
  BOOST_TEST(contains(message, "does not exist"));
}

BOOST_AUTO_TEST_CASE(directory_as_ca_file_is_refused) {
  auto o = valid_options();
  o.tls.ca_file = std::filesystem::temp_directory_path().string();
  BOOST_TEST(contains(refusal(o), "is a directory"));
}

BOOST_AUTO_TEST_CASE(readable_ca_file_is_accepted) {
  const auto path = std::filesystem::temp_directory_path() / "talkory_options_tests_ca.pem";
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  auto o = valid_options();
  o.tls.ca_file = path.string();
  BOOST_TEST(!o.validate().has_value());
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(from_env_reads_the_key_and_base_url) {
  const scoped_env key("TALKORY_API_KEY", secret_key);
  const scoped_env url("TALKORY_BASE_URL", "https://gateway.example.com/talkory");
  const auto o = client_options::from_env();
  BOOST_TEST(o.api_key == secret_key);
  BOOST_TEST(o.base_url == "https://gateway.example.com/talkory");
  BOOST_TEST(!o.validate().has_value());
}

BOOST_AUTO_TEST_CASE(from_env_keeps_the_default_base_url_when_unset_or_empty) {
  const scoped_env key("TALKORY_API_KEY", secret_key);
  {
    const scoped_env url("TALKORY_BASE_URL", std::nullopt);
    BOOST_TEST(client_options::from_env().base_url == "https://api.talkory.ai");
  }
  {
    const scoped_env url("TALKORY_BASE_URL", "");
    BOOST_TEST(client_options::from_env().base_url == "https://api.talkory.ai");
  }
}

BOOST_AUTO_TEST_CASE(from_env_without_a_key_gives_options_that_fail_validation) {
  const scoped_env key("TALKORY_API_KEY", std::nullopt);
  const auto o = client_options::from_env();
  BOOST_TEST(o.api_key.empty());
  BOOST_TEST(contains(refusal(o), "api_key is empty"));
}

BOOST_AUTO_TEST_CASE(printing_redacts_the_key) {
  const auto text = printed(valid_options());
  BOOST_TEST(!contains(text, secret_part));
  BOOST_TEST(!contains(text, secret_key));
  BOOST_TEST(contains(text, "<redacted, " + std::to_string(secret_key.size()) + " chars>"));
}

BOOST_AUTO_TEST_CASE(printing_shows_the_other_fields) {
  auto o = valid_options();
  o.base_url = "https://gateway.example.com:8443/talkory";
  o.timeouts.connect = 1234ms;
  o.pool.max_connections = 7;
  o.rate_limit.mode = talkory::rate_limit_mode::fail_fast;
  const auto text = printed(o);
  BOOST_TEST(contains(text, R"(base_url="https://gateway.example.com:8443/talkory")"));
  BOOST_TEST(contains(text, "connect=1234 ms"));
  BOOST_TEST(contains(text, "max_connections=7"));
  BOOST_TEST(contains(text, "mode=fail_fast"));
  BOOST_TEST(contains(text, R"(user_agent="talkory-cpp/0.2.0")"));
  BOOST_TEST(text.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(printing_an_empty_key_says_so) {
  BOOST_TEST(contains(printed(client_options{}), "api_key=<empty>"));
}

BOOST_AUTO_TEST_CASE(printing_redacts_credentials_in_the_base_url) {
  auto o = valid_options();
  o.base_url = "https://user:hunter2@api.talkory.ai/x";
  const auto text = printed(o);
  BOOST_TEST(!contains(text, "hunter2"));
  BOOST_TEST(contains(text, R"(base_url="https://<redacted>@api.talkory.ai/x")"));
  o.base_url = "https://api.talkory.ai/?k=" + secret_key;
  BOOST_TEST(!contains(printed(o), secret_part));
}

BOOST_AUTO_TEST_CASE(printing_a_key_with_a_line_break_neither_shows_it_nor_breaks_the_line) {
  auto o = valid_options();
  o.api_key = secret_key + "\n";
  const auto text = printed(o);
  BOOST_TEST(!contains(text, secret_part));
  BOOST_TEST(text.find('\n') == std::string::npos);
}

// A 64 KiB key made Beast throw while building the request ("internal error"): refused up front.
BOOST_AUTO_TEST_CASE(an_overlong_key_is_refused_with_its_length_not_its_text) {
  auto o = valid_options();
  o.api_key = "tk_live_" + std::string(64 * 1024, 'a');
  const auto message = refusal(o);
  BOOST_TEST(contains(message, "more than the 256 accepted"), message);
  BOOST_TEST(!contains(message, "aaaaaaaa"));
  o.api_key = "tk_live_" + std::string(client_options::max_api_key_length - 8, 'a');
  BOOST_TEST(!o.validate().has_value()); // the longest accepted key is accepted
  o.api_key += 'a';
  BOOST_TEST(o.validate().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
