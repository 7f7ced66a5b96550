/// @file
/// talkory::client: the asynchronous Talkory API client. A cheap, thread-safe handle.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>

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

/// The executor `handler` completes on (its associated one, else `fallback`), with outstanding
/// work tracked, taken while the handler's type is still known: once erased, it can only be had
/// through an any_completion_executor, which allocates. Empty when that executor is not an
/// any_io_executor; the library then takes it from the erased handler.
template <class Handler>
boost::asio::any_io_executor tracked_work_of(const Handler& handler,
                                             const boost::asio::any_io_executor& fallback) {
  auto tracked = boost::asio::prefer(boost::asio::get_associated_executor(handler, fallback),
                                     boost::asio::execution::outstanding_work.tracked);
  if constexpr (std::is_convertible_v<decltype(tracked), boost::asio::any_io_executor>)
    return tracked;
  else
    return {};
}
} // namespace detail

/// Copies share one connection pool, rate limiter and statistics. When the last copy is
/// destroyed every call still in flight completes exactly once with errc::cancelled.
///
/// - Copies also share the cache (client_options::cache_ttl, serve_stale_for) and the
///   single-flight board (client_options::coalesce_concurrent_calls).
/// - Thread-safe: every member function may be called from any thread, concurrently, on one
///   handle or on copies. Only assigning to a handle while another thread uses that same handle
///   object is a race, as with std::shared_ptr.
/// - The client's timers, sockets and strands run on the executor given at construction; calls
///   make progress only while its execution context runs. Each completion handler runs exactly
///   once, on its associated executor (by default the client's), never inside the initiating
///   call, also when the call fails or is answered at once.
class client {
public:
  /// Completion signature of async_health(): the report, or the api_error of the failed call.
  using health_signature = void(result<health_report>);
  /// Completion signature of async_shutdown(): it reports nothing and cannot fail.
  using shutdown_signature = void();

  /// Never throws for bad options: every call then completes with errc::invalid_options
  /// (see options_error()) and nothing is sent.
  ///
  /// The options are validated and the trusted CAs (client_options::tls) loaded here; no
  /// connection is opened until the first call. `executor` is where the client's I/O runs and
  /// where handlers without an associated executor of their own are run.
  client(boost::asio::any_io_executor executor, client_options options);

  /// Another handle to the same client: it shares everything.
  client(const client&) = default;
  /// Takes over the handle; a moved-from handle may only be assigned to or destroyed.
  client(client&&) noexcept = default;
  /// Makes this a handle to `other`'s client, releasing the one it held (if that was the last
  /// handle, its calls are cancelled as on destruction).
  client& operator=(const client&) = default;
  /// As copy assignment; `other` is left moved-from (only to be assigned to or destroyed).
  client& operator=(client&&) noexcept = default;
  /// Releases the handle. The last handle's destruction fails every call in flight with
  /// errc::cancelled, refuses later ones (an awaitable from health() not yet awaited, say) and
  /// closes the idle connections in the background, on the executor; async_shutdown() waits
  /// for that instead. Copies held elsewhere count: a health_watcher holds one.
  ~client() = default;

  /// GET /v1/health/llm. Completion signature: void(result<health_report>). Works with any
  /// completion token; honours per-operation (terminal) cancellation; the handler runs on
  /// its associated executor.
  ///
  /// - `options` override the client's settings for this call; a call with overrides (other
  ///   than call_options::max_age) never shares another call's request. Invalid overrides fail
  ///   the call with errc::invalid_options, as do invalid client options.
  /// - The call is answered from the cache when client_options::cache_ttl allows it, else it
  ///   joins a request already in flight (single-flight), else it sends its own through the
  ///   rate limiter, the pool and the retries, all within timeouts.total (or options.timeout).
  /// - Cancellation: every type (terminal, partial, total) is treated as terminal. The call
  ///   completes with errc::cancelled, or with its result when that was already on its way. A
  ///   caller sharing a request leaves it to the others; the request stops when its last
  ///   caller leaves.
  /// - After async_shutdown(), or once the last handle is gone, a call with valid options
  ///   completes with errc::cancelled.
  /// - May be called from any thread; the handler is called exactly once.
  template <class CompletionToken>
  auto async_health(call_options options, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, health_signature>(
        [](auto handler, std::shared_ptr<detail::client_impl> impl, call_options opts,
           const boost::asio::any_io_executor& fallback) {
          auto work = detail::tracked_work_of(handler, fallback);
          start_health(std::move(impl), std::move(opts),
                       boost::asio::any_completion_handler<health_signature>(std::move(handler)),
                       std::move(work));
        },
        token, impl_, std::move(options), get_executor());
  }

  /// async_health(call_options{}, token): the client's own settings, so the call may share a
  /// request in flight. Completion signature: void(result<health_report>).
  template <class CompletionToken>
  auto async_health(CompletionToken&& token) {
    return async_health(call_options{}, std::forward<CompletionToken>(token));
  }

  /// The coroutine form: `auto r = co_await client.health();`
  ///
  /// async_health(options, use_awaitable). The call starts when the awaitable is awaited. The
  /// awaitable holds the client's state itself, so this handle may be gone by then (if it was
  /// the last one, the call completes with errc::cancelled). Cancelled through the awaiting
  /// coroutine's cancellation state, which by Asio's default passes terminal cancellation only.
  boost::asio::awaitable<result<health_report>> health(call_options options = {});

  /// Closes idle connections politely (TLS close_notify, bounded by timeouts.shutdown), fails
  /// every waiting and in-flight call with errc::cancelled and refuses new calls.
  ///
  /// Completion signature: void(), with any completion token; the handler runs on its
  /// associated executor, never inside this call. It completes once the idle connections are
  /// closed (in parallel, so within about timeouts.shutdown); it does not wait for the
  /// cancelled calls' handlers. Not cancellable. The shutdown is the client's, so every copy
  /// is affected: later calls complete with errc::cancelled, while stats(), options_error()
  /// and get_executor() keep working. Calling it again is harmless: with nothing left to
  /// close, it completes without waiting.
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
  ///
  /// The counters are the client's, shared by every copy. Each is read atomically, but not all
  /// at one instant: a call in progress may show in one counter and not yet in another.
  client_stats stats() const;

  /// Why the options given at construction were refused, if they were.
  ///
  /// This errc::invalid_options error is what every call then completes with; nothing when
  /// the client is usable. The reference stays valid as long as any handle does.
  const std::optional<api_error>& options_error() const noexcept;

  /// The executor given at construction: where the client's I/O runs, and the executor of
  /// completion handlers that have none associated.
  boost::asio::any_io_executor get_executor() const noexcept;

private:
  friend struct detail::client_access;
  explicit client(std::shared_ptr<detail::client_impl> impl);
  /// `work`: detail::tracked_work_of(handler), or empty.
  static void start_health(std::shared_ptr<detail::client_impl> impl, call_options options,
                           boost::asio::any_completion_handler<health_signature> handler,
                           boost::asio::any_io_executor work);
  static void start_shutdown(std::shared_ptr<detail::client_impl> impl,
                             boost::asio::any_completion_handler<shutdown_signature> handler);

  std::shared_ptr<detail::client_owner> owner_; // the last copy's destruction cancels all calls
  std::shared_ptr<detail::client_impl> impl_;
};

} // namespace talkory
