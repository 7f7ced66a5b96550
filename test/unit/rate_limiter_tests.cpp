// The async rate limiter on a manual clock: time moves only when a test advances it, so every
// window and deadline is asserted to the instant, and no test sleeps or waits on wall time.
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>

#include "rate_limiter_impl.hpp"
#include "serial_executor.hpp"
#include "unit/manual_timer.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using talkory::errc;
using talkory::rate_limit_mode;
using talkory::rate_limit_options;
using talkory::detail::rate_limiter;
using talkory::test::manual_clock;
using talkory::test::manual_timer;
using limiter_type = talkory::detail::basic_rate_limiter<manual_timer>;
using time_point = limiter_type::time_point;

namespace {

const auto no_deadline = time_point::max();

rate_limit_options limit(std::size_t burst, std::size_t per_window, milliseconds window,
                         rate_limit_mode mode = rate_limit_mode::wait) {
  rate_limit_options options;
  options.burst = burst;
  options.requests_per_window = per_window;
  options.window = window;
  options.mode = mode;
  return options;
}

rate_limit_options disabled_limit() {
  auto options = limit(1, 1, 60s);
  options.enabled = false;
  return options;
}

// A limiter on the manual clock of `ioc`; `reads`, when given, counts the clock's readings.
std::shared_ptr<limiter_type> make_limiter(asio::io_context& ioc, const rate_limit_options& o,
                                           std::atomic<std::size_t>* reads = nullptr) {
  return limiter_type::create(ioc.get_executor(), o, [&clock = manual_clock(ioc), reads] {
    if (reads)
      ++*reads;
    return clock.now();
  });
}

// Runs every handler that is ready at the current manual time, never waiting for anything;
// returns how many ran.
std::size_t settle(asio::io_context& ioc) {
  std::size_t total = 0;
  for (;;) {
    ioc.restart();
    const auto n = ioc.poll();
    if (n == 0)
      return total;
    total += n;
  }
}

// The same over several contexts whose handlers feed each other, until none has anything ready.
void settle_all(std::initializer_list<asio::io_context*> contexts) {
  for (bool progress = true; progress;) {
    progress = false;
    for (auto* ioc : contexts)
      progress = settle(*ioc) > 0 || progress;
  }
}

void elapse(asio::io_context& ioc, std::chrono::nanoseconds by) {
  manual_clock(ioc).advance(by);
  settle(ioc);
}

time_point now(asio::io_context& ioc) {
  return manual_clock(ioc).now();
}

struct outcome {
  int calls = 0;
  std::error_code ec;
  bool waited = false;
};

auto record(outcome& o) {
  return [&o](std::error_code ec, bool waited) {
    ++o.calls;
    o.ec = ec;
    o.waited = waited;
  };
}

bool pending(const outcome& o) {
  return o.calls == 0;
}
bool granted(const outcome& o) {
  return o.calls == 1 && !o.ec;
}
bool failed_with(const outcome& o, errc code) {
  return o.calls == 1 && o.ec == code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter_tests)

BOOST_AUTO_TEST_CASE(burst_is_granted_at_once) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(3, 3, 60s));
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(no_deadline, record(each));
  settle(ioc); // the clock never moves
  for (const auto& each : o) {
    BOOST_TEST(granted(each));
    BOOST_TEST(!each.waited);
  }
  BOOST_TEST(manual_clock(ioc).pending() == 0u); // and no timer was armed for anyone
}

