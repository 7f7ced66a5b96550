# The programs: talkory-health (the CLI), talkory-mock-server, talkory-bench and the examples the
# README shows (compiled and smoke-run by the tests: cli.examples).

# Flag parsing and JSON/text rendering shared by the CLI and the bench, compiled once.
add_library(talkory_cli_support STATIC example/cli_support.cpp)
target_include_directories(talkory_cli_support PUBLIC example)
target_link_libraries(talkory_cli_support PUBLIC talkory Boost::json PRIVATE talkory_warnings)

add_executable(talkory-health example/talkory_health.cpp example/watch_mode.cpp)
target_link_libraries(talkory-health PRIVATE talkory_cli_support talkory talkory_testing Boost::json
                                             talkory_warnings)

foreach(example coroutine callbacks watch gateway_server observability)
  string(REPLACE "_" "-" example_name ${example})
  add_executable(talkory-example-${example_name} example/${example}.cpp)
  target_link_libraries(talkory-example-${example_name} PRIVATE talkory talkory_testing Boost::json
                                                               talkory_warnings)
endforeach()

add_executable(talkory-mock-server example/mock_server_main.cpp)
target_link_libraries(talkory-mock-server PRIVATE talkory_testing talkory_warnings)

# allocation_counter.cpp replaces the global operator new/delete: in this executable only.
add_executable(talkory-bench bench/talkory_bench.cpp bench/allocation_counter.cpp
                             bench/fleet_bench.cpp)
target_link_libraries(talkory-bench PRIVATE talkory_cli_support talkory talkory_testing Boost::json
                                            talkory_warnings)

# talkory-curl-peer: the same GET with libcurl, talkory-bench's yardstick (bench/side_by_side.sh,
# bench/instructions.sh). Built only when libcurl's development files are installed: it is never
# a dependency of the library or of a first build, and it is not installed.
find_package(CURL QUIET)
if(CURL_FOUND)
  add_executable(talkory-curl-peer bench/curl_peer.cpp)
  # include/ for talkory/version.hpp only: the peer sends talkory's User-Agent.
  target_include_directories(talkory-curl-peer PRIVATE include)
  target_link_libraries(talkory-curl-peer PRIVATE CURL::libcurl talkory_warnings)
endif()
