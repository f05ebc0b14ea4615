# cmake -DEXECUTABLE=... -DREADELF=... -DFORBIDDEN=<regex> -P check_pure_link.cmake
# Fails when the executable needs a forbidden shared library, or does not render.

execute_process(COMMAND ${READELF} -d ${EXECUTABLE}
  OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${EXECUTABLE} failed (${rc})")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]*\\]" needed "${dynamic}")
if(NOT needed)
  message(FATAL_ERROR "no NEEDED entries read from ${EXECUTABLE}:\n${dynamic}")
endif()
foreach(entry IN LISTS needed)
  if(entry MATCHES "${FORBIDDEN}")
    message(FATAL_ERROR "the pure library pulls in a forbidden library: ${entry}")
  endif()
endforeach()
message(STATUS "NEEDED: ${needed}")

execute_process(COMMAND ${EXECUTABLE}
  OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} exited with ${rc}:\n${output}${errors}")
endif()
foreach(expected
    "configmap amf-security\n"
    "key security.yaml\n"
    "key open5gs.yaml\n"
    "uri urn:uuid:6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31\n")
  string(FIND "${output}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing \"${expected}\" in the output:\n${output}")
  endif()
endforeach()
string(FIND "${output}" "free5gc.yaml" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "free5gc.yaml rendered though not asked for:\n${output}")
endif()
