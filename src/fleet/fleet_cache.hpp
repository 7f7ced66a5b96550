// The fleet-wide cache and single-flight on Redis: the last good answer under a key with cache_ttl
// as its PX, and a SET NX PX lease electing the one process that refreshes it.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <talkory/options.hpp>

#include "fleet/redis_connection.hpp"
#include "shared_answer_store.hpp"
#include "unit_random.hpp"

namespace talkory::detail {

/// Keys: BASE + "answer:" + name and BASE + "lease:" + name. Values: the request id, a newline,
/// the server's body. A waiting process polls every `poll_interval` (the answer usually comes
/// one request later), bounded by its deadline; a lease lives at most timeouts.total, so a
/// refresher that dies frees it by expiry. Any Redis failure makes obtain() say `unavailable`:
/// the caller then asks the server itself, as without fleet mode (the limit still applies).
class fleet_cache final : public shared_answer_store {
public:
  fleet_cache(boost::asio::any_io_executor executor, redis_connection_options redis,
              std::string key_base, std::chrono::milliseconds ttl,
              std::chrono::milliseconds lease_lifetime, unit_random random);

  boost::asio::awaitable<outcome> obtain(std::string name, clock::time_point deadline) override;
  void publish(std::string name, std::string request_id, std::string body,
               std::string lease_token) override;
  void release(std::string name, std::string lease_token) override;
  void close() override;

  static constexpr std::chrono::milliseconds poll_interval{25};

private:
  std::string make_token() const;

  std::shared_ptr<redis_connection> redis_;
  std::string base_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds lease_lifetime_;
  unit_random random_;
};

} // namespace talkory::detail
