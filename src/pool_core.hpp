// The connection pool's rules without I/O: which idle connection to lend, when to open one, when to
// wait, what a released connection becomes. No sockets, no timers, no clock reads: `now` is given.
#pragma once

#include <cassert>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <talkory/options.hpp>

namespace talkory::detail {

/// The decisions of a pool of `Connection`s, which need only `opened_at()`, `last_used()` (both
/// steady_clock time points), `has_unsolicited_data()` and, for watch_due(), `watched()`. Not
/// thread-safe: its owner serializes every call (the pool's strand). A slot is "lent" from
/// acquire() (reuse or open) until the matching release(); an empty slot is one its holder opens a
/// connection into, so connections being opened count toward max_connections. The core closes
/// nothing: the connections it retires are handed back for the owner to close (only those still
/// idle when the core itself is destroyed go with it). Who waits, and in which order, is the
/// owner's FIFO queue: the core only decides that a released slot goes to "the next waiter", and
/// with which connection, if any.
template <class Connection>
class pool_core {
public:
  using connection_ptr = std::unique_ptr<Connection>;
  using time_point = std::chrono::steady_clock::time_point;

  enum class acquire_action {
    reuse,  // lend `connection`, an idle one
    open,   // lend an empty slot: the caller opens a connection into it
    wait,   // no slot is free (or others wait already): queue until a release hands one over
    refuse, // the pool is closed
  };
  struct acquire_decision {
    acquire_action action = acquire_action::refuse;
    connection_ptr connection;           // reuse: the connection lent
    std::vector<connection_ptr> retired; // idle connections judged unusable, for the owner to close
  };

  enum class release_action {
    hand_over, // the slot goes to the next waiter, with `handed` (null: an empty slot)
    park,      // the connection joins the idle list (most recently used)
    discard,   // the slot is free; `retired`, if any, is to be closed
  };
  struct release_decision {
    release_action action = release_action::discard;
    connection_ptr handed;  // hand_over: the connection for the waiter, null for an empty slot
    connection_ptr retired; // a released connection that must not be used again
    retire_reason why = retire_reason::error; // why `retired` is (error: the caller's `reusable`
                                              // was false)
  };

  explicit pool_core(const pool_options& options) : options_(options) {}

  /// A caller asks for a slot at `now`; `waiters_queued` tells whether earlier callers still wait
  /// (a newcomer never overtakes them, even when a slot looks free). Idle connections that are no
  /// longer usable are retired first, which frees their slots: by their age and idleness all of
  /// them; by what their socket holds only the one about to be lent (that check is a system
  /// call, and an idle one that receives bytes is retired by its idle watch anyway).
  acquire_decision acquire(time_point now, bool waiters_queued) {
    acquire_decision d;
    if (closed_)
      return d; // refuse
    d.retired = prune(now);
    if (waiters_queued) {
      d.action = acquire_action::wait;
      return d;
    }
    while (!idle_.empty()) {
      auto candidate = std::move(idle_.back()); // most recently used: the likeliest still open
      idle_.pop_back();
      if (candidate->has_unsolicited_data()) {
        d.retired.push_back(std::move(candidate));
        continue;
      }
      d.action = acquire_action::reuse;
      d.connection = std::move(candidate);
      ++lent_;
      return d;
    }
    if (lent_ + idle_.size() < options_.max_connections) {
      d.action = acquire_action::open;
      ++lent_;
    } else {
      d.action = acquire_action::wait;
    }
    return d;
  }

  /// A lent slot comes back at `now`, with its connection (null when none was opened into it).
  /// `reusable`: the connection may carry another request (the exchange said keep-alive).
  /// `waiter_queued`: someone waits; the slot then passes to them instead of being freed.
  /// Only a connection handed straight to a waiter has its socket asked for unsolicited bytes
  /// (a system call): a parked one is asked when it is lent (acquire), and its idle watch
  /// retires it meanwhile if bytes are there or arrive.
  release_decision release(connection_ptr conn, bool reusable, time_point now, bool waiter_queued) {
    assert(lent_ > 0);
    release_decision d;
    const bool handing_over = waiter_queued && !closed_;
    const auto verdict = conn ? release_verdict(*conn, reusable, now, handing_over) : std::nullopt;
    const bool keep = conn && !verdict;
    if (!keep) {
      d.retired = std::move(conn);
      d.why = verdict.value_or(retire_reason::error);
    }
    if (handing_over) {
      d.action = release_action::hand_over; // the slot stays lent, to its next holder
      d.handed = std::move(conn);
      return d;
    }
    --lent_;
    if (keep) {
      d.action = release_action::park;
      idle_.push_back(std::move(conn));
    } else {
      d.action = release_action::discard;
    }
    return d;
  }