BOOST_AUTO_TEST_CASE(handler_never_runs_inside_the_initiating_call) {
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  auto limiter = make_limiter(ioc, limit(1, 1, 60s));
  auto refusing = make_limiter(ioc, limit(0, 1, 60s, rate_limit_mode::fail_fast));
  auto disabled = make_limiter(ioc, disabled_limit());
  auto stopped = make_limiter(ioc, limit(1, 1, 60s));
  stopped->shutdown();

  int completions = 0;
  int on_strand = 0;
  auto handler = [&](std::error_code, bool) {
    ++completions;
    on_strand += strand.running_in_this_thread() ? 1 : 0;
  };
  // Initiated from inside the context, where a dispatch could run inline: granted, refused,
  // disabled and shut down must all complete later, on the handler's own executor.
  asio::post(ioc, [&] {
    for (const auto& l : {limiter, refusing, disabled, stopped}) {
      l->async_acquire(no_deadline, asio::bind_executor(strand, handler));
      BOOST_TEST(completions == 0);
    }
  });
  settle(ioc);
  BOOST_TEST(completions == 4);
  BOOST_TEST(on_strand == 4);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_fifo_order) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 20ms));
  std::vector<int> order;
  std::vector<bool> waited;
  for (int i = 0; i < 5; ++i)
    limiter->async_acquire(no_deadline, [&, i](std::error_code ec, bool w) {
      BOOST_TEST(!ec);
      order.push_back(i);
      waited.push_back(w);
    });
  settle(ioc);
  BOOST_TEST(order == (std::vector<int>{0}), boost::test_tools::per_element());
  // One token up front, then exactly one per 20 ms, never a nanosecond early.
  for (int i = 1; i < 5; ++i) {
    elapse(ioc, 20ms - 1ns);
    BOOST_TEST(order.size() == static_cast<std::size_t>(i));
    elapse(ioc, 1ns);
    BOOST_TEST(order.size() == static_cast<std::size_t>(i + 1));
  }
  BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(waited == (std::vector<bool>{false, true, true, true, true}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_waiter_is_granted_after_the_refill) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 50ms));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(now(ioc) + 5s, record(second));
  settle(ioc);
  BOOST_TEST(granted(first));
  BOOST_TEST(!first.waited);
  BOOST_TEST(pending(second));
  elapse(ioc, 49ms);
  BOOST_TEST(pending(second)); // nothing at 49 ms...
  elapse(ioc, 1ms);
  BOOST_TEST(granted(second)); // ...granted at 50 ms
  BOOST_TEST(second.waited);
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_deadline_shorter_than_the_wait_fails_at_once) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 60s));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  // The next token comes in 60 s: refused without the clock moving at all.
  limiter->async_acquire(now(ioc) + 30s, record(second));
  settle(ioc);
  BOOST_TEST(granted(first));
  BOOST_TEST(failed_with(second, errc::rate_limited));
  BOOST_TEST(!second.waited);
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_waiter_is_queued_only_if_it_can_be_granted_strictly_before_its_deadline) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  outcome first, at_the_deadline, just_in_time;
  limiter->async_acquire(no_deadline, record(first));
  const auto token_at = now(ioc) + 100ms;
  // At its deadline its own timer ends a waiter, so a token due exactly then is refused now.
  limiter->async_acquire(token_at, record(at_the_deadline));
  limiter->async_acquire(token_at + 1ns, record(just_in_time));
  settle(ioc);
  BOOST_TEST(failed_with(at_the_deadline, errc::rate_limited));
  BOOST_TEST(!at_the_deadline.waited);
  BOOST_TEST(pending(just_in_time));
  elapse(ioc, 100ms);
  BOOST_TEST(granted(just_in_time));
  elapse(ioc, 1h); // its deadline timer was cancelled with the grant: no second completion
  BOOST_TEST(just_in_time.calls == 1);
}

BOOST_AUTO_TEST_CASE(a_waiter_whose_deadline_passes_while_the_loop_runs_late_fails) {
  // The context gets to the limiter only after the waiters' deadlines (a stalled event loop,
  // here a clock jump): the first waiter's token was due in time, the second's deadline timer
  // ends it with rate_limited, the one without a deadline is served next.
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 10ms));
  outcome first, in_time, late, patient;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(now(ioc) + 15ms, record(in_time)); // its token: at 10 ms
  limiter->async_acquire(now(ioc) + 25ms, record(late));    // its token: at 20 ms
  limiter->async_acquire(no_deadline, record(patient));
  settle(ioc);
  BOOST_TEST(granted(first));
  BOOST_TEST(pending(in_time));
  BOOST_TEST(pending(late));
  elapse(ioc, 100ms);
  BOOST_TEST(granted(in_time));
  BOOST_TEST(failed_with(late, errc::rate_limited));
  BOOST_TEST(late.waited);
  BOOST_TEST(pending(patient));
  elapse(ioc, 10ms - 1ns);
  BOOST_TEST(pending(patient));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(patient));
}

