// The shared state behind talkory::client handles: it composes the parts each call goes through.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <talkory/client.hpp>

#include "answer_cache.hpp"
#include "call_registry.hpp"
#include "observability.hpp"
#include "request_pipeline.hpp"
#include "shared_answer_store.hpp"
#include "single_flight.hpp"
#include "stats_counters.hpp"
#include "unit_random.hpp"

namespace talkory::detail {

/// Thread-safe: every member may be used from any thread (see each part for how).
class client_impl : public std::enable_shared_from_this<client_impl> {
public:
  /// Reads the time the cache measures ages with (tests inject a manual one).
  using clock_function = std::function<answer_cache::clock::time_point()>;

  /// `random` draws the retry jitter and `now` dates cached answers (tests inject their own).
  client_impl(boost::asio::any_io_executor ex, client_options options,
              unit_random random = make_default_unit_random(),
              clock_function now = &answer_cache::clock::now);

  void start_shutdown(boost::asio::any_completion_handler<client::shutdown_signature> handler);
  /// Cancels every call in flight and refuses new ones (the last handle went away).
  void close();

  client_stats stats() const;
  const std::optional<api_error>& options_error() const noexcept { return options_error_; }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
  /// The one strand of this client's calls, its pool and its local limiter (make_serial of
  /// executor()): a call steps into the pool and the limiter without a hop, see architecture.md.
  const boost::asio::any_io_executor& strand() const noexcept { return strand_; }
  const client_options& options() const noexcept { return options_; }

  stats_counters& counters() noexcept { return counters_; }
  call_registry& registry() noexcept { return registry_; }
  flight_board& flights() noexcept { return flights_; }
  answer_cache& cache() noexcept { return cache_; }
  answer_cache::clock::time_point now() const { return now_(); }
  const request_pipeline& pipeline() const noexcept { return *pipeline_; }
  /// Fleet mode with cache_ttl: the fleet-wide cache and single-flight; null otherwise.
  shared_answer_store* shared_answers() const noexcept { return shared_answers_.get(); }
  /// Where events go; null when nothing observes (see event_hub).
  const std::shared_ptr<const event_hub>& hub() const noexcept { return hub_; }

private:
  void close_calls();
  /// The local token bucket, or with fleet.redis_url set (and fleet mode built) the fleet's.
  std::shared_ptr<request_limiter> make_limiter(const origin& server);

  boost::asio::any_io_executor executor_;
  boost::asio::any_io_executor strand_; // make_serial(executor_)
  client_options options_;
  std::optional<api_error> options_error_;
  std::shared_ptr<const event_hub> hub_;
  std::shared_ptr<request_limiter> limiter_; // local, or fleet-wide (src/fleet/)
  std::shared_ptr<connection_pool> pool_;
  stats_counters counters_;
  call_registry registry_;
  flight_board flights_;
  answer_cache cache_;
  clock_function now_;
  std::optional<request_pipeline> pipeline_;
  std::shared_ptr<shared_answer_store> shared_answers_;
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

/// Reaches a handle's shared state: for the library's own endpoints and tests, not for users.
struct client_access {
  static const std::shared_ptr<client_impl>& impl(const client& c) noexcept { return c.impl_; }
  /// A client over state built with injected randomness and clock.
  static client make(std::shared_ptr<client_impl> impl) { return client(std::move(impl)); }
};

} // namespace talkory::detail
