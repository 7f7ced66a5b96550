#define BOOST_TEST_MODULE talkory_integration_tests
#include <boost/test/unit_test.hpp>
