# One folder of harness/, one library, its own include root (muduo and PcapPlusPlus keep internal headers
# internal). Code everywhere still writes #include "folder/file.h"; what differs is which of those resolve:
#
#   sockspec_library(<target> FOLDER <folder> SOURCES <file>... [PUBLIC_HEADERS <header>...]
#                    [PUBLIC_LINKS <lib>...] [PRIVATE_LINKS <lib>...])
#     A static library from <folder>/<file>. Whoever links it sees <folder>/<header> for each PUBLIC_HEADERS
#     entry and nothing else of the folder: the headers are symlinked into the build tree at
#     include/<target>/<folder>/, which is the library's PUBLIC include directory. Its own sources see the
#     whole folder through a PRIVATE root (include-private/<target>/<folder>, a symlink to the folder), so a
#     header not listed is private. Both roots are keyed by target, not folder, because blackbox/ holds two
#     libraries (the engine is apart so that only `sockspec` links libFuzzer). Links are PUBLIC when a public
#     header includes the other library's headers, PRIVATE when only sources and private headers do. So a
#     missing link or a private header used from outside is a compile error, not something that happens to
#     work because harness/ was once one include root.
#
#   sockspec_own_headers(<target> <folder>)
#     The PRIVATE root alone: <target>'s sources see every header of <folder> (beside this file's caller).
#     sockspec_library calls it; so does the `sockspec` program for cli/, whose headers are all its own.
#
#   sockspec_private_headers(<target> <library>...)
#     Lets <target> include the private headers of each <library> (their PRIVATE root). Only for unit tests
#     of a library's internals, and said where it is done (tests/: sockspec_add_test_suite(...
#     PRIVATE_HEADERS_OF <library>)); nothing else should need it. Libraries those private headers include
#     through PRIVATE links, the test links itself.
#
# The roots live under harness/'s build folder, so that a diagnostic's path still holds "harness/"
# (.clang-tidy's HeaderFilterRegex). They are made at configure time; a header added to or dropped from a
# list takes a re-run of cmake, which editing the list causes anyway.

# Points `link` at `target` unless it already does (recreating it would only churn the build tree).
function(_sockspec_symlink target link)
  if(IS_SYMLINK "${link}")
    file(READ_SYMLINK "${link}" current)
    if(current STREQUAL target)
      return()
    endif()
    file(REMOVE "${link}")
  endif()
  file(CREATE_LINK "${target}" "${link}" SYMBOLIC)
endfunction()

function(sockspec_library target)
  cmake_parse_arguments(ARG "" "FOLDER" "SOURCES;PUBLIC_HEADERS;PUBLIC_LINKS;PRIVATE_LINKS" ${ARGN})
  if(NOT ARG_FOLDER OR NOT ARG_SOURCES)
    message(FATAL_ERROR "sockspec_library(${target}): FOLDER and SOURCES are required")
  endif()
  set(folder_dir "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_FOLDER}")
  list(TRANSFORM ARG_SOURCES PREPEND "${ARG_FOLDER}/")
  add_library(${target} STATIC ${ARG_SOURCES})

  set(public_root "${CMAKE_CURRENT_BINARY_DIR}/include/${target}")
  file(MAKE_DIRECTORY "${public_root}/${ARG_FOLDER}")
  # Links for exactly the listed headers; one left over from an earlier list is removed.
  file(GLOB stale LIST_DIRECTORIES false RELATIVE "${public_root}/${ARG_FOLDER}" "${public_root}/${ARG_FOLDER}/*")
  foreach(header IN LISTS ARG_PUBLIC_HEADERS)
    if(NOT EXISTS "${folder_dir}/${header}")
      message(FATAL_ERROR "sockspec_library(${target}): public header ${ARG_FOLDER}/${header} does not exist")
    endif()
    _sockspec_symlink("${folder_dir}/${header}" "${public_root}/${ARG_FOLDER}/${header}")
    list(REMOVE_ITEM stale "${header}")
  endforeach()
  foreach(leftover IN LISTS stale)
    file(REMOVE "${public_root}/${ARG_FOLDER}/${leftover}")
  endforeach()
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${public_root}>")

  sockspec_own_headers(${target} ${ARG_FOLDER})
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LINKS} PRIVATE ${ARG_PRIVATE_LINKS})
  sockspec_configure_target(${target})
endfunction()

function(sockspec_own_headers target folder)
  set(private_root "${CMAKE_CURRENT_BINARY_DIR}/include-private/${target}")
  file(MAKE_DIRECTORY "${private_root}")
  _sockspec_symlink("${CMAKE_CURRENT_SOURCE_DIR}/${folder}" "${private_root}/${folder}")
  set_target_properties(${target} PROPERTIES SOCKSPEC_PRIVATE_INCLUDE_ROOT "${private_root}")
  # BEFORE: the target's own headers are always reached through one path, the private one.
  target_include_directories(${target} BEFORE PRIVATE "${private_root}")
endfunction()

function(sockspec_private_headers target)
  foreach(library IN LISTS ARGN)
    get_target_property(root ${library} SOCKSPEC_PRIVATE_INCLUDE_ROOT)
    if(NOT root)
      message(FATAL_ERROR "sockspec_private_headers(${target} ${library}): ${library} is not a sockspec_library")
    endif()
    target_include_directories(${target} BEFORE PRIVATE "${root}")
  endforeach()
endfunction()
