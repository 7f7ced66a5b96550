// The pool's rules without a socket: a fake connection and time points chosen by the test pin
// reuse order, the bound on open plus opening connections, hand-over to waiters and retirement.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include <talkory/options.hpp>

#include "pool_core.hpp"

using namespace std::chrono_literals;
using talkory::pool_options;

namespace {

using time_point = std::chrono::steady_clock::time_point;

// What the core asks of a connection, and an id to tell connections apart.
struct fake_connection {
  int id = 0;
  time_point opened{};
  time_point used{};
  bool unsolicited = false;
  mutable int socket_checks = 0; // has_unsolicited_data() is a system call on a real one
  bool watching = false;         // an idle watch is in progress (the pool started it)

  time_point opened_at() const noexcept { return opened; }
  time_point last_used() const noexcept { return used; }
  bool has_unsolicited_data() const noexcept {
    ++socket_checks;
    return unsolicited;
  }
  bool watched() const noexcept { return watching; }
};

using core = talkory::detail::pool_core<fake_connection>;
using conn_ptr = core::connection_ptr;
using acquire_action = core::acquire_action;
using release_action = core::release_action;

// An arbitrary instant, far from the clock's epoch.
const time_point t0 = time_point{} + 1000h;

pool_options options(std::size_t max_connections = 4) {
  pool_options o;
  o.max_connections = max_connections;
  o.idle_timeout = 50s;
  o.max_connection_age = 600s;
  o.reuse = true;
  return o;
}

conn_ptr make(int id, time_point opened = t0, time_point used = t0) {
  return std::make_unique<fake_connection>(fake_connection{id, opened, used});
}

int id_of(const conn_ptr& c) {
  return c ? c->id : -1;
}

// Opens `n` empty slots and parks a connection in each, released in order 1..n at t0 + i ms:
// connection n is the most recently used. Returns them (index i - 1 is connection i), still owned
// by the pool, so that a test can change what they report while they sit idle.
std::vector<fake_connection*> park_connections(core& pool, int n) {
  std::vector<fake_connection*> parked;
  for (int i = 0; i < n; ++i)
    BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  for (int i = 1; i <= n; ++i) {
    const auto at = t0 + std::chrono::milliseconds(i);
    auto c = make(i, t0, at);
    parked.push_back(c.get());
    BOOST_REQUIRE((pool.release(std::move(c), true, at, false).action == release_action::park));
  }
  return parked;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_core_tests)

BOOST_AUTO_TEST_CASE(an_empty_pool_lends_an_empty_slot_to_open_into) {
  core pool(options());
  auto d = pool.acquire(t0, false);
  BOOST_TEST((d.action == acquire_action::open));
  BOOST_TEST(!d.connection);
  BOOST_TEST(pool.lent_count() == 1u);
  BOOST_TEST(pool.idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(idle_connections_are_reused_most_recently_used_first) {
  core pool(options());
  park_connections(pool, 3);
  const auto now = t0 + 1s;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    auto d = pool.acquire(now, false);
    BOOST_REQUIRE((d.action == acquire_action::reuse));
    order.push_back(id_of(d.connection));
  }
  BOOST_TEST(order == (std::vector<int>{3, 2, 1}));
  BOOST_TEST(pool.lent_count() == 3u);
  BOOST_TEST(pool.idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(an_idle_connection_is_reused_rather_than_a_new_one_opened) {
  core pool(options(4));
  park_connections(pool, 1);
  auto d = pool.acquire(t0 + 1s, false);
  BOOST_TEST((d.action == acquire_action::reuse));
  BOOST_TEST(id_of(d.connection) == 1);
}

BOOST_AUTO_TEST_CASE(connections_being_opened_count_toward_the_maximum) {
  core pool(options(2));
  BOOST_TEST((pool.acquire(t0, false).action == acquire_action::open));
  BOOST_TEST((pool.acquire(t0, false).action == acquire_action::open));
  // Neither slot has a connection yet: the third caller waits all the same.
  BOOST_TEST((pool.acquire(t0, false).action == acquire_action::wait));
  BOOST_TEST(pool.lent_count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_waiting_decision_takes_no_slot) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::wait));
  BOOST_TEST(pool.lent_count() == 1u);
  // One release without waiters frees the one slot for the next caller.
  BOOST_TEST((pool.release(nullptr, false, t0, false).action == release_action::discard));
  BOOST_TEST((pool.acquire(t0, false).action == acquire_action::open));
}

BOOST_AUTO_TEST_CASE(a_newcomer_never_overtakes_queued_waiters) {
  core pool(options(4));
  park_connections(pool, 1);
  // An idle connection and free slots, but earlier callers wait: the newcomer queues behind them.
  auto d = pool.acquire(t0 + 1s, true);
  BOOST_TEST((d.action == acquire_action::wait));
  BOOST_TEST(!d.connection);
  BOOST_TEST(pool.idle_count() == 1u);
  BOOST_TEST(pool.lent_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_released_connection_goes_to_the_waiter_not_to_the_idle_list) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(7), true, t0 + 1ms, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(id_of(d.handed) == 7);
  BOOST_TEST(!d.retired);
  BOOST_TEST(pool.lent_count() == 1u); // the slot passed straight to its next holder
  BOOST_TEST(pool.idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_non_reusable_release_hands_an_empty_slot_to_the_waiter) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(7), false, t0 + 1ms, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(!d.handed);             // the waiter opens its own connection into the slot
  BOOST_TEST(id_of(d.retired) == 7); // and this one is closed
  BOOST_TEST(pool.lent_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_slot_given_back_without_a_connection_goes_to_the_waiter_empty) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  // The holder's connect failed: nothing to hand on but the right to open.
  auto d = pool.release(nullptr, true, t0 + 1ms, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(!d.handed);
  BOOST_TEST(!d.retired);
  BOOST_TEST(pool.lent_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_reusable_release_without_waiters_parks_the_connection) {
  core pool(options());
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(1), true, t0 + 1ms, false);
  BOOST_TEST((d.action == release_action::park));
  BOOST_TEST(!d.retired);
  BOOST_TEST(pool.idle_count() == 1u);
  BOOST_TEST(pool.lent_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_non_reusable_release_without_waiters_frees_the_slot) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(1), false, t0 + 1ms, false);
  BOOST_TEST((d.action == release_action::discard));
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST(pool.idle_count() == 0u);
  BOOST_TEST(pool.lent_count() == 0u);
  BOOST_TEST((pool.acquire(t0 + 2ms, false).action == acquire_action::open));
}

BOOST_AUTO_TEST_CASE(idle_timeout_retires_a_connection_exactly_at_the_boundary) {
  const auto opts = options(1);
  {
    core pool(opts);
    park_connections(pool, 1); // last used at t0 + 1 ms
    auto d = pool.acquire(t0 + 1ms + opts.idle_timeout - 1ns, false);
    BOOST_TEST((d.action == acquire_action::reuse)); // one tick before: still trusted
    BOOST_TEST(d.retired.empty());
  }
  {
    core pool(opts);
    park_connections(pool, 1);
    auto d = pool.acquire(t0 + 1ms + opts.idle_timeout, false);
    BOOST_TEST((d.action == acquire_action::open)); // its slot is free again
    BOOST_REQUIRE(d.retired.size() == 1u);
    BOOST_TEST(d.retired.front()->id == 1);
    BOOST_TEST(pool.idle_count() == 0u);
    BOOST_TEST(pool.lent_count() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(max_connection_age_retires_an_idle_connection_exactly_at_the_boundary) {
  auto opts = options(1);
  opts.max_connection_age = 10s; // shorter than the idle timeout: only the age can retire it
  const auto opened = t0;
  {
    core pool(opts);
    BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
    const auto now = opened + opts.max_connection_age - 1ns;
    BOOST_REQUIRE(
        (pool.release(make(1, opened, now), true, now, false).action == release_action::park));
    auto d = pool.acquire(now, false);
    BOOST_TEST((d.action == acquire_action::reuse));
  }
  {
    core pool(opts);
    BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
    const auto used = opened + opts.max_connection_age - 1ms;
    BOOST_REQUIRE(
        (pool.release(make(1, opened, used), true, used, false).action == release_action::park));
    auto d = pool.acquire(opened + opts.max_connection_age, false); // used 1 ms ago, but too old
    BOOST_TEST((d.action == acquire_action::open));
    BOOST_REQUIRE(d.retired.size() == 1u);
    BOOST_TEST(d.retired.front()->id == 1);
  }
}

BOOST_AUTO_TEST_CASE(an_idle_connection_with_unsolicited_data_is_retired) {
  core pool(options(2));
  auto parked = park_connections(pool, 2);
  parked[1]->unsolicited = true; // the peer wrote to the most recently used one while it sat idle
  auto d = pool.acquire(t0 + 1s, false);
  BOOST_TEST((d.action == acquire_action::reuse));
  BOOST_TEST(id_of(d.connection) == 1);
  BOOST_REQUIRE(d.retired.size() == 1u);
  BOOST_TEST(d.retired.front()->id == 2);
  BOOST_TEST(pool.idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(lending_asks_the_socket_of_the_lent_connection_only) {
  // Every acquire would otherwise cost a system call per idle connection (FIONREAD each).
  core pool(options(4));
  auto parked = park_connections(pool, 4);
  for (auto* c : parked)
    c->socket_checks = 0;
  auto d = pool.acquire(t0 + 1s, false);
  BOOST_TEST(id_of(d.connection) == 4);
  BOOST_TEST(parked[3]->socket_checks == 1);
  BOOST_TEST(parked[0]->socket_checks + parked[1]->socket_checks + parked[2]->socket_checks == 0);
}

BOOST_AUTO_TEST_CASE(every_idle_connection_with_unsolicited_data_before_a_usable_one_is_retired) {
  core pool(options(3));
  auto parked = park_connections(pool, 3);
  parked[2]->unsolicited = true;
  parked[1]->unsolicited = true;
  auto d = pool.acquire(t0 + 1s, false);
  BOOST_TEST((d.action == acquire_action::reuse));
  BOOST_TEST(id_of(d.connection) == 1);
  BOOST_TEST(d.retired.size() == 2u);
  BOOST_TEST(pool.idle_count() == 0u);
}

BOOST_AUTO_TEST_CASE(pruning_retires_only_the_stale_and_keeps_the_order_of_the_rest) {
  core pool(options(4));
  auto parked = park_connections(pool, 4);
  parked[1]->opened = t0 - options().max_connection_age; // connection 2 is too old now
  const auto now = t0 + 1s;
  auto first = pool.acquire(now, false);
  BOOST_REQUIRE(first.retired.size() == 1u);
  BOOST_TEST(first.retired.front()->id == 2);
  std::vector<int> order{id_of(first.connection)};
  for (int i = 0; i < 2; ++i)
    order.push_back(id_of(pool.acquire(now, false).connection));
  BOOST_TEST(order == (std::vector<int>{4, 3, 1}));
}

BOOST_AUTO_TEST_CASE(a_released_connection_past_its_age_is_not_handed_to_a_waiter) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  const auto now = t0 + options().max_connection_age;
  auto d = pool.release(make(1, t0, now), true, now, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(!d.handed); // the waiter opens a fresh one instead
  BOOST_TEST(id_of(d.retired) == 1);
}

BOOST_AUTO_TEST_CASE(a_released_connection_past_its_idle_timeout_is_not_parked) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(1, t0, t0), true, t0 + options().idle_timeout, false);
  BOOST_TEST((d.action == release_action::discard));
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST((d.why == talkory::retire_reason::idle_timeout));
  BOOST_TEST(pool.idle_count() == 0u);
  BOOST_TEST(pool.lent_count() == 0u);
}

// Parking does not ask the socket (a system call per call): the check comes when the connection
// is lent, and meanwhile its idle watch retires it if bytes are there.
BOOST_AUTO_TEST_CASE(a_parked_connection_is_asked_for_unsolicited_bytes_only_when_lent) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto tainted = make(1);
  auto* watched = tainted.get();
  tainted->unsolicited = true;
  auto d = pool.release(std::move(tainted), true, t0, false);
  BOOST_TEST((d.action == release_action::park));
  BOOST_TEST(watched->socket_checks == 0);
  auto lent = pool.acquire(t0 + 1ms, false);
  BOOST_TEST((lent.action == acquire_action::open)); // not the tainted one
  BOOST_REQUIRE(lent.retired.size() == 1u);
  BOOST_TEST(lent.retired.front()->id == 1);
}

// A connection handed straight to a waiter is lent without passing through acquire(): its
// socket is asked at release.
BOOST_AUTO_TEST_CASE(a_connection_with_unsolicited_bytes_is_not_handed_to_a_waiter) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto tainted = make(1);
  tainted->unsolicited = true;
  auto d = pool.release(std::move(tainted), true, t0, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(!d.handed); // the waiter opens a fresh one instead
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST((d.why == talkory::retire_reason::unsolicited_data));
}

BOOST_AUTO_TEST_CASE(without_reuse_a_connection_is_never_parked) {
  auto opts = options(1);
  opts.reuse = false;
  core pool(opts);
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(1), true, t0, false);
  BOOST_TEST((d.action == release_action::discard));
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST(pool.idle_count() == 0u);
  BOOST_TEST((pool.acquire(t0, false).action == acquire_action::open)); // a fresh connection
}

BOOST_AUTO_TEST_CASE(without_reuse_a_waiter_gets_an_empty_slot_not_the_connection) {
  auto opts = options(1);
  opts.reuse = false;
  core pool(opts);
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  auto d = pool.release(make(1), true, t0, true);
  BOOST_TEST((d.action == release_action::hand_over));
  BOOST_TEST(!d.handed);
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST(pool.lent_count() == 1u);
}

// Watches cost system calls: only a connection idle for the whole delay gets one, and the core
// says when the next unwatched one comes due, so the pool's one timer can wait for it.
BOOST_AUTO_TEST_CASE(only_connections_idle_for_the_delay_are_watched_and_the_next_due_is_told) {
  core pool(options());
  const auto parked = park_connections(pool, 4); // last used at t0 + 1, 2, 3 and 4 ms
  std::vector<int> watched;
  const auto watch = [&](fake_connection& c) {
    watched.push_back(c.id);
    c.watching = true;
  };
  const auto delay = 50ms;
  // Nobody yet: the earliest comes due at t0 + 51 ms.
  auto next = pool.watch_due(t0 + 50ms, delay, watch);
  BOOST_TEST(watched.empty());
  BOOST_TEST((next == t0 + 51ms));
  parked[1]->watching = true; // watched already (an earlier sweep): never watched twice
  const auto lent = pool.acquire(t0 + 50ms, false); // kept: the lent connection is its
  BOOST_REQUIRE((lent.action == acquire_action::reuse));
  BOOST_REQUIRE(id_of(lent.connection) == 4);
  // Exactly at its due time, the first; the next due is the third's, not the watched second's
  // nor the lent fourth's, which is nobody's to watch.
  next = pool.watch_due(t0 + 51ms, delay, watch);
  BOOST_TEST(watched == (std::vector<int>{1}));
  BOOST_TEST((next == t0 + 53ms));
  next = pool.watch_due(t0 + 1s, delay, watch);
  BOOST_TEST(watched == (std::vector<int>{1, 3}));
  BOOST_TEST(!next.has_value()); // every idle one is watched: no timer is needed
  BOOST_TEST(!lent.connection->watching);
}

BOOST_AUTO_TEST_CASE(a_closed_pool_refuses_and_returns_its_idle_list) {
  core pool(options(4));
  park_connections(pool, 2);
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::reuse)); // one stays lent
  auto idle = pool.close();
  BOOST_REQUIRE(idle.size() == 1u);
  BOOST_TEST(idle.front()->id == 1);
  BOOST_TEST(pool.closed());
  BOOST_TEST(pool.idle_count() == 0u);
  BOOST_TEST(pool.lent_count() == 1u); // still out there until given back
  auto d = pool.acquire(t0, false);
  BOOST_TEST((d.action == acquire_action::refuse));
  BOOST_TEST(!d.connection);
  BOOST_TEST(pool.lent_count() == 1u);
  BOOST_TEST(pool.close().empty()); // a second shutdown has nothing left to close
}

BOOST_AUTO_TEST_CASE(a_closed_pool_discards_what_comes_back) {
  core pool(options(1));
  BOOST_REQUIRE((pool.acquire(t0, false).action == acquire_action::open));
  pool.close();
  auto d = pool.release(make(1), true, t0, true);
  BOOST_TEST((d.action == release_action::discard));
  BOOST_TEST(id_of(d.retired) == 1);
  BOOST_TEST(!d.handed);
  BOOST_TEST(pool.lent_count() == 0u);
  BOOST_TEST(pool.idle_count() == 0u);
}

// A model of the pool's users: random acquisitions, releases (reusable or not, with or without a
// connection, with or without waiters), waiters giving up and time passing, checked against the
// counts the core reports and the bound on open plus opening connections after every step.
BOOST_AUTO_TEST_CASE(counts_stay_consistent_and_bounded_through_random_use) {
  constexpr std::size_t max = 3;
  auto opts = options(max);
  opts.idle_timeout = 40ms;
  opts.max_connection_age = 300ms;
  core pool(opts);
  std::mt19937 rng(20260627);
  std::vector<conn_ptr> lent; // one entry per lent slot (null: an empty slot)
  std::size_t waiters = 0;    // callers told to wait and not yet served
  std::set<int> alive;        // ids of connections not yet retired
  std::size_t idle = 0;
  int next_id = 1;
  auto now = t0;
  auto retire = [&](const conn_ptr& c) {
    if (c)
      BOOST_REQUIRE(alive.erase(c->id) == 1u); // retired once, and only connections that exist
  };
  for (int step = 0; step < 20'000; ++step) {
    now += std::chrono::milliseconds(rng() % 7);
    switch (rng() % 5) {
    case 0:
    case 1: { // a caller arrives
      auto d = pool.acquire(now, waiters > 0);
      for (auto& c : d.retired) {
        retire(c);
        --idle;
      }
      if (d.action == acquire_action::reuse) {
        BOOST_REQUIRE(d.connection);
        BOOST_REQUIRE(alive.count(d.connection->id) == 1u);
        --idle;
        lent.push_back(std::move(d.connection));
      } else if (d.action == acquire_action::open) {
        BOOST_REQUIRE(waiters == 0u);
        lent.push_back(nullptr);
      } else {
        BOOST_REQUIRE((d.action == acquire_action::wait));
        ++waiters;
      }
      break;
    }
    case 2: { // a holder opens a connection into its empty slot
      for (auto& slot : lent)
        if (!slot) {
          slot = make(next_id, now, now);
          alive.insert(next_id++);
          break;
        }
      break;
    }
    case 3: { // a holder gives its slot back
      if (lent.empty())
        break;
      const auto at = rng() % lent.size();
      auto c = std::move(lent[at]);
      lent.erase(lent.begin() + static_cast<std::ptrdiff_t>(at));
      if (c)
        c->used = now;
      if (c && rng() % 5 == 0)
        c->unsolicited = true;
      const bool reusable = rng() % 4 != 0;
      auto d = pool.release(std::move(c), reusable, now, waiters > 0);
      retire(d.retired);
      if (d.action == release_action::hand_over) {
        BOOST_REQUIRE(waiters > 0u);
        --waiters;
        lent.push_back(std::move(d.handed));
      } else if (d.action == release_action::park) {
        ++idle;
      }
      break;
    }
    case 4: // a waiter gives up (cancelled or timed out): the core is not involved
      if (waiters > 0)
        --waiters;
      break;
    }
    BOOST_REQUIRE(pool.lent_count() == lent.size());
    BOOST_REQUIRE(pool.idle_count() == idle);
    BOOST_REQUIRE(pool.lent_count() + pool.idle_count() <= max);
    BOOST_REQUIRE(alive.size() <= max); // open connections (lent or idle), never more
    // Waiters only ever wait for a slot: there is none free while they do.
    if (waiters > 0)
      BOOST_REQUIRE(pool.lent_count() == max);
  }
}

BOOST_AUTO_TEST_SUITE_END()
