// A strand that costs no allocation to copy, to prefer or to require: the executor every call,
// the pool and the limiter serialize on when the client runs on an io_context.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/strand.hpp>

namespace talkory::detail {

/// Why it exists: `strand<any_io_executor>` does not fit in any_io_executor's two-pointer small
/// buffer, so in Boost 1.81 every copy, `prefer(outstanding_work.tracked)` and
/// `require(blocking.never)` of the type-erased executor a coroutine or a handler carries
/// allocates (about 40 of a call's allocations), and the strand's own `query(blocking)` of its
/// type-erased inner executor boxes its answer on the heap on every execute.
///
/// A serial_executor is one pointer to a reference-counted strand of the io_context's own
/// executor, plus its property bits: it lives in any_io_executor's small buffer, and copies cost
/// an atomic increment. It runs exactly what `strand<io_context::executor_type>` runs, with the
/// same ordering and non-concurrency guarantee.
///
/// Outstanding work is tracked as io_context's executor tracks it (on_work_started /
/// on_work_finished) for as long as a tracked copy exists.
class serial_executor {
public:
  using inner_executor = boost::asio::io_context::executor_type;

  /// A new strand on `io`'s executor.
  explicit serial_executor(boost::asio::io_context& io);

  serial_executor(const serial_executor& other) noexcept : core_(other.core_), bits_(other.bits_) {
    acquire();
  }
  serial_executor(serial_executor&& other) noexcept : core_(other.core_), bits_(other.bits_) {
    other.core_ = nullptr; // the moved-from copy holds neither the strand nor any work
  }
  serial_executor& operator=(serial_executor other) noexcept {
    std::swap(core_, other.core_);
    std::swap(bits_, other.bits_);
    return *this;
  }
  ~serial_executor() { release(); }

  // ---- the standard executor interface (Boost.Asio's execution model) ----------------------

  boost::asio::io_context& query(boost::asio::execution::context_t) const noexcept;

  boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) const noexcept {
    if (bits_ & never_bit)
      return boost::asio::execution::blocking.never;
    return boost::asio::execution::blocking.possibly;
  }
  boost::asio::execution::outstanding_work_t
  query(boost::asio::execution::outstanding_work_t) const noexcept {
    if (bits_ & tracked_bit)
      return boost::asio::execution::outstanding_work.tracked;
    return boost::asio::execution::outstanding_work.untracked;
  }
  static constexpr boost::asio::execution::relationship_t
  query(boost::asio::execution::relationship_t) noexcept {
    return boost::asio::execution::relationship.fork;
  }

  serial_executor require(boost::asio::execution::blocking_t::never_t) const noexcept {
    return with(bits_ | never_bit);
  }
  serial_executor require(boost::asio::execution::blocking_t::possibly_t) const noexcept {
    return with(bits_ & ~never_bit);
  }
  serial_executor require(boost::asio::execution::outstanding_work_t::tracked_t) const noexcept {
    return with(bits_ | tracked_bit);
  }
  serial_executor require(boost::asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return with(bits_ & ~tracked_bit);
  }

  template <class Function>
  void execute(Function&& f) const {
    if (bits_ & never_bit)
      core_->never.execute(std::forward<Function>(f));
    else
      core_->possibly.execute(std::forward<Function>(f));
  }

  /// True inside a function this strand is running, on the calling thread.
  bool running_in_this_thread() const noexcept { return core_->possibly.running_in_this_thread(); }

  friend bool operator==(const serial_executor& a, const serial_executor& b) noexcept {
    return a.core_ == b.core_ && a.bits_ == b.bits_;
  }
  friend bool operator!=(const serial_executor& a, const serial_executor& b) noexcept {
    return !(a == b);
  }

private:
  using possibly_strand = boost::asio::strand<inner_executor>;
  using never_strand = std::decay_t<decltype(boost::asio::require(
      std::declval<possibly_strand>(), boost::asio::execution::blocking.never))>;

  struct core {
    explicit core(boost::asio::io_context& io);
    std::atomic<std::uint32_t> refs{1};
    boost::asio::io_context* io;
    possibly_strand possibly;
    never_strand never; // the same strand, required never to run a function inline
  };

  static constexpr std::uint8_t never_bit = 1;
  static constexpr std::uint8_t tracked_bit = 2;

  serial_executor(core* c, std::uint8_t bits) noexcept : core_(c), bits_(bits) { acquire(); }
  serial_executor with(unsigned bits) const noexcept {
    return serial_executor(core_, static_cast<std::uint8_t>(bits));
  }
  void acquire() const noexcept;
  void release() noexcept;

  core* core_;
  std::uint8_t bits_ = 0;
};

/// The executor a call, the pool or the limiter serializes on: a serial_executor when `base` is
/// an io_context's own executor (the common case, and the one the benchmarks measure), else a
/// `strand<any_io_executor>` of `base` (a thread_pool, a user's strand, another executor). A
/// `base` that is already one of those two is returned as it is: the client makes its strand
/// once and hands it to its pool and limiter, which then serialize on that same strand.
boost::asio::any_io_executor make_serial(const boost::asio::any_io_executor& base);

/// True when the calling thread is inside a function run by `serial` (one of make_serial's
/// results); false for any other executor. Lets a part that shares its caller's strand decide at
/// once instead of through an asynchronous operation.
bool running_in(const boost::asio::any_io_executor& serial) noexcept;

} // namespace talkory::detail
