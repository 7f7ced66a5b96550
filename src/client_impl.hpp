// The shared state behind talkory::client handles, and the pipeline every call runs through.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include <talkory/client.hpp>

#include "base_url.hpp"
#include "connection_pool.hpp"
#include "http_message.hpp"
#include "rate_limiter.hpp"

namespace talkory::detail {

/// One call in flight. Its coroutine runs on `strand`; cancellation requests from the caller or
/// from the client's destruction are posted there and re-emitted on `signal`.
struct call_state {
  explicit call_state(boost::asio::any_io_executor ex) : strand(boost::asio::make_strand(ex)) {}
  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::cancellation_signal signal;
  bool cancelled = false; // touched on `strand` only
  std::uint64_t id = 0;
};

/// The request behind one or more callers (several only with coalesce_concurrent_calls). Its
/// result goes to every subscriber still present; a subscriber that cancels leaves at once,
/// and the request itself is cancelled when its last subscriber cancels.
struct flight {
  struct subscriber {
    std::uint64_t id;
    boost::asio::any_completion_handler<client::health_signature> handler;
    boost::asio::executor_work_guard<boost::asio::any_completion_executor> work;
  };

  explicit flight(std::shared_ptr<call_state> c) : call(std::move(c)) {}
  std::shared_ptr<call_state> call;

  std::mutex mutex;                  // guards the fields below; never held while a handler runs
  std::list<subscriber> subscribers; // a list: work guards cannot be move-assigned
  std::uint64_t next_subscriber = 0;
  bool done = false;       // the result was handed out
  bool cancelling = false; // the last subscriber cancelled: nobody may join any more
};

/// A request as the pipeline sees it: generic, so that each endpoint is a thin typed wrapper.
struct request_spec {
  std::string path; // e.g. "/v1/health/llm"
};

/// What the pipeline hands to an endpoint's decoder.
struct pipeline_response {
  http_response response;
  int attempts = 0;
  bool connection_reused = false;
};

/// The counters behind client_stats, updated from many strands.
struct stats_counters {
  std::atomic<std::uint64_t> calls_started{0}, calls_succeeded{0}, calls_failed{0}, requests{0},
      requests_on_reused{0}, connections_opened{0}, handshakes_full{0}, handshakes_resumed{0},
      stale_retries{0}, retries{0}, pool_waits{0}, rate_limit_waits{0};
};

class client_impl : public std::enable_shared_from_this<client_impl> {
public:
  using clock = std::chrono::steady_clock;

  client_impl(boost::asio::any_io_executor ex, client_options options);

  void start_health(call_options options,
                    boost::asio::any_completion_handler<client::health_signature> handler);
  void start_shutdown(boost::asio::any_completion_handler<client::shutdown_signature> handler);
  /// Cancels every call in flight and refuses new ones (the last handle went away).
  void close();

  client_stats stats() const;
  const std::optional<api_error>& options_error() const noexcept { return options_error_; }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

private:
  struct call_limits {
    clock::time_point started;
    clock::time_point deadline;
    timeout_options timeouts; // the client's, with the call's overrides
    int max_retries;
  };

  /// The bounds of one call, or why its call_options are invalid.
  result<call_limits> limits_for(const call_options& options) const;
  void close_calls();
  /// Adds the caller to `f` (false when `f` no longer takes subscribers) and wires its
  /// cancellation slot to leave it.
  bool subscribe(const std::shared_ptr<flight>& f,
                 boost::asio::any_completion_handler<client::health_signature>& handler);
  void unsubscribe(const std::shared_ptr<flight>& f, std::uint64_t subscriber_id);
  void deliver(flight& f, const result<health_report>& r);
  std::shared_ptr<call_state> register_call();
  void unregister_call(std::uint64_t id);

  boost::asio::awaitable<result<health_report>> run_health(std::shared_ptr<call_state> call,
                                                           call_limits limits);
  /// Limiter, pool, connection, retries: the generic pipeline.
  boost::asio::awaitable<result<pipeline_response>>
  perform(const call_state& call, const request_spec& spec, const call_limits& limits);
  /// One attempt, including the single transparent replay on a fresh connection when a pooled
  /// connection turns out to have been closed by the server while idle.
  boost::asio::awaitable<result<pipeline_response>>
  attempt_once(const http_request& request, clock::time_point deadline, const call_limits& limits);
  boost::asio::awaitable<result<std::unique_ptr<connection>>>
  open_connection(clock::time_point deadline, const timeout_options& timeouts);
  void learn_from(const http_response& response, const api_error* error);
  double next_unit_random();

  boost::asio::any_io_executor executor_;
  client_options options_;
  std::optional<api_error> options_error_;
  origin origin_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<rate_limiter> limiter_;
  std::shared_ptr<connection_pool> pool_;
  stats_counters counters_;

  std::mutex calls_mutex_; // guards the fields below
  bool closed_ = false;
  std::uint64_t next_call_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<call_state>> calls_;
  std::weak_ptr<flight> shared_flight_; // the flight coalescing callers may join
  std::uint64_t random_state_;
};

/// Owned only by client handles: when the last one goes, the calls in flight are cancelled.
class client_owner {
public:
  explicit client_owner(std::shared_ptr<client_impl> impl) : impl_(std::move(impl)) {}
  ~client_owner() { impl_->close(); }
  client_owner(const client_owner&) = delete;
  client_owner& operator=(const client_owner&) = delete;

private:
  std::shared_ptr<client_impl> impl_;
};

} // namespace talkory::detail
