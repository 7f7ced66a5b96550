// The keep-alive connection pool: idle connections reused most-recently-used first, new ones
// opened lazily up to a maximum, waiters served FIFO. State lives on a strand.
#include "connection_pool.hpp"

#include "completion.hpp"

#include <algorithm>
#include <list>
#include <optional>
#include <vector>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace talkory::detail {

namespace asio = boost::asio;

// ---- pool_lease -----------------------------------------------------------------------------

pool_lease::pool_lease(std::shared_ptr<connection_pool> pool, std::unique_ptr<connection> conn)
    : pool_(std::move(pool)), conn_(std::move(conn)), reused_(conn_ != nullptr) {}

pool_lease& pool_lease::operator=(pool_lease&& other) noexcept {
  if (this != &other) {
    give_back(false);
    pool_ = std::move(other.pool_);
    conn_ = std::move(other.conn_);
    reused_ = other.reused_;
  }
  return *this;
}

pool_lease::~pool_lease() {
  give_back(false);
}

void pool_lease::reset(std::unique_ptr<connection> conn) noexcept {
  conn_ = std::move(conn);
  reused_ = false;
}

void pool_lease::give_back(bool reusable) noexcept {
  if (!pool_)
    return;
  auto pool = std::move(pool_);
  pool_.reset();
  pool->give_back(std::move(conn_), reusable);
}

// ---- connection_pool ------------------------------------------------------------------------

struct connection_pool::state {
  // A queued caller's handler. It is owned by the pending wait of the waiter's deadline timer, not
  // by the pool: the handler can own the pool (a coroutine frame holding the client), and an
  // execution context destroyed with callers queued here destroys its pending waits, and so the
  // handlers, which breaks that cycle. The queue only refers to it.
  struct parked {
    asio::any_completion_handler<acquire_signature> handler;
  };
  struct waiter {
    std::uint64_t id;
    std::weak_ptr<parked> caller;
    std::unique_ptr<asio::steady_timer> timer;
  };

  // Installed in the caller's cancellation slot on the caller's thread (where the caller emits
  // too), before the request reaches the strand, so that no cancellation can slip in between.
  struct cancel_handler {
    std::weak_ptr<connection_pool> pool;
    std::uint64_t id;
    void operator()(asio::cancellation_type type) const {
      if (type == asio::cancellation_type::none)
        return;
      if (auto p = pool.lock())
        asio::post(p->state_->strand, [p, id = id] {
          if (auto h = p->state_->take_waiter(id))
            complete_later(p->state_->strand, std::move(*h), make_error_code(errc::cancelled),
                           pool_lease{}, true);
        });
    }
  };

  /// Removes the waiter `id` from the queue and hands out its handler, if it is still queued.
  std::optional<asio::any_completion_handler<acquire_signature>> take_waiter(std::uint64_t id) {
    auto it =
        std::find_if(waiters.begin(), waiters.end(), [id](const waiter& w) { return w.id == id; });
    if (it == waiters.end())
      return std::nullopt;
    auto caller = it->caller.lock();
    waiters.erase(it); // destroys the timer: its wait completes with operation_aborted
    if (!caller)
      return std::nullopt;
    return std::move(caller->handler);
  }

  state(asio::any_io_executor ex, const pool_options& opts)
      : strand(asio::make_strand(ex)), options(opts) {}

  asio::strand<asio::any_io_executor> strand;
  pool_options options;
  std::vector<std::unique_ptr<connection>> idle; // most recently used at the back
  std::size_t lent = 0; // slots lent out, connections being opened included
  std::list<waiter> waiters;
  std::atomic<std::uint64_t> next_id{0}; // taken on the caller's thread
  bool closed = false;

  bool usable(const connection& c, clock::time_point now) const {
    return now - c.last_used() < options.idle_timeout &&
           now - c.opened_at() < options.max_connection_age && !c.has_unsolicited_data();
  }
  // Drops idle connections the server has probably closed, or that are too old to trust.
  void prune(clock::time_point now) {
    std::erase_if(idle, [&](const std::unique_ptr<connection>& c) { return !usable(*c, now); });
  }
};

std::shared_ptr<connection_pool> connection_pool::create(asio::any_io_executor executor,
                                                         const pool_options& options) {
  return std::shared_ptr<connection_pool>(
      new connection_pool(std::make_unique<state>(std::move(executor), options)));
}

connection_pool::connection_pool(std::unique_ptr<state> s) : state_(std::move(s)) {}
connection_pool::~connection_pool() = default;