BOOST_AUTO_TEST_CASE(fail_fast_refuses_at_once_without_a_free_token) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(2, 2, 60s, rate_limit_mode::fail_fast));
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(no_deadline, record(each));
  settle(ioc);
  BOOST_TEST(granted(o[0]));
  BOOST_TEST(granted(o[1]));
  BOOST_TEST(failed_with(o[2], errc::rate_limited));
  BOOST_TEST(!o[2].waited);
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_completes_once_and_takes_no_token) {
  for (const auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                          asio::cancellation_type::total}) {
    BOOST_TEST_CONTEXT("cancellation type " << static_cast<int>(type)) {
      asio::cancellation_signal signal; // outlives the context, as a caller's signal must
      asio::io_context ioc;
      constexpr auto window = 400ms;
      auto limiter = make_limiter(ioc, limit(1, 1, window));
      outcome first, cancelled, later, too_late;
      limiter->async_acquire(no_deadline, record(first));
      limiter->async_acquire(
          no_deadline, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, bool w) {
            record(cancelled)(ec, w);
            // The next token is one window away. If the cancelled waiter were still queued,
            // `later` would be second in line and could not make this deadline; if cancelling
            // had handed a token back, `later` would not wait and `too_late` would fit.
            const auto deadline = now(ioc) + window * 3 / 2;
            limiter->async_acquire(deadline, record(later));
            limiter->async_acquire(deadline, record(too_late));
          }));
      asio::post(ioc, [&] { signal.emit(type); });
      settle(ioc);
      BOOST_TEST(granted(first));
      BOOST_TEST(failed_with(cancelled, errc::cancelled));
      BOOST_TEST(cancelled.waited);
      BOOST_TEST(failed_with(too_late, errc::rate_limited));
      BOOST_TEST(pending(later));
      elapse(ioc, window - 1ns);
      BOOST_TEST(pending(later));
      elapse(ioc, 1ns);
      BOOST_TEST(granted(later));
      BOOST_TEST(later.waited);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_takes_no_token_the_next_gets_it_at_the_same_instant) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  outcome first, cancelled, next;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline,
                         asio::bind_cancellation_slot(signal.slot(), record(cancelled)));
  limiter->async_acquire(no_deadline, record(next));
  settle(ioc);
  elapse(ioc, 40ms);
  signal.emit(asio::cancellation_type::terminal);
  settle(ioc);
  BOOST_TEST(failed_with(cancelled, errc::cancelled));
  BOOST_TEST(pending(next));
  // The token the cancelled waiter was due at 100 ms goes to the next one then, not at 200 ms.
  elapse(ioc, 60ms - 1ns);
  BOOST_TEST(pending(next));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(next));
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(cancellation_after_the_grant_changes_nothing) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 60s));
  outcome o;
  limiter->async_acquire(no_deadline, asio::bind_cancellation_slot(signal.slot(), record(o)));
  settle(ioc);
  BOOST_TEST(granted(o));
  signal.emit(asio::cancellation_type::terminal);
  settle(ioc);
  BOOST_TEST(o.calls == 1);
}

BOOST_AUTO_TEST_CASE(cancellation_type_none_is_ignored) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 50ms));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline, asio::bind_cancellation_slot(signal.slot(), record(second)));
  asio::post(ioc, [&] { signal.emit(asio::cancellation_type::none); });
  settle(ioc);
  BOOST_TEST(pending(second));
  elapse(ioc, 50ms);
  BOOST_TEST(granted(second));
}

BOOST_AUTO_TEST_CASE(pause_for_delays_everyone) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(3, 3, 60s));
  limiter->pause_for(300ms);
  std::vector<int> order;
  std::array<outcome, 3> patient;
  outcome hasty;
  for (int i = 0; i < 3; ++i)
    limiter->async_acquire(no_deadline, [&, i](std::error_code ec, bool w) {
      record(patient[i])(ec, w);
      order.push_back(i);
    });
  // Shorter than the pause: refused at once, before anyone else completes.
  limiter->async_acquire(now(ioc) + 50ms, [&](std::error_code ec, bool w) {
    record(hasty)(ec, w);
    order.push_back(-1);
  });
  settle(ioc);
  BOOST_TEST(failed_with(hasty, errc::rate_limited));
  elapse(ioc, 300ms - 1ns);
  BOOST_TEST(order == (std::vector<int>{-1}), boost::test_tools::per_element());
  elapse(ioc, 1ns);
  for (const auto& each : patient) {
    BOOST_TEST(granted(each));
    BOOST_TEST(each.waited);
  }
  BOOST_TEST(order == (std::vector<int>{-1, 0, 1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pause_for_is_measured_from_the_call_not_from_when_the_strand_runs) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 1ms));
  limiter->pause_for(100ms);
  manual_clock(ioc).advance(30ms); // the strand has not run the pause yet
  outcome o;
  limiter->async_acquire(no_deadline, record(o));
  settle(ioc);
  elapse(ioc, 70ms - 1ns);
  BOOST_TEST(pending(o));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(o));
}

