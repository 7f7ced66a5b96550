// The mock server against a tiny Beast client of its own: the contract the client's tests rely on.
#include <talkory/testing/mock_server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using talkory::testing::certificate_kind;
using talkory::testing::fault;
using talkory::testing::mock_key;
using talkory::testing::mock_server;
using talkory::testing::mock_server_options;
using talkory::testing::scripted_response;

using response = http::response<http::string_body>;
using request = http::request<http::string_body>;

const std::string demo_key = mock_server_options::demo_key_value;
constexpr std::string_view health_path = "/v1/health/llm";
// Bounds every client operation, so a broken server fails a test instead of hanging it.
constexpr auto operation_bound = 10s;

std::string str(beast::string_view text) {
  return {text.data(), text.size()};
}
std::string str(const json::value& value) {
  return std::string(value.as_string());
}

/// Whether `text` matches `pattern`, where 'd' is a decimal digit, 'x' a lowercase hex digit,
/// and any other character itself. (std::regex trips GCC 12's -Wmaybe-uninitialized at -O1.)
bool matches(std::string_view text, std::string_view pattern) {
  auto fits = [](char c, char p) {
    const bool digit = c >= '0' && c <= '9';
    return p == 'd' ? digit : p == 'x' ? digit || (c >= 'a' && c <= 'f') : c == p;
  };
  return text.size() == pattern.size() && std::ranges::equal(text, pattern, fits);
}

bool is_request_id(const std::string& id) {
  return matches(id, "req_xxxxxxxx");
}

struct ssl_session_free {
  void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
};
using ssl_session_ptr = std::unique_ptr<SSL_SESSION, ssl_session_free>;

/// A one-connection HTTP/1.1 client that verifies the server against its CA. Each call runs one
/// asynchronous operation to completion on a private io_context, under a timeout.
class test_client {
public:
  explicit test_client(const mock_server& server, std::string host = "127.0.0.1")
      : port_(server.port()), tls_(server.base_url().starts_with("https://")),
        host_(std::move(host)) {
    context_.set_verify_mode(asio::ssl::verify_peer);
    context_.add_certificate_authority(asio::buffer(server.ca_pem()));
  }

