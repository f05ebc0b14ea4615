# cmake -DEXECUTABLE=... -DREADELF=... -DFORBIDDEN=<regex> [-DREASON=<text>] [-DARGS=<list>]
#       [-DOUTPUT_LINES=<regex list>] [-DOUTPUT_EXCLUDES=<regex list>] -P check_needed.cmake
# The test half of secprov_link_check (link_check.cmake): fails when the executable needs a
# shared library matching FORBIDDEN, or when it does not run as expected.

execute_process(COMMAND ${READELF} -d ${EXECUTABLE} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${EXECUTABLE} failed (${rc})")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]*\\]" needed "${dynamic}")
if(NOT needed)
  message(FATAL_ERROR "no NEEDED entries read from ${EXECUTABLE}:\n${dynamic}")
endif()
foreach(entry IN LISTS needed)
  if(entry MATCHES "${FORBIDDEN}")
    message(FATAL_ERROR "${EXECUTABLE} needs a forbidden library: ${entry} (${REASON})")
  endif()
endforeach()
message(STATUS "NEEDED: ${needed}")

execute_process(COMMAND ${EXECUTABLE} ${ARGS}
  OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} ${ARGS} exited with ${rc}:\n${output}${errors}")
endif()
foreach(line IN LISTS OUTPUT_LINES)
  if(NOT "\n${output}" MATCHES "\n${line}\n")
    message(FATAL_ERROR "no line of the output is \"${line}\":\n${output}")
  endif()
endforeach()
foreach(excluded IN LISTS OUTPUT_EXCLUDES)
  if(output MATCHES "${excluded}")
    message(FATAL_ERROR "\"${excluded}\" in the output:\n${output}")
  endif()
endforeach()
