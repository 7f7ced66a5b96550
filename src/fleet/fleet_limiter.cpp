// The fleet-wide limiter: EVALSHA of the script on Redis (loaded once, reloaded on NOSCRIPT), a
// local timer for the reserved slot, and the local fallback or fail-closed when Redis is away.
#include "fleet/fleet_limiter.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_set>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <talkory/errors.hpp>

#include "completion.hpp"
#include "fleet/fleet_script.hpp"

namespace talkory::detail {

namespace asio = boost::asio;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

std::error_code code(errc e) {
  return make_error_code(e);
}

// The local limit that keeps `processes` processes under the fleet's limit without Redis. The
// window margin applies here too: without it a process's second burst, sent on warm connections,
// reaches the server less than a window after its first, slowed by TLS handshakes.
rate_limit_options fallback_options(rate_limit_options rate, const fleet_options& fleet) {
  const auto processes = std::max<std::size_t>(1, fleet.expected_processes);
  const auto share = [processes](std::size_t n) { return std::max<std::size_t>(1, n / processes); };
  rate.requests_per_window = share(rate.requests_per_window);
  rate.burst = share(rate.burst);
  rate.window += fleet.window_margin;
  return rate;
}

std::string ms_text(milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

} // namespace

struct fleet_limiter::state {
  // One acquisition: completed exactly once, by finish().
  struct op {
    std::optional<handler_type> handler;
    time_point deadline;
    asio::steady_timer timer;
    asio::cancellation_signal signal; // cancels the Redis command or the fallback wait under way
    bool done = false;
    bool reloaded = false; // NOSCRIPT already answered once
    op(const asio::strand<asio::any_io_executor>& s, time_point d) : deadline(d), timer(s) {}
  };
  using op_ptr = std::shared_ptr<op>;

  explicit state(parts p)
      : executor(p.executor), strand(asio::make_strand(p.executor)), rate(p.rate), fleet(p.fleet),
        keys(std::move(p.keys)), hub(std::move(p.hub)), counters(p.counters),
        period(std::chrono::duration_cast<microseconds>(
            std::chrono::duration<long double, std::micro>(
                static_cast<long double>(
                    std::chrono::duration_cast<microseconds>(rate.window).count()) *
                static_cast<long double>(rate.burst) /
                static_cast<long double>(std::max<std::size_t>(1, rate.requests_per_window))) +
            fleet.window_margin)),
        redis(redis_connection::create(
            p.executor,
            redis_connection_options{.address = p.address,
                                     .password = std::move(p.password),
                                     .connect_timeout = fleet.connect_timeout,
                                     .command_timeout = fleet.command_timeout,
                                     .initial_backoff = fleet.reconnect_backoff,
                                     .max_backoff = fleet.max_reconnect_backoff},
            std::move(p.random))),
        fallback(rate_limiter::create(p.executor, fallback_options(rate, fleet))) {}

  fleet_limiter* owner = nullptr;
  const asio::any_io_executor executor;
  const asio::strand<asio::any_io_executor> strand;
  const rate_limit_options rate;
  const fleet_options fleet;
  const fleet_keys keys;
  const std::shared_ptr<const event_hub> hub;
  stats_counters* const counters;
  const microseconds period; // how long a grant keeps its token, margin included
  const std::shared_ptr<redis_connection> redis;
  const std::shared_ptr<rate_limiter> fallback;
  std::atomic<bool> stopped{false};

  // On the strand.
  std::string sha;                // of the loaded script; empty until SCRIPT LOAD answered
  bool degraded = false;          // the last acquisition fell back (for the log's transitions)
  std::unordered_set<op*> active; // for shutdown
  std::vector<op_ptr> keep;       // owners of the active ops (a set of raw pointers above)

  mutable std::mutex reason_mutex;
  std::string reason; // why Redis was unavailable, last time

  template <class F>
  auto on_strand(const op_ptr& o, F f) {
    return asio::bind_cancellation_slot(
        o->signal.slot(), asio::bind_executor(strand, [self = owner->shared_from_this(), o,
                                                       f = std::move(f)](auto&&... args) mutable {
          if (!o->done)
            f(*self->state_, o, std::forward<decltype(args)>(args)...);
        }));
  }

