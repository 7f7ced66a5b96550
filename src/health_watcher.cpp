// health_watcher: the poll loop (a coroutine on a strand of the client's executor), the readers
// waiting in next(), and the last good report behind a mutex. Built on the public client API only.
#include <talkory/watch.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client_errors.hpp"
#include "completion.hpp"
#include "event_buffer.hpp"
#include "poll_schedule.hpp"
#include "waiter_queue.hpp"
#include "watch_state.hpp"

namespace talkory {
namespace detail {

namespace asio = boost::asio;

namespace {

observed_time now_utc() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

health_event stopped_event(const api_error& reason) {
  health_event event;
  event.kind = health_event::kind::error;
  event.observed_at = now_utc();
  event.error = reason;
  return event;
}

api_error stopped_by(std::string message) {
  return client_error(errc::cancelled, std::move(message));
}

std::function<double()> default_random() {
  return [engine = std::mt19937_64{std::random_device{}()}]() mutable {
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

} // namespace

class watcher_impl : public std::enable_shared_from_this<watcher_impl> {
public:
  using handler_type = asio::any_completion_handler<health_watcher::event_signature>;

  watcher_impl(client c, watch_options options)
      : client_(std::move(c)), options_(std::move(options)), executor_(client_.get_executor()),
        strand_(asio::make_strand(executor_)), timer_(strand_), state_(options_.confirmations),
        buffer_(options_.max_pending_events),
        schedule_(options_.interval, options_.jitter, options_.max_backoff),
        random_(options_.random ? std::move(options_.random) : default_random()),
        readers_(strand_, [this](handler_type h, detail::leave_reason) {
          // A reader cancelled through its slot, or every reader when the watcher stops.
          complete(std::move(h),
                   stopped_event(stopped_ ? stop_reason_
                                          : stopped_by("this next() was cancelled")));
        }) {
    options_error_ = options_.validate();
    if (!options_error_ && client_.options_error()) {
      options_error_ = client_.options_error();
    }
    if (options_error_) {
      stopped_ = true;
      stop_reason_ = *options_error_;
    }
  }

  void start() {
    if (stopped_) {
      return;
    }
    asio::co_spawn(strand_, run(shared_from_this()), [](std::exception_ptr) {
      // run() handles every failure it can expect; an escaped exception (bad_alloc) just ends
      // the loop rather than the caller's event loop.
    });
  }

  // From any thread: registers a reader, served on the strand. Cancelling a next() (any type)
  // has no side effect on the watcher: the reader just leaves the queue.
  static void next(std::shared_ptr<watcher_impl> self, handler_type handler) {
    auto queue = std::shared_ptr<reader_queue>(self, &self->readers_);
    auto w = self->readers_.make_waiter(queue, std::move(handler));
    auto& strand = self->strand_;
    asio::dispatch(strand, [self = std::move(self), w = std::move(w)]() mutable {
      self->add_reader(std::move(w));
    });
  }

  void cancel() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stop(stopped_by("the health_watcher was cancelled or destroyed"));
    });
  }

  std::optional<latest_health> latest() const {
    std::lock_guard lock{latest_mutex_};
    return latest_;
  }

  const std::optional<api_error>& options_error() const noexcept { return options_error_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

private:
  using reader_queue = waiter_queue<health_watcher::event_signature>;

  asio::awaitable<void> run(std::shared_ptr<watcher_impl> self) {
    (void)self; // keeps the state alive as long as the loop runs
    for (;;) {
      auto polled = co_await client_.async_health(
          options_.poll, asio::bind_cancellation_slot(poll_cancel_.slot(), asio::use_awaitable));
      if (stopped_) {
        co_return;
      }
      const auto observed_at = now_utc();
      std::chrono::milliseconds pause{};
      if (polled) {
        {
          std::lock_guard lock{latest_mutex_};
          latest_ = latest_health{*polled, observed_at};
        }
        if (auto event = state_.on_report(std::move(*polled), observed_at)) {
          deliver(std::move(*event));
        }
        pause = schedule_.after_success(random_());
      } else if (polled.error().code == errc::cancelled) {
        // Only the client's shutdown or destruction cancels a poll we did not cancel ourselves.
        stop(std::move(polled.error()));
        co_return;
      } else {
        const auto retry_after = polled.error().retry_after;
        deliver(state_.on_error(std::move(polled.error()), observed_at));
        pause = schedule_.after_error(random_(), retry_after);
      }
      timer_.expires_after(pause);
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopped_) {
        co_return;
      }
    }
  }

