// The async rate limiter on a real io_context with short windows: every test waits for timer
// events, never sleeps, and bounds its run with run_for so that a hang fails instead of blocking.
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
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
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>

#include "rate_limiter.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using talkory::errc;
using talkory::rate_limit_mode;
using talkory::rate_limit_options;
using talkory::detail::rate_limiter;
using clock_type = rate_limiter::clock;

namespace {

const auto no_deadline = clock_type::time_point::max();

rate_limit_options limit(std::size_t burst, std::size_t per_window, milliseconds window,
                         rate_limit_mode mode = rate_limit_mode::wait) {
  rate_limit_options options;
  options.burst = burst;
  options.requests_per_window = per_window;
  options.window = window;
  options.mode = mode;
  return options;
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

// Runs until the context runs out of work; false if that took longer than `cap` (a hang, or a
// wait that should have been refused at once).
bool run_to_completion(asio::io_context& ioc, milliseconds cap = 10s) {
  ioc.run_for(cap);
  return ioc.stopped();
}

// Runs the handlers that are ready without waiting for any timer.
void run_ready(asio::io_context& ioc) {
  while (ioc.poll() > 0) {
  }
  ioc.restart();
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
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(3, 3, 60s));
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(no_deadline, record(each));
  // With one token per 20 s, any wait would run into the cap.
  BOOST_TEST(run_to_completion(ioc, 5s));
  for (const auto& each : o) {
    BOOST_TEST(granted(each));
    BOOST_TEST(!each.waited);
  }
}

BOOST_AUTO_TEST_CASE(handler_never_runs_inside_the_initiating_call) {
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
  auto refusing =
      rate_limiter::create(ioc.get_executor(), limit(0, 1, 60s, rate_limit_mode::fail_fast));
  auto disabled_options = limit(1, 1, 60s);
  disabled_options.enabled = false;
  auto disabled = rate_limiter::create(ioc.get_executor(), disabled_options);
  auto stopped = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
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
  BOOST_TEST(run_to_completion(ioc, 5s));
  BOOST_TEST(completions == 4);
  BOOST_TEST(on_strand == 4);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_fifo_order) {
  asio::io_context ioc;
  const auto start = clock_type::now();
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 20ms));
  std::vector<int> order;
  std::vector<bool> waited;
  for (int i = 0; i < 5; ++i)
    limiter->async_acquire(no_deadline, [&, i](std::error_code ec, bool w) {
      BOOST_TEST(!ec);
      order.push_back(i);
      waited.push_back(w);
    });
  BOOST_TEST(run_to_completion(ioc));
  BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(waited == (std::vector<bool>{false, true, true, true, true}),
             boost::test_tools::per_element());
  // One token up front, then one per 20 ms: timers never fire early.
  BOOST_TEST((clock_type::now() - start >= 80ms));
}

BOOST_AUTO_TEST_CASE(a_waiter_is_granted_after_the_refill) {
  asio::io_context ioc;
  const auto start = clock_type::now();
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 50ms));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(clock_type::now() + 5s, record(second));
  BOOST_TEST(run_to_completion(ioc));
  BOOST_TEST(granted(first));
  BOOST_TEST(!first.waited);
  BOOST_TEST(granted(second));
  BOOST_TEST(second.waited);
  BOOST_TEST((clock_type::now() - start >= 50ms));
}

BOOST_AUTO_TEST_CASE(a_deadline_shorter_than_the_wait_fails_at_once) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  // The next token comes in 60 s; sleeping until this 30 s deadline would blow the 2 s cap.
  limiter->async_acquire(clock_type::now() + 30s, record(second));
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(first));
  BOOST_TEST(failed_with(second, errc::rate_limited));
  BOOST_TEST(!second.waited);
}

BOOST_AUTO_TEST_CASE(fail_fast_refuses_at_once_without_a_free_token) {
  asio::io_context ioc;
  auto limiter =
      rate_limiter::create(ioc.get_executor(), limit(2, 2, 60s, rate_limit_mode::fail_fast));
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(no_deadline, record(each));
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(o[0]));
  BOOST_TEST(granted(o[1]));
  BOOST_TEST(failed_with(o[2], errc::rate_limited));
  BOOST_TEST(!o[2].waited);
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_completes_once_and_takes_no_token) {
  for (const auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                          asio::cancellation_type::total}) {
    BOOST_TEST_CONTEXT("cancellation type " << static_cast<int>(type)) {
      asio::cancellation_signal signal; // outlives the context, as a caller's signal must
      asio::io_context ioc;
      constexpr auto window = 400ms;
      auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, window));
      outcome first, cancelled, later, too_late;
      limiter->async_acquire(no_deadline, record(first));
      limiter->async_acquire(
          no_deadline, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, bool w) {
            record(cancelled)(ec, w);
            // The next token is one window away. If the cancelled waiter were still queued,
            // `later` would be second in line and could not make this deadline; if cancelling
            // had handed a token back, `later` would not wait and `too_late` would fit.
            const auto deadline = clock_type::now() + window * 3 / 2;
            limiter->async_acquire(deadline, record(later));
            limiter->async_acquire(deadline, record(too_late));
          }));
      asio::post(ioc, [&] { signal.emit(type); });
      BOOST_TEST(run_to_completion(ioc));
      BOOST_TEST(granted(first));
      BOOST_TEST(failed_with(cancelled, errc::cancelled));
      BOOST_TEST(granted(later));
      BOOST_TEST(later.waited);
      BOOST_TEST(failed_with(too_late, errc::rate_limited));
    }
  }
}

