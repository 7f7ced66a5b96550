// One pass over a JSON text that builds its DOM and counts the keys it read, so a duplicate key
// (which the DOM silently collapses, last value winning) is detected without a second parse.
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

namespace talkory::detail {

struct json_document {
  boost::json::value value;     // null when parsing failed
  std::size_t keys_read = 0;    // every key of every object, duplicates included
  std::size_t consumed = 0;     // bytes of the input the parser took
  boost::system::error_code ec; // the parser's error, or extra_data after a complete value
};

/// Parses all of `text` as one JSON value. The value's memory comes from `storage` (so a caller
/// can keep a whole small answer on its stack with a monotonic_resource); `scratch` (may be
/// empty) is the parser's working memory before it falls back to the heap.
json_document parse_json_document(std::string_view text, const boost::json::parse_options& options,
                                  boost::json::storage_ptr storage, unsigned char* scratch,
                                  std::size_t scratch_size);

/// The number of keys held by every object in `v`, nested ones included: equal to
/// json_document::keys_read unless some object named a key twice.
std::size_t keys_held(const boost::json::value& v) noexcept;

} // namespace talkory::detail