  void finish(const op_ptr& o, std::error_code ec, bool waited) {
    if (o->done)
      return;
    o->done = true;
    o->timer.cancel();
    active.erase(o.get());
    std::erase(keep, o);
    complete_later(executor, std::move(*o->handler), ec, waited);
    o->handler.reset();
  }

  void start(const op_ptr& o) {
    if (o->done)
      return;
    if (stopped)
      return finish(o, code(errc::cancelled), false);
    active.insert(o.get());
    keep.push_back(o);
    evaluate(o);
  }

  std::vector<std::string> acquire_args(const op& o) const {
    const auto left = std::chrono::duration_cast<microseconds>(o.deadline - clock::now());
    // Strictly before the deadline: at the deadline itself the call has timed out.
    // fail_fast: a slot now or none, as the local limiter does.
    const auto max_wait = rate.mode == rate_limit_mode::fail_fast
                              ? microseconds::rep{0}
                              : std::max<microseconds::rep>(-1, left.count() - 1);
    return {"EVALSHA",
            sha,
            "2",
            keys.limit,
            keys.pause,
            "acquire",
            std::to_string(rate.burst),
            std::to_string(period.count()),
            std::to_string(max_wait)};
  }

  void evaluate(const op_ptr& o) {
    if (sha.empty())
      return load_script(o);
    redis->async_command(acquire_args(*o),
                         on_strand(o, [](state& s, const op_ptr& a, std::error_code ec,
                                         redis_reply reply) { s.on_reply(a, ec, reply); }));
  }

  void load_script(const op_ptr& o) {
    redis->async_command(
        {"SCRIPT", "LOAD", std::string(fleet_script)},
        on_strand(o, [](state& s, const op_ptr& a, std::error_code ec, redis_reply reply) {
          if (ec)
            return s.unavailable(a, ec);
          if (reply.type != redis_reply::kind::string)
            return s.unavailable(a, code(errc::fleet_unavailable),
                                 "SCRIPT LOAD answered: " + reply.text);
          s.sha = reply.text;
          s.evaluate(a);
        }));
  }

  void on_reply(const op_ptr& o, std::error_code ec, const redis_reply& reply) {
    if (ec)
      return unavailable(o, ec);
    if (reply.is_error() && reply.text.starts_with("NOSCRIPT") && !o->reloaded) {
      o->reloaded = true; // Redis restarted or flushed its scripts: load it again, once
      sha.clear();
      return load_script(o);
    }
    if (reply.type != redis_reply::kind::array || reply.elements.size() != 2 ||
        reply.elements[0].type != redis_reply::kind::integer ||
        reply.elements[1].type != redis_reply::kind::integer)
      return unavailable(o, code(errc::fleet_unavailable),
                         "the fleet script answered: " + (reply.text.empty()
                                                              ? std::string("an unexpected reply")
                                                              : reply.text));
    back_from_fallback();
    if (reply.elements[0].integer == 0) // no slot before the deadline: say so now
      return finish(o, code(errc::rate_limited), false);
    const microseconds wait(std::max<long long>(0, reply.elements[1].integer));
    if (wait.count() == 0)
      return finish(o, {}, false);
    o->timer.expires_after(wait);
    o->timer.async_wait(asio::bind_executor(
        strand, [self = owner->shared_from_this(), o](const boost::system::error_code& tec) {
          self->state_->finish(o, tec ? code(errc::cancelled) : std::error_code{}, true);
        }));
  }

  void unavailable(const op_ptr& o, std::error_code ec, std::string why = {}) {
    if (ec == errc::cancelled)
      return finish(o, ec, false);
    if (why.empty())
      why = redis->last_error();
    if (why.empty())
      why = "Redis did not answer";
    {
      std::lock_guard lock(reason_mutex);
      reason = why;
    }
    if (fleet.on_unavailable == fleet_unavailable_policy::fail)
      return finish(o, code(errc::fleet_unavailable), false);
    ++counters->fleet_fallbacks;
    if (!degraded) {
      degraded = true;
      if (hub) {
        const auto local = fallback_options(rate, fleet);
        hub->log_text(log_level::warning,
                      "fleet mode: Redis at " + fleet.redis_url + " is unavailable (" + why +
                          "): using the local limit of " +
                          std::to_string(local.requests_per_window) + " requests per " +
                          ms_text(rate.window) +
                          " (rate_limit / fleet.expected_processes) until it is back");
      }
    }
    fallback->async_acquire(o->deadline,
                            on_strand(o, [](state& s, const op_ptr& a, std::error_code fec,
                                            bool waited) { s.finish(a, fec, waited); }));
  }

