// JSON parsing and member access for the decoders; the messages they produce end up in
// api_error::message, so they name the member and the kind of value found.
#include "json_fields.hpp"

#include "json_document.hpp"
#include "json_duplicate_keys.hpp"
#include "text.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>

namespace talkory::detail {

namespace json = boost::json;

namespace {

json::string_view json_key(std::string_view key) noexcept {
  return {key.data(), key.size()};
}

std::string quoted_key(std::string_view where, std::string_view key) {
  return std::string(where) + "\"" + std::string(key) + "\"";
}

// The member `key` when `has_kind` holds for it; otherwise null, and `problem` says why.
const json::value* typed_member(const json::object& object, std::string_view key,
                                std::string_view where, std::string& problem,
                                bool (json::value::*has_kind)() const noexcept,
                                std::string_view expected) {
  const auto* member = object.if_contains(json_key(key));
  if (member == nullptr)
    problem = quoted_key(where, key) + " is missing";
  else if (!(member->*has_kind)())
    problem = type_mismatch(quoted_key(where, key), *member, expected);
  else
    return member;
  return nullptr;
}

std::string_view view(const json::string& s) noexcept {
  return {s.data(), s.size()};
}

} // namespace

std::optional<json::value> parse_json(std::string_view body, std::string& problem,
                                      json::storage_ptr storage) {
  json::parse_options options;
  options.max_depth = max_json_depth;
  // The parser's working memory for a documented answer; a bigger body spills to the heap.
  unsigned char scratch[1024];
  auto document = parse_json_document(body, options, std::move(storage), scratch, sizeof scratch);
  if (!document.ec) {
    // The DOM keeps one value of a key named twice; fewer keys held than read means that
    // happened somewhere, and the (slower) second pass names the key for the message.
    if (keys_held(document.value) != document.keys_read) {
      const auto twice = first_duplicate_key(body);
      problem = "the key " + quoted(twice.value_or("?")) + " appears twice in one object";
      return std::nullopt;
    }
    return std::move(document.value);
  }
  const auto& ec = document.ec;
  const std::size_t consumed = document.consumed;
  if (ec == json::error::too_deep)
    problem = "nested deeper than " + std::to_string(max_json_depth) + " levels";
  else if (ec == json::error::incomplete)
    problem = "truncated after " + std::to_string(body.size()) + " bytes";
  else
    problem = ec.message() + " at byte " + std::to_string(consumed);
  return std::nullopt;
}

std::string_view kind_name(const json::value& v) noexcept {
  switch (v.kind()) {
  case json::kind::null:
    return "null";
  case json::kind::bool_:
    return "a boolean";
  case json::kind::int64:
  case json::kind::uint64:
  case json::kind::double_:
    return "a number";
  case json::kind::string:
    return "a string";
  case json::kind::array:
    return "an array";
  case json::kind::object:
    return "an object";
  }
  return "an unknown JSON value";
}

std::string type_mismatch(std::string_view what, const json::value& v, std::string_view expected) {
  return std::string(what) + " is " + std::string(kind_name(v)) + ", expected " +
         std::string(expected);
}

std::optional<std::string_view> string_member(const json::object& object, std::string_view key,
                                              std::string_view where, std::string& problem) {
  const auto* member =
      typed_member(object, key, where, problem, &json::value::is_string, "a string");
  return member ? std::optional(view(member->get_string())) : std::nullopt;
}

const json::object* object_member(const json::object& object, std::string_view key,
                                  std::string_view where, std::string& problem) {
  const auto* member =
      typed_member(object, key, where, problem, &json::value::is_object, "an object");
  return member ? &member->get_object() : nullptr;
}

std::optional<std::string_view> find_string(const json::object& object,
                                            std::string_view key) noexcept {
  const auto* member = object.if_contains(json_key(key));
  if (member == nullptr || !member->is_string())
    return std::nullopt;
  return view(member->get_string());
}

const json::object* find_object(const json::object& object, std::string_view key) noexcept {
  const auto* member = object.if_contains(json_key(key));
  return member != nullptr && member->is_object() ? &member->get_object() : nullptr;
}

} // namespace talkory::detail
