// The waiter queue on a manual clock: FIFO, deadlines, cancellation through the handler's slot,
// exactly-once completion on the handler's executor, and teardown with waiters parked.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "completion.hpp"
#include "unit/manual_timer.hpp"
#include "waiter_queue.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using talkory::detail::complete_later;
using talkory::detail::leave_reason;
using talkory::test::manual_clock;
using talkory::test::manual_timer;

namespace {

using queue_type = talkory::detail::waiter_queue<void(std::string), manual_timer>;
const auto no_deadline = manual_timer::time_point::max();

// A queue whose leavers complete with "cancelled" / "expired", as an owner would. `Queue` keeps
// either plain erased handlers or tracked_handlers (which bring their work; push_held needs one).
template <class Queue>
struct basic_fixture {
  using handler_type = typename Queue::handler_type;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> strand = asio::make_strand(ioc);
  std::shared_ptr<Queue> queue =
      std::make_shared<Queue>(strand, [this](handler_type h, leave_reason why) {
        complete_later(strand, std::move(h),
                       std::string(why == leave_reason::cancelled ? "cancelled" : "expired"));
      });

  // What each waiter received, in completion order.
  std::vector<std::string> log;

  auto recorder(std::string name) {
    return [this, name](std::string outcome) { log.push_back(name + ":" + outcome); };
  }
  template <class Handler>
  handler_type wrap(Handler h) {
    if constexpr (talkory::detail::is_tracked_handler<handler_type>::value)
      return talkory::detail::make_tracked<void(std::string)>(std::move(h), strand);
    else
      return handler_type(std::move(h));
  }
  template <class Handler>
  void push(Handler h, manual_timer::time_point deadline = no_deadline) {
    queue->push(queue->make_waiter(queue, wrap(std::move(h))), deadline);
  }
  template <class Handler>
  void hold(Handler h) {
    queue->push_held(queue->make_waiter(queue, wrap(std::move(h))));
  }
  void serve_front(std::string value) {
    auto h = queue->pop();
    BOOST_REQUIRE(h.has_value());
    complete_later(strand, std::move(*h), std::move(value));
  }
  void drain() {
    ioc.restart();
    ioc.poll();
  }
  manual_timer::time_point now() { return manual_clock(ioc).now(); }
};

using fixture = basic_fixture<queue_type>;
using held_queue_type =
    talkory::detail::waiter_queue<void(std::string), manual_timer,
                                  talkory::detail::tracked_handler<void(std::string)>>;
using held_fixture = basic_fixture<held_queue_type>;

} // namespace

BOOST_AUTO_TEST_SUITE(waiter_queue_tests)

BOOST_FIXTURE_TEST_CASE(serves_waiters_first_in_first_out, fixture) {
  push(recorder("a"));
  push(recorder("b"));
  push(recorder("c"));
  BOOST_TEST(queue->size() == 3u);
  serve_front("1");
  serve_front("2");
  serve_front("3");
  BOOST_TEST(queue->empty());
  BOOST_TEST(!queue->pop().has_value());
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"a:1", "b:2", "c:3"}));
}

BOOST_FIXTURE_TEST_CASE(a_deadline_ends_the_waiter_as_expired_exactly_when_it_passes, fixture) {
  push(recorder("a"), now() + 10ms);
  push(recorder("b"));
  manual_clock(ioc).advance(9ms);
  drain();
  BOOST_TEST(log.empty());
  BOOST_TEST(queue->size() == 2u);
  manual_clock(ioc).advance(1ms);
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"a:expired"}));
  BOOST_TEST(queue->size() == 1u);
  manual_clock(ioc).advance(1h); // no deadline: b stays
  drain();
  BOOST_TEST(log.size() == 1u);
  serve_front("late");
  drain();
  BOOST_TEST(log.back() == "b:late");
}

BOOST_FIXTURE_TEST_CASE(a_served_waiter_is_not_expired_later, fixture) {
  push(recorder("a"), now() + 10ms);
  serve_front("ok");
  manual_clock(ioc).advance(1h);
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"a:ok"}));
  BOOST_TEST(manual_clock(ioc).pending() == 0u); // its timer was cancelled, not left armed
}

