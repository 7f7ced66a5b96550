// The client-side rate limiter: token bucket, FIFO waiters and one timer, all owned by a strand.
#include "rate_limiter.hpp"

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "token_bucket.hpp"

namespace talkory::detail {

namespace asio = boost::asio;

// Everything below except `next_id` is touched only on `strand`. Whoever removes a waiter from
// `waiters` completes it, and only strand code removes waiters: that is the exactly-once rule.
struct rate_limiter::state {
  struct waiter {
    std::uint64_t id;
    clock::time_point deadline;
    asio::any_completion_handler<acquire_signature> handler;
    // Keeps the caller's execution context running while it waits here (Asio's contract for a
    // pending operation), even when it is another io_context than ours.
    asio::executor_work_guard<asio::any_completion_executor> work;
  };

  // Lives in the caller's cancellation slot and runs wherever the caller emits, so it only
  // hands the request over to the strand. It holds a weak_ptr: a strong one would make a cycle
  // (limiter -> waiter -> coroutine frame -> signal -> slot -> limiter) that leaks when an
  // io_context is destroyed with callers still queued.
  struct cancel_handler {
    std::weak_ptr<rate_limiter> limiter;
    std::uint64_t id;

    void operator()(asio::cancellation_type_t type) const {
      // Terminal, partial and total all fit: a queued caller has taken nothing, so removing it
      // leaves no side effect behind.
      if (type == asio::cancellation_type::none)
        return;
      if (auto self = limiter.lock()) {
        asio::post(self->state_->strand,
                   [self, waiter_id = id] { self->state_->cancel(waiter_id); });
      }
    }
  };

  // Queued handlers live in our list, not in the execution context, so the context cannot
  // destroy them when it shuts down the way it destroys its own pending operations. They can
  // own the limiter (a coroutine frame holding the client), so without this service a context
  // destroyed with callers still queued would leak them in a reference cycle.
  class registry : public asio::execution_context::service {
  public:
    using key_type = registry;
    static inline asio::execution_context::id id;

    explicit registry(asio::execution_context& context) : service(context) {}

    void add(state* s) {
      std::lock_guard lock(mutex_);
      states_.insert(s);
    }
    void remove(state* s) {
      std::lock_guard lock(mutex_);
      states_.erase(s);
    }

  private:
    // Called while no thread runs the context, so strand-only state may be touched here.
    void shutdown() override;

    std::mutex mutex_;
    std::unordered_set<state*> states_;
  };

  state(asio::any_io_executor ex, const rate_limit_options& opts)
      : executor(std::move(ex)),
        services(asio::use_service<registry>(asio::query(executor, asio::execution::context))),
        strand(asio::make_strand(executor)), options(opts),
        bucket(opts.burst, opts.requests_per_window, opts.window, clock::now()), timer(strand) {
    services.add(this);
  }

  // Like any I/O object, a limiter must not outlive its execution context.
  ~state() { services.remove(this); }

  state(const state&) = delete;
  state& operator=(const state&) = delete;

  rate_limiter* owner = nullptr; // set by rate_limiter's constructor
  asio::any_io_executor executor;
  registry& services;
  asio::strand<asio::any_io_executor> strand;
  const rate_limit_options options;
  token_bucket bucket;
  asio::steady_timer timer;
  std::optional<clock::time_point> armed_for; // expiry of the live timer wait, if any
  std::uint64_t timer_generation = 0;         // tells a live timer wait from superseded ones
  std::atomic<std::uint64_t> next_id{0};      // taken on the caller's thread, hence atomic
  bool shut_down = false;
  // FIFO. A list because waiters also leave from the middle (cancellation, deadline) and the
  // work guard they hold cannot be move-assigned. Declared last so that handlers still queued
  // at destruction are destroyed before the timer and strand.
  std::list<waiter> waiters;

  // Leaves the strand with post, so the handler never runs inside the initiating call nor
  // inside strand code that is still iterating `waiters`. The hop through our own executor
  // is needed because any_completion_executor cannot be required to be non-blocking; from
  // there Asio dispatches to the handler's executor.
  void complete(waiter w, talkory::errc code, bool waited) {
    complete(std::move(w), make_error_code(code), waited);
  }

  void complete(waiter w, std::error_code ec, bool waited) {
    auto handler_ex = asio::get_associated_executor(w.handler, executor);
    asio::post(executor,
               asio::bind_executor(handler_ex, [h = std::move(w.handler), ec, waited]() mutable {
                 // Cleared on the caller's executor because that is where the caller emits
                 // cancellation; clearing it from the strand would race with an emit.
                 auto slot = asio::get_associated_cancellation_slot(h);
                 if (slot.is_connected())
                   slot.clear();
                 std::move(h)(ec, waited);
               }));
    // `w.work` is released here; the post above tracks the handler's executor from now on.
  }

  void on_acquire(waiter w) {
    if (shut_down)
      return complete(std::move(w), talkory::errc::cancelled, false);
    if (!options.enabled)
      return complete(std::move(w), std::error_code{}, false);
    const auto now = clock::now();
    // Only an empty queue may take a free token: otherwise a newcomer would overtake waiters.
    if (waiters.empty() && bucket.try_take(now))
      return complete(std::move(w), std::error_code{}, false);
    if (options.mode == rate_limit_mode::fail_fast)
      return complete(std::move(w), talkory::errc::rate_limited, false);
    // Waiting past the caller's deadline would only turn into a timeout; say why right away.
    if (bucket.available_at(now, waiters.size() + 1) > w.deadline)
      return complete(std::move(w), talkory::errc::rate_limited, false);
    waiters.push_back(std::move(w));
    arm_timer(now);
  }

