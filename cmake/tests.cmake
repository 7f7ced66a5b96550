# The test executables (unit, integration, soak), the build checks and the test-only servers.
# CTest runs each test file's suite (named after the file) on its own.

# Test-only servers beside the mock: the raw-bytes fault server and its certificates.
add_library(talkory_test_support STATIC ${TALKORY_TEST_SUPPORT_SOURCES})
target_include_directories(talkory_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/test
                                                PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(talkory_test_support PUBLIC Threads::Threads
                                           PRIVATE talkory_testing Boost::headers OpenSSL::SSL
                                                   OpenSSL::Crypto talkory_test_warnings)
target_compile_definitions(talkory_test_support PRIVATE BOOST_ASIO_NO_DEPRECATED)

# One executable per kind. The first one built precompiles the tests' heavy headers; the others
# reuse that header (their flags are the same), which roughly halves each suite's compile time.
set(talkory_test_pch_owner "")
function(talkory_test_executable name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR}/test)
  # The codec's objects, linked directly, define its symbols: libtalkory's copies are not pulled in.
  target_link_libraries(${name} PRIVATE talkory_codec talkory talkory_testing talkory_test_support
                                        Boost::unit_test_framework Boost::json Boost::url
                                        OpenSSL::SSL OpenSSL::Crypto talkory_test_warnings)
  target_compile_definitions(${name} PRIVATE BOOST_TEST_DYN_LINK)
  if(talkory_test_pch_owner)
    target_precompile_headers(${name} REUSE_FROM ${talkory_test_pch_owner})
  else()
    target_precompile_headers(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/test/pch.hpp)
    set(talkory_test_pch_owner ${name} PARENT_SCOPE)
  endif()
  foreach(file ${ARGN})
    get_filename_component(suite ${file} NAME_WE)
    if(suite STREQUAL "main")
      # main.cpp defines BOOST_TEST_MODULE before it includes Boost.Test: no precompiled header.
      set_source_files_properties(${file} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    else()
      add_test(NAME ${name}.${suite} COMMAND ${name} --run_test=${suite} --report_level=short)
      set_tests_properties(${name}.${suite} PROPERTIES TIMEOUT 120)
    endif()
  endforeach()
endfunction()
talkory_test_executable(unit_tests ${TALKORY_UNIT_TEST_SOURCES})
# readme_error_table_tests reads the README it keeps true (a definition of that file alone, so
# the precompiled header the test executables share keeps one set of flags).
set_source_files_properties(test/unit/readme_error_table_tests.cpp PROPERTIES
                            COMPILE_DEFINITIONS TALKORY_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
talkory_test_executable(integration_tests ${TALKORY_INTEGRATION_TEST_SOURCES})
# The chaos soak (label soak): a short run here; TALKORY_SOAK_CALLS=500000 ctest -L soak runs a
# long one (the README says how).
talkory_test_executable(soak_tests ${TALKORY_SOAK_TEST_SOURCES})
set_tests_properties(soak_tests.chaos_soak_tests PROPERTIES LABELS soak TIMEOUT 600)

# The fleet tests (label fleet), when fleet mode is built: each test starts its own redis-server
# on a free port of 127.0.0.1 (test/fleet/redis_server.*); skipped (77) without redis-server.
if(TALKORY_HAS_FLEET)
  add_library(talkory_fleet_test_support STATIC ${TALKORY_FLEET_TEST_SUPPORT_SOURCES})
  target_include_directories(talkory_fleet_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/test)
  target_link_libraries(talkory_fleet_test_support PUBLIC ${HIREDIS_LINK_LIBRARIES}
                        PRIVATE Boost::headers talkory_test_warnings)
  talkory_test_executable(fleet_tests ${TALKORY_FLEET_TEST_SOURCES})
  target_link_libraries(fleet_tests PRIVATE talkory_fleet_test_support)
  foreach(file ${TALKORY_FLEET_TEST_SOURCES})
    get_filename_component(suite ${file} NAME_WE)
    if(TEST fleet_tests.${suite})
      set_tests_properties(fleet_tests.${suite} PROPERTIES LABELS fleet SKIP_RETURN_CODE 77
                           TIMEOUT 120)
    endif()
  endforeach()
  if(TALKORY_BUILD_EXAMPLES)
    add_dependencies(fleet_tests talkory-bench) # fleet_process_tests runs it
    set_tests_properties(fleet_tests.fleet_process_tests PROPERTIES
                         ENVIRONMENT TALKORY_BENCH=$<TARGET_FILE:talkory-bench>)
  else()
    set_tests_properties(fleet_tests.fleet_process_tests PROPERTIES DISABLED ON)
  endif()
endif()

# Public headers compile alone without Beast or OpenSSL (DESIGN.md: the pimpl keeps them in src/).
# What a header includes does not depend on sanitizers, so the sanitizer presets (whose CI time
# is the scarce part) leave this compile-only check to the release preset.
if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
  add_test(NAME build.public_headers_stay_light
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test/public_headers_check.sh ${CMAKE_CXX_COMPILER}
                   ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/src/connection.hpp
                   -DBOOST_ASIO_NO_DEPRECATED
                   "-I$<JOIN:$<TARGET_PROPERTY:Boost::headers,INTERFACE_INCLUDE_DIRECTORIES>,;-I>")
  set_tests_properties(build.public_headers_stay_light PROPERTIES TIMEOUT 300)
endif()
