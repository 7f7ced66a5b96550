# talkory as a user's build sees it (test/consumer/run.sh): the installed package through
# find_package and through pkg-config, the sources through add_subdirectory and FetchContent.
foreach(mode package pkg-config subdirectory fetchcontent)
  string(REPLACE "-" "_" test_name ${mode})
  add_test(NAME consumer.${test_name}
           COMMAND env CXX=${CMAKE_CXX_COMPILER} bash ${CMAKE_CURRENT_SOURCE_DIR}/test/consumer/run.sh
                   ${mode} ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/consumer-${mode})
  set_tests_properties(consumer.${test_name} PROPERTIES TIMEOUT 600 LABELS consumer)
endforeach()
