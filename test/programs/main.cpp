#define BOOST_TEST_MODULE talkory_program_tests
#include <boost/test/unit_test.hpp>