void connection_pool::initiate_acquire(clock::time_point deadline,
                                       asio::any_completion_handler<acquire_signature> handler) {
  auto& st = *state_;
  const auto id = st.next_id.fetch_add(1, std::memory_order_relaxed);
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected())
    slot.template emplace<state::cancel_handler>(weak_from_this(), id);
  asio::dispatch(
      st.strand, [self = shared_from_this(), deadline, id, h = std::move(handler)]() mutable {
        auto& s = *self->state_;
        if (s.closed)
          return complete_later(s.strand, std::move(h), make_error_code(errc::cancelled),
                                pool_lease{}, false);
        const auto now = clock::now();
        s.prune(now);
        self->idle_count_ = s.idle.size();
        if (s.waiters.empty()) {
          if (!s.idle.empty()) {
            auto conn = std::move(s.idle.back());
            s.idle.pop_back();
            ++s.lent;
            self->idle_count_ = s.idle.size();
            self->lent_count_ = s.lent;
            return complete_later(s.strand, std::move(h), std::error_code{},
                                  pool_lease(self, std::move(conn)), false);
          }
          if (s.lent + s.idle.size() < s.options.max_connections) {
            ++s.lent;
            self->lent_count_ = s.lent;
            return complete_later(s.strand, std::move(h), std::error_code{},
                                  pool_lease(self, nullptr), false);
          }
        }
        if (deadline <= now)
          return complete_later(s.strand, std::move(h), make_error_code(errc::timeout),
                                pool_lease{}, false);

        auto caller = std::make_shared<state::parked>(state::parked{std::move(h)});
        auto timer = std::make_unique<asio::steady_timer>(s.strand, deadline);
        timer->async_wait([weak = std::weak_ptr(self), id, caller](boost::system::error_code ec) {
          auto pool = weak.lock();
          if (ec || !pool)
            return;
          auto& ps = *pool->state_;
          if (auto wh = ps.take_waiter(id))
            complete_later(ps.strand, std::move(*wh), make_error_code(errc::timeout), pool_lease{},
                           true);
        });
        s.waiters.push_back(state::waiter{id, caller, std::move(timer)});
      });
}

void connection_pool::give_back(std::unique_ptr<connection> conn, bool reusable) {
  auto& st = *state_;
  asio::dispatch(st.strand, [self = shared_from_this(), c = std::move(conn), reusable]() mutable {
    auto& s = *self->state_;
    --s.lent;
    const bool keep = reusable && c && s.options.reuse && !s.closed;
    if (!keep)
      c.reset(); // closes the socket; the slot is free for someone to open a new connection
    std::optional<asio::any_completion_handler<acquire_signature>> next;
    while (!next && !s.waiters.empty())
      next = s.take_waiter(s.waiters.front().id);
    if (next) {
      ++s.lent;
      complete_later(s.strand, std::move(*next), std::error_code{}, pool_lease(self, std::move(c)),
                     true);
    } else if (keep) {
      s.idle.push_back(std::move(c));
    }
    self->idle_count_ = s.idle.size();
    self->lent_count_ = s.lent;
  });
}

void connection_pool::async_shutdown(std::chrono::milliseconds timeout,
                                     asio::any_completion_handler<void()> handler) {
  auto& st = *state_;
  asio::dispatch(st.strand, [self = shared_from_this(), timeout, h = std::move(handler)]() mutable {
    auto& s = *self->state_;
    s.closed = true;
    while (!s.waiters.empty())
      if (auto wh = s.take_waiter(s.waiters.front().id))
        complete_later(s.strand, std::move(*wh), make_error_code(errc::cancelled), pool_lease{},
                       true);
    auto idle = std::move(s.idle);
    s.idle.clear();
    self->idle_count_ = 0;
    asio::co_spawn(
        s.strand,
        [](std::vector<std::unique_ptr<connection>> conns,
           std::chrono::milliseconds t) -> asio::awaitable<void> {
          // One after another: each is bounded by `t`, and close_notify is a single small write.
          for (auto& c : conns)
            co_await c->close_gracefully(t);
        }(std::move(idle), timeout),
        [h = std::move(h), strand = s.strand](std::exception_ptr) mutable {
          complete_later(strand, std::move(h));
        });
  });
}

void connection_pool::note_connect_error(const api_error& error) {
  std::lock_guard lock(side_mutex_);
  last_connect_error_ = error;
}

std::optional<api_error> connection_pool::last_connect_error() const {
  std::lock_guard lock(side_mutex_);
  return last_connect_error_;
}

tls_session connection_pool::session() const {
  std::lock_guard lock(side_mutex_);
  return session_;
}

void connection_pool::save_session(tls_session session) {
  std::lock_guard lock(side_mutex_);
  session_ = std::move(session);
}

} // namespace talkory::detail
