// An API endpoint described once: the request it sends and the decoder of its 2xx answer.
#pragma once

#include <chrono>

#include <talkory/health.hpp>
#include <talkory/result.hpp>

#include "request_pipeline.hpp"

namespace talkory::detail {

/// Everything the generic call lifecycle needs to know about one endpoint. Adding an endpoint is
/// one such definition (see health_endpoint.cpp) and one public member that starts it.
template <class T>
struct api_endpoint {
  using value_type = T;
  request_spec request;
  /// A 2xx answer -> T (or an api_error for a body that breaks the endpoint's documented shape).
  /// `latency` is the call's duration so far.
  result<T> (*decode)(const pipeline_response& response, std::chrono::microseconds latency);
  /// The answer's metadata, for an endpoint whose answers may be cached (cache_ttl) and served
  /// stale (serve_stale_for); nullptr (the default) for one that must always be asked, such as
  /// any non-idempotent request.
  response_metadata* (*cache_metadata)(T& answer) = nullptr;
};

} // namespace talkory::detail
