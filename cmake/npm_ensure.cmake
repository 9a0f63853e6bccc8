# Runs `npm ci` in DIR when node_modules is missing or older than package-lock.json.
#   cmake -DNPM=<npm> -DDIR=<frontend dir> -P npm_ensure.cmake
set(marker ${DIR}/node_modules/.package-lock.json)
if(EXISTS ${marker} AND NOT ${DIR}/package-lock.json IS_NEWER_THAN ${marker})
  return()
endif()
message(STATUS "npm ci in ${DIR}")
execute_process(COMMAND ${NPM} ci --no-audit --no-fund WORKING_DIRECTORY ${DIR}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (exit ${rc})")
endif()
