// Small file chores of the live tests: writing an input file for a program, reading what it wrote, and
// checking that nothing (a unix socket path) was left behind.
#pragma once

#include <string>
#include <string_view>

namespace sockspec::testing {

// Creates (truncates) `path` holding exactly `bytes`; FAILs the test if it cannot.
void writeFileOrFail(const std::string& path, std::string_view bytes);

// The whole file; FAILs the test if it cannot be read.
std::string readFileOrFail(const std::string& path);

// Whether anything (file, socket, directory, dangling link) exists at `path`: lstat(2) succeeds.
bool pathExists(const std::string& path);

}  // namespace sockspec::testing
