// The pool's async shell without a socket: empty slots only (a lease that entitles its holder to
// open a connection), so what is pinned here is the wiring of pool_core to the strand and the
// waiter queue: FIFO hand-over, deadlines, cancellation, shutdown and the injected clock.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>

#include "connection_pool.hpp"
#include "serial_executor.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using talkory::errc;
using talkory::pool_options;
using talkory::detail::connection_pool;
using talkory::detail::pool_lease;
using clock_type = connection_pool::clock;

namespace {

// How one acquisition completed.
struct outcome {
  std::error_code ec;
  pool_lease lease;
  bool waited = false;
};

struct fixture {
  asio::io_context ioc;
  std::shared_ptr<connection_pool> pool;
  std::vector<std::string> order; // names of the acquisitions, in completion order
  std::vector<std::optional<outcome>> outcomes;

  explicit fixture(std::size_t max_connections = 1,
                   connection_pool::clock_function now = &clock_type::now) {
    pool_options o;
    o.max_connections = max_connections;
    pool = connection_pool::create(ioc.get_executor(), o, std::move(now));
  }
  ~fixture() {
    // Waiters still queued are cancelled first: served later, they would complete into outcomes
    // already destroyed. Then every lease goes back and the pool processes it.
    pool->async_shutdown(1s, [] {});
    drain();
    outcomes.clear();
    drain();
  }

  // Starts an acquisition; returns the index of its outcome.
  std::size_t acquire(std::string name, clock_type::time_point deadline) {
    outcomes.emplace_back();
    const auto i = outcomes.size() - 1;
    pool->async_acquire(deadline, [this, i, name](std::error_code ec, pool_lease l, bool waited) {
      BOOST_TEST(!outcomes[i].has_value()); // exactly once
      order.push_back(name);
      outcomes[i].emplace(outcome{ec, std::move(l), waited});
    });
    return i;
  }
  std::size_t acquire(std::string name) { return acquire(std::move(name), clock_type::now() + 1h); }
  template <class Token>
  void acquire_with(Token token, clock_type::time_point deadline) {
    pool->async_acquire(deadline, std::move(token));
  }

