// One HTTP/1.1 connection (TLS or, when allowed, plain TCP) with every step under a deadline.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <talkory/options.hpp>
#include <talkory/result.hpp>

#include "base_url.hpp"
#include "http_message.hpp"

namespace talkory::detail {

/// A TLS session saved from an earlier connection so the next one can resume it.
using tls_session = std::shared_ptr<SSL_SESSION>;

/// What one request/response exchange produced.
struct exchange_outcome {
  std::optional<http_response> response; // set on success
  api_error error;                       // set when response is empty
  bool response_started = false;         // some response byte arrived before the failure
  bool keep_alive = false;               // the response allows another request
};

/// What a connection keeps of a response for the caller: the fields and the body take their
/// memory from here, so that reading one costs no allocation per header nor for the body. Sized
/// for the documented responses (a few hundred bytes of each); a larger one grows from the heap
/// until the connection forgets it.
inline constexpr std::size_t response_memory_size = 4096;

struct exchange_operation;
template <class Handler>
struct exchange_steps;

class connection {
public:
  using clock = std::chrono::steady_clock;

  /// `tls_ctx` null means plain TCP.
  connection(boost::asio::any_io_executor executor,
             std::shared_ptr<boost::asio::ssl::context> tls_ctx);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Resolve, connect and (for TLS) handshake with SNI and host-name verification. `resume` is
  /// offered to the server for an abbreviated handshake.
  boost::asio::awaitable<result<void>> open(const origin& o, const timeout_options& timeouts,
                                            clock::time_point deadline, tls_session resume);

  /// `co_await conn.exchange(...)` (connection_exchange.hpp, which defines the operation):
  /// writes `request` (its wire bytes, see serialize_request) and reads the whole response
  /// within `deadline`, into outcome(). Runs on the strand the connection was opened on. The
  /// previous exchange's outcome is forgotten first: a caller is done with it before it starts
  /// another exchange (the pool lends a connection to one call at a time). The outcome is the
  /// connection's, not a returned value, and the operation is no coroutine: its state is the
  /// connection's too, so an exchange allocates no frame and keeps no copy of its result.
  /// Cancellation (any type, through the awaiting coroutine's slot) closes the socket, as an
  /// expired deadline does; the outcome is then errc::cancelled's transport error.
  exchange_operation exchange(std::string_view request, clock::time_point deadline,
                              std::size_t max_header, std::size_t max_body) noexcept;
  /// What the latest exchange produced; its response's fields and body live in the connection.
  exchange_outcome& outcome() noexcept { return outcome_; }
  /// Drops the latest outcome and gives back any memory its response took beyond the
  /// connection's own (a connection going back to the pool must not keep a large body).
  void forget_response() noexcept;

  /// TLS close_notify (bounded by `timeout`), then closes the socket. Errors are ignored.
  boost::asio::awaitable<void> close_gracefully(std::chrono::milliseconds timeout);
  /// Closes the socket at once.
  void close() noexcept;

  /// What the idle watches of this connection tell: `on_peer_activity`, posted to `executor`.
  /// Set once, before the first watch_idle(); kept for the connection's life.
  void set_idle_listener(boost::asio::any_io_executor executor,
                         std::function<void()> on_peer_activity);
  bool has_idle_listener() const noexcept { return idle_watch_ != nullptr; }
  /// While the connection sits idle in the pool: posts the idle listener once as soon as the
  /// socket becomes readable (the peer closed it, reset it, or sent bytes nobody asked for),
  /// without reading anything. The pending peek does not count as outstanding work (an idle
  /// pool must not keep io_context::run() from returning), which Asio allows only for a socket
  /// on an io_context's own executor: on a strand or another context no watch is started and
  /// idle connections are examined only when lent. Call stop_watching() before reuse; the
  /// listener may still run after it (it lost the race) and must check the connection is idle.
  void watch_idle();
  /// Stops an idle watch; its pending peek completes as aborted and calls nothing. Thread-safe
  /// against the watch's own completion.
  void stop_watching() noexcept;
  /// An idle watch is in progress: started, and neither stopped nor ended by the peer's activity.
  bool watched() const noexcept {
    return idle_watch_ && idle_watch_->armed.load(std::memory_order_relaxed) != 0;
  }
  /// The io_context on whose own executor the socket runs, where idle watches can start (see
  /// watch_idle()); null where they never do.
  boost::asio::io_context* watch_context() noexcept;

