#include "support/approved_files.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "support/built_programs.h"
#include "support/test_files.h"

namespace sockspec::testing {

void checkApproved(const std::string& folder, const std::string& name, const std::string& actual) {
  std::string path = sourceDir() + "/" + folder + "/" + name;
  if (const char* approve = std::getenv("SOCKSPEC_APPROVE"); approve != nullptr && std::string(approve) == "1") {
    writeFileOrFail(path, actual);
    WARN("approved " << path);
  }
  std::string approved = readFileOrFail(path);
  if (actual != approved) {
    std::size_t at = 0;
    while (at < actual.size() && at < approved.size() && actual[at] == approved[at]) ++at;
    writeFileOrFail(name + ".received", actual);
    FAIL_CHECK(name << " differs from the approved file from byte " << at << ": got "
                    << std::filesystem::absolute(name + ".received").string() << ", approved " << path);
  }
  CHECK(actual.size() == approved.size());
}

}  // namespace sockspec::testing
