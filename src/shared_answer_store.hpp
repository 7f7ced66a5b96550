// Where a client in fleet mode finds the last good answer another process fetched, or wins the
// right to fetch it for everyone: the fleet-wide cache and single-flight, behind an interface the
// call lifecycle can hold without knowing Redis.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace talkory::detail {

class shared_answer_store {
public:
  using clock = std::chrono::steady_clock;

  enum class verdict {
    hit,         // `body` is a good answer younger than cache_ttl: no request needed
    refresh,     // nobody holds a fresh answer and this process holds the lease: fetch and publish
    unavailable, // the store cannot be used now: behave as without it (a local request)
    timeout,     // another process was refreshing and the deadline passed before it published
  };
  struct outcome {
    verdict kind = verdict::unavailable;
    std::string request_id; // hit: the X-Request-Id of the request that fetched it
    std::string body;       // hit: the server's 2xx body (the key already scrubbed from it)
    std::chrono::milliseconds age{0}; // hit: how long ago it was published
    std::string lease_token;          // refresh: proof of the lease, for publish / release
  };

  virtual ~shared_answer_store() = default;

  /// On the caller's strand. A hit, the lease, or (while another process holds the lease) waits
  /// for its answer by short polls until `deadline`. Honours the coroutine's cancellation.
  virtual boost::asio::awaitable<outcome> obtain(std::string name, clock::time_point deadline) = 0;
  /// Stores a good answer for cache_ttl and gives the lease back. Fire and forget.
  virtual void publish(std::string name, std::string request_id, std::string body,
                       std::string lease_token) = 0;
  /// Gives the lease back without an answer (the refresh failed): the next caller may try.
  virtual void release(std::string name, std::string lease_token) = 0;
  /// Stops: no more commands (the client is shutting down).
  virtual void close() = 0;
};

} // namespace talkory::detail
