// talkory::client: the asynchronous Talkory API client. A cheap, thread-safe handle.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <talkory/errors.hpp>
#include <talkory/health.hpp>
#include <talkory/options.hpp>
#include <talkory/result.hpp>
#include <talkory/stats.hpp>

namespace talkory {

namespace detail {
class client_impl;
class client_owner;
struct client_access;
} // namespace detail

/// Copies share one connection pool, rate limiter and statistics. When the last copy is
/// destroyed every call still in flight completes exactly once with errc::cancelled.
class client {
public:
  using health_signature = void(result<health_report>);
  using shutdown_signature = void();

  /// Never throws for bad options: every call then completes with errc::invalid_options
  /// (see options_error()) and nothing is sent.
  client(boost::asio::any_io_executor executor, client_options options);

  client(const client&) = default;
  client(client&&) noexcept = default;
  client& operator=(const client&) = default;
  client& operator=(client&&) noexcept = default;
  ~client() = default;

  /// GET /v1/health/llm. Completion signature: void(result<health_report>). Works with any
  /// completion token; honours per-operation (terminal) cancellation; the handler runs on
  /// its associated executor.
  template <class CompletionToken>
  auto async_health(call_options options, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, health_signature>(
        [](auto handler, std::shared_ptr<detail::client_impl> impl, call_options opts) {
          start_health(std::move(impl), std::move(opts),
                       boost::asio::any_completion_handler<health_signature>(std::move(handler)));
        },
        token, impl_, std::move(options));
  }

  template <class CompletionToken>
  auto async_health(CompletionToken&& token) {
    return async_health(call_options{}, std::forward<CompletionToken>(token));
  }

  /// The coroutine form: `auto r = co_await client.health();`
  boost::asio::awaitable<result<health_report>> health(call_options options = {});

  /// Closes idle connections politely (TLS close_notify, bounded by timeouts.shutdown), fails
  /// every waiting and in-flight call with errc::cancelled and refuses new calls.
  template <class CompletionToken>
  auto async_shutdown(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, shutdown_signature>(
        [](auto handler, std::shared_ptr<detail::client_impl> impl) {
          start_shutdown(std::move(impl), boost::asio::any_completion_handler<shutdown_signature>(
                                              std::move(handler)));
        },
        token, impl_);
  }

  /// A snapshot of the counters; safe to call from any thread.
  client_stats stats() const;

  /// Why the options given at construction were refused, if they were.
  const std::optional<api_error>& options_error() const noexcept;

  boost::asio::any_io_executor get_executor() const noexcept;

private:
  friend struct detail::client_access;
  explicit client(std::shared_ptr<detail::client_impl> impl);
  static void start_health(std::shared_ptr<detail::client_impl> impl, call_options options,
                           boost::asio::any_completion_handler<health_signature> handler);
  static void start_shutdown(std::shared_ptr<detail::client_impl> impl,
                             boost::asio::any_completion_handler<shutdown_signature> handler);

  std::shared_ptr<detail::client_owner> owner_; // the last copy's destruction cancels all calls
  std::shared_ptr<detail::client_impl> impl_;
};

} // namespace talkory
