# Sanitizer builds: -DNOTIFY_SANITIZE=address,undefined (ASan + UBSan) or -DNOTIFY_SANITIZE=thread
# (TSan). Applies to every target defined after this file is included: libraries, the gateway,
# notify-bench and the tests, so the gateway that integration tests start is sanitized too.
# scripts/test-sanitizers builds and runs both flavours.

set(NOTIFY_SANITIZE "" CACHE STRING
    "Sanitizers for every target: empty, address, undefined, address,undefined or thread")
set_property(CACHE NOTIFY_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

if(NOTIFY_SANITIZE)
  string(REPLACE "," ";" notify_sanitizer_list "${NOTIFY_SANITIZE}")
  foreach(sanitizer IN LISTS notify_sanitizer_list)
    if(NOT sanitizer MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "NOTIFY_SANITIZE: unknown sanitizer '${sanitizer}'")
    endif()
  endforeach()
  if("thread" IN_LIST notify_sanitizer_list AND "address" IN_LIST notify_sanitizer_list)
    message(FATAL_ERROR "NOTIFY_SANITIZE: thread and address cannot be combined")
  endif()

  set(notify_sanitizer_flags -fsanitize=${NOTIFY_SANITIZE} -fno-omit-frame-pointer)
  if("undefined" IN_LIST notify_sanitizer_list)
    # UBSan only prints by default; a finding must fail the process, hence the test.
    list(APPEND notify_sanitizer_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${notify_sanitizer_flags})
  add_link_options(${notify_sanitizer_flags})

  if("thread" IN_LIST notify_sanitizer_list AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
     AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    # GCC 12 warns (-Wtsan) that TSan does not model std::atomic_thread_fence, which Boost.Asio
    # uses in atomic_count.hpp and std_fenced_block.hpp. Asio's fences pair with atomic
    # operations and mutexes that TSan does see, so the warning is noise; -Werror stays on.
    add_compile_options(-Wno-tsan)
  endif()
  message(STATUS "notify-gateway: sanitizers ${NOTIFY_SANITIZE}")
endif()
