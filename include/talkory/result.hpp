// result<T>: the value of a successful call or the api_error of a failed one.
#pragma once

#include <expected>

#include <talkory/errors.hpp>

namespace talkory {

template <class T>
using result = std::expected<T, api_error>;

} // namespace talkory
