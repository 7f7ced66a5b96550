// The DOM-building handler is Boost.JSON's own (detail/handler.hpp: a value_stack fed by the SAX
// events) plus one counter; keeping our own copy lets the counter see every key before the
// value_stack turns a key list into an object and drops the duplicates.
#include "json_document.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>

namespace talkory::detail {

namespace json = boost::json;
using boost::system::error_code;

namespace {

struct counting_dom_handler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::size_t keys = 0;

  counting_dom_handler(json::storage_ptr scratch_storage, unsigned char* scratch,
                       std::size_t scratch_size)
      : st(std::move(scratch_storage), scratch, scratch_size) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    keys += n;
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

} // namespace

json_document parse_json_document(std::string_view text, const json::parse_options& options,
                                  json::storage_ptr storage, unsigned char* scratch,
                                  std::size_t scratch_size) {
  json::basic_parser<counting_dom_handler> parser(options, json::storage_ptr(), scratch,
                                                  scratch_size);
  parser.handler().st.reset(std::move(storage));
  error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && consumed < text.size())
    ec = json::error::extra_data;
  if (ec)
    return json_document{{}, 0, consumed, ec};
  // Constructed from the released value, never assigned: assigning a json::value to one with
  // other storage copies it, node by node, onto the heap.
  return json_document{parser.handler().st.release(), parser.handler().keys, consumed, {}};
}

std::size_t keys_held(const json::value& v) noexcept {
  std::size_t n = 0;
  if (const auto* object = v.if_object()) {
    n += object->size();
    for (const auto& member : *object)
      n += keys_held(member.value());
  } else if (const auto* array = v.if_array()) {
    for (const auto& element : *array)
      n += keys_held(element);
  }
  return n;
}

} // namespace talkory::detail
