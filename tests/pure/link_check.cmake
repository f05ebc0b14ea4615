# secprov_link_check: one guard for "this binary never links these libraries", used by
# tests/pure (the pure library) and tests/unit/cmd/secprovctl (secprovctl). Include this file,
# then:
#
#   secprov_link_check(<test> TARGET <executable> FORBIDDEN <regex> [REASON <text>]
#                      [CLOSURE_OF <targets>...] [ARGS <args>...]
#                      [OUTPUT_LINES <regex>...] [OUTPUT_EXCLUDES <regex>...])
#
# Two checks against FORBIDDEN:
# - at configure time, the link closure of CLOSURE_OF (default: TARGET): a match fails the
#   configure;
# - CTest <test> (label unit) runs check_needed.cmake: a NEEDED entry of TARGET's binary that
#   matches fails, and so does running it with ARGS when it exits non-zero, when a regex of
#   OUTPUT_LINES matches no whole line of its stdout, or when OUTPUT_EXCLUDES matches it.

# Every library name reachable from `target` through LINK_LIBRARIES (the target's own, PRIVATE
# included) and INTERFACE_LINK_LIBRARIES, with $<LINK_ONLY:...> unwrapped.
function(secprov_link_closure target out)
  set(seen "")
  set(pending ${target})
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    if(NOT TARGET ${current})
      continue()
    endif()
    set(deps "")
    get_target_property(imported ${current} IMPORTED)
    get_target_property(type ${current} TYPE)
    if(NOT imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND deps ${direct})
      endif()
    endif()
    get_target_property(interface ${current} INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND deps ${interface})
    endif()
    foreach(dep IN LISTS deps)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      list(APPEND pending "${dep}")
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(secprov_link_check test)
  cmake_parse_arguments(ARG "" "TARGET;FORBIDDEN;REASON"
                        "CLOSURE_OF;ARGS;OUTPUT_LINES;OUTPUT_EXCLUDES" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_FORBIDDEN)
    message(FATAL_ERROR "secprov_link_check(${test}): TARGET and FORBIDDEN are required")
  endif()
  if(NOT ARG_CLOSURE_OF)
    set(ARG_CLOSURE_OF ${ARG_TARGET})
  endif()
  foreach(target IN LISTS ARG_CLOSURE_OF)
    secprov_link_closure(${target} closure)
    foreach(library IN LISTS closure)
      if(library MATCHES "${ARG_FORBIDDEN}")
        message(FATAL_ERROR
          "${target} links ${library}: ${ARG_REASON} (${test}). Link closure: ${closure}")
      endif()
    endforeach()
  endforeach()

  find_program(SECPROV_READELF NAMES readelf REQUIRED)
  add_test(NAME ${test}
    COMMAND ${CMAKE_COMMAND}
      -DEXECUTABLE=$<TARGET_FILE:${ARG_TARGET}>
      -DREADELF=${SECPROV_READELF}
      "-DFORBIDDEN=${ARG_FORBIDDEN}"
      "-DREASON=${ARG_REASON}"
      "-DARGS=${ARG_ARGS}"
      "-DOUTPUT_LINES=${ARG_OUTPUT_LINES}"
      "-DOUTPUT_EXCLUDES=${ARG_OUTPUT_EXCLUDES}"
      -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/check_needed.cmake)
  set_tests_properties(${test} PROPERTIES LABELS unit)
endfunction()
