#define BOOST_TEST_MODULE talkory_soak_tests
#include <boost/test/unit_test.hpp>
