// `co_await conn.exchange(...)`: one request/response exchange as an asynchronous operation
// whose state is the connection's. Included where an exchange is awaited (the pipeline).
#pragma once

#include <cstddef>
#include <exception>
#include <string_view>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "connection.hpp"

namespace talkory::detail {

/// The exchange in progress, as the handler of each of its reads and writes: the write of the
/// request, then one read per answer (informational ones first). Its decisions are the
/// connection's (request_written, response_read); this only starts the next operation or
/// completes the awaiting coroutine's handler. A coroutine would allocate a frame per exchange
/// and resume once more per step.
template <class Handler>
struct exchange_steps {
  connection* conn;
  Handler handler; // the awaiting coroutine's: completion void(std::exception_ptr)
  bool reading = false;

  // The reads and writes run on the coroutine's executor and allocator, and carry no
  // cancellation slot: the coroutine's slot is watched by the connection for the whole
  // exchange (connection::begin_exchange), which closes the socket on a stop.
  using executor_type = boost::asio::associated_executor_t<Handler>;
  executor_type get_executor() const noexcept {
    return boost::asio::get_associated_executor(handler);
  }
  using allocator_type = boost::asio::associated_allocator_t<Handler>;
  allocator_type get_allocator() const noexcept {
    return boost::asio::get_associated_allocator(handler);
  }
  using cancellation_slot_type = boost::asio::cancellation_slot;
  cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }

  void start(std::string_view request) && {
    // Never completes inline: the write's handler runs through the executor.
    if (auto* tls = conn->tls_stream())
      boost::asio::async_write(*tls, boost::asio::buffer(request), std::move(*this));
    else
      boost::asio::async_write(conn->socket(), boost::asio::buffer(request), std::move(*this));
  }

  void operator()(boost::system::error_code ec, std::size_t = 0) {
    bool read_next = false;
    try {
      read_next = reading ? conn->response_read(ec) : conn->request_written(ec);
    } catch (...) { // out of memory: into the coroutine, never out of this completion
      conn->close();
      conn->end_exchange(boost::asio::get_associated_cancellation_slot(handler));
      std::move(handler)(std::current_exception());
      return;
    }
    if (read_next) {
      reading = true;
      if (auto* tls = conn->tls_stream())
        boost::beast::http::async_read(*tls, conn->read_buffer(), conn->parser(), std::move(*this));
      else
        boost::beast::http::async_read(conn->socket(), conn->read_buffer(), conn->parser(),
                                       std::move(*this));
      return;
    }
    conn->end_exchange(boost::asio::get_associated_cancellation_slot(handler));
    std::move(handler)(std::exception_ptr()); // on its executor already: this is a completion
  }
};

/// What connection::exchange() returns: an asynchronous operation that `co_await` starts itself
/// (a callable taking a completion token), with completion signature void(std::exception_ptr):
/// an exception a step throws (out of memory) is rethrown in the awaiting coroutine.
struct exchange_operation {
  connection* conn;
  std::string_view request;
  connection::clock::time_point deadline;
  std::size_t max_header;
  std::size_t max_body;

  template <boost::asio::completion_token_for<void(std::exception_ptr)> Token>
  auto operator()(Token&& token) && {
    return boost::asio::async_initiate<Token, void(std::exception_ptr)>(
        [](auto handler, const exchange_operation& op) {
          op.conn->begin_exchange(op.deadline, op.max_header, op.max_body,
                                  boost::asio::get_associated_cancellation_slot(handler));
          exchange_steps<decltype(handler)>{op.conn, std::move(handler)}.start(op.request);
        },
        token, *this);
  }
};

inline exchange_operation connection::exchange(std::string_view request, clock::time_point deadline,
                                               std::size_t max_header,
                                               std::size_t max_body) noexcept {
  return exchange_operation{this, request, deadline, max_header, max_body};
}

} // namespace talkory::detail
