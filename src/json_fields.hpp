// JSON for the decoders: parsing within a depth bound, and typed member access whose failures
// name the member and what was found instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

namespace talkory::detail {

/// Deep enough for any sane answer, shallow enough that a hostile body cannot make the
/// parser's work (and the error path) expensive.
inline constexpr std::size_t max_json_depth = 32;

/// `body` as one JSON value within max_json_depth. On failure `problem` says why, with the
/// byte offset where the parser stopped. The value's memory comes from `storage` (default: the
/// heap); a decoder that copies what it needs out of the DOM can pass a monotonic_resource.
std::optional<boost::json::value> parse_json(std::string_view body, std::string& problem,
                                             boost::json::storage_ptr storage = {});

/// "null", "a boolean", "a number", "a string", "an array" or "an object", for messages.
std::string_view kind_name(const boost::json::value& v) noexcept;

/// "<what> is <kind of v>, expected <expected>".
std::string type_mismatch(std::string_view what, const boost::json::value& v,
                          std::string_view expected);

/// The string member `key`, or nothing with `problem` set to `<where>"key" is missing` or
/// `<where>"key" is <kind>, expected a string`.
std::optional<std::string_view> string_member(const boost::json::object& object,
                                              std::string_view key, std::string_view where,
                                              std::string& problem);

/// The object member `key`, or null with `problem` set as for string_member.
const boost::json::object* object_member(const boost::json::object& object, std::string_view key,
                                         std::string_view where, std::string& problem);

/// Lenient access, for bodies whose shape is only hoped for: the member when it is present and
/// a string (an object), otherwise nothing.
std::optional<std::string_view> find_string(const boost::json::object& object,
                                            std::string_view key) noexcept;
const boost::json::object* find_object(const boost::json::object& object,
                                       std::string_view key) noexcept;

} // namespace talkory::detail
