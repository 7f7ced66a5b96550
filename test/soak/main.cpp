#define BOOST_TEST_MODULE talkory_soak_tests
#include <boost/test/unit_test.hpp>

#if defined(__SANITIZE_ADDRESS__)
// ASan keeps freed memory in a quarantine (256 MiB by default) to catch uses after free: while
// it fills, the resident set grows whatever the code does. A small one keeps the soak's RSS
// comparison about live memory; LeakSanitizer still checks for leaks at exit.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16";
}
#endif
