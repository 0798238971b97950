# gtest_suites.cmake: registers a GoogleTest program with CTest as one test per test suite
# (`Suite`, run as `program --gtest_filter=Suite.*`), not one per test.
#
# Why: every CTest test is a process start, and under AddressSanitizer a start of our test
# programs costs 0.6-0.9 s (ASan registering the globals, LeakSanitizer's scan at exit): with
# ~840 tests that was about 5 minutes of CI's sanitizer pass. A suite's tests share a fixture
# type and run together in one process anyway when the program is run by hand.
#
# Used in two ways:
#  - from CMakeLists.txt: include() it and call sb_add_gtest_suites(<target> TIMEOUT <s>). After
#    each link the program is asked for its tests (--gtest_list_tests) and the CTest script
#    `<target>_suites.cmake` is written next to it;
#  - as a script (cmake -P) by that post-build step, with -D TEST_EXE, OUT_FILE, TIMEOUT, WORKDIR.
# A single test still runs with `ctest -R Suite` or `bin/<program> --gtest_filter=Suite.Test`.

if(CMAKE_SCRIPT_MODE_FILE)
  unset(ENV{GTEST_FILTER})  # a filter in the builder's environment would shorten the list
  execute_process(COMMAND "${TEST_EXE}" --gtest_list_tests
                  OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gtest_suites: ${TEST_EXE} --gtest_list_tests failed (${rc}): ${errors}")
  endif()
  # Test lines may print parameters ("  # GetParam() = ..."): brackets and semicolons would upset
  # CMake's list splitting. Suite lines never hold them, so they become spaces.
  string(REGEX REPLACE "[][;]" " " listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(script "# written by tests/support/gtest_suites.cmake from ${TEST_EXE} --gtest_list_tests\n")
  set(count 0)
  foreach(line IN LISTS lines)
    # A suite line is "Suite." (typed suites add "  # TypeParam = ..."); tests are indented.
    if(line MATCHES "^([A-Za-z0-9_/]+)\\.( +#.*)?$")
      set(suite "${CMAKE_MATCH_1}")
      string(APPEND script
             "add_test([=[${suite}]=] [=[${TEST_EXE}]=] [=[--gtest_filter=${suite}.*]=])\n"
             "set_tests_properties([=[${suite}]=] PROPERTIES TIMEOUT ${TIMEOUT}"
             " WORKING_DIRECTORY [=[${WORKDIR}]=])\n")
      math(EXPR count "${count} + 1")
    endif()
  endforeach()
  if(count EQUAL 0)
    message(FATAL_ERROR "gtest_suites: ${TEST_EXE} lists no test suite")
  endif()
  file(WRITE "${OUT_FILE}.tmp" "${script}")
  file(RENAME "${OUT_FILE}.tmp" "${OUT_FILE}")
  return()
endif()

function(sb_add_gtest_suites target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D "TEST_EXE=$<TARGET_FILE:${target}>" -D "OUT_FILE=${out}"
            -D "TIMEOUT=${arg_TIMEOUT}" -D "WORKDIR=${CMAKE_CURRENT_BINARY_DIR}"
            -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
    BYPRODUCTS "${out}"
    VERBATIM)
  # CTest reads this at every run; until the program is built it registers a test that fails
  # and says so, rather than silently running fewer tests.
  set(loader "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_loader.cmake")
  file(WRITE "${loader}"
       "if(EXISTS [=[${out}]=])\n  include([=[${out}]=])\nelse()\n"
       "  add_test([=[${target}_NOT_BUILT]=] [=[${target}_NOT_BUILT]=])\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${loader}")
endfunction()
