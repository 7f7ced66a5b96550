// The keep-alive connection pool's async shell: pool_core decides, a strand serializes, a
// waiter_queue parks callers with their deadlines and cancellation.
#include "connection_pool.hpp"

#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "completion.hpp"
#include "pool_core.hpp"
#include "serial_executor.hpp"
#include "waiter_queue.hpp"

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
    call_id_ = other.call_id_;
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

void pool_lease::give_back(bool reusable, retire_reason why_not) noexcept {
  if (!pool_)
    return;
  if (conn_)
    conn_->forget_response(); // a connection back in the pool keeps no response, nor its memory
  auto pool = std::move(pool_);
  pool_.reset();
  pool->give_back(std::move(conn_), reusable, why_not, call_id_);
}

// ---- connection_pool ------------------------------------------------------------------------

// The async shell around pool_core: the core decides, the strand serializes, the waiter queue
// parks callers with their deadlines and cancellation, and every completion leaves through
// complete_later. Everything here is touched only on `strand`, except what waiter_queue's
// make_waiter reads on the initiating thread.
namespace {
// The closes still running during a shutdown, and whom to tell when they are done (on the strand).
struct closing_state {
  closing_state(std::size_t n, asio::any_completion_handler<void()> h)
      : left(n), handler(std::move(h)) {}
  std::size_t left;
  asio::any_completion_handler<void()> handler;
};
} // namespace

struct connection_pool::state {
  using core_type = pool_core<connection>;
  using queue_type =
      waiter_queue<acquire_signature, asio::steady_timer, tracked_handler<acquire_signature>>;

  state(asio::any_io_executor ex, const pool_options& opts, clock_function clock_fn,
        std::shared_ptr<const event_hub> events)
      : strand(make_serial(ex)), now(std::move(clock_fn)), hub(std::move(events)), core(opts),
        queue(strand, [via = strand](queue_type::handler_type h, leave_reason why) {
          complete_later(
              via, std::move(h),
              make_error_code(why == leave_reason::cancelled ? errc::cancelled : errc::timeout),
              pool_lease{}, true);
        }) {}

  asio::any_io_executor strand; // make_serial: a serial_executor, or a strand
  clock_function now;
  std::shared_ptr<const event_hub> hub; // null: nobody observes
  core_type core;
  // The timer that starts the watches of connections idle for idle_watch_delay (see
  // park_unwatched), on the connections' io_context's own executor, out of its work count like
  // the watches; made with the first connection parked where watches can start.
  using watch_timer_type = asio::basic_waitable_timer<std::chrono::steady_clock,
                                                      asio::wait_traits<std::chrono::steady_clock>,
                                                      asio::io_context::executor_type>;
  std::optional<watch_timer_type> watch_timer;
  bool watch_timer_pending = false;
  // Declared last: destroyed first, its timers before the strand they run on.
  queue_type queue;
};

std::shared_ptr<connection_pool> connection_pool::create(asio::any_io_executor executor,
                                                         const pool_options& options,
                                                         clock_function now,
                                                         std::shared_ptr<const event_hub> hub) {
  return std::shared_ptr<connection_pool>(new connection_pool(
      std::make_unique<state>(std::move(executor), options, std::move(now), std::move(hub))));
}

connection_pool::connection_pool(std::unique_ptr<state> s) : state_(std::move(s)) {}
connection_pool::~connection_pool() = default;

const asio::any_io_executor& connection_pool::executor() const noexcept {
  return state_->strand;
}

void connection_pool::publish_counts() noexcept {
  idle_count_.store(state_->core.idle_count(), std::memory_order_relaxed);
  lent_count_.store(state_->core.lent_count(), std::memory_order_relaxed);
}

void connection_pool::initiate_acquire(clock::time_point deadline,
                                       tracked_handler<acquire_signature> handler) {
  auto& st = *state_;
  // On the caller's thread: the waiter's cancellation handler goes into its slot here, before the
  // request reaches the strand, so that no cancellation can slip in between.
  auto caller = st.queue.make_waiter(
      std::shared_ptr<state::queue_type>(shared_from_this(), &st.queue), std::move(handler));
  asio::dispatch(st.strand, [self = shared_from_this(), deadline, w = std::move(caller)]() mutable {
    auto& s = *self->state_;
    const auto now = s.now();
    bool must_wait = false;
    auto lease = self->lend(now, must_wait);
    if (lease)
      return complete_later(s.strand, w.take(), std::error_code{}, std::move(lease), false);
    if (!must_wait)
      return complete_later(s.strand, w.take(), make_error_code(errc::cancelled), pool_lease{},
                            false);
    if (deadline <= now)
      return complete_later(s.strand, w.take(), make_error_code(errc::timeout), pool_lease{},
                            false);
    s.queue.push(std::move(w), deadline);
  });
}

pool_lease connection_pool::try_acquire_now() {
  if (!running_in(state_->strand))
    return {};
  bool must_wait = false;
  return lend(state_->now(), must_wait); // empty: async_acquire waits or says why (cancelled)
}

pool_lease connection_pool::lend(clock::time_point now, bool& must_wait) {
  auto& s = *state_;
  auto decision = s.core.acquire(now, !s.queue.empty());
  for (const auto& dead : decision.retired)
    report_retired(*dead, s.core.unusable_reason(*dead, now).value_or(retire_reason::error), 0);
  decision.retired.clear(); // closes the sockets of idle connections judged unusable
  publish_counts();
  using action = state::core_type::acquire_action;
  switch (decision.action) {
  case action::reuse:
    decision.connection->stop_watching();
    return pool_lease(shared_from_this(), std::move(decision.connection));
  case action::open:
    return pool_lease(shared_from_this(), nullptr);
  case action::wait:
    must_wait = true;
    return {};
  case action::refuse:
    return {};
  }
  return {};
}