  /// TCP connect, then (for https) a verified TLS handshake, resuming `session` if given.
  beast::error_code connect(SSL_SESSION* session = nullptr) {
    buffer_.clear();
    plain_.reset();
    tls_stream_.reset();
    if (tls_) {
      tls_stream_.emplace(io_, context_);
      tls_stream_->set_verify_callback(asio::ssl::host_name_verification(host_));
      if (session != nullptr) {
        SSL_set_session(tls_stream_->native_handle(), session);
      }
    } else {
      plain_.emplace(io_);
    }
    const asio::ip::tcp::endpoint server{asio::ip::address_v4::loopback(), port_};
    if (auto ec = run([&](auto handler) { tcp().async_connect(server, std::move(handler)); })) {
      return ec;
    }
    if (!tls_) {
      return {};
    }
    return run([&](auto handler) {
      tls_stream_->async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
  }

  void connect_or_fail() {
    const auto ec = connect();
    BOOST_REQUIRE_MESSAGE(!ec, "connect: " << ec.message());
  }

  beast::error_code write(request message) {
    message.prepare_payload();
    return on_stream([&](auto& stream) {
      return run([&](auto handler) { http::async_write(stream, message, std::move(handler)); });
    });
  }

  beast::error_code write_raw(std::string_view bytes) {
    return on_stream([&](auto& stream) {
      return run([&](auto handler) {
        asio::async_write(stream, asio::buffer(bytes), std::move(handler));
      });
    });
  }

  std::pair<beast::error_code, response> read(std::chrono::milliseconds bound = operation_bound) {
    response message;
    auto ec = on_stream([&](auto& stream) {
      return run(
          [&](auto handler) { http::async_read(stream, buffer_, message, std::move(handler)); },
          bound);
    });
    return {ec, std::move(message)};
  }

  /// Writes `message` and reads the answer; fails the test on any transport error.
  response exchange(request message) {
    const auto write_ec = write(std::move(message));
    BOOST_REQUIRE_MESSAGE(!write_ec, "write: " << write_ec.message());
    auto [ec, answer] = read();
    BOOST_REQUIRE_MESSAGE(!ec, "read: " << ec.message());
    return std::move(answer);
  }

  /// Reads until the server closes; returns how it ended and how many bytes came before.
  std::pair<beast::error_code, std::size_t> read_until_closed() {
    std::size_t received = buffer_.size();
    for (;;) {
      std::array<char, 1024> scratch{};
      std::size_t n = 0;
      auto ec = on_stream([&](auto& stream) {
        return run([&](auto handler) {
          stream.async_read_some(
              asio::buffer(scratch),
              [&n, handler = std::move(handler)](beast::error_code e, std::size_t size) mutable {
                n = size;
                handler(e, size);
              });
        });
      });
      received += n;
      if (ec) {
        return {ec, received};
      }
    }
  }

  /// The client's side of a polite close: TLS close_notify both ways, or a TCP FIN both ways.
  beast::error_code shut_down() {
    if (tls_) {
      return run([&](auto handler) { tls_stream_->async_shutdown(std::move(handler)); });
    }
    beast::error_code ec;
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    return ec ? ec : read_until_closed().first;
  }

  ssl_session_ptr session() {
    return ssl_session_ptr{SSL_get1_session(tls_stream_->native_handle())};
  }
  bool resumed() { return SSL_session_reused(tls_stream_->native_handle()) == 1; }

private:
  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

  template <class F>
  beast::error_code on_stream(F&& f) {
    return tls_ ? f(*tls_stream_) : f(*plain_);
  }

  template <class Start>
  beast::error_code run(Start start, std::chrono::milliseconds bound = operation_bound) {
    std::optional<beast::error_code> outcome;
    tcp().expires_after(bound);
    start([&outcome](beast::error_code ec, auto&&...) { outcome = ec; });
    io_.restart();
    io_.run();
    BOOST_REQUIRE_MESSAGE(outcome.has_value(), "an operation never completed");
    return *outcome;
  }

  asio::io_context io_;
  asio::ssl::context context_{asio::ssl::context::tls_client};
  std::uint16_t port_;
  bool tls_;
  std::string host_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  std::optional<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
};

request get(std::string_view target = health_path, std::optional<std::string> key = demo_key) {
  request message{http::verb::get, target, 11};
  message.set(http::field::host, "127.0.0.1");
  if (key) {
    message.set(http::field::authorization, "Bearer " + *key);
  }
  return message;
}

/// One request on a fresh connection.
response fetch(const mock_server& server, request message) {
  test_client client{server};
  client.connect_or_fail();
  return client.exchange(std::move(message));
}

/// The documented error shape, exactly, with the header and body request ids equal.
void check_error(const response& answer, int status, std::string_view code) {
  BOOST_TEST(answer.result_int() == static_cast<unsigned>(status));
  BOOST_TEST(str(answer[http::field::content_type]) == "application/json");
  const auto body = json::parse(answer.body()).as_object();
  BOOST_TEST(body.size() == 1U);
  const auto& error = body.at("error").as_object();
  BOOST_TEST(error.size() == 4U);
  BOOST_TEST(str(error.at("code")) == code);
  BOOST_TEST(!error.at("message").as_string().empty());
  BOOST_TEST(error.at("status").as_int64() == status);
  const auto id = str(error.at("requestId"));
  BOOST_TEST(is_request_id(id));
  BOOST_TEST(str(answer["X-Request-Id"]) == id);
}

std::vector<std::string> provider_names(const json::object& body) {
  std::vector<std::string> names;
  for (const auto& provider : body.at("providers").as_object()) {
    names.emplace_back(provider.key());
  }
  return names;
}

mock_server_options with_rate_limit(std::size_t limit) {
  mock_server_options options;
  options.rate_limit = limit;
  return options;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mock_server_tests)

BOOST_AUTO_TEST_CASE(health_answers_the_documented_body_and_headers) {
  mock_server server;
  const auto answer = fetch(server, get());

  BOOST_TEST(answer.result_int() == 200U);
  BOOST_TEST(str(answer[http::field::content_type]) == "application/json");
  BOOST_TEST(is_request_id(str(answer["X-Request-Id"])));
  BOOST_TEST(str(answer["X-RateLimit-Limit"]) == "30");
  BOOST_TEST(str(answer["X-RateLimit-Remaining"]) == "29");
  const auto body = json::parse(answer.body()).as_object();
  BOOST_TEST(body.size() == 3U);
  BOOST_TEST(str(body.at("status")) == "ok");
  BOOST_TEST(matches(str(body.at("checkedAt")), "dddd-dd-ddTdd:dd:dd.dddZ"));
  const std::vector<std::string> expected{"gpt", "claude", "gemini", "grok", "perplexity"};
  BOOST_TEST(provider_names(body) == expected, boost::test_tools::per_element());
  for (const auto& provider : body.at("providers").as_object()) {
    BOOST_TEST(provider.value().as_object().size() == 1U);
    BOOST_TEST(str(provider.value().at("status")) == "ok");
  }
}

BOOST_AUTO_TEST_CASE(every_response_has_a_fresh_request_id) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  const auto first = str(client.exchange(get())["X-Request-Id"]);
  const auto second = str(client.exchange(get())["X-Request-Id"]);
  BOOST_TEST(is_request_id(first));
  BOOST_TEST(is_request_id(second));
  BOOST_TEST(first != second);
}

BOOST_AUTO_TEST_CASE(a_provider_error_degrades_and_new_providers_are_appended) {
  mock_server server;
  server.set_provider_status("grok", "error");
  server.set_provider_status("mistral", "ok");
  const auto body = json::parse(fetch(server, get()).body()).as_object();
  BOOST_TEST(str(body.at("status")) == "degraded");
  BOOST_TEST(str(body.at("providers").at("grok").at("status")) == "error");
  const std::vector<std::string> expected{"gpt",  "claude",     "gemini",
                                          "grok", "perplexity", "mistral"};
  BOOST_TEST(provider_names(body) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(checked_at_is_stable_within_the_cache_window_and_renewed_on_demand) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  auto checked_at = [&] { return str(json::parse(client.exchange(get()).body()).at("checkedAt")); };
  const auto first = checked_at();
  BOOST_TEST(checked_at() == first);
  server.invalidate_cache();
  const auto renewed = checked_at();
  BOOST_TEST(renewed > first); // same format, so the text orders like the time
  server.set_provider_status("gpt", "ok");
  BOOST_TEST(checked_at() > renewed);
}

BOOST_AUTO_TEST_CASE(no_authorization_header_is_missing_api_key) {
  mock_server server;
  const auto answer = fetch(server, get(health_path, std::nullopt));
  check_error(answer, 401, "missing_api_key");
  BOOST_TEST(answer.count("X-RateLimit-Limit") == 0U);
}

BOOST_AUTO_TEST_CASE(malformed_authorization_header_is_missing_api_key) {
  mock_server server;
  for (const char* value : {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", demo_key.c_str()}) {
    auto message = get(health_path, std::nullopt);
    message.set(http::field::authorization, value);
    check_error(fetch(server, std::move(message)), 401, "missing_api_key");
  }
}

BOOST_AUTO_TEST_CASE(unknown_key_is_invalid_api_key) {
  mock_server server;
  check_error(fetch(server, get(health_path, "tk_live_unknown")), 401, "invalid_api_key");
}

BOOST_AUTO_TEST_CASE(revoked_key_is_invalid_api_key) {
  mock_server server;
  server.add_key({.key = demo_key,
                  .revoked = true,
                  .health_scope = true,
                  .no_balance = false,
                  .spend_cap_reached = false});
  check_error(fetch(server, get()), 401, "invalid_api_key");
}

BOOST_AUTO_TEST_CASE(key_without_health_scope_is_insufficient_scope) {
  mock_server server;
  server.add_key({.key = "tk_live_noscope",
                  .revoked = false,
                  .health_scope = false,
                  .no_balance = false,
                  .spend_cap_reached = false});
  check_error(fetch(server, get(health_path, "tk_live_noscope")), 403, "insufficient_scope");
  BOOST_TEST(server.counters().health_requests == 0U);
}

BOOST_AUTO_TEST_CASE(unknown_path_is_not_found_but_only_after_authentication) {
  mock_server server;
  const auto answer = fetch(server, get("/v1/nothing"));
  check_error(answer, 404, "not_found");
  BOOST_TEST(str(answer["X-RateLimit-Remaining"]) == "29");
  check_error(fetch(server, get("/v1/nothing", std::nullopt)), 401, "missing_api_key");
}

BOOST_AUTO_TEST_CASE(other_method_on_health_is_invalid_request) {
  mock_server server;
  auto message = get();
  message.method(http::verb::post);
  message.body() = "{}";
  check_error(fetch(server, std::move(message)), 400, "invalid_request");
}

BOOST_AUTO_TEST_CASE(query_string_does_not_change_the_route) {
  mock_server server;
  BOOST_TEST(fetch(server, get("/v1/health/llm?verbose=1")).result_int() == 200U);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_payload_too_large_and_closes) {
  mock_server_options options;
  options.max_request_body = 1024;
  mock_server server{options};
  test_client client{server};
  client.connect_or_fail();
  auto message = get();
  message.method(http::verb::post);
  message.body() = std::string(4096, 'x');
  const auto answer = client.exchange(std::move(message));
  check_error(answer, 413, "payload_too_large");
  BOOST_TEST(!answer.keep_alive());
  BOOST_TEST(!client.shut_down());
  BOOST_TEST(server.counters().requests == 0U); // never fully read
}

BOOST_AUTO_TEST_CASE(unparsable_request_is_invalid_request_and_closes) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  BOOST_REQUIRE(!client.write_raw("HELLO THERE\r\n\r\n"));
  auto [ec, answer] = client.read();
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  check_error(answer, 400, "invalid_request");
  BOOST_TEST(!answer.keep_alive());
  BOOST_TEST(!client.shut_down());
}

BOOST_AUTO_TEST_CASE(requests_over_the_limit_get_429_with_retry_after) {
  mock_server server{with_rate_limit(2)};
  test_client client{server};
  client.connect_or_fail();
  BOOST_TEST(str(client.exchange(get())["X-RateLimit-Remaining"]) == "1");
  BOOST_TEST(str(client.exchange(get())["X-RateLimit-Remaining"]) == "0");
  const auto limited = client.exchange(get());
  check_error(limited, 429, "rate_limited");
  BOOST_TEST(str(limited["X-RateLimit-Limit"]) == "2");
  BOOST_TEST(str(limited["X-RateLimit-Remaining"]) == "0");
  const auto retry_after = std::stoi(str(limited[http::field::retry_after]));
  BOOST_TEST(retry_after >= 1);
  BOOST_TEST(retry_after <= 60);
  BOOST_TEST(server.counters().responses_429 == 1U);
  BOOST_TEST(server.counters().health_requests == 2U);
}

BOOST_AUTO_TEST_CASE(each_key_has_its_own_rate_window) {
  mock_server server{with_rate_limit(1)};
  server.add_key({.key = "tk_live_other",
                  .revoked = false,
                  .health_scope = true,
                  .no_balance = false,
                  .spend_cap_reached = false});
  BOOST_TEST(fetch(server, get()).result_int() == 200U);
  BOOST_TEST(fetch(server, get()).result_int() == 429U);
  BOOST_TEST(fetch(server, get(health_path, "tk_live_other")).result_int() == 200U);
}

BOOST_AUTO_TEST_CASE(retry_after_rounds_the_rest_of_the_window_up) {
  mock_server_options options = with_rate_limit(1);
  options.rate_window = 1500ms;
  mock_server server{options};
  BOOST_TEST(fetch(server, get()).result_int() == 200U);
  const auto limited = fetch(server, get());
  BOOST_TEST(limited.result_int() == 429U);
  BOOST_TEST(str(limited[http::field::retry_after]) == "2"); // 1.5 s left at most: ceil is 2
}

BOOST_AUTO_TEST_CASE(scripted_response_is_sent_as_given_before_authentication) {
  mock_server server;
  const std::string body = R"({"error":{"code":"service_unavailable","message":"down",)"
                           R"("status":503,"requestId":"req_0badf00d"}})";
  server.script(503, body, {{"Retry-After", "3"}});
  const auto answer = fetch(server, get(health_path, std::nullopt));
  BOOST_TEST(answer.result_int() == 503U);
  BOOST_TEST(answer.body() == body);
  BOOST_TEST(str(answer[http::field::content_type]) == "application/json");
  BOOST_TEST(str(answer[http::field::retry_after]) == "3");
  BOOST_TEST(answer.count("X-Request-Id") == 0U);
  BOOST_TEST(server.counters().scripted_served == 1U);
  // The queue is empty again: back to the API's behaviour.
  check_error(fetch(server, get(health_path, std::nullopt)), 401, "missing_api_key");
}

BOOST_AUTO_TEST_CASE(scripted_responses_are_served_in_order_and_keep_their_content_type) {
  mock_server server;
  server.script(500, "<html>oops</html>", {{"Content-Type", "text/html"}});
  server.script(429, "", {{"Retry-After", "1"}});
  test_client client{server};
  client.connect_or_fail();
  const auto first = client.exchange(get());
  BOOST_TEST(first.result_int() == 500U);
  BOOST_TEST(str(first[http::field::content_type]) == "text/html");
  const auto second = client.exchange(get());
  BOOST_TEST(second.result_int() == 429U);
  BOOST_TEST(second.body().empty());
  BOOST_TEST(second.count(http::field::content_type) == 0U);
  BOOST_TEST(client.exchange(get()).result_int() == 200U);
  const auto counters = server.counters();
  BOOST_TEST(counters.scripted_served == 2U);
  BOOST_TEST(counters.responses_429 == 1U);
  BOOST_TEST(counters.connections_accepted == 1U);
}

BOOST_AUTO_TEST_CASE(script_refuses_responses_http_cannot_carry) {
  mock_server server;
  BOOST_CHECK_THROW(server.script(42, ""), std::invalid_argument);
  BOOST_CHECK_THROW(server.script(204, "body"), std::invalid_argument);
  BOOST_CHECK_THROW(server.script(200, "", {{"X-Evil", "a\r\nInjected: yes"}}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(server.script(200, "", {{"Bad Name", "x"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(scripted_close_connection_closes_after_the_response) {
  mock_server server;
  scripted_response closing;
  closing.body = "{}";
  closing.close_connection = true;
  server.script(closing);
  test_client client{server};
  client.connect_or_fail();
  const auto answer = client.exchange(get());
  BOOST_TEST(answer.result_int() == 200U);
  BOOST_TEST(!answer.keep_alive());
  const auto [ec, bytes] = client.read_until_closed();
  BOOST_TEST(ec.failed());
  BOOST_TEST(bytes == 0U);
}

BOOST_AUTO_TEST_CASE(close_before_response_closes_without_a_byte) {
  mock_server server;
  scripted_response dropped;
  dropped.inject = fault::close_before_response;
  server.script(dropped);
  test_client client{server};
  client.connect_or_fail();
  BOOST_REQUIRE(!client.write(get()));
  const auto [ec, bytes] = client.read_until_closed();
  BOOST_TEST(ec.failed());
  BOOST_TEST(bytes == 0U);
  BOOST_TEST(server.counters().requests == 1U);
}

BOOST_AUTO_TEST_CASE(close_mid_response_sends_half_the_promised_body) {
  mock_server server;
  scripted_response cut;
  cut.body = std::string(100, 'x');
  cut.inject = fault::close_mid_response;
  server.script(cut);
  test_client client{server};
  client.connect_or_fail();
  BOOST_REQUIRE(!client.write(get()));
  const auto [ec, bytes] = client.read_until_closed();
  BOOST_TEST(ec.failed());
  const std::string_view head = "HTTP/1.1 200 OK\r\n";
  BOOST_TEST(bytes > head.size());
  BOOST_TEST(bytes < 200U); // headers plus 50 of the 100 promised bytes
}

BOOST_AUTO_TEST_CASE(close_mid_response_is_a_truncated_message_for_a_parser) {
  mock_server server;
  scripted_response cut;
  cut.body = std::string(100, 'x');
  cut.inject = fault::close_mid_response;
  server.script(cut);
  test_client client{server};
  client.connect_or_fail();
  BOOST_REQUIRE(!client.write(get()));
  const auto [ec, answer] = client.read();
  BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(no_response_keeps_the_connection_open_without_answering) {
  mock_server server;
  scripted_response silent;
  silent.inject = fault::no_response;
  server.script(silent);
  test_client client{server};
  client.connect_or_fail();
  BOOST_REQUIRE(!client.write(get()));
  // Waiting out a short client deadline is the point here: a correct server never answers.
  const auto [ec, answer] = client.read(200ms);
  BOOST_TEST((ec == beast::error::timeout), ec.message());
}

BOOST_AUTO_TEST_CASE(delayed_response_does_not_block_other_connections) {
  mock_server server;
  scripted_response slow;
  slow.body = "{}";
  slow.delay = 1000ms;
  server.script(slow);
  test_client waiting{server};
  waiting.connect_or_fail();
  const auto start = std::chrono::steady_clock::now();
  BOOST_REQUIRE(!waiting.write(get()));

  // The server's thread must still serve others while it waits: a handshake needs it.
  test_client other{server};
  other.connect_or_fail();
  BOOST_TEST((std::chrono::steady_clock::now() - start < slow.delay));

  const auto [ec, answer] = waiting.read();
  BOOST_REQUIRE(!ec);
  BOOST_TEST(answer.body() == "{}");
  BOOST_TEST((std::chrono::steady_clock::now() - start >= slow.delay));
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_many_requests_on_one_connection) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  for (int i = 0; i < 3; ++i) {
    const auto answer = client.exchange(get());
    BOOST_TEST(answer.result_int() == 200U);
    BOOST_TEST(answer.keep_alive());
  }
  const auto counters = server.counters();
  BOOST_TEST(counters.connections_accepted == 1U);
  BOOST_TEST(counters.tls_handshakes == 1U);
  BOOST_TEST(counters.requests == 3U);
  BOOST_TEST(counters.health_requests == 3U);
  BOOST_TEST(counters.connections_open == 1U);
}

BOOST_AUTO_TEST_CASE(connection_close_from_the_client_is_honoured) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  auto message = get();
  message.keep_alive(false);
  const auto answer = client.exchange(std::move(message));
  BOOST_TEST(answer.result_int() == 200U);
  BOOST_TEST(!answer.keep_alive());
  BOOST_TEST(client.read_until_closed().first.failed());
}

BOOST_AUTO_TEST_CASE(close_every_closes_every_nth_response) {
  mock_server_options options;
  options.close_every = 2;
  mock_server server{options};
  test_client client{server};
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).keep_alive());
  BOOST_TEST(!client.exchange(get()).keep_alive());
  BOOST_TEST(client.read_until_closed().first.failed());
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).keep_alive());
  BOOST_TEST(server.counters().connections_accepted == 2U);
}

BOOST_AUTO_TEST_CASE(close_idle_connections_closes_waiting_connections) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).result_int() == 200U);
  BOOST_TEST(server.counters().connections_open == 1U);
  server.close_idle_connections();
  BOOST_TEST(server.counters().connections_open == 0U);
  const auto [ec, bytes] = client.read_until_closed();
  BOOST_TEST(ec.failed());
  BOOST_TEST(bytes == 0U);
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_an_idle_connection) {
  mock_server_options options;
  options.idle_timeout = 50ms;
  mock_server server{options};
  test_client client{server};
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).result_int() == 200U);
  // Not a sleep: the read ends when the server closes, well before the client's bound.
  BOOST_TEST(client.read_until_closed().first.failed());
}

