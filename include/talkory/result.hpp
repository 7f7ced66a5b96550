/// @file
/// result<T>: the value of a successful call or the api_error of a failed one.
#pragma once

#include <expected>

#include <talkory/errors.hpp>

namespace talkory {

/// What every call completes with: the value on success, the api_error on failure. A plain
/// std::expected: test it with `if (r)`, read `*r` / `r->` or `r.error()`.
template <class T>
using result = std::expected<T, api_error>;

} // namespace talkory
