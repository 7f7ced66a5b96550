// Each connection is one coroutine on the server's single thread; every wait is asynchronous
// and ends when close() closes the socket, so a stopping server never waits on a client.
#include "testing/mock_session.hpp"

#include "testing/mock_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <array>
#include <type_traits>

namespace talkory::testing::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t header_limit = 16 * 1024;
constexpr std::size_t read_chunk = 4 * 1024;
// Bytes of an unread request body swallowed before closing, and how long we try: closing with
// unread data makes the kernel send a reset that can destroy the 413 before the client reads it.
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr auto linger_time = 500ms;
// A polite TLS close waits for the client's close_notify, but never longer than this.
constexpr auto shutdown_time = 1s;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string_view to_std(beast::string_view text) {
  return {text.data(), text.size()};
}

bool is_bodiless(int status) {
  return status < 200 || status == 204 || status == 304;
}

template <class Stream>
class session final : public mock_session {
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

public:
  session(asio::ip::tcp::socket socket, asio::ssl::context* tls, std::shared_ptr<mock_state> state,
          session_settings settings)
      : stream_(make_stream(std::move(socket), tls)), timer_(stream_.get_executor()),
        buffer_(header_limit + read_chunk), state_(std::move(state)), settings_(settings) {}

  /// The coroutine holds `self`, so the session lives exactly as long as its connection.
  static asio::awaitable<void> run(std::shared_ptr<session> self) {
    try {
      co_await self->serve();
    } catch (...) {
      // A bad client must never take the server down; its connection just ends.
    }
    self->close();
  }

  void close() noexcept override {
    if (closed_) {
      return;
    }
    closed_ = true;
    idle_ = false;
    timer_.cancel();
    tcp().close();
    state_->count_connection_closed();
  }

  bool idle() const noexcept override { return idle_; }

private:
  static Stream make_stream(asio::ip::tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (is_tls) {
      return Stream(beast::tcp_stream(std::move(socket)), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  asio::awaitable<void> serve() {
    if constexpr (is_tls) {
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, nothrow);
      if (ec) {
        co_return;
      }
      state_->count_handshake(SSL_session_reused(stream_.native_handle()) == 1);
    }
    while (!closed_ && co_await wait_for_request()) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(header_limit);
      parser.body_limit(settings_.max_request_body);
      auto [ec, ignored] = co_await http::async_read_header(stream_, buffer_, parser, nothrow);
      if (!ec && !parser.is_done()) {
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
          std::tie(ec, ignored) = co_await asio::async_write(stream_, asio::buffer(go_on), nothrow);
        }
        if (!ec) {
          std::tie(ec, ignored) = co_await http::async_read(stream_, buffer_, parser, nothrow);
        }
      }
      if (ec) {
        co_await reject_unreadable(ec);
        co_return;
      }
      const auto& request = parser.get();
      const auto authorization = request.find(http::field::authorization);
      auto plan = state_->respond({
          .method = to_std(request.method_string()),
          .target = to_std(request.target()),
          .authorization = authorization == request.end()
                               ? std::nullopt
                               : std::optional(to_std(authorization->value())),
      });
      plan.close = plan.close || !request.keep_alive();
      if (!co_await answer(std::move(plan))) {
        co_return;
      }
    }
  }

