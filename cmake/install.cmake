# cmake --install: the public headers, libtalkory and libtalkory_testing, the CMake package
# (talkoryConfig.cmake, talkoryConfigVersion.cmake, targets talkory::talkory and
# talkory::testing), pkg-config files and, when built, the talkory-health and talkory-mock-server
# programs.
include(CMakePackageConfigHelpers)

set(TALKORY_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/talkory
    CACHE STRING "Where talkoryConfig.cmake is installed, relative to the prefix")

install(TARGETS talkory talkory_testing EXPORT talkoryTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(EXPORT talkoryTargets NAMESPACE talkory:: DESTINATION ${TALKORY_INSTALL_CMAKEDIR})

# 0.y.z: a minor release may change the API (README, "Versioning"), so find_package(talkory 0.2)
# accepts 0.2.x only; from 1.0 on SameMajorVersion is the rule.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(talkory_compatibility SameMinorVersion)
else()
  set(talkory_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/talkoryConfigVersion.cmake
                                 COMPATIBILITY ${talkory_compatibility})
configure_package_config_file(cmake/talkoryConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/talkoryConfig.cmake
                              INSTALL_DESTINATION ${TALKORY_INSTALL_CMAKEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/talkoryConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/talkoryConfigVersion.cmake
        DESTINATION ${TALKORY_INSTALL_CMAKEDIR})

# pkg-config. A static libtalkory needs its own dependencies on the consumer's link line, a
# shared one only privately. Boost has no .pc files: its libraries are named by path.
if(BUILD_SHARED_LIBS)
  set(talkory_pc_libs_field Libs.private)
else()
  set(talkory_pc_libs_field Libs)
endif()
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix P`
# works for any P.
file(RELATIVE_PATH talkory_pc_prefix_from_pcfiledir /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" talkory_pc_prefix_from_pcfiledir "${talkory_pc_prefix_from_pcfiledir}")
# Fleet mode links hiredis (found with pkg-config, so it has a .pc file to require).
set(talkory_pc_requires openssl)
if(TALKORY_HAS_FLEET)
  string(APPEND talkory_pc_requires " hiredis")
endif()
set(talkory_pc_boost_libs "$<TARGET_LINKER_FILE:Boost::json> $<TARGET_LINKER_FILE:Boost::url>")
foreach(pc talkory talkory-testing)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc.configured @ONLY)
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc
       INPUT ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc.configured)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

if(TALKORY_BUILD_EXAMPLES)
  install(TARGETS talkory-health talkory-mock-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