BOOST_AUTO_TEST_CASE(an_endless_pause_saturates_and_refuses_everyone_at_once) {
  // milliseconds::max() does not fit the clock's nanoseconds: it must mean "never", not wrap.
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  outcome queued, later;
  limiter->async_acquire(no_deadline, record(queued));
  limiter->pause_for(milliseconds::max());
  settle(ioc);
  BOOST_TEST(granted(queued)); // initiated before the pause reached the strand
  limiter->async_acquire(no_deadline, record(later));
  settle(ioc);
  BOOST_TEST(failed_with(later, errc::rate_limited)); // no token will ever come
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_pause_past_a_queued_deadline_fails_that_waiter_at_once) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  outcome first, queued, patient;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(now(ioc) + 5s, record(queued));
  limiter->async_acquire(no_deadline, record(patient));
  limiter->pause_for(60s); // a 429's Retry-After arrives while both wait
  settle(ioc);             // without the clock moving
  BOOST_TEST(granted(first));
  BOOST_TEST(failed_with(queued, errc::rate_limited));
  BOOST_TEST(queued.waited);
  BOOST_TEST(pending(patient));
  elapse(ioc, 60s - 1ns);
  BOOST_TEST(pending(patient));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(patient));
}

BOOST_AUTO_TEST_CASE(a_pause_fails_exactly_the_queued_waiters_it_pushes_past_their_deadline) {
  // One token per 100 ms; waiter k (1-based) is due at k * 100 ms. A 300 ms pause moves the
  // head to 300 ms and each next one 100 ms later, counted among the waiters that stay.
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  const auto t0 = now(ioc);
  outcome first;
  limiter->async_acquire(no_deadline, record(first));
  const std::array<time_point, 6> deadlines{t0 + 150ms, t0 + 1s,     t0 + 350ms,
                                            t0 + 2s,    no_deadline, t0 + 650ms};
  std::array<outcome, 6> w;
  for (std::size_t i = 0; i < w.size(); ++i)
    limiter->async_acquire(deadlines[i], record(w[i]));
  settle(ioc);
  for (const auto& each : w)
    BOOST_TEST(pending(each)); // all in time before the pause
  limiter->pause_for(300ms);
  settle(ioc);
  // w[0] (due at 300 ms now) and w[2] (400 ms) cannot make it; w[5] stays, fourth in line at
  // 600 ms < 650 ms, which it could not if the positions of the failed ones still counted.
  BOOST_TEST(failed_with(w[0], errc::rate_limited));
  BOOST_TEST(failed_with(w[2], errc::rate_limited));
  for (std::size_t i : {1, 3, 4, 5})
    BOOST_TEST(pending(w[i]), "waiter " << i);
  const std::array<std::size_t, 4> served{1, 3, 4, 5};
  elapse(ioc, 300ms - 1ns);
  for (std::size_t k = 0; k < served.size(); ++k) {
    BOOST_TEST(pending(w[served[k]]), "waiter " << served[k]);
    elapse(ioc, 1ns);
    BOOST_TEST(granted(w[served[k]]), "waiter " << served[k]);
    elapse(ioc, 100ms - 1ns);
  }
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(remaining_zero_drains_the_bucket_for_a_window) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(5, 5, 60s));
  limiter->observe_remaining(0);
  outcome o, patient;
  limiter->async_acquire(now(ioc) + 5s, record(o));
  limiter->async_acquire(no_deadline, record(patient));
  settle(ioc);
  BOOST_TEST(failed_with(o, errc::rate_limited));
  elapse(ioc, 60s - 1ns);
  BOOST_TEST(pending(patient));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(patient));
}

BOOST_AUTO_TEST_CASE(remaining_caps_the_free_tokens) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(5, 5, 60s));
  limiter->observe_remaining(2);
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(now(ioc) + 5s, record(each));
  settle(ioc);
  BOOST_TEST(granted(o[0]));
  BOOST_TEST(granted(o[1]));
  BOOST_TEST(failed_with(o[2], errc::rate_limited)); // the next token is 60 s away
}

