# talkory_warnings: the warning flags of talkory's own targets. Linked privately (and as
# $<BUILD_INTERFACE:...> by the installed libraries), so a consumer's build never inherits them.
add_library(talkory_warnings INTERFACE)
target_compile_options(talkory_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                  $<$<BOOL:${TALKORY_WERROR}>:-Werror>)

# GCC 12's false positives, silenced here and nowhere else. Each is a documented GCC bug fixed
# in GCC 13; every other warning stays on (and is an error in the developer presets).
# - -Wmismatched-new-delete on coroutine frames (Asio's awaitable frames have their own
#   operator new/delete pair, seen through inlining): GCC PR 109224.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(talkory_warnings INTERFACE -Wno-mismatched-new-delete)
endif()

# Under -fsanitize (the asan and tsan presets) GCC 12's -Wmaybe-uninitialized misreads
# instrumented code: it flags Asio's own use_future (an empty allocator passed by reference from
# the object being built). The GCC manual says this warning "may not be able to determine when
# the code is correct"; it stays on in the release build, where it is meaningful.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_FLAGS MATCHES "-fsanitize=")
  target_compile_options(talkory_warnings INTERFACE -Wno-maybe-uninitialized)
endif()

# talkory_test_warnings: the tests build many strings with operator+, where GCC 12's inliner
# reports false -Wrestrict / -Warray-bounds / -Wstringop-overflow in basic_string's copy (GCC PR
# 105329 and its duplicates; which sites it flags changes with -O level and sanitizer). The
# library's own code keeps all three; only test executables drop them.
add_library(talkory_test_warnings INTERFACE)
target_link_libraries(talkory_test_warnings INTERFACE talkory_warnings)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(talkory_test_warnings INTERFACE -Wno-restrict -Wno-array-bounds
                                                         -Wno-stringop-overflow)
endif()