  void back_from_fallback() {
    if (!degraded)
      return;
    degraded = false;
    if (hub)
      hub->log_text(log_level::warning, "fleet mode: Redis at " + fleet.redis_url +
                                            " answers again: the fleet-wide limit applies");
  }

  void cancel(const op_ptr& o) {
    if (o->done)
      return;
    o->signal.emit(asio::cancellation_type::terminal); // the Redis command or fallback wait
    finish(o, code(errc::cancelled), false);
  }

  void fire_and_forget(std::vector<std::string> args) {
    if (sha.empty() || stopped)
      return; // nothing was ever granted through Redis by this process: nothing to tell
    redis->async_command(std::move(args), [](std::error_code, redis_reply) {});
  }
};

std::shared_ptr<fleet_limiter> fleet_limiter::create(parts p) {
  return std::shared_ptr<fleet_limiter>(new fleet_limiter(std::make_unique<state>(std::move(p))));
}

fleet_limiter::fleet_limiter(std::unique_ptr<state> s) : state_(std::move(s)) {
  state_->owner = this;
}

fleet_limiter::~fleet_limiter() {
  state_->redis->close();
}

const asio::any_io_executor& fleet_limiter::executor() const noexcept {
  return state_->executor;
}

void fleet_limiter::initiate_acquire(time_point deadline, handler_type handler) {
  auto& s = *state_;
  auto o = std::make_shared<state::op>(s.strand, deadline);
  // The caller's slot, on the caller's thread (where it emits); the cancellation hops to the
  // strand. Weak: the slot lives in the caller's frame, which the op's handler may own.
  auto slot = asio::get_associated_cancellation_slot(handler);
  o->handler.emplace(std::move(handler));
  auto self = shared_from_this();
  if (slot.is_connected())
    slot.assign([weak_self = std::weak_ptr<fleet_limiter>(self),
                 weak = std::weak_ptr<state::op>(o)](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none)
        return;
      if (auto l = weak_self.lock())
        asio::post(l->state_->strand, [l, weak] {
          if (auto pending = weak.lock())
            l->state_->cancel(pending);
        });
    });
  asio::post(s.strand, [self = std::move(self), o = std::move(o)] { self->state_->start(o); });
}

void fleet_limiter::observe_remaining(std::int64_t remaining) {
  state_->fallback->observe_remaining(remaining);
  // The server's own word that the window is spent (another client of the key, or clocks that
  // disagree): the whole fleet waits a window, as the local limiter does.
  if (remaining == 0)
    pause_for(std::chrono::duration_cast<milliseconds>(state_->rate.window));
}

void fleet_limiter::pause_for(milliseconds delay) {
  auto& s = *state_;
  s.fallback->pause_for(delay);
  if (delay <= milliseconds::zero())
    return;
  asio::post(s.strand, [self = shared_from_this(), delay] {
    auto& st = *self->state_;
    st.fire_and_forget({"EVALSHA", st.sha, "2", st.keys.limit, st.keys.pause, "pause",
                        std::to_string(delay.count())});
  });
}

void fleet_limiter::shutdown() {
  auto& s = *state_;
  if (s.stopped.exchange(true))
    return;
  s.fallback->shutdown();
  asio::post(s.strand, [self = shared_from_this()] {
    auto& st = *self->state_;
    for (auto o : std::vector<state::op_ptr>(st.keep))
      st.cancel(o);
    st.redis->close();
  });
}

std::string fleet_limiter::unavailable_reason() const {
  std::lock_guard lock(state_->reason_mutex);
  return state_->reason;
}

} // namespace talkory::detail