BOOST_AUTO_TEST_CASE(remaining_at_or_above_the_burst_stays_off_the_strand) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(5, 5, 60s));
  limiter->observe_remaining(5);
  limiter->observe_remaining(1000000000);
  BOOST_TEST(settle(ioc) == 0u); // nothing was posted: such a figure cannot change the bucket
  limiter->observe_remaining(4);
  BOOST_TEST(settle(ioc) == 1u); // one below the burst still goes to the strand
  std::array<outcome, 5> o;
  for (auto& each : o)
    limiter->async_acquire(now(ioc) + 5s, record(each));
  settle(ioc);
  for (std::size_t i = 0; i < 4; ++i)
    BOOST_TEST(granted(o[i]));
  BOOST_TEST(failed_with(o[4], errc::rate_limited)); // 4 left, as the server said
}

BOOST_AUTO_TEST_CASE(remaining_zero_fails_the_queued_waiters_it_pushes_past_their_deadline) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(2, 2, 100ms));
  outcome a, b, hopeful, patient;
  limiter->async_acquire(no_deadline, record(a));
  limiter->async_acquire(no_deadline, record(b));
  limiter->async_acquire(now(ioc) + 150ms, record(hopeful)); // due at 100 ms
  limiter->async_acquire(no_deadline, record(patient));
  settle(ioc);
  elapse(ioc, 60ms);
  BOOST_TEST(pending(hopeful));
  limiter->observe_remaining(5); // more than we hold: changes nothing, fails nobody
  settle(ioc);
  BOOST_TEST(pending(hopeful));
  // The server's window is spent: nothing for one window from now, 160 ms, past 150 ms.
  limiter->observe_remaining(0);
  settle(ioc);
  BOOST_TEST(failed_with(hopeful, errc::rate_limited));
  BOOST_TEST(hopeful.waited);
  BOOST_TEST(pending(patient));
  elapse(ioc, 100ms - 1ns);
  BOOST_TEST(pending(patient));
  elapse(ioc, 1ns);
  BOOST_TEST(granted(patient));
}

BOOST_AUTO_TEST_CASE(shutdown_fails_every_waiter_and_every_later_acquire) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 60s));
  outcome first, late;
  std::array<outcome, 3> queued;
  limiter->async_acquire(no_deadline, record(first));
  for (auto& each : queued)
    limiter->async_acquire(now(ioc) + 1h, record(each));
  settle(ioc);
  limiter->shutdown();
  limiter->async_acquire(no_deadline, record(late));
  settle(ioc);
  BOOST_TEST(granted(first));
  for (const auto& each : queued) {
    BOOST_TEST(failed_with(each, errc::cancelled));
    BOOST_TEST(each.waited);
  }
  BOOST_TEST(failed_with(late, errc::cancelled));
  BOOST_TEST(!late.waited);
  // The grant timer and the deadlines are cancelled too: nothing keeps the context busy.
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
  BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(a_disabled_limiter_grants_everything_at_once) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, disabled_limit());
  limiter->pause_for(60s);
  limiter->observe_remaining(0);
  std::array<outcome, 10> o;
  for (auto& each : o)
    limiter->async_acquire(now(ioc), record(each));
  settle(ioc);
  for (const auto& each : o) {
    BOOST_TEST(granted(each));
    BOOST_TEST(!each.waited);
  }
  limiter->shutdown();
  outcome late;
  limiter->async_acquire(no_deadline, record(late));
  settle(ioc);
  BOOST_TEST(failed_with(late, errc::cancelled));
}

BOOST_AUTO_TEST_CASE(a_disabled_limiter_completes_without_the_strand_and_never_inline) {
  // The library's own limiter. Each acquire costs exactly one handler on the context (the post
  // out of the initiating call); a hop through the strand would cost a second one.
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), disabled_limit());
  constexpr std::size_t n = 10;
  std::array<outcome, n> o;
  for (auto& each : o) {
    limiter->async_acquire(rate_limiter::time_point::max(), record(each));
    BOOST_TEST(pending(each));
  }
  BOOST_TEST(settle(ioc) == n);
  for (const auto& each : o)
    BOOST_TEST(granted(each));
  // From inside the context too, where a dispatch could run inline.
  int completions = 0;
  asio::post(ioc, [&] {
    for (std::size_t i = 0; i < n; ++i) {
      limiter->async_acquire(rate_limiter::time_point::max(),
                             [&](std::error_code, bool) { ++completions; });
      BOOST_TEST(completions == 0);
    }
  });
  BOOST_TEST(settle(ioc) == n + 1);
  BOOST_TEST(completions == static_cast<int>(n));
}