BOOST_FIXTURE_TEST_CASE(cancellation_through_the_slot_removes_only_that_waiter, fixture) {
  asio::cancellation_signal signal;
  push(recorder("a"));
  push(asio::bind_cancellation_slot(signal.slot(), recorder("b")));
  push(recorder("c"));
  signal.emit(asio::cancellation_type::terminal);
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"b:cancelled"}));
  BOOST_TEST(queue->size() == 2u);
  serve_front("1");
  serve_front("2");
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"b:cancelled", "a:1", "c:2"}));
}

BOOST_FIXTURE_TEST_CASE(every_cancellation_type_is_honoured_while_parked, fixture) {
  for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                    asio::cancellation_type::total}) {
    asio::cancellation_signal signal;
    log.clear();
    push(asio::bind_cancellation_slot(signal.slot(), recorder("w")));
    signal.emit(type);
    drain();
    BOOST_TEST(log == (std::vector<std::string>{"w:cancelled"}));
    BOOST_TEST(queue->empty());
  }
}

BOOST_FIXTURE_TEST_CASE(cancellation_racing_a_grant_completes_once, fixture) {
  asio::cancellation_signal signal;
  push(asio::bind_cancellation_slot(signal.slot(), recorder("a")));
  serve_front("granted");                         // the grant's completion is posted...
  signal.emit(asio::cancellation_type::terminal); // ...and the caller cancels before it runs
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"a:granted"}));
}

BOOST_FIXTURE_TEST_CASE(deadline_racing_cancellation_completes_once, fixture) {
  asio::cancellation_signal signal;
  push(asio::bind_cancellation_slot(signal.slot(), recorder("a")), now() + 5ms);
  manual_clock(ioc).advance(5ms); // the expiry is posted
  signal.emit(asio::cancellation_type::terminal);
  drain();
  manual_clock(ioc).advance(1h);
  drain();
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST((log[0] == "a:expired" || log[0] == "a:cancelled"));
}

