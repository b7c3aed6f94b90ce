# Compiler warnings for the project's own targets (not for third-party headers).
add_library(domainauth_warnings INTERFACE)
target_compile_options(domainauth_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
