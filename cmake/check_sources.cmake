# Sources are listed by hand (cmake/sources.cmake). This check, run at configure time of the
# top-level build, refuses a .cpp under src/ or test/{unit,integration,soak,support} that no list
# names: otherwise a new file would be silently left out of the build.
set(talkory_listed_sources
    ${TALKORY_CODEC_SOURCES} ${TALKORY_LIBRARY_SOURCES} ${TALKORY_TESTING_SOURCES} ${TALKORY_FLEET_SOURCES}
    ${TALKORY_UNIT_TEST_SOURCES} ${TALKORY_INTEGRATION_TEST_SOURCES} ${TALKORY_SOAK_TEST_SOURCES}
    ${TALKORY_TEST_SUPPORT_SOURCES} ${TALKORY_FLEET_TEST_SOURCES}
    ${TALKORY_FLEET_TEST_SUPPORT_SOURCES})
file(GLOB talkory_found_sources RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} CONFIGURE_DEPENDS
     src/*.cpp src/fleet/*.cpp src/testing/*.cpp test/unit/*.cpp test/integration/*.cpp test/soak/*.cpp
     test/support/*.cpp test/fleet/*.cpp)
list(REMOVE_ITEM talkory_found_sources ${talkory_listed_sources})
if(talkory_found_sources)
  list(JOIN talkory_found_sources ", " talkory_unlisted)
  message(FATAL_ERROR "not listed in cmake/sources.cmake: ${talkory_unlisted}")
endif()