BOOST_FIXTURE_TEST_CASE(expire_if_sees_deadlines_and_positions_of_the_waiters_that_stay, fixture) {
  const auto t0 = now();
  push(recorder("a"), t0 + 100ms);
  push(recorder("b"), t0 + 10ms);
  push(recorder("c"), t0 + 100ms);
  std::vector<std::size_t> positions;
  // Pretend waiter n is served at t0 + 20ms * n: b (position 2, served at 40ms) cannot make it.
  queue->expire_if([&](manual_timer::time_point deadline, std::size_t position) {
    positions.push_back(position);
    return t0 + 20ms * static_cast<int>(position) > deadline;
  });
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"b:expired"}));
  BOOST_TEST(positions == (std::vector<std::size_t>{1, 2, 2})); // c moved up to 2
  BOOST_TEST(queue->size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(cancel_all_ends_every_waiter_once, fixture) {
  for (int i = 0; i < 5; ++i)
    push(recorder(std::to_string(i)), now() + 1s);
  queue->cancel_all();
  manual_clock(ioc).advance(1h);
  drain();
  BOOST_TEST(log.size() == 5u);
  for (const auto& entry : log)
    BOOST_TEST(entry.ends_with(":cancelled"));
  BOOST_TEST(manual_clock(ioc).pending() == 0u);
}

BOOST_FIXTURE_TEST_CASE(mass_cancellation_completes_every_waiter_exactly_once, fixture) {
  constexpr int n = 10'000;
  std::vector<asio::cancellation_signal> signals(n);
  std::vector<int> completions(n, 0);
  for (int i = 0; i < n; ++i)
    push(asio::bind_cancellation_slot(signals[i].slot(),
                                      [&completions, i](std::string) { ++completions[i]; }),
         now() + 1s);
  for (auto& s : signals)
    s.emit(asio::cancellation_type::terminal);
  manual_clock(ioc).advance(1h); // the deadlines pass too: still once each
  drain();
  BOOST_TEST(queue->empty());
  BOOST_TEST(std::count(completions.begin(), completions.end(), 1) == n);
}

BOOST_FIXTURE_TEST_CASE(the_handler_runs_on_its_own_executor_which_keeps_work_meanwhile, fixture) {
  asio::io_context other;
  bool ran_in_other = false;
  push(asio::bind_executor(
      other, [&](std::string) { ran_in_other = other.get_executor().running_in_this_thread(); }));
  serve_front("x");
  // Before our context runs, the other one must not believe it is out of work: a caller's
  // run() on it would return and the handler would be destroyed uninvoked.
  other.poll();
  BOOST_TEST(!other.stopped());
  drain();
  BOOST_TEST(!ran_in_other);
  other.restart();
  other.poll();
  BOOST_TEST(ran_in_other);
  BOOST_TEST(other.stopped());
}

BOOST_FIXTURE_TEST_CASE(a_parked_handler_keeps_its_own_executor_busy_until_it_has_run, fixture) {
  // Asio's contract for a pending operation: the handler's context must not run out of work
  // while the operation is outstanding, here while the waiter is only parked.
  asio::io_context other;
  bool ran = false;
  push(asio::bind_executor(other, [&](std::string) { ran = true; }));
  drain();
  other.poll();
  BOOST_TEST(!other.stopped());
  serve_front("x");
  drain(); // the completion is dispatched to `other`; the waiter's own work is released
  other.restart();
  other.poll();
  BOOST_TEST(ran);
  BOOST_TEST(other.stopped()); // and nothing is left holding it afterwards
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_or_expired_waiter_releases_its_executor, fixture) {
  asio::io_context other;
  asio::cancellation_signal signal;
  int ran = 0;
  push(asio::bind_cancellation_slot(signal.slot(),
                                    asio::bind_executor(other, [&](std::string) { ++ran; })));
  push(asio::bind_executor(other, [&](std::string) { ++ran; }), now() + 5ms);
  other.poll();
  BOOST_TEST(!other.stopped());
  signal.emit(asio::cancellation_type::terminal);
  manual_clock(ioc).advance(5ms);
  drain();
  other.restart();
  other.poll();
  BOOST_TEST(ran == 2);
  BOOST_TEST(other.stopped());
}

BOOST_FIXTURE_TEST_CASE(a_held_waiter_has_no_deadline_and_takes_its_turn, held_fixture) {
  push(recorder("a"));
  hold(recorder("held"));
  push(recorder("c"), now() + 1s);
  manual_clock(ioc).advance(1h); // "c" expires; the held one has no timer to end it
  drain();
  BOOST_TEST(queue->size() == 2u);
  serve_front("1");
  serve_front("2");
  drain();
  BOOST_TEST(log == (std::vector<std::string>{"c:expired", "a:1", "held:2"}));
}

BOOST_FIXTURE_TEST_CASE(a_held_waiter_leaves_when_cancelled, held_fixture) {
  asio::cancellation_signal signal;
  hold(asio::bind_cancellation_slot(signal.slot(), recorder("h")));
  signal.emit(asio::cancellation_type::terminal);
  drain();
  BOOST_TEST(queue->empty());
  BOOST_TEST(log == (std::vector<std::string>{"h:cancelled"}));
}

BOOST_FIXTURE_TEST_CASE(a_popped_held_waiter_keeps_its_work_until_it_has_run, held_fixture) {
  // The queue drops a held waiter's state when it pops it: the handler itself must hold the work,
  // or the handler's context would be out of work for a moment (a run() there would return).
  asio::io_context other;
  bool ran = false;
  hold(asio::bind_executor(other, [&](std::string) { ran = true; }));
  auto h = queue->pop();
  BOOST_REQUIRE(h.has_value());
  other.poll();
  BOOST_TEST(!other.stopped());
  complete_later(strand, std::move(*h), std::string("x"));
  drain();
  other.restart();
  other.poll();
  BOOST_TEST(ran);
  BOOST_TEST(other.stopped());
}

BOOST_AUTO_TEST_CASE(destroying_a_queue_destroys_its_held_waiters_uncalled) {
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watch = sentinel;
  int calls = 0;
  {
    held_fixture f;
    f.hold([&calls, keep = sentinel](std::string) { ++calls; });
    sentinel.reset();
    BOOST_TEST(!watch.expired());
  }
  BOOST_TEST(watch.expired());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_waiters_parked_destroys_their_handlers_uncalled) {
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watch = sentinel;
  int calls = 0;
  {
    fixture f;
    // Each handler owns the queue (as a coroutine frame owning the client would): a cycle that
    // only the context's teardown can break.
    for (int i = 0; i < 3; ++i)
      f.push([&calls, keep = sentinel, q = f.queue](std::string) { ++calls; }, f.now() + 1s);
    sentinel.reset();
    BOOST_TEST(!watch.expired());
  }
  BOOST_TEST(watch.expired());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()
