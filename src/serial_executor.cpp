// serial_executor: the reference count and the work count behind each copy.
#include "serial_executor.hpp"

namespace talkory::detail {

namespace asio = boost::asio;

serial_executor::core::core(asio::io_context& context)
    : io(&context), possibly(asio::make_strand(context.get_executor())),
      never(asio::require(possibly, asio::execution::blocking.never)) {}

serial_executor::serial_executor(asio::io_context& io) : core_(new core(io)) {}

asio::io_context& serial_executor::query(asio::execution::context_t) const noexcept {
  return *core_->io;
}

void serial_executor::acquire() const noexcept {
  core_->refs.fetch_add(1, std::memory_order_relaxed);
  if (bits_ & tracked_bit)
    core_->io->get_executor().on_work_started();
}

void serial_executor::release() noexcept {
  if (!core_)
    return;
  if (bits_ & tracked_bit)
    core_->io->get_executor().on_work_finished();
  if (core_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete core_;
  core_ = nullptr;
}

bool running_in(const asio::any_io_executor& serial) noexcept {
  if (const auto* own = serial.target<serial_executor>())
    return own->running_in_this_thread();
  if (const auto* strand = serial.target<asio::strand<asio::any_io_executor>>())
    return strand->running_in_this_thread();
  return false;
}

asio::any_io_executor make_serial(const asio::any_io_executor& base) {
  // Already serial (the client's strand handed to its pool and limiter): the same strand.
  if (base.target<serial_executor>() || base.target<asio::strand<asio::any_io_executor>>())
    return base;
  if (const auto* own = base.target<asio::io_context::executor_type>())
    return serial_executor(asio::query(*own, asio::execution::context));
  return asio::make_strand(base);
}

} // namespace talkory::detail
