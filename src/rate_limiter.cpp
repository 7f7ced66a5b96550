// The library's rate limiter, compiled once here on the steady clock: users of rate_limiter.hpp
// (the client) do not compile the implementation.
#include "rate_limiter_impl.hpp"

namespace talkory::detail {

template class basic_rate_limiter<boost::asio::steady_timer>;

} // namespace talkory::detail