  // Grants what the bucket allows in FIFO order, fails waiters whose turn moved past their
  // deadline (a new pause or a drained bucket), and re-arms the timer for the new head.
  void process() {
    const auto now = clock::now();
    while (!waiters.empty() && bucket.try_take(now)) {
      auto w = std::move(waiters.front());
      waiters.pop_front();
      complete(std::move(w), std::error_code{}, true);
    }
    std::size_t position = 1;
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (bucket.available_at(now, position) > it->deadline) {
        auto w = std::move(*it);
        it = waiters.erase(it);
        complete(std::move(w), talkory::errc::rate_limited, true);
      } else {
        ++it;
        ++position;
      }
    }
    arm_timer(now);
  }

  void arm_timer(clock::time_point now) {
    if (waiters.empty()) {
      // A timer left armed would keep the limiter alive and io_context::run() busy for
      // nothing, up to a whole window.
      if (armed_for) {
        timer.cancel();
        armed_for.reset();
      }
      return;
    }
    const auto at = bucket.available_at(now, 1);
    if (armed_for == at)
      return;
    timer.expires_at(at);
    armed_for = at;
    // A wait that already completed cannot be cancelled by expires_at: its handler may still
    // run with success, so each wait carries its generation and stale ones do nothing.
    timer.async_wait([self = owner->shared_from_this(),
                      generation = ++timer_generation](const boost::system::error_code& ec) {
      self->state_->on_timer(ec, generation);
    });
  }

  void on_timer(const boost::system::error_code& ec, std::uint64_t generation) {
    if (generation != timer_generation || ec == asio::error::operation_aborted || shut_down)
      return;
    armed_for.reset();
    process();
  }

  void cancel(std::uint64_t id) {
    const auto it =
        std::find_if(waiters.begin(), waiters.end(), [id](const waiter& w) { return w.id == id; });
    if (it == waiters.end())
      return; // already granted, failed or cancelled: its one completion is on its way
    auto w = std::move(*it);
    waiters.erase(it);
    complete(std::move(w), talkory::errc::cancelled, true);
    // Everyone behind moved up one place, and the head may have changed.
    process();
  }

  void shutdown() {
    if (shut_down)
      return;
    shut_down = true;
    timer.cancel();
    armed_for.reset();
    auto queued = std::move(waiters);
    waiters.clear();
    for (auto& w : queued)
      complete(std::move(w), talkory::errc::cancelled, true);
  }
};

void rate_limiter::state::registry::shutdown() {
  std::list<waiter> orphans;
  {
    std::lock_guard lock(mutex_);
    for (state* s : states_) {
      s->shut_down = true;
      orphans.splice(orphans.end(), s->waiters);
    }
  }
  // Destroyed (never called, as Asio does with its own operations) outside the lock: dropping
  // a handler may destroy a limiter, which then removes itself from the registry.
  orphans.clear();
}

std::shared_ptr<rate_limiter> rate_limiter::create(boost::asio::any_io_executor executor,
                                                   const rate_limit_options& options) {
  // The constructor is private (the limiter must be owned by a shared_ptr for its handlers
  // to keep it alive), so make_shared cannot be used.
  return std::shared_ptr<rate_limiter>(
      new rate_limiter(std::make_unique<state>(std::move(executor), options)));
}

rate_limiter::rate_limiter(std::unique_ptr<state> s) : state_(std::move(s)) {
  state_->owner = this;
}

// Every pending strand handler and timer wait holds a shared_ptr to the limiter, so it is only
// destroyed when none is left, or when an io_context is torn down with waiters still queued:
// then their handlers are destroyed without being called, as Asio does with its own operations.
rate_limiter::~rate_limiter() = default;

void rate_limiter::initiate_acquire(
    clock::time_point deadline, boost::asio::any_completion_handler<acquire_signature> handler) {
  auto& s = *state_;
  const std::uint64_t id = s.next_id.fetch_add(1, std::memory_order_relaxed);
  // Installed here, on the caller's thread, because the caller emits from there too: a slot
  // must not be used from two threads at once.
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected())
    slot.template emplace<state::cancel_handler>(weak_from_this(), id);
  auto work = asio::make_work_guard(asio::get_associated_executor(handler, s.executor));
  asio::dispatch(s.strand,
                 [self = shared_from_this(),
                  w = state::waiter{id, deadline, std::move(handler), std::move(work)}]() mutable {
                   self->state_->on_acquire(std::move(w));
                 });
}

void rate_limiter::observe_remaining(std::int64_t remaining) {
  asio::post(state_->strand, [self = shared_from_this(), remaining] {
    auto& s = *self->state_;
    if (s.shut_down)
      return;
    s.bucket.observe_remaining(remaining, clock::now());
    s.process();
  });
}

void rate_limiter::pause_for(std::chrono::milliseconds delay) {
  // The pause is measured from now, not from whenever the strand gets to it.
  const auto now = clock::now();
  const auto until = delay >= clock::time_point::max() - now
                         ? clock::time_point::max()
                         : now + std::max(delay, std::chrono::milliseconds::zero());
  asio::post(state_->strand, [self = shared_from_this(), until] {
    auto& s = *self->state_;
    if (s.shut_down)
      return;
    s.bucket.pause_until(until);
    s.process();
  });
}

void rate_limiter::shutdown() {
  asio::post(state_->strand, [self = shared_from_this()] { self->state_->shutdown(); });
}

} // namespace talkory::detail
