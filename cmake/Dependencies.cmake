# Finds the Debian 12 packages domainauth builds against (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(toml11 REQUIRED)
find_package(nlohmann_json REQUIRED)
# libunbound.pc names libevent as a private requirement Debian does not ship a .pc
# for, so find the library directly.
find_library(UNBOUND_LIBRARY NAMES unbound REQUIRED)
find_path(UNBOUND_INCLUDE_DIR NAMES unbound.h REQUIRED)
add_library(unbound::unbound UNKNOWN IMPORTED)
set_target_properties(unbound::unbound PROPERTIES IMPORTED_LOCATION ${UNBOUND_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${UNBOUND_INCLUDE_DIR})

# Standalone Asio (header only) with C++20 coroutines. Asio 1.22 detects coroutine
# support for g++ only; clang (used for libFuzzer) has it too, so say so.
add_library(asio INTERFACE)
target_compile_definitions(asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_definitions(asio INTERFACE ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1)
endif()
target_link_libraries(asio INTERFACE Threads::Threads)

if(DOMAINAUTH_TESTS)
  find_package(GTest REQUIRED)
  find_package(yaml-cpp REQUIRED)
endif()
if(DOMAINAUTH_BENCH)
  find_package(benchmark REQUIRED)
endif()
# DMARC: the public suffix list (RFC 7489 mode) and IDNA A-labels for From domains.
pkg_check_modules(LIBPSL REQUIRED IMPORTED_TARGET libpsl)
pkg_check_modules(LIBIDN2 REQUIRED IMPORTED_TARGET libidn2)
set(DOMAINAUTH_PSL_FILE /usr/share/publicsuffix/public_suffix_list.dat CACHE FILEPATH
  "public suffix list used by the RFC 7489 DMARC mode (Debian package publicsuffix)")
