// Replays inputs through a fuzz target without libFuzzer, so the ordinary g++ build (and CTest) can run every
// seed and every fixed finding: `<target>_replay [--optional] PATH...`, where each PATH is a file or a folder
// of files (not recursive). A missing PATH is an error unless it follows --optional (a target may have no
// regressions yet); no inputs at all is an error too, so a misnamed corpus cannot pass by replaying nothing.
// Exit status: 0 when every input ran, 2 on a usage or read error; a crash is a crash, as under libFuzzer.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "base/file_bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: %s FILE-OR-FOLDER...\nRuns each input once through the fuzz target.\n", argv[0]);
    return argc < 2 ? 2 : 0;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

  std::vector<std::filesystem::path> inputs;
  bool optional = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--optional") == 0) {
      optional = true;
      continue;
    }
    const std::filesystem::path path(argv[i]);
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, error))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      if (error) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), error.message().c_str());
        return 2;
      }
    } else if (std::filesystem::exists(path, error)) {
      inputs.push_back(path);
    } else if (!optional) {
      std::fprintf(stderr, "%s: no such file or folder\n", path.c_str());
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "no inputs to replay\n");
    return 2;
  }

  for (const auto& input : inputs) {
    auto bytes = sockspec::readFileBytes(input.string());
    if (!bytes) {
      std::fprintf(stderr, "%s: %s\n", input.c_str(), bytes.error().describe().c_str());
      return 2;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
