// GET /v1/health/llm: the definition of the health endpoint, and how a client starts it.
#pragma once

#include <memory>

#include <boost/asio/any_completion_handler.hpp>

#include <talkory/client.hpp>

namespace talkory::detail {

class client_impl;

/// `work`: the handler's executor with outstanding work tracked (detail::tracked_work_of), or
/// empty when it is not an any_io_executor.
void start_health(const std::shared_ptr<client_impl>& impl, const call_options& options,
                  boost::asio::any_completion_handler<client::health_signature> handler,
                  boost::asio::any_io_executor work);

} // namespace talkory::detail