  bool is_tls() const noexcept { return tls_ != nullptr; }
  /// True when the peer sent something while the connection sat idle (a response nobody asked
  /// for, a TLS close_notify before its FIN): such a connection must not carry a request.
  bool has_unsolicited_data() const noexcept;
  bool session_resumed() const noexcept { return resumed_; }
  /// The TLS session to offer to the next connection, once the server has sent it.
  tls_session session() const;
  std::size_t requests_served() const noexcept { return requests_served_; }
  /// Unique for the process's lifetime (unlike the address, which a later connection may reuse).
  std::uint64_t id() const noexcept { return id_; }
  clock::time_point opened_at() const noexcept { return opened_at_; }
  clock::time_point last_used() const noexcept { return last_used_; }

private:
  // The exchange's steps, for its operation (connection_exchange.hpp): everything but starting
  // the reads and writes, which depend on the awaiting coroutine's handler type.
  template <class Handler>
  friend struct exchange_steps;
  friend struct exchange_operation;
  using socket_type = boost::asio::ip::tcp::socket;
  using ssl_stream = boost::asio::ssl::stream<socket_type>;
  /// Starts the exchange's deadline and watches `slot` (the awaiting coroutine's) for a stop.
  void begin_exchange(clock::time_point deadline, std::size_t max_header, std::size_t max_body,
                      boost::asio::cancellation_slot slot);
  /// After the request was written (`ec`): true when the response is to be read next, with a
  /// fresh parser in place; false when the exchange failed (outcome().error says why).
  bool request_written(boost::system::error_code ec);
  /// After a response was read (`ec`): true when it was an informational one and the next is to
  /// be read; false when the exchange is over (outcome() tells how).
  bool response_read(boost::system::error_code ec);
  /// Ends the deadline, stops watching `slot` and drops the parser.
  void end_exchange(boost::asio::cancellation_slot slot) noexcept;
  ssl_stream* tls_stream() noexcept { return tls_.get(); }
  socket_type& socket() noexcept;
  boost::beast::flat_buffer& read_buffer() noexcept { return buffer_; }
  auto& parser() noexcept { return *parser_; }

  struct step_deadline;
  void prepare_parser(); // the response's, in response_memory_, under the exchange's limits
  // What an operation of the exchange completed with, as the exchange reports it: a stop or an
  // expired deadline (both close the socket) wins over the socket's own error.
  boost::system::error_code exchange_step_outcome(boost::system::error_code ec) const noexcept;
  class deadline_scope;
  using response_parser = boost::beast::http::response_parser<http_body, resource_allocator<char>>;

  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<socket_type> plain_; // when !ctx_
  std::unique_ptr<ssl_stream> tls_;    // when ctx_
  // The deadline of the step in progress (see connection.cpp), shared with its pending wait.
  std::shared_ptr<step_deadline> deadline_;
  boost::beast::flat_buffer buffer_;
  // Where the response being read and the latest outcome's take their memory (see
  // forget_response(), which drops the response before releasing the memory it used). Declared
  // before both, so that it outlives them.
  alignas(std::max_align_t) std::array<std::byte, response_memory_size> response_buffer_;
  std::pmr::monotonic_buffer_resource response_memory_{response_buffer_.data(),
                                                       response_buffer_.size()};
  // The parser of the response being read: kept here, not in exchange()'s frame, which it would
  // push past the size Asio recycles. Only during an exchange.
  std::optional<response_parser> parser_;
  exchange_outcome outcome_; // the latest exchange's
  // The exchange in progress: what its steps need between the reads and writes.
  struct exchange_state {
    std::chrono::milliseconds bound{0}; // what its deadline left it, for the error messages
    std::size_t max_header = 0;
    std::size_t max_body = 0;
    int informational = 0;       // 1xx answers read so far
    bool stop_requested = false; // its coroutine was cancelled (the socket is closed)
  };
  exchange_state exchange_;
  // The strand the connection's steps run on (the client's): set by open(), used by exchange()
  // for its deadline, so that its frame does not hold a copy of the coroutine's executor.
  boost::asio::any_io_executor steps_strand_;
  // Shared with the pending idle waits, which may complete after the connection is gone; made
  // once per connection (set_idle_listener), not per watch. `armed` holds the number of the
  // watch in progress (0: none) and is cleared exactly once per watch, by whoever ends it: a
  // wait's handler only when the number is still its own (see connection.cpp).
  struct idle_watch {
    std::atomic<std::uint64_t> armed{0};
    std::uint64_t last_number = 0; // of the latest watch; touched by watch_idle() only
    std::byte peeked{};            // where a watch's peek puts the byte it sees; nobody reads it
    boost::asio::any_io_executor executor;
    std::function<void()> on_peer_activity;
  };
  std::shared_ptr<idle_watch> idle_watch_;
  std::string peer_;
  bool resumed_ = false;
  std::uint64_t id_;
  std::size_t requests_served_ = 0;
  clock::time_point opened_at_{};
  clock::time_point last_used_{};
};

} // namespace talkory::detail
