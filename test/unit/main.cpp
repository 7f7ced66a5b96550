#define BOOST_TEST_MODULE talkory_unit_tests
#include <boost/test/unit_test.hpp>