BOOST_AUTO_TEST_CASE(fifo_order_holds_across_100_waiters) {
  // Four tokens per 40 ms: the first four at once, then four at each 40 ms, always in the
  // order of arrival, never early.
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(4, 4, 40ms));
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    limiter->async_acquire(no_deadline, [&, i](std::error_code ec, bool) {
      BOOST_TEST(!ec);
      order.push_back(i);
    });
  settle(ioc);
  BOOST_TEST(order.size() == 4u);
  for (std::size_t round = 1; round < 25; ++round) {
    elapse(ioc, 40ms - 1ns);
    BOOST_TEST_REQUIRE(order.size() == 4 * round);
    elapse(ioc, 1ns);
    BOOST_TEST_REQUIRE(order.size() == 4 * (round + 1));
  }
  for (int i = 0; i < 100; ++i)
    BOOST_TEST_REQUIRE(order[static_cast<std::size_t>(i)] == i);
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_AUTO_TEST_CASE(ten_thousand_queued_waiters_cancelled_at_once_each_complete_exactly_once) {
  asio::io_context ioc;
  std::atomic<std::size_t> clock_reads{0};
  auto limiter = make_limiter(ioc, limit(1, 1, 60s), &clock_reads);
  constexpr std::size_t n = 10'000;
  outcome first;
  limiter->async_acquire(no_deadline, record(first));
  std::vector<asio::cancellation_signal> signals(n);
  std::vector<outcome> o(n);
  for (std::size_t i = 0; i < n; ++i)
    limiter->async_acquire(no_deadline,
                           asio::bind_cancellation_slot(signals[i].slot(), record(o[i])));
  settle(ioc);
  BOOST_TEST(granted(first));
  const auto reads_before = clock_reads.load();
  for (auto& s : signals)
    s.emit(asio::cancellation_type::terminal);
  settle(ioc);
  std::size_t cancelled_once = 0;
  for (const auto& each : o)
    cancelled_once += failed_with(each, errc::cancelled) && each.waited ? 1 : 0;
  BOOST_TEST(cancelled_once == n);
  // A cancellation rescans nobody (that was O(N) each, O(N^2) in all): it does not even look at
  // the clock.
  BOOST_TEST(clock_reads.load() == reads_before);
  // The queue emptied, so the grant timer was disarmed along with every deadline.
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
  elapse(ioc, 1h);
  for (const auto& each : o)
    BOOST_TEST_REQUIRE(each.calls == 1);
}

BOOST_AUTO_TEST_CASE(a_handler_bound_to_another_context_keeps_it_running_while_queued) {
  asio::io_context ioc;
  asio::io_context other;
  auto limiter = make_limiter(ioc, limit(1, 1, 100ms));
  outcome first, queued;
  bool ran_in_other = false;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline, asio::bind_executor(other, [&](std::error_code ec, bool w) {
                           record(queued)(ec, w);
                           ran_in_other = other.get_executor().running_in_this_thread();
                         }));
  settle(ioc);
  // A caller's other.run() must not return while its operation is pending in our queue.
  other.poll();
  BOOST_TEST(!other.stopped());
  elapse(ioc, 100ms);
  BOOST_TEST(pending(queued)); // dispatched to `other`, which has not run yet
  other.restart();
  other.poll();
  BOOST_TEST(granted(queued));
  BOOST_TEST(ran_in_other);
  BOOST_TEST(other.stopped()); // and nothing holds it afterwards
}

BOOST_AUTO_TEST_CASE(a_coroutine_on_another_context_resumes_on_its_own_strand) {
  // The client's use: co_await with as_tuple from a per-call strand, here on another
  // io_context than the limiter's.
  asio::io_context limiter_ioc;
  auto limiter = make_limiter(limiter_ioc, limit(1, 1, 20ms));
  asio::io_context caller_ioc;
  auto strand = asio::make_strand(caller_ioc);
  std::vector<std::error_code> results;
  std::vector<bool> waited;
  int resumed_on_strand = 0;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
          auto [ec, w] = co_await limiter->async_acquire(now(limiter_ioc) + 5s,
                                                         asio::as_tuple(asio::use_awaitable));
          results.push_back(ec);
          waited.push_back(w);
          resumed_on_strand += strand.running_in_this_thread() ? 1 : 0;
        }
      },
      asio::detached);
  settle_all({&caller_ioc, &limiter_ioc});
  BOOST_TEST_REQUIRE(results.size() == 1u);
  manual_clock(limiter_ioc).advance(20ms);
  settle_all({&caller_ioc, &limiter_ioc});
  BOOST_TEST_REQUIRE(results.size() == 2u);
  BOOST_TEST(!results[0]);
  BOOST_TEST(!results[1]);
  BOOST_TEST(waited == (std::vector<bool>{false, true}), boost::test_tools::per_element());
  BOOST_TEST(resumed_on_strand == 2);
  BOOST_TEST(caller_ioc.stopped());
}

