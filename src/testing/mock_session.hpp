// One connection of the mock server: TLS handshake, HTTP/1.1 keep-alive, scripted faults.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace talkory::testing::detail {

class mock_state;

struct session_settings {
  std::chrono::milliseconds idle_timeout{0}; // > 0: close when no request starts this long
  std::size_t max_request_body = 64 * 1024;  // larger bodies answer 413
};

/// A running connection, as the server sees it. Only ever touched on the server's thread.
class mock_session {
public:
  virtual ~mock_session() = default;
  /// Closes the socket at once and cancels every wait, so the connection's coroutine ends.
  virtual void close() noexcept = 0;
  /// True while the connection waits for the first byte of its next request.
  virtual bool idle() const noexcept = 0;
};

/// Serves `socket` on its executor until either side closes; `tls` is null for plain HTTP.
/// The coroutine owns the session: the caller may keep a weak_ptr to reach it.
std::shared_ptr<mock_session> start_session(boost::asio::ip::tcp::socket socket,
                                            boost::asio::ssl::context* tls,
                                            std::shared_ptr<mock_state> state,
                                            session_settings settings);

} // namespace talkory::testing::detail