  // On the strand from here on.

  void add_reader(reader_queue::waiter w) {
    if (stopped_) {
      complete(w.take(), stopped_event(stop_reason_));
    } else if (auto event = buffer_.pop()) {
      complete(w.take(), std::move(*event));
    } else {
      readers_.push(std::move(w), reader_queue::time_point::max());
    }
  }

  void deliver(health_event event) {
    if (auto reader = readers_.pop()) {
      complete(std::move(*reader), std::move(event));
    } else {
      buffer_.push(std::move(event));
    }
  }

  void stop(api_error reason) {
    if (stopped_) {
      return;
    }
    stopped_ = true;
    stop_reason_ = std::move(reason);
    poll_cancel_.emit(asio::cancellation_type::terminal);
    timer_.cancel();
    buffer_.clear();
    readers_.cancel_all(); // each completes with stop_reason_ (see the queue's leave function)
  }

  // Exactly once, on the handler's executor, never inside the initiating call.
  void complete(handler_type handler, health_event event) {
    complete_later(executor_, std::move(handler), std::move(event));
  }

  client client_;
  watch_options options_;
  asio::any_io_executor executor_;
  asio::strand<asio::any_io_executor> strand_;
  asio::steady_timer timer_;
  asio::cancellation_signal poll_cancel_;
  watch_state state_;
  event_buffer buffer_;
  poll_schedule schedule_;
  std::function<double()> random_;
  std::optional<api_error> options_error_;
  bool stopped_ = false;
  api_error stop_reason_;
  reader_queue readers_; // on the strand; declared after what its leave function reads

  mutable std::mutex latest_mutex_;
  std::optional<latest_health> latest_;
};

} // namespace detail

health_watcher::health_watcher(client c, watch_options options)
    : impl_(std::make_shared<detail::watcher_impl>(std::move(c), std::move(options))) {
  impl_->start();
}

health_watcher::~health_watcher() {
  cancel();
}

health_watcher& health_watcher::operator=(health_watcher&& other) noexcept {
  if (this != &other) {
    cancel();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

boost::asio::awaitable<health_event> health_watcher::next() {
  return async_next(boost::asio::use_awaitable);
}

std::optional<latest_health> health_watcher::latest() const {
  return impl_ ? impl_->latest() : std::nullopt;
}

void health_watcher::cancel() {
  if (impl_) {
    impl_->cancel();
  }
}

const std::optional<api_error>& health_watcher::options_error() const noexcept {
  static const std::optional<api_error> none;
  return impl_ ? impl_->options_error() : none;
}

boost::asio::any_io_executor health_watcher::get_executor() const noexcept {
  return impl_ ? impl_->executor() : boost::asio::any_io_executor{};
}

void health_watcher::start_next(std::shared_ptr<detail::watcher_impl> impl,
                                boost::asio::any_completion_handler<event_signature> handler) {
  if (!impl) {
    // A moved-from watcher: nothing to wait for.
    auto event =
        detail::stopped_event(detail::stopped_by("this health_watcher was moved from"));
    // No client executor to go through: the system executor gives the fresh turn.
    detail::complete_later(boost::asio::any_io_executor(boost::asio::system_executor()),
                           std::move(handler), std::move(event));
    return;
  }
  detail::watcher_impl::next(std::move(impl), std::move(handler));
}

} // namespace talkory
