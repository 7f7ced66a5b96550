// The one-pass JSON parse: the DOM lands on the caller's storage, and the count of keys read
// against the keys the DOM holds is what reveals a key named twice.
#include <boost/test/unit_test.hpp>

#include <string>

#include <boost/json/monotonic_resource.hpp>

#include "json_document.hpp"
#include "json_fields.hpp"

namespace json = boost::json;
using talkory::detail::keys_held;
using talkory::detail::parse_json;
using talkory::detail::parse_json_document;

namespace {

talkory::detail::json_document parse_text(std::string_view text, json::storage_ptr storage = {}) {
  json::parse_options options;
  options.max_depth = talkory::detail::max_json_depth;
  return parse_json_document(text, options, std::move(storage), nullptr, 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_document_tests)

BOOST_AUTO_TEST_CASE(every_key_read_is_counted_and_the_dom_keeps_one_of_a_duplicate) {
  const auto d = parse_text(R"({"a":1,"b":{"c":[{"d":1,"e":2}],"f":3},"a":2})");
  BOOST_REQUIRE(!d.ec);
  BOOST_TEST(d.keys_read == 7u);
  BOOST_TEST(keys_held(d.value) == 6u); // the second "a" replaced the first
  BOOST_TEST(d.value.at("a").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(without_duplicates_the_counts_agree) {
  const auto d = parse_text(R"({"a":1,"b":{"c":[{"d":1,"e":2}],"f":3},"g":[]})");
  BOOST_REQUIRE(!d.ec);
  BOOST_TEST(d.keys_read == keys_held(d.value));
  BOOST_TEST(d.keys_read == 7u);
}

BOOST_AUTO_TEST_CASE(a_duplicate_deep_inside_an_array_is_refused_by_name) {
  std::string problem;
  const auto v = parse_json(R"({"providers":[{"x":{"status":"ok","status":"error"}}]})", problem);
  BOOST_TEST(!v.has_value());
  BOOST_TEST(problem == R"(the key "status" appears twice in one object)");
}

BOOST_AUTO_TEST_CASE(the_value_lives_on_the_storage_it_was_given) {
  // Assigning the parsed value to one on other storage would copy it to the heap node by node:
  // the allocation-free decoding of a health answer depends on this.
  unsigned char buffer[2048];
  json::monotonic_resource resource(buffer, sizeof buffer);
  const auto d = parse_text(R"({"status":"ok","providers":{"gpt":{"status":"ok"}}})", &resource);
  BOOST_REQUIRE(!d.ec);
  BOOST_TEST(d.value.storage().get() == &resource);
  BOOST_TEST(d.value.at("providers").storage().get() == &resource);

  std::string problem;
  const auto v = parse_json(R"({"status":"ok"})", problem, &resource);
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(v->storage().get() == &resource);
}

BOOST_AUTO_TEST_CASE(bytes_after_the_value_are_an_error) {
  const auto d = parse_text(R"({"a":1} {"b":2})");
  BOOST_TEST(d.ec == json::error::extra_data);
  BOOST_TEST(d.value.is_null());
  std::string problem;
  BOOST_TEST(!parse_json(R"({"a":1} x)", problem).has_value());
  BOOST_TEST(problem.find("at byte 8") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(depth_and_truncation_are_reported_as_before) {
  std::string problem;
  BOOST_TEST(!parse_json(std::string(40, '[') + std::string(40, ']'), problem).has_value());
  BOOST_TEST(problem == "nested deeper than 32 levels");
  BOOST_TEST(!parse_json(R"({"a":)", problem).has_value());
  BOOST_TEST(problem == "truncated after 5 bytes");
}

BOOST_AUTO_TEST_SUITE_END()
