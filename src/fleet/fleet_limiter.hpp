// The fleet-wide limiter: one key's rate limit shared by every process that uses it, through a
// Lua script on Redis (fleet_script.hpp), behind the interface the request pipeline holds.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <talkory/options.hpp>

#include "fleet/fleet_keys.hpp"
#include "fleet/redis_connection.hpp"
#include "observability.hpp"
#include "request_limiter.hpp"
#include "stats_counters.hpp"
#include "unit_random.hpp"

namespace talkory::detail {

/// An acquisition asks Redis for the earliest slot the fleet's log allows and, when that is
/// before the caller's deadline, reserves it and waits for it on a local timer (no polling:
/// Redis is asked once per acquisition). Reserved slots are taken in the order Redis ran the
/// calls, whichever process made them: the fleet is FIFO, so no process starves. A caller that
/// cancels while waiting leaves its slot unused (the fleet is then under its limit, never over).
///
/// When Redis cannot be reached or is slower than fleet.command_timeout, fleet.on_unavailable
/// says what happens: the local fallback (a rate_limiter at rate_limit / expected_processes,
/// logged as a warning when it starts and when Redis is back, counted in
/// client_stats::fleet_fallbacks) or errc::fleet_unavailable. The connection retries with
/// backoff; the first acquisition that reaches Redis again brings the fleet limit back.
class fleet_limiter final : public request_limiter,
                            public std::enable_shared_from_this<fleet_limiter> {
public:
  struct parts {
    boost::asio::any_io_executor executor;
    rate_limit_options rate;
    fleet_options fleet;
    redis_address address;
    std::string password;
    fleet_keys keys;
    std::shared_ptr<const event_hub> hub; // null: nothing logs
    stats_counters* counters = nullptr;
    unit_random random;
  };

  static std::shared_ptr<fleet_limiter> create(parts p);

  void observe_remaining(std::int64_t remaining) override;
  void pause_for(std::chrono::milliseconds delay) override;
  void shutdown() override;
  std::string unavailable_reason() const override;

  ~fleet_limiter() override;

  struct state; // see fleet_limiter.cpp

private:
  explicit fleet_limiter(std::unique_ptr<state> s);
  const boost::asio::any_io_executor& executor() const noexcept override;
  void initiate_acquire(time_point deadline, handler_type handler) override;
  std::unique_ptr<state> state_;
};

} // namespace talkory::detail
