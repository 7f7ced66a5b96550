// The shared state behind talkory::client handles: it composes the parts each call goes through.
#include "client_impl.hpp"

#include <algorithm>
#include <cstdlib>

#include "call_settings.hpp"
#include "completion.hpp"
#include "tls_context.hpp"
#if defined(TALKORY_HAS_FLEET)
#include "fleet/fleet_cache.hpp"
#include "fleet/fleet_keys.hpp"
#include "fleet/fleet_limiter.hpp"
#endif

namespace talkory::detail {

client_impl::client_impl(boost::asio::any_io_executor ex, client_options options,
                         unit_random random, clock_function now)
    : executor_(std::move(ex)), strand_(make_serial(executor_)), options_(std::move(options)),
      hub_(event_hub::create(options_)),
      now_(std::move(now)) {
  pipeline_parts parts;
  options_error_ = validate_options(options_, &parts.server);
  if (!options_error_ && parts.server.tls) {
    auto ctx = make_tls_context(options_.tls);
    if (ctx)
      parts.tls = std::move(*ctx);
    else
      options_error_ = std::move(ctx.error());
  }
  limiter_ = make_limiter(parts.server);
  pool_ = connection_pool::create(strand_, options_.pool, &connection_pool::clock::now, hub_);
  parts.executor = executor_;
  parts.options = &options_;
  parts.limiter = limiter_;
  parts.pool = pool_;
  parts.counters = &counters_;
  parts.hub = hub_.get();
  parts.random = std::move(random);
  pipeline_.emplace(std::move(parts));
}

std::shared_ptr<request_limiter> client_impl::make_limiter(const origin& server) {
#if defined(TALKORY_HAS_FLEET)
  // Valid options only: an invalid client sends nothing, so it needs no Redis either.
  if (!options_error_ && !options_.fleet.redis_url.empty()) {
    const auto& f = options_.fleet;
    fleet_limiter::parts p;
    p.executor = executor_;
    p.rate = options_.rate_limit;
    p.fleet = f;
    p.address = *parse_redis_url(f.redis_url); // validated above
    if (!f.password_env.empty())
      if (const char* password = std::getenv(f.password_env.c_str()))
        p.password = password;
    const std::string origin_text =
        (server.tls ? "https://" : "http://") + server.host + ":" + std::to_string(server.port);
    p.keys = make_fleet_keys(f.key_prefix, options_.api_key, origin_text);
    if (options_.cache_ttl.count() > 0)
      // A lease lives one attempt's bound: a refresher that dies frees it by then, and a slow
      // one that outlives it costs one more request, not a stuck fleet.
      shared_answers_ = std::make_shared<fleet_cache>(
          executor_,
          redis_connection_options{.address = p.address,
                                   .password = p.password,
                                   .connect_timeout = f.connect_timeout,
                                   .command_timeout = f.command_timeout,
                                   .initial_backoff = f.reconnect_backoff,
                                   .max_backoff = f.max_reconnect_backoff},
          p.keys.base, options_.cache_ttl,
          std::min(options_.timeouts.attempt, options_.timeouts.total), make_default_unit_random());
    p.hub = hub_;
    p.counters = &counters_;
    p.random = make_default_unit_random();
    return fleet_limiter::create(std::move(p));
  }
#else
  (void)server;
#endif
  return std::make_shared<local_request_limiter>(
      rate_limiter::create(strand_, options_.rate_limit));
}

void client_impl::close_calls() {
  registry_.close();
  limiter_->shutdown();
  if (shared_answers_)
    shared_answers_->close();
}

void client_impl::close() {
  close_calls();
  pool_->async_shutdown(options_.timeouts.shutdown, [] {});
}

void client_impl::start_shutdown(
    boost::asio::any_completion_handler<client::shutdown_signature> handler) {
  close_calls();
  // complete_later tracks work on the handler's executor from the moment it is called; until
  // then the pool's pending close keeps ours busy and this lambda keeps the handler.
  auto work = tracked_executor(handler, executor_);
  pool_->async_shutdown(
      options_.timeouts.shutdown,
      [self = shared_from_this(), h = std::move(handler), work = std::move(work)]() mutable {
        complete_later(self->executor_, std::move(h));
      });
}

client_stats client_impl::stats() const {
  auto s = counters_.snapshot();
  s.connections_idle = pool_->idle_count();
  s.connections_active = pool_->lent_count();
  s.idle_connections_retired = pool_->idle_retired();
  return s;
}

} // namespace talkory::detail
