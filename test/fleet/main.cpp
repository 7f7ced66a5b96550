// The fleet tests (CTest label fleet) against a real redis-server each test starts on a free
// port of 127.0.0.1. Without redis-server on PATH they are skipped (exit 77), saying why:
// scripts/test.sh installs it (redis-server, libhiredis-dev) on a fresh machine.
#define BOOST_TEST_MODULE talkory_fleet_tests
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include <iostream>

#include "fleet/redis_server.hpp"

int main(int argc, char* argv[]) {
  if (!talkory::test::redis_server::available()) {
    std::cerr << "redis-server is not installed: skipping the fleet tests (apt-get install "
                 "redis-server, or run scripts/test.sh, which installs it)\n";
    return 77;
  }
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