BOOST_AUTO_TEST_CASE(a_waiting_coroutine_is_cancelled_terminally) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 60s));
  std::optional<std::error_code> result;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await limiter->async_acquire(no_deadline, asio::as_tuple(asio::use_awaitable));
        auto [ec, w] =
            co_await limiter->async_acquire(no_deadline, asio::as_tuple(asio::use_awaitable));
        result = ec;
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  settle(ioc);
  BOOST_TEST(!result.has_value()); // parked in the queue
  signal.emit(asio::cancellation_type::terminal);
  settle(ioc);
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST((*result == errc::cancelled));
}

BOOST_AUTO_TEST_CASE(a_pending_waiter_keeps_the_limiter_alive) {
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(1, 1, 20ms));
  std::weak_ptr<limiter_type> weak = limiter;
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline, record(second));
  limiter.reset();
  settle(ioc);
  BOOST_TEST(!weak.expired());
  elapse(ioc, 20ms);
  BOOST_TEST(granted(first));
  BOOST_TEST(granted(second));
  BOOST_TEST(weak.expired()); // and nothing lingers once it is done
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_a_queued_coroutine_leaks_nothing) {
  // The coroutine owns the limiter while it waits in the limiter's queue: a reference cycle
  // that only the context's shutdown can break.
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<limiter_type> weak;
  bool resumed = false;
  asio::cancellation_signal signal; // connects the coroutine's slot, so ours is installed too
  {
    asio::io_context ioc;
    auto limiter = make_limiter(ioc, limit(1, 1, 60s));
    weak = limiter;
    asio::co_spawn(
        ioc,
        [limiter, sentinel, &resumed]() -> asio::awaitable<void> {
          co_await limiter->async_acquire(no_deadline, asio::as_tuple(asio::use_awaitable));
          co_await limiter->async_acquire(no_deadline, asio::as_tuple(asio::use_awaitable));
          resumed = true;
        },
        asio::bind_cancellation_slot(signal.slot(), asio::detached));
    limiter.reset();
    settle(ioc); // the first token is granted, the second acquire is queued for 60 s
    BOOST_TEST(sentinel.use_count() == 2);
    BOOST_TEST(!weak.expired());
  }
  BOOST_TEST(!resumed);
  BOOST_TEST(sentinel.use_count() == 1); // the coroutine frame was destroyed
  BOOST_TEST(weak.expired());
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_waiters_queued_destroys_them_uncalled) {
  // The library's own limiter on real timers (nothing here waits for them): handlers that own
  // the limiter, some with a cancellation slot connected, some with a deadline. The ASan run
  // reports any of them leaked.
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<rate_limiter> weak;
  int calls = 0;
  std::vector<asio::cancellation_signal> signals(50);
  {
    asio::io_context ioc;
    auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
    weak = limiter;
    for (int i = 0; i < 100; ++i) {
      auto handler = [&calls, keep = sentinel, limiter](std::error_code, bool) { ++calls; };
      const auto deadline =
          i % 2 ? rate_limiter::time_point::max() : std::chrono::steady_clock::now() + 10h;
      if (i < 50)
        limiter->async_acquire(deadline, asio::bind_cancellation_slot(
                                             signals[static_cast<std::size_t>(i)].slot(), handler));
      else
        limiter->async_acquire(deadline, handler);
    }
    limiter.reset();
    while (ioc.poll_one() > 0) { // the first is granted and runs; the rest stay queued
    }
    BOOST_TEST(calls == 1);
    BOOST_TEST(sentinel.use_count() == 100);
  }
  BOOST_TEST(calls == 1);
  BOOST_TEST(sentinel.use_count() == 1);
  BOOST_TEST(weak.expired());
}