  /// Waits for the first byte of the next request: the one state close_idle_connections() and
  /// the idle timeout may end.
  asio::awaitable<bool> wait_for_request() {
    if (buffer_.size() > 0) {
      co_return true; // the client pipelined the next request
    }
    idle_ = true;
    if (settings_.idle_timeout > 0ms) {
      tcp().expires_after(settings_.idle_timeout);
    }
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(read_chunk), nothrow);
    idle_ = false;
    if (ec == asio::error::eof && !closed_) {
      co_await close_politely(); // the client said goodbye (close_notify or FIN): answer in kind
    }
    if (ec || closed_) {
      co_return false;
    }
    tcp().expires_never();
    buffer_.commit(n);
    co_return true;
  }

  asio::awaitable<void> reject_unreadable(beast::error_code ec) {
    planned_response plan;
    if (ec == http::error::body_limit) {
      plan = state_->unreadable_request(413, "payload_too_large",
                                        "Request body too large: send at most " +
                                            std::to_string(settings_.max_request_body) + " bytes.");
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      plan = state_->unreadable_request(400, "invalid_request", "Malformed HTTP request.");
    } else {
      co_return; // the client went away or the network failed: nobody to answer
    }
    state_->count_response();
    auto response = to_message(std::move(plan));
    auto [write_ec, ignored] = co_await http::async_write(stream_, response, nothrow);
    if (!write_ec) {
      co_await linger();
    }
  }

  /// Sends one planned response; false when the connection must end.
  asio::awaitable<bool> answer(planned_response plan) {
    if (closed_) {
      co_return false; // closed while the request was being read: a delay would outlive the stop
    }
    if (plan.delay > 0ms) {
      timer_.expires_after(plan.delay);
      auto [ec] = co_await timer_.async_wait(nothrow);
      if (ec || closed_) {
        co_return false;
      }
    }
    if (plan.inject == fault::close_before_response) {
      co_return false;
    }
    if (plan.inject == fault::reset_before_response) {
      // Linger 0: close() then sends RST instead of FIN.
      boost::system::error_code ignored;
      tcp().socket().set_option(asio::socket_base::linger(true, 0), ignored);
      co_return false;
    }
    if (plan.inject == fault::no_response) {
      co_await discard_until_closed();
      co_return false;
    }
    if (state_->count_response()) {
      plan.close = true;
    }
    const bool close = plan.close;
    const bool cut_short = plan.inject == fault::close_mid_response;
    const bool close_after = plan.inject == fault::close_after_response;
    auto response = to_message(std::move(plan));
    if (cut_short) {
      // Headers promise the whole body; half of it arrives before the connection drops.
      http::response_serializer<http::string_body> serializer{response};
      auto [ec, ignored] = co_await http::async_write_header(stream_, serializer, nothrow);
      if (!ec) {
        const auto& body = response.body();
        co_await asio::async_write(stream_, asio::buffer(body.data(), body.size() / 2), nothrow);
      }
      co_return false;
    }
    auto [ec, ignored] = co_await http::async_write(stream_, response, nothrow);
    if (ec || close_after) {
      co_return false; // close_after: no close_notify, as a server's idle timeout closes
    }
    if (close) {
      co_await close_politely();
      co_return false;
    }
    co_return true;
  }

  static http::response<http::string_body> to_message(planned_response plan) {
    http::response<http::string_body> response{static_cast<http::status>(plan.status), 11};
    if (http::obsolete_reason(response.result()) == "<unknown-status>") {
      response.reason("Unknown");
    }
    for (const auto& [name, value] : plan.headers) {
      response.insert(name, value);
    }
    // A scripted Content-Length or Transfer-Encoding is sent as given, even when it lies.
    const bool framed = response.has_content_length() || response.chunked();
    if (!framed && !is_bodiless(plan.status)) {
      response.content_length(plan.body.size());
    }
    response.body() = std::move(plan.body);
    response.keep_alive(!plan.close);
    return response;
  }

  /// TLS close_notify exchange (bounded), or a TCP FIN, before the socket is closed.
  asio::awaitable<void> close_politely() {
    if constexpr (is_tls) {
      tcp().expires_after(shutdown_time);
      co_await stream_.async_shutdown(nothrow);
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
  }

  /// After an error response to an unread request: swallow what the client still sends, within
  /// bounds, then close.
  asio::awaitable<void> linger() {
    tcp().expires_after(linger_time);
    std::array<char, read_chunk> scratch{};
    for (std::size_t total = 0; total < linger_bytes && !closed_;) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), nothrow);
      if (ec) {
        break;
      }
      total += n;
    }
    if (!closed_) {
      co_await close_politely();
    }
  }

  /// fault::no_response: keep the connection, ignore whatever arrives, until someone closes it.
  asio::awaitable<void> discard_until_closed() {
    std::array<char, read_chunk> scratch{};
    while (!closed_) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), nothrow);
      if (ec) {
        break;
      }
    }
  }

  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::shared_ptr<mock_state> state_;
  session_settings settings_;
  bool idle_ = false;
  bool closed_ = false;
};

template <class Stream>
std::shared_ptr<mock_session> spawn(asio::ip::tcp::socket socket, asio::ssl::context* tls,
                                    std::shared_ptr<mock_state> state, session_settings settings) {
  auto executor = socket.get_executor();
  auto started =
      std::make_shared<session<Stream>>(std::move(socket), tls, std::move(state), settings);
  asio::co_spawn(executor, session<Stream>::run(started), asio::detached);
  return started;
}

} // namespace

std::shared_ptr<mock_session> start_session(boost::asio::ip::tcp::socket socket,
                                            boost::asio::ssl::context* tls,
                                            std::shared_ptr<mock_state> state,
                                            session_settings settings) {
  if (tls != nullptr) {
    return spawn<tls_stream>(std::move(socket), tls, std::move(state), settings);
  }
  return spawn<plain_stream>(std::move(socket), nullptr, std::move(state), settings);
}

} // namespace talkory::testing::detail