BOOST_AUTO_TEST_CASE(cancellation_after_the_grant_changes_nothing) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
  outcome o;
  limiter->async_acquire(no_deadline, asio::bind_cancellation_slot(signal.slot(), record(o)));
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(o));
  signal.emit(asio::cancellation_type::terminal);
  ioc.restart();
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(o.calls == 1);
}

BOOST_AUTO_TEST_CASE(cancellation_type_none_is_ignored) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 50ms));
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline, asio::bind_cancellation_slot(signal.slot(), record(second)));
  asio::post(ioc, [&] { signal.emit(asio::cancellation_type::none); });
  BOOST_TEST(run_to_completion(ioc));
  BOOST_TEST(granted(second));
}

BOOST_AUTO_TEST_CASE(pause_for_delays_everyone) {
  asio::io_context ioc;
  const auto start = clock_type::now();
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(3, 3, 60s));
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
  limiter->async_acquire(clock_type::now() + 50ms, [&](std::error_code ec, bool w) {
    record(hasty)(ec, w);
    order.push_back(-1);
  });
  BOOST_TEST(run_to_completion(ioc));
  for (const auto& each : patient) {
    BOOST_TEST(granted(each));
    BOOST_TEST(each.waited);
  }
  BOOST_TEST(failed_with(hasty, errc::rate_limited));
  BOOST_TEST(order == (std::vector<int>{-1, 0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST((clock_type::now() - start >= 300ms));
}

BOOST_AUTO_TEST_CASE(a_pause_past_a_queued_deadline_fails_that_waiter_at_once) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 100ms));
  outcome first, queued, patient;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(clock_type::now() + 5s, [&](std::error_code ec, bool w) {
    record(queued)(ec, w);
    // Ends the test: the patient waiter would otherwise wait out the whole pause.
    limiter->shutdown();
  });
  limiter->async_acquire(no_deadline, record(patient));
  limiter->pause_for(60s); // a 429's Retry-After arrives while both wait
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(first));
  BOOST_TEST(failed_with(queued, errc::rate_limited));
  BOOST_TEST(queued.waited);
  BOOST_TEST(failed_with(patient, errc::cancelled));
}

BOOST_AUTO_TEST_CASE(remaining_zero_drains_the_bucket_for_a_window) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(5, 5, 60s));
  limiter->observe_remaining(0);
  outcome o;
  limiter->async_acquire(clock_type::now() + 5s, record(o));
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(failed_with(o, errc::rate_limited));
}

BOOST_AUTO_TEST_CASE(remaining_caps_the_free_tokens) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(5, 5, 60s));
  limiter->observe_remaining(2);
  std::array<outcome, 3> o;
  for (auto& each : o)
    limiter->async_acquire(clock_type::now() + 5s, record(each));
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(o[0]));
  BOOST_TEST(granted(o[1]));
  BOOST_TEST(failed_with(o[2], errc::rate_limited)); // the next token is 12 s away
}

BOOST_AUTO_TEST_CASE(shutdown_fails_every_waiter_and_every_later_acquire) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
  outcome first, late;
  std::array<outcome, 3> queued;
  limiter->async_acquire(no_deadline, record(first));
  for (auto& each : queued)
    limiter->async_acquire(no_deadline, record(each));
  limiter->shutdown();
  limiter->async_acquire(no_deadline, record(late));
  // The timer is cancelled too: nothing keeps the context busy for the 60 s window.
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST(granted(first));
  for (const auto& each : queued) {
    BOOST_TEST(failed_with(each, errc::cancelled));
    BOOST_TEST(each.waited);
  }
  BOOST_TEST(failed_with(late, errc::cancelled));
}

BOOST_AUTO_TEST_CASE(a_disabled_limiter_grants_everything_at_once) {
  asio::io_context ioc;
  auto options = limit(1, 1, 60s);
  options.enabled = false;
  auto limiter = rate_limiter::create(ioc.get_executor(), options);
  limiter->pause_for(60s);
  limiter->observe_remaining(0);
  std::array<outcome, 10> o;
  for (auto& each : o)
    limiter->async_acquire(clock_type::now(), record(each));
  BOOST_TEST(run_to_completion(ioc, 2s));
  for (const auto& each : o) {
    BOOST_TEST(granted(each));
    BOOST_TEST(!each.waited);
  }
}

