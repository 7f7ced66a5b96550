// talkory::client: the thin public handle over detail::client_impl.
#include <talkory/client.hpp>

#include <boost/asio/use_awaitable.hpp>

#include "client_impl.hpp"
#include "health_endpoint.hpp"

namespace talkory {

client::client(boost::asio::any_io_executor executor, client_options options)
    : client(std::make_shared<detail::client_impl>(std::move(executor), std::move(options))) {}

client::client(std::shared_ptr<detail::client_impl> impl)
    : owner_(std::make_shared<detail::client_owner>(impl)), impl_(std::move(impl)) {}

// Not a coroutine: a member coroutine would keep `this` and read the handle whenever it is
// first awaited, maybe after the handle is gone. The awaitable holds its own copy of the state.
boost::asio::awaitable<result<health_report>> client::health(call_options options) {
  return async_health(std::move(options), boost::asio::use_awaitable);
}

client_stats client::stats() const {
  return impl_->stats();
}

const std::optional<api_error>& client::options_error() const noexcept {
  return impl_->options_error();
}

boost::asio::any_io_executor client::get_executor() const noexcept {
  return impl_->executor();
}

void client::start_health(std::shared_ptr<detail::client_impl> impl, call_options options,
                          boost::asio::any_completion_handler<health_signature> handler,
                          boost::asio::any_io_executor work) {
  detail::start_health(impl, options, std::move(handler), std::move(work));
}

void client::start_shutdown(std::shared_ptr<detail::client_impl> impl,
                            boost::asio::any_completion_handler<shutdown_signature> handler) {
  impl->start_shutdown(std::move(handler));
}

} // namespace talkory
