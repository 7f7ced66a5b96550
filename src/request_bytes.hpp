// The bytes of each endpoint's request, built once per client: for one origin, key and user
// agent a request_spec always produces the same bytes, so a call writes them as they are
// instead of filling a Beast header map and running its serializer every time.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "base_url.hpp"

namespace talkory::detail {

struct request_spec;

class request_bytes_cache {
public:
  /// Bounds the cache: an endpoint beyond this many distinct requests is built per call.
  static constexpr std::size_t max_entries = 16;

  /// `server`, `api_key` and `user_agent` must outlive the cache (the client owns them).
  request_bytes_cache(const origin& server, const std::string& api_key,
                      const std::string& user_agent)
      : server_(server), api_key_(api_key), user_agent_(user_agent) {}

  /// The wire bytes of `spec` (see make_request). Thread-safe.
  std::shared_ptr<const std::string> bytes_for(const request_spec& spec) const;

private:
  struct entry {
    boost::beast::http::verb method;
    std::string path;
    std::string body;
    std::shared_ptr<const std::string> bytes;
  };

  std::shared_ptr<const std::string> build(const request_spec& spec) const;

  const origin& server_;
  const std::string& api_key_;
  const std::string& user_agent_;
  mutable std::mutex mutex_;
  mutable std::vector<entry> entries_;
};

} // namespace talkory::detail
