// The version users see: the one this release is (written here by hand, not read from the code),
// the same through the macros, the constexpr function and the linked library.
#include <boost/test/unit_test.hpp>

#include <talkory/options.hpp>
#include <talkory/version.hpp>

BOOST_AUTO_TEST_SUITE(version_tests)

BOOST_AUTO_TEST_CASE(this_release_is_0_2_0) {
  static_assert(TALKORY_VERSION == 200);
  constexpr auto v = talkory::header_version();
  static_assert(v.major == 0 && v.minor == 2 && v.patch == 0);
  BOOST_TEST(v.text == "0.2.0");
}

BOOST_AUTO_TEST_CASE(the_linked_library_reports_the_headers_version) {
  const auto linked = talkory::version();
  BOOST_TEST(linked.major == TALKORY_VERSION_MAJOR);
  BOOST_TEST(linked.minor == TALKORY_VERSION_MINOR);
  BOOST_TEST(linked.patch == TALKORY_VERSION_PATCH);
  BOOST_TEST(linked.text == TALKORY_VERSION_STRING);
}

BOOST_AUTO_TEST_CASE(the_default_user_agent_names_the_version) {
  BOOST_TEST(talkory::client_options{}.user_agent == "talkory-cpp/0.2.0");
}

BOOST_AUTO_TEST_SUITE_END()