void connection_pool::give_back(std::unique_ptr<connection> conn, bool reusable,
                                retire_reason why_not, std::uint64_t call_id) {
  auto& st = *state_;
  asio::dispatch(st.strand, [self = shared_from_this(), c = std::move(conn), reusable, why_not,
                             call_id]() mutable {
    auto& s = *self->state_;
    auto next = s.queue.pop(); // the longest-waiting caller, if any
    auto* returned = c.get();
    auto decision = s.core.release(std::move(c), reusable, s.now(), next.has_value());
    if (decision.retired)
      self->report_retired(*decision.retired, reusable ? decision.why : why_not, call_id);
    decision.retired.reset(); // closes the socket of a connection that must not be used again
    if (decision.action == state::core_type::release_action::park)
      self->park_unwatched(*returned);
    self->publish_counts();
    if (!next)
      return;
    if (decision.action == state::core_type::release_action::hand_over)
      complete_later(s.strand, std::move(*next), std::error_code{},
                     pool_lease(self, std::move(decision.handed)), true);
    else // closed meanwhile: shutdown ends every waiter as cancelled, so this one too
      complete_later(s.strand, std::move(*next), make_error_code(errc::cancelled), pool_lease{},
                     true);
  });
}

// How long a parked connection waits for its idle watch. A watch costs a peek at the socket,
// and stopping it costs a cancellation, so a connection lent again sooner (every one of a busy
// pool's) goes without: it is asked for unsolicited bytes when it is lent, as every connection
// is. Servers close idle connections after seconds (nginx: 75 s), so a watch that starts this
// late still retires them as they close; one closed sooner is found when it is next lent. While
// the pool is busy the timer still comes round once per delay (to find nobody due), so the delay
// is long enough for that to cost nothing measurable: at 50 ms, a call under valgrind (slow
// enough for a cycle every hundred calls) averaged 0.1 allocation more.
constexpr std::chrono::milliseconds idle_watch_delay{1000};

void connection_pool::park_unwatched(connection& idle) {
  auto& s = *state_;
  if (!s.watch_timer) {
    auto* io = idle.watch_context();
    if (!io)
      return; // no watch can start here: idle connections are examined when lent
    s.watch_timer.emplace(io->get_executor());
  }
  if (!s.watch_timer_pending)
    start_watch_timer(s.now() + idle_watch_delay);
}

void connection_pool::start_watch_timer(clock::time_point due) {
  auto& s = *state_;
  s.watch_timer_pending = true;
  s.watch_timer->expires_after(due - s.now());
  // Unbound, on the io_context's own executor: its operation carries one unit of work, given
  // back below once it is pending and taken again by its handler, as connection.cpp's waits do,
  // so that an idle pool never keeps run() from returning. The handler only posts to the strand.
  s.watch_timer->async_wait([weak = weak_from_this(), io = s.watch_timer->get_executor(),
                             strand = s.strand](boost::system::error_code ec) {
    io.on_work_started(); // the unit this operation finishes with
    if (ec)
      return; // the pool is gone
    asio::post(strand, [weak] {
      if (auto self = weak.lock())
        self->watch_due();
    });
  });
  s.watch_timer->get_executor().on_work_finished();
}

void connection_pool::watch_due() {
  auto& s = *state_;
  s.watch_timer_pending = false;
  if (const auto next =
          s.core.watch_due(s.now(), idle_watch_delay, [this](connection& idle) { watch(idle); }))
    start_watch_timer(*next);
}

void connection_pool::watch(connection& idle) {
  // The callback runs on the strand; by then the connection may have been lent or retired, so it
  // is looked up by its id among the idle ones, never through a pointer.
  if (!idle.has_idle_listener())
    idle.set_idle_listener(state_->strand, [weak = weak_from_this(), id = idle.id()] {
      auto self = weak.lock();
      if (!self)
        return;
      if (auto dead =
              self->state_->core.take_idle([id](const connection& c) { return c.id() == id; })) {
        self->report_retired(*dead, retire_reason::peer_closed, 0);
        self->idle_retired_.fetch_add(1, std::memory_order_relaxed);
        self->publish_counts();
      } // `dead` closes its socket here (the server already did)
    });
  idle.watch_idle();
}

void connection_pool::async_shutdown(std::chrono::milliseconds timeout,
                                     asio::any_completion_handler<void()> handler) {
  auto& st = *state_;
  asio::dispatch(st.strand, [self = shared_from_this(), timeout, h = std::move(handler)]() mutable {
    auto& s = *self->state_;
    auto idle = s.core.close();
    s.queue.cancel_all();
    self->publish_counts();
    if (idle.empty())
      return complete_later(s.strand, std::move(h));
    // In parallel, so that N silent peers cost one `timeout`, not N: each close is bounded by
    // it, and the last one to finish completes the shutdown.
    auto closing = std::make_shared<closing_state>(idle.size(), std::move(h));
    for (auto& conn : idle) {
      self->report_retired(*conn, retire_reason::shutdown, 0);
      conn->stop_watching();
      asio::co_spawn(
          s.strand,
          [](std::unique_ptr<connection> c, std::chrono::milliseconds t) -> asio::awaitable<void> {
            co_await c->close_gracefully(t);
          }(std::move(conn), timeout),
          [closing, strand = s.strand](std::exception_ptr) {
            if (--closing->left == 0)
              complete_later(strand, std::move(closing->handler));
          });
    }
  });
}

void connection_pool::report_retired(const connection& conn, retire_reason why,
                                     std::uint64_t call_id) const {
  if (const auto& hub = state_->hub)
    hub->emit({.kind = event_kind::connection_retired,
               .call_id = call_id,
               .connection_id = conn.id(),
               .reason = why});
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