BOOST_AUTO_TEST_CASE(resumed_tls_sessions_are_counted) {
  mock_server server;
  test_client client{server};
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).result_int() == 200U); // also delivers the TLS 1.3 tickets
  const auto session = client.session();
  BOOST_REQUIRE(session);
  // Closed politely: OpenSSL never resumes a session whose connection was just dropped.
  BOOST_TEST(!client.shut_down());
  BOOST_REQUIRE(SSL_SESSION_is_resumable(session.get()) == 1);

  BOOST_REQUIRE(!client.connect(session.get()));
  BOOST_TEST(client.exchange(get()).result_int() == 200U);
  BOOST_TEST(client.resumed());
  const auto counters = server.counters();
  BOOST_TEST(counters.tls_handshakes == 2U);
  BOOST_TEST(counters.tls_resumed_handshakes == 1U);
}

BOOST_AUTO_TEST_CASE(counters_count_and_reset) {
  mock_server server{with_rate_limit(1)};
  test_client client{server};
  client.connect_or_fail();
  client.exchange(get());
  client.exchange(get());
  server.script(200, "{}");
  client.exchange(get());
  auto counters = server.counters();
  BOOST_TEST(counters.connections_accepted == 1U);
  BOOST_TEST(counters.tls_handshakes == 1U);
  BOOST_TEST(counters.tls_resumed_handshakes == 0U);
  BOOST_TEST(counters.requests == 3U);
  BOOST_TEST(counters.health_requests == 1U);
  BOOST_TEST(counters.responses_429 == 1U);
  BOOST_TEST(counters.scripted_served == 1U);
  BOOST_TEST(counters.connections_open == 1U);

  server.reset_counters();
  counters = server.counters();
  BOOST_TEST(counters.connections_accepted == 0U);
  BOOST_TEST(counters.tls_handshakes == 0U);
  BOOST_TEST(counters.requests == 0U);
  BOOST_TEST(counters.health_requests == 0U);
  BOOST_TEST(counters.responses_429 == 0U);
  BOOST_TEST(counters.scripted_served == 0U);
  BOOST_TEST(counters.connections_open == 1U); // a state, not a total
}

