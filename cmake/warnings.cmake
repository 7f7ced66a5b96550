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
