# The API reference: Doxygen over the public headers, when Doxygen is installed (optional):
# `cmake --build --preset release --target talkory_docs` writes build/release/docs/api/html.
# With the tests, docs.public_api_documented fails on any undocumented public declaration.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()
set(DOXYGEN_PROJECT_NAME talkory)
set(DOXYGEN_PROJECT_NUMBER ${PROJECT_VERSION})
set(DOXYGEN_PROJECT_BRIEF "${PROJECT_DESCRIPTION}")
set(DOXYGEN_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/docs/api)
set(DOXYGEN_FILE_PATTERNS *.hpp)
set(DOXYGEN_RECURSIVE YES)
set(DOXYGEN_EXTRACT_ALL NO)
set(DOXYGEN_WARN_IF_UNDOCUMENTED YES)
set(DOXYGEN_WARN_NO_PARAMDOC NO)
set(DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)
set(DOXYGEN_EXCLUDE_SYMBOLS detail detail::* BOOST_* std::*)
set(DOXYGEN_GENERATE_LATEX NO)
set(DOXYGEN_QUIET YES)
set(DOXYGEN_STRIP_FROM_PATH ${CMAKE_CURRENT_SOURCE_DIR}/include)
file(MAKE_DIRECTORY ${DOXYGEN_OUTPUT_DIRECTORY}) # Doxygen creates one level only
doxygen_add_docs(talkory_docs ${CMAKE_CURRENT_SOURCE_DIR}/include
                 COMMENT "talkory API reference (Doxygen): ${CMAKE_CURRENT_BINARY_DIR}/docs/api/html")
if(TALKORY_BUILD_TESTS)
  add_test(NAME docs.public_api_documented
           COMMAND ${DOXYGEN_EXECUTABLE} ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile.talkory_docs)
  set_tests_properties(docs.public_api_documented PROPERTIES TIMEOUT 120 LABELS docs)
endif()