  /// Passes to `watch` every idle connection that is not watched yet and has sat idle for at least
  /// `delay` at `now`; returns when the next of the others comes due (nothing when none is left
  /// unwatched). A watch costs system calls, so a connection lent again within `delay`, as a busy
  /// pool's are, never gets one: it is asked for unsolicited bytes when it is lent, as every one
  /// is.
  template <class Watch>
  std::optional<time_point> watch_due(time_point now, std::chrono::steady_clock::duration delay,
                                      Watch&& watch) {
    std::optional<time_point> next;
    for (auto& c : idle_) {
      if (c->watched())
        continue;
      const auto due = c->last_used() + delay;
      if (due <= now)
        watch(*c);
      else if (!next || due < *next)
        next = due;
    }
    return next;
  }

  /// Shutdown: later acquisitions are refused and released connections discarded. Returns the idle
  /// connections for the owner to close. Lent slots stay counted until they are released.
  std::vector<connection_ptr> close() {
    closed_ = true;
    return std::exchange(idle_, {});
  }

  /// Removes the idle connection `is_it` picks (the peer closed it while it sat there): its slot
  /// is free again. Null when none is idle (it was lent or already retired).
  template <class Predicate>
  connection_ptr take_idle(Predicate is_it) {
    for (auto it = idle_.begin(); it != idle_.end(); ++it)
      if (is_it(**it)) {
        auto c = std::move(*it);
        idle_.erase(it);
        return c;
      }
    return nullptr;
  }

  /// Whether an idle or released connection may carry another request at `now`: used recently
  /// enough that the server has probably not closed it, young enough to trust, and silent since.
  bool usable(const Connection& c, time_point now) const { return !unusable_reason(c, now); }

  /// Why usable() refuses `c` at `now`, or nothing when it does not.
  std::optional<retire_reason> unusable_reason(const Connection& c, time_point now) const {
    if (auto reason = stale_reason(c, now))
      return reason;
    if (c.has_unsolicited_data())
      return retire_reason::unsolicited_data;
    return std::nullopt;
  }

  /// Too long idle or too old at `now`: what the clock alone tells, without asking the socket.
  std::optional<retire_reason> stale_reason(const Connection& c, time_point now) const {
    if (now - c.last_used() >= options_.idle_timeout)
      return retire_reason::idle_timeout;
    if (now - c.opened_at() >= options_.max_connection_age)
      return retire_reason::max_age;
    return std::nullopt;
  }
  bool stale(const Connection& c, time_point now) const { return stale_reason(c, now).has_value(); }

  std::size_t idle_count() const noexcept { return idle_.size(); }
  /// Slots lent out, connections being opened included.
  std::size_t lent_count() const noexcept { return lent_; }
  bool closed() const noexcept { return closed_; }
  const pool_options& options() const noexcept { return options_; }

private:
  // Why a released connection is not kept, or nothing when it is.
  std::optional<retire_reason> release_verdict(const Connection& c, bool reusable, time_point now,
                                               bool ask_socket) const {
    if (!reusable)
      return retire_reason::error;
    if (!options_.reuse)
      return retire_reason::reuse_disabled;
    if (closed_)
      return retire_reason::shutdown;
    return ask_socket ? unusable_reason(c, now) : stale_reason(c, now);
  }

  // Drops idle connections the server has probably closed, or that are too old to trust,
  // keeping the others in their most-recently-used order. Time alone decides here (see acquire).
  std::vector<connection_ptr> prune(time_point now) {
    std::vector<connection_ptr> retired;
    auto kept = idle_.begin();
    for (auto& c : idle_) {
      if (stale(*c, now))
        retired.push_back(std::move(c));
      else if (&*kept != &c)
        *kept++ = std::move(c);
      else
        ++kept;
    }
    idle_.erase(kept, idle_.end());
    return retired;
  }

  pool_options options_;
  std::vector<connection_ptr> idle_; // most recently used at the back
  std::size_t lent_ = 0;
  bool closed_ = false;
};

} // namespace talkory::detail
