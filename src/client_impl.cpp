// The shared state behind talkory::client handles: it composes the parts each call goes through.
#include "client_impl.hpp"

#include "call_settings.hpp"
#include "completion.hpp"
#include "tls_context.hpp"

namespace talkory::detail {

client_impl::client_impl(boost::asio::any_io_executor ex, client_options options,
                         unit_random random, clock_function now)
    : executor_(std::move(ex)), options_(std::move(options)), hub_(event_hub::create(options_)),
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
  limiter_ = rate_limiter::create(executor_, options_.rate_limit);
  pool_ = connection_pool::create(executor_, options_.pool, &connection_pool::clock::now, hub_);
  parts.executor = executor_;
  parts.options = &options_;
  parts.limiter = limiter_;
  parts.pool = pool_;
  parts.counters = &counters_;
  parts.hub = hub_.get();
  parts.random = std::move(random);
  pipeline_.emplace(std::move(parts));
}

void client_impl::close_calls() {
  registry_.close();
  limiter_->shutdown();
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
