#include "support/test_files.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

namespace sockspec::testing {

void writeFileOrFail(const std::string& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) FAIL("cannot write " << bytes.size() << " bytes to " << path);
}

std::string readFileOrFail(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) FAIL("cannot open " << path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

bool pathExists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace sockspec::testing