  void drain() {
    ioc.restart();
    ioc.poll();
  }
  outcome& got(std::size_t i) {
    BOOST_REQUIRE(outcomes[i].has_value());
    return *outcomes[i];
  }
  void give_back(std::size_t i) {
    got(i).lease.give_back(false);
    drain();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(connection_pool_tests)

BOOST_AUTO_TEST_CASE(a_free_slot_is_lent_at_once_as_an_empty_lease) {
  fixture f;
  const auto a = f.acquire("a");
  BOOST_TEST(!f.outcomes[a].has_value()); // never inside the initiating call
  f.drain();
  BOOST_TEST(!f.got(a).ec);
  BOOST_TEST(static_cast<bool>(f.got(a).lease));
  BOOST_TEST(f.got(a).lease.get() == nullptr); // the holder opens the connection itself
  BOOST_TEST(!f.got(a).waited);
  BOOST_TEST(f.pool->lent_count() == 1u);
  BOOST_TEST(f.pool->idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(freed_slots_go_to_waiters_first_in_first_out) {
  fixture f(1);
  const auto a = f.acquire("a");
  f.drain();
  const auto b = f.acquire("b");
  const auto c = f.acquire("c");
  const auto d = f.acquire("d");
  f.drain();
  BOOST_TEST(f.order == (std::vector<std::string>{"a"}));
  f.give_back(a);
  f.give_back(b);
  f.give_back(c);
  BOOST_TEST(f.order == (std::vector<std::string>{"a", "b", "c", "d"}));
  for (auto i : {b, c, d}) {
    BOOST_TEST(!f.got(i).ec);
    BOOST_TEST(f.got(i).waited);
  }
  BOOST_TEST(static_cast<bool>(f.got(d).lease)); // b's and c's were given back above
  BOOST_TEST(f.pool->lent_count() == 1u);        // the one slot passed from holder to holder
}

BOOST_AUTO_TEST_CASE(a_lease_destroyed_without_give_back_frees_its_slot_for_the_waiter) {
  fixture f(1);
  const auto a = f.acquire("a");
  f.drain();
  const auto b = f.acquire("b");
  f.drain();
  f.outcomes[a].reset(); // the holder's call ended without a word to the pool
  f.drain();
  BOOST_TEST(!f.got(b).ec);
  BOOST_TEST(f.got(b).waited);
  BOOST_TEST(f.pool->lent_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_caller_whose_deadline_has_passed_times_out_without_queueing) {
  fixture f(1);
  f.acquire("a");
  f.drain();
  const auto b = f.acquire("b", clock_type::now());
  f.drain();
  BOOST_TEST(f.got(b).ec == make_error_code(errc::timeout));
  BOOST_TEST(!f.got(b).lease);
  BOOST_TEST(!f.got(b).waited);
}

BOOST_AUTO_TEST_CASE(a_queued_caller_times_out_when_its_deadline_passes) {
  fixture f(1);
  f.acquire("a");
  f.drain();
  const auto b = f.acquire("b", clock_type::now() + 5ms);
  const auto c = f.acquire("c");
  // Waits for the deadline timer's event, bounded so that a hang fails instead of blocking.
  const auto give_up = clock_type::now() + 5s;
  while (!f.outcomes[b] && clock_type::now() < give_up) {
    f.ioc.restart();
    f.ioc.run_one_for(10ms);
  }
  BOOST_TEST(f.got(b).ec == make_error_code(errc::timeout));
  BOOST_TEST(f.got(b).waited);
  BOOST_TEST(!f.outcomes[c].has_value()); // the next waiter stays queued
  BOOST_TEST(f.pool->lent_count() == 1u);
}

BOOST_AUTO_TEST_CASE(the_pool_reads_time_from_its_injected_clock) {
  // A clock two hours ahead: a deadline one hour from real time has passed already.
  fixture f(1, [] { return clock_type::now() + 2h; });
  f.acquire("a");
  f.drain();
  const auto b = f.acquire("b", clock_type::now() + 1h);
  f.drain();
  BOOST_TEST(f.got(b).ec == make_error_code(errc::timeout));
  BOOST_TEST(!f.got(b).waited);
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_leaves_and_the_slot_goes_to_the_next) {
  fixture f(1);
  const auto a = f.acquire("a");
  f.drain();
  asio::cancellation_signal signal;
  std::optional<std::error_code> cancelled;
  bool cancelled_waited = false;
  f.acquire_with(asio::bind_cancellation_slot(signal.slot(),
                                              [&](std::error_code ec, pool_lease, bool waited) {
                                                cancelled = ec;
                                                cancelled_waited = waited;
                                              }),
                 clock_type::now() + 1h);
  const auto c = f.acquire("c");
  f.drain();
  signal.emit(asio::cancellation_type::terminal);
  f.drain();
  BOOST_REQUIRE(cancelled.has_value());
  BOOST_TEST(*cancelled == make_error_code(errc::cancelled));
  BOOST_TEST(cancelled_waited);
  BOOST_TEST(!f.outcomes[c].has_value());
  f.give_back(a);
  BOOST_TEST(!f.got(c).ec);
  BOOST_TEST(f.pool->lent_count() == 1u); // the cancelled waiter took no slot
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_waiters_and_refuses_later_acquisitions) {
  fixture f(1);
  const auto a = f.acquire("a");
  f.drain();
  const auto b = f.acquire("b");
  f.drain();
  bool shut = false;
  f.pool->async_shutdown(1s, [&] { shut = true; });
  f.drain();
  BOOST_TEST(shut);
  BOOST_TEST(f.got(b).ec == make_error_code(errc::cancelled));
  BOOST_TEST(f.got(b).waited);
  const auto c = f.acquire("c");
  f.drain();
  BOOST_TEST(f.got(c).ec == make_error_code(errc::cancelled));
  BOOST_TEST(!f.got(c).waited);
  BOOST_TEST(!f.got(c).lease);
  f.give_back(a); // the slot lent before shutdown still comes back
  BOOST_TEST(f.pool->lent_count() == 0u);
}

// The client's calls share the pool's strand, where a free slot is lent without an asynchronous
// operation; off the strand, or with no slot free, the caller goes through async_acquire.
BOOST_AUTO_TEST_CASE(a_caller_on_the_pools_strand_gets_a_free_slot_at_once) {
  asio::io_context ioc;
  const auto strand = talkory::detail::make_serial(ioc.get_executor());
  pool_options o;
  o.max_connections = 1;
  auto pool = connection_pool::create(strand, o);
  BOOST_TEST(!pool->try_acquire_now()); // off the strand
  pool_lease first, second;
  asio::post(strand, [&] {
    first = pool->try_acquire_now();
    second = pool->try_acquire_now(); // max_connections = 1: lent already
  });
  ioc.poll();
  BOOST_TEST(static_cast<bool>(first));
  BOOST_TEST(first.get() == nullptr); // an empty slot: the holder opens the connection
  BOOST_TEST(!second);
  BOOST_TEST(pool->lent_count() == 1u);
  first.give_back(false);
  ioc.restart();
  ioc.poll();
  BOOST_TEST(pool->lent_count() == 0u);
  pool->async_shutdown(1s, [] {});
  ioc.restart();
  ioc.poll();
  asio::post(strand, [&] { second = pool->try_acquire_now(); }); // closed: async_acquire refuses
  ioc.restart();
  ioc.poll();
  BOOST_TEST(!second);
}

BOOST_AUTO_TEST_SUITE_END()
