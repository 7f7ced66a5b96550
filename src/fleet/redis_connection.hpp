// One connection to Redis driven by hiredis's async API on an Asio strand: hiredis encodes and
// parses RESP, Asio waits on its socket. Every command completes exactly once, within its timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "fleet/redis_url.hpp"
#include "unit_random.hpp"

namespace talkory::detail {

/// A reply copied out of hiredis's (which is freed when its callback returns).
struct redis_reply {
  enum class kind { nil, status, error, integer, string, array };
  kind type = kind::nil;
  long long integer = 0;
  std::string text; // status, error and string replies
  std::vector<redis_reply> elements;

  bool is_error() const noexcept { return type == kind::error; }
};

struct redis_connection_options {
  redis_address address;
  std::string password; // empty: no AUTH
  std::chrono::milliseconds connect_timeout{1'000};
  std::chrono::milliseconds command_timeout{250};
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

/// Connects lazily, on the first command, and again after a failure once the reconnect backoff
/// (doubling, with jitter from `random`) has passed; a command issued before then fails at once.
/// A command that times out drops the connection (a Redis that slow is treated as down), which
/// fails the commands behind it too. Errors: errc::fleet_unavailable (not connected, connect
/// failed or timed out, the connection dropped, the command timed out), errc::cancelled
/// (per-operation cancellation, close()). A Redis error reply is a reply, not an error code.
///
/// Threading: every member may be called from any thread; the state lives on one strand, where
/// hiredis's hooks and callbacks run too. The socket is watched for reading only while commands
/// wait for their replies: an idle connection keeps no io_context busy.
class redis_connection : public std::enable_shared_from_this<redis_connection> {
public:
  using signature = void(std::error_code, redis_reply);
  using handler_type = boost::asio::any_completion_handler<signature>;

  static std::shared_ptr<redis_connection> create(boost::asio::any_io_executor executor,
                                                  redis_connection_options options,
                                                  unit_random random);

  /// Sends one command (its arguments, binary-safe) and completes with its reply.
  template <class CompletionToken>
  auto async_command(std::vector<std::string> args, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, signature>(
        [](auto handler, std::shared_ptr<redis_connection> self, std::vector<std::string> a) {
          self->initiate(std::move(a), handler_type(std::move(handler)));
        },
        token, this->shared_from_this(), std::move(args));
  }

  /// Closes the connection once the commands already sent have their replies (each still under
  /// its timeout); later commands complete with errc::cancelled.
  void close();

  /// Why the last connection failed or dropped, for log lines (empty when none did).
  std::string last_error() const;

  ~redis_connection();

  struct state; // see redis_connection.cpp

private:
  explicit redis_connection(std::unique_ptr<state> s);
  void initiate(std::vector<std::string> args, handler_type handler);
  std::unique_ptr<state> state_;
};

} // namespace talkory::detail
