// The keep-alive connection pool: idle connections reused most-recently-used first, new ones
// opened lazily up to a maximum, waiters served FIFO. The rules are pool_core's; state lives on
// a strand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <talkory/options.hpp>

#include "completion.hpp"
#include "connection.hpp"
#include "observability.hpp"

namespace talkory::detail {

class connection_pool;

/// One slot of the pool lent to one call. It either holds an idle connection to reuse, or is
/// empty and entitles its holder to open a connection itself: opening happens outside the
/// pool's strand, so a slow connect never blocks callers that could use an idle connection.
/// Destroying a lease without give_back() discards its connection and frees the slot.
class pool_lease {
public:
  pool_lease() = default;
  pool_lease(std::shared_ptr<connection_pool> pool, std::unique_ptr<connection> conn);
  pool_lease(pool_lease&&) noexcept = default;
  pool_lease& operator=(pool_lease&& other) noexcept;
  ~pool_lease();

  explicit operator bool() const noexcept { return pool_ != nullptr; }
  /// The connection, null until one is opened into the slot.
  connection* get() const noexcept { return conn_.get(); }
  /// True when the lease came with an idle connection that had served requests before.
  bool reused() const noexcept { return reused_; }
  /// Puts a freshly opened connection into the slot (replacing and closing any held one).
  void reset(std::unique_ptr<connection> conn) noexcept;
  /// Returns the slot; the connection goes back to the idle list only if `reusable`, and is
  /// otherwise reported retired for `why_not`. Either way it forgets its latest response
  /// (connection::forget_response): whoever read it must be done with it.
  void give_back(bool reusable, retire_reason why_not = retire_reason::error) noexcept;
  /// The call whose events the connection's retirement belongs to (0: none).
  void set_call_id(std::uint64_t id) noexcept { call_id_ = id; }

private:
  std::shared_ptr<connection_pool> pool_;
  std::unique_ptr<connection> conn_;
  bool reused_ = false;
  std::uint64_t call_id_ = 0;
};

class connection_pool : public std::enable_shared_from_this<connection_pool> {
public:
  using clock = std::chrono::steady_clock;
  using acquire_signature = void(std::error_code, pool_lease, bool /* waited */);
  /// Where the pool reads the time it judges idle connections and deadlines by.
  using clock_function = std::function<clock::time_point()>;

  /// `now` is the pool's one source of time (deadline timers aside, which run on steady_clock).
  /// `hub`, when set, hears of every connection the pool retires (connection_retired).
  static std::shared_ptr<connection_pool> create(boost::asio::any_io_executor executor,
                                                 const pool_options& options,
                                                 clock_function now = &clock::now,
                                                 std::shared_ptr<const event_hub> hub = nullptr);
  ~connection_pool();

  /// Lends a slot. Completes with no error and a lease; errc::timeout when no slot was free
  /// before `deadline`; errc::cancelled on per-operation cancellation or shutdown.
  template <class CompletionToken>
  auto async_acquire(clock::time_point deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [](auto handler, std::shared_ptr<connection_pool> self, clock::time_point d) {
          auto tracked = make_tracked<acquire_signature>(std::move(handler), self->executor());
          self->initiate_acquire(d, std::move(tracked));
        },
        token, shared_from_this(), deadline);
  }

  /// On the pool's strand (a call of the client that shares it): the lease async_acquire would
  /// complete with at once (an idle connection, or an empty slot to open one into), when no one
  /// waits before the caller; an empty lease when the caller must wait, is refused, or is not on
  /// the strand: then async_acquire decides.
  pool_lease try_acquire_now();

  /// Closes idle connections with a TLS close_notify (each bounded by `timeout`), fails waiters
  /// with errc::cancelled, and refuses later acquisitions. Completion: void().
  void async_shutdown(std::chrono::milliseconds timeout,
                      boost::asio::any_completion_handler<void()> handler);

  /// Remembered so that an acquisition timing out can say why connections could not be opened.
  void note_connect_error(const api_error& error);
  std::optional<api_error> last_connect_error() const;

  /// The most recent resumable TLS session, offered when opening a connection.
  tls_session session() const;
  void save_session(tls_session session);

  std::size_t idle_count() const noexcept { return idle_count_.load(std::memory_order_relaxed); }
  std::size_t lent_count() const noexcept { return lent_count_.load(std::memory_order_relaxed); }
  /// Idle connections retired because the peer closed them, reset them or sent unsolicited bytes.
  std::uint64_t idle_retired() const noexcept {
    return idle_retired_.load(std::memory_order_relaxed);
  }

private:
  friend class pool_lease;
  struct state; // strand, pool_core, waiter_queue, clock: see connection_pool.cpp
  explicit connection_pool(std::unique_ptr<state> s);
  void initiate_acquire(clock::time_point deadline, tracked_handler<acquire_signature> handler);
  /// On the strand: the core's decision at `now`, with the idle connections it retires reported
  /// and closed. A lease when a slot is lent (an idle connection, unwatched, or an empty slot);
  /// otherwise an empty one, with `must_wait` set when the caller must queue (clear: refused).
  pool_lease lend(clock::time_point now, bool& must_wait);
  const boost::asio::any_io_executor& executor() const noexcept;
  void give_back(std::unique_ptr<connection> conn, bool reusable, retire_reason why_not,
                 std::uint64_t call_id);
  void report_retired(const connection& conn, retire_reason why, std::uint64_t call_id) const;
  void publish_counts() noexcept;
  // Idle watches start only for connections that stay idle (see connection_pool.cpp): a parked
  // one is left unwatched and the pool's one timer, started if it is not pending, watches those
  // due when it expires and is started again for the next one due.
  void park_unwatched(connection& idle);
  void start_watch_timer(clock::time_point due);
  void watch_due();
  void watch(connection& idle); // starts its watch now

  std::unique_ptr<state> state_;
  std::atomic<std::size_t> idle_count_{0};
  std::atomic<std::size_t> lent_count_{0};
  std::atomic<std::uint64_t> idle_retired_{0};
  mutable std::mutex side_mutex_; // guards the two fields below, touched from many strands
  std::optional<api_error> last_connect_error_;
  tls_session session_;
};

} // namespace talkory::detail