BOOST_AUTO_TEST_CASE(a_coroutine_on_another_context_resumes_on_its_own_strand) {
  // The client's use: co_await with as_tuple from a per-call strand, here on another
  // io_context than the limiter's.
  asio::io_context limiter_ioc;
  auto guard = asio::make_work_guard(limiter_ioc);
  std::thread limiter_thread([&] { limiter_ioc.run(); });
  auto limiter = rate_limiter::create(limiter_ioc.get_executor(), limit(1, 1, 20ms));

  asio::io_context caller_ioc;
  auto strand = asio::make_strand(caller_ioc);
  std::vector<std::error_code> results;
  std::vector<bool> waited;
  int resumed_on_strand = 0;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
          auto [ec, w] = co_await limiter->async_acquire(clock_type::now() + 5s,
                                                         asio::as_tuple(asio::use_awaitable));
          results.push_back(ec);
          waited.push_back(w);
          resumed_on_strand += strand.running_in_this_thread() ? 1 : 0;
        }
      },
      asio::detached);
  const bool finished = run_to_completion(caller_ioc);
  guard.reset();
  limiter_thread.join();
  BOOST_TEST(finished);
  BOOST_TEST_REQUIRE(results.size() == 2u);
  BOOST_TEST(!results[0]);
  BOOST_TEST(!results[1]);
  BOOST_TEST(waited == (std::vector<bool>{false, true}), boost::test_tools::per_element());
  BOOST_TEST(resumed_on_strand == 2);
}

BOOST_AUTO_TEST_CASE(a_waiting_coroutine_is_cancelled_terminally) {
  asio::cancellation_signal signal;
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
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
  // Cancel once the coroutine is surely parked in the queue: an event, not a sleep.
  asio::steady_timer later(ioc, 20ms);
  later.async_wait(
      [&](boost::system::error_code) { signal.emit(asio::cancellation_type::terminal); });
  BOOST_TEST(run_to_completion(ioc, 2s));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST((*result == errc::cancelled));
}

BOOST_AUTO_TEST_CASE(a_pending_waiter_keeps_the_limiter_alive) {
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 20ms));
  std::weak_ptr<rate_limiter> weak = limiter;
  outcome first, second;
  limiter->async_acquire(no_deadline, record(first));
  limiter->async_acquire(no_deadline, record(second));
  limiter.reset();
  BOOST_TEST(run_to_completion(ioc));
  BOOST_TEST(granted(first));
  BOOST_TEST(granted(second));
  BOOST_TEST(weak.expired()); // and nothing lingers once it is done
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_a_queued_coroutine_leaks_nothing) {
  // The coroutine owns the limiter while it waits in the limiter's queue: a reference cycle
  // that only the context's shutdown can break.
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<rate_limiter> weak;
  bool resumed = false;
  asio::cancellation_signal signal; // connects the coroutine's slot, so ours is installed too
  {
    asio::io_context ioc;
    auto limiter = rate_limiter::create(ioc.get_executor(), limit(1, 1, 60s));
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
    run_ready(ioc); // the first token is granted, the second acquire is queued for 60 s
    BOOST_TEST(sentinel.use_count() == 2);
    BOOST_TEST(!weak.expired());
  }
  BOOST_TEST(!resumed);
  BOOST_TEST(sentinel.use_count() == 1); // the coroutine frame was destroyed
  BOOST_TEST(weak.expired());
}

BOOST_AUTO_TEST_CASE(concurrent_callers_complete_exactly_once) {
  // Several threads, callers on their own strands, a third of them cancelled while queued.
  asio::io_context ioc;
  auto limiter = rate_limiter::create(ioc.get_executor(), limit(20, 20, 30ms));
  constexpr int callers = 4;
  constexpr int per_caller = 40;
  std::vector<asio::strand<asio::io_context::executor_type>> strands;
  for (int c = 0; c < callers; ++c)
    strands.push_back(asio::make_strand(ioc));
  std::array<std::atomic<int>, callers * per_caller> calls{};
  std::atomic<int> grants{0}, cancels{0}, others{0};
  std::vector<std::unique_ptr<asio::cancellation_signal>> signals(callers * per_caller);

  for (int c = 0; c < callers; ++c) {
    asio::post(strands[c], [&, c] {
      for (int i = 0; i < per_caller; ++i) {
        const int n = c * per_caller + i;
        signals[n] = std::make_unique<asio::cancellation_signal>();
        limiter->async_acquire(
            clock_type::now() + 5s,
            asio::bind_cancellation_slot(
                signals[n]->slot(),
                asio::bind_executor(strands[c], [&, n](std::error_code ec, bool) {
                  ++calls[n];
                  if (!ec)
                    ++grants;
                  else if (ec == errc::cancelled)
                    ++cancels;
                  else
                    ++others;
                })));
        // Emitted on the caller's strand, as Asio requires of a cancellation signal.
        if (n % 3 == 0)
          asio::post(strands[c], [&, n] { signals[n]->emit(asio::cancellation_type::terminal); });
      }
    });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] { ioc.run_for(10s); });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(ioc.stopped());
  for (const auto& each : calls)
    BOOST_TEST_REQUIRE(each.load() == 1);
  BOOST_TEST(grants + cancels == callers * per_caller);
  BOOST_TEST(others.load() == 0);
  BOOST_TEST(cancels.load() > 0);
}

BOOST_AUTO_TEST_SUITE_END()
