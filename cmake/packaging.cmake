# Installation and the Debian packages, included last by the top-level CMakeLists.txt.
#
#   cmake --install build --prefix /usr/local      the files below, under the prefix
#   cmake --build build --target deb               build/packages/hone_<version>_<arch>.deb
#                                                  (and hone-compress_... with libtorch)
#
# Package `hone` (component hone):
#   bin/hone
#   share/hone/{python,include}           the trial SDKs hone hands to its trials
#   lib/python3/dist-packages/{hone,nni}  the Python SDK and launch API on the system path
#   include/hone/{trial.h,plugin.h}       the C++ SDK and the plugin ABI
#   lib/cmake/hone/                       find_package(hone): hone::sdk, hone::hone,
#                                         hone_add_plugin()
# Package `hone-compress` (component compress, only when libtorch was found):
#   bin/hone-compress                     what `hone compress` runs; depends on libtorch
# Runtime dependencies come from dpkg-shlibdeps over the installed binaries.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HONE_INSTALL_PYTHONDIR "lib/python3/dist-packages" CACHE STRING
    "Where the Python packages hone and nni are installed, relative to the prefix")
set(HONE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/hone")

# The C++ SDK as a header-only target, exported as hone::sdk.
add_library(hone_sdk_headers INTERFACE)
target_include_directories(hone_sdk_headers INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/trials/sdk/cpp>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(hone_sdk_headers INTERFACE nlohmann_json::nlohmann_json)
set_target_properties(hone_sdk_headers PROPERTIES EXPORT_NAME sdk)

install(TARGETS hone EXPORT honeTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT hone)
install(TARGETS hone_sdk_headers EXPORT honeTargets COMPONENT hone)
install(DIRECTORY trials/sdk/python/ DESTINATION ${CMAKE_INSTALL_DATADIR}/hone/python COMPONENT hone
        PATTERN __pycache__ EXCLUDE)
install(DIRECTORY trials/sdk/cpp/ DESTINATION ${CMAKE_INSTALL_DATADIR}/hone/include COMPONENT hone)
install(DIRECTORY trials/sdk/python/ DESTINATION ${HONE_INSTALL_PYTHONDIR} COMPONENT hone
        PATTERN __pycache__ EXCLUDE)
install(DIRECTORY trials/sdk/cpp/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT hone)

install(EXPORT honeTargets NAMESPACE hone:: DESTINATION ${HONE_INSTALL_CMAKEDIR} COMPONENT hone)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/honeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/honeConfig.cmake
  INSTALL_DESTINATION ${HONE_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/honeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/honeConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/honeConfigVersion.cmake
        DESTINATION ${HONE_INSTALL_CMAKEDIR} COMPONENT hone)

# `install` and cpack install what is built; the deb target below builds what they need
# first, never the tests and benchmarks.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hone)
set(CPACK_PACKAGE_VENDOR "hone developers")
set(CPACK_PACKAGE_CONTACT "hone developers <hone@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "AutoML experiments and model compression from one native binary")
set(CPACK_COMPONENT_HONE_DESCRIPTION
    "hone tunes hyperparameters with NNI-compatible search spaces, configs and trial\n"
    "SDKs, stops bad trials early, runs trials locally, over SSH or on Slurm, records\n"
    "everything in SQLite and serves a web UI. With the Python and C++ trial SDKs, the\n"
    "Python launch API (hone.Experiment) and a CMake package for C++ tuner plugins.")
string(REPLACE ";" "" CPACK_COMPONENT_HONE_DESCRIPTION "${CPACK_COMPONENT_HONE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_HONE_PACKAGE_NAME hone)
set(CPACK_DEBIAN_HONE_PACKAGE_RECOMMENDS "python3")
set(CPACK_DEBIAN_HONE_PACKAGE_SUGGESTS "nlohmann-json3-dev, cmake")
set(CPACK_COMPONENTS_ALL hone)
set(hone_deb_targets hone hone_sdk)
if(TARGET hone-compress)
  list(APPEND CPACK_COMPONENTS_ALL compress)
  list(APPEND hone_deb_targets hone-compress)
  set(CPACK_DEBIAN_COMPRESS_PACKAGE_NAME hone-compress)
  set(CPACK_DEBIAN_COMPRESS_PACKAGE_DEPENDS "hone (= ${PROJECT_VERSION})")
  set(CPACK_COMPONENT_COMPRESS_DESCRIPTION
      "hone's model compression: `hone compress` (pruning, quantization, speedup, AMC)\n"
      "runs this libtorch-based executable.")
  string(REPLACE ";" "" CPACK_COMPONENT_COMPRESS_DESCRIPTION "${CPACK_COMPONENT_COMPRESS_DESCRIPTION}")
endif()
include(CPack)

add_custom_target(deb
  COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "Building the Debian packages in ${CPACK_PACKAGE_DIRECTORY}"
  VERBATIM)
add_dependencies(deb ${hone_deb_targets})