BOOST_AUTO_TEST_CASE(plain_http_when_tls_is_off) {
  mock_server_options options;
  options.tls = false;
  mock_server server{options};
  BOOST_TEST(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(fetch(server, get()).result_int() == 200U);
  BOOST_TEST(server.counters().tls_handshakes == 0U);
}

BOOST_AUTO_TEST_CASE(base_url_is_https_on_loopback) {
  mock_server server;
  BOOST_TEST(server.port() != 0U);
  BOOST_TEST(server.base_url() == "https://127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(server.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
}

BOOST_AUTO_TEST_CASE(valid_certificate_verifies_for_localhost_too) {
  mock_server server;
  test_client client{server, "localhost"};
  client.connect_or_fail();
  BOOST_TEST(client.exchange(get()).result_int() == 200U);
}

BOOST_AUTO_TEST_CASE(bad_certificates_fail_verification) {
  for (const auto kind :
       {certificate_kind::expired, certificate_kind::wrong_host, certificate_kind::self_signed}) {
    mock_server_options options;
    options.certificate = kind;
    mock_server server{options};
    test_client client{server};
    const auto ec = client.connect();
    BOOST_TEST(ec.failed(), "certificate kind " << static_cast<int>(kind) << " was accepted");
    BOOST_TEST(server.counters().tls_handshakes == 0U);
  }
}

BOOST_AUTO_TEST_CASE(destructor_returns_promptly_with_clients_connected) {
  std::optional<mock_server> server{std::in_place};
  scripted_response silent;
  silent.inject = fault::no_response;
  server->script(silent);

  test_client unanswered{*server};
  unanswered.connect_or_fail();
  BOOST_REQUIRE(!unanswered.write(get()));
  test_client idle{*server};
  idle.connect_or_fail();
  BOOST_TEST(idle.exchange(get()).result_int() == 200U);
  test_client half_sent{*server};
  half_sent.connect_or_fail();
  BOOST_REQUIRE(!half_sent.write_raw("GET /v1/health/llm HTTP/1.1\r\nHost: 127"));
  asio::io_context raw_io;
  asio::ip::tcp::socket no_handshake{raw_io};
  no_handshake.connect({asio::ip::address_v4::loopback(), server->port()});

  const auto start = std::chrono::steady_clock::now();
  server.reset();
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
  BOOST_TEST(idle.read_until_closed().first.failed());
  BOOST_TEST(unanswered.read_until_closed().first.failed());
}

BOOST_AUTO_TEST_CASE(specific_port_is_honoured) {
  std::uint16_t port = 0;
  {
    mock_server ephemeral;
    port = ephemeral.port();
  }
  mock_server_options options;
  options.port = port;
  mock_server server{options};
  BOOST_TEST(server.port() == port);
  BOOST_TEST(fetch(server, get()).result_int() == 200U);
}

BOOST_AUTO_TEST_SUITE_END()