BOOST_AUTO_TEST_CASE(concurrent_callers_complete_exactly_once) {
  // Three threads run the context, callers on their own strands, a third of them cancelled
  // while queued. Time moves only between rounds, when no thread runs.
  asio::io_context ioc;
  auto limiter = make_limiter(ioc, limit(20, 20, 30ms));
  constexpr int callers = 4;
  constexpr int per_caller = 40;
  constexpr int total = callers * per_caller;
  std::vector<asio::strand<asio::io_context::executor_type>> strands;
  for (int c = 0; c < callers; ++c)
    strands.push_back(asio::make_strand(ioc));
  std::array<std::atomic<int>, total> calls{};
  std::atomic<int> done{0}, grants{0}, cancels{0}, others{0};
  std::vector<std::unique_ptr<asio::cancellation_signal>> signals(total);
  const auto deadline = now(ioc) + 5s;

  for (int c = 0; c < callers; ++c) {
    asio::post(strands[c], [&, c] {
      for (int i = 0; i < per_caller; ++i) {
        const int n = c * per_caller + i;
        signals[n] = std::make_unique<asio::cancellation_signal>();
        limiter->async_acquire(
            deadline, asio::bind_cancellation_slot(
                          signals[n]->slot(),
                          asio::bind_executor(strands[c], [&, n](std::error_code ec, bool) {
                            ++calls[n];
                            if (!ec)
                              ++grants;
                            else if (ec == errc::cancelled)
                              ++cancels;
                            else
                              ++others;
                            ++done;
                          })));
        // Emitted on the caller's strand, as Asio requires of a cancellation signal.
        if (n % 3 == 0)
          asio::post(strands[c], [&, n] { signals[n]->emit(asio::cancellation_type::terminal); });
      }
    });
  }
  // 20 tokens per 30 ms serve the ~107 uncancelled callers in 6 rounds; 100 is a hang guard.
  for (int round = 0; round < 100 && done < total; ++round) {
    if (round > 0)
      manual_clock(ioc).advance(30ms);
    ioc.restart();
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&] {
        while (ioc.poll() > 0) {
        }
      });
    for (auto& t : threads)
      t.join();
  }
  for (const auto& each : calls)
    BOOST_TEST_REQUIRE(each.load() == 1);
  BOOST_TEST(grants + cancels == total);
  BOOST_TEST(others.load() == 0);
  BOOST_TEST(cancels.load() > 0);
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

// The client's calls share the limiter's strand, where a due token is taken without an
// asynchronous operation; anywhere else, and whenever the answer is not "yes, now", the caller
// goes through async_acquire.
BOOST_AUTO_TEST_CASE(a_caller_on_the_limiters_strand_takes_a_free_token_at_once) {
  asio::io_context ioc;
  const auto strand = talkory::detail::make_serial(ioc.get_executor());
  auto limiter = limiter_type::create(strand, limit(1, 1, 1s), [&] { return now(ioc); });
  std::vector<bool> taken;
  auto try_on_strand = [&] {
    asio::post(strand, [&] { taken.push_back(limiter->try_acquire_now()); });
    settle(ioc);
  };
  try_on_strand();
  try_on_strand(); // the burst of one is spent
  BOOST_TEST(taken == (std::vector<bool>{true, false}));
  elapse(ioc, 1s);
  BOOST_TEST(!limiter->try_acquire_now()); // off the strand: never, even with a token free
  try_on_strand();
  BOOST_TEST(taken.back());
  outcome o;
  limiter->async_acquire(no_deadline, record(o)); // and async_acquire sees the token gone
  settle(ioc);
  BOOST_TEST(pending(o));
  limiter->shutdown();
  settle(ioc);
}

BOOST_AUTO_TEST_CASE(a_disabled_or_shut_down_limiter_grants_nothing_at_once) {
  asio::io_context ioc;
  const auto strand = talkory::detail::make_serial(ioc.get_executor());
  auto disabled = limiter_type::create(strand, disabled_limit(), [&] { return now(ioc); });
  auto stopped = limiter_type::create(strand, limit(5, 5, 1s), [&] { return now(ioc); });
  stopped->shutdown();
  std::vector<bool> taken;
  asio::post(strand, [&] {
    taken.push_back(disabled->try_acquire_now()); // the pipeline skips a disabled one itself
    taken.push_back(stopped->try_acquire_now());  // async_acquire says "cancelled"
  });
  settle(ioc);
  BOOST_TEST(taken == (std::vector<bool>{false, false}));
}

BOOST_AUTO_TEST_SUITE_END()
