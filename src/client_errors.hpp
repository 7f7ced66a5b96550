// The client-side api_errors the call lifecycle produces, worded once.
#pragma once

#include <string>
#include <utility>

#include <talkory/errors.hpp>

namespace talkory::detail {

inline api_error client_error(errc code, std::string message) {
  api_error e;
  e.code = code;
  e.origin = error_origin::client;
  e.message = std::move(message);
  return e;
}

inline api_error cancelled_error() {
  return client_error(errc::cancelled,
                      "the call was cancelled (by its caller, or because the client was shut down "
                      "or destroyed)");
}

} // namespace talkory::detail
