// `sockspec run --report FORMAT --out PATH` by what is at PATH (issue #13): a link stays a link, a FIFO is
// written through, a folder or a missing folder is refused before the run (exit 2), not after it (exit 3).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

// One scenario that passes on its own (no target, no privileges).
const char* const kScenario = R"SCN(scenario t.out
families unix
source "socket(2)"
s = socket
close s
)SCN";

ProgramRun runWithOut(const PrivateTemp& temp, const std::string& out) {
  std::string scenario = tempFilePath("out-scenario", ".scn");
  writeFileOrFail(scenario, kScenario);
  return runProgram({"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary(), "run", "--color", "never",
                     "--report", "json", "--out", out, scenario},
                    {}, std::chrono::seconds(30));
}

}  // namespace

TEST_CASE("--out onto a symbolic link writes the file it points to; the link stays", "[cli][output]") {
  PrivateTemp temp;
  std::string folder = tempFilePath("out-link");
  std::filesystem::create_directories(folder);
  std::string target = folder + "/real.json";
  std::string link = folder + "/link.json";
  writeFileOrFail(target, "old");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  auto run = runWithOut(temp, link);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  CHECK(std::filesystem::is_symlink(link));  // it used to be replaced by a regular file
  CHECK(nlohmann::json::parse(readFileOrFail(target)).contains("scenarios"));
  std::filesystem::remove_all(folder);
}

TEST_CASE("--out onto a FIFO writes through it; without a reader it is refused before the run", "[cli][output]") {
  PrivateTemp temp;
  std::string folder = tempFilePath("out-fifo");
  std::filesystem::create_directories(folder);
  std::string fifo = folder + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto unread = runWithOut(temp, fifo);
  INFO(unread.describe());
  CHECK(unread.exitedWith(2));
  CHECK_THAT(unread.err, Catch::Contains("--out: " + fifo + ": a FIFO with no reader"));

  // A reader that holds the FIFO open for the whole run (non-blocking, so that opening it never waits).
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(reader >= 0);
  auto run = runWithOut(temp, fifo);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  std::string received(1 << 16, '\0');
  ssize_t got = ::read(reader, received.data(), received.size());
  ::close(reader);
  REQUIRE(got > 0);
  received.resize(static_cast<std::size_t>(got));
  CHECK(nlohmann::json::parse(received).contains("scenarios"));
  struct stat status {};
  REQUIRE(::lstat(fifo.c_str(), &status) == 0);
  CHECK(S_ISFIFO(status.st_mode));
  std::filesystem::remove_all(folder);
}

TEST_CASE("--out onto a folder or into a missing one is a usage error before the run", "[cli][output]") {
  PrivateTemp temp;
  std::string folder = tempFilePath("out-folder");
  std::filesystem::create_directories(folder);
  auto onFolder = runWithOut(temp, folder);
  INFO(onFolder.describe());
  CHECK(onFolder.exitedWith(2));
  CHECK_THAT(onFolder.err, Catch::Contains("--out: " + folder + ": is a directory"));
  CHECK(onFolder.out.find("PASS") == std::string::npos);  // refused before any check ran

  auto missing = runWithOut(temp, folder + "/no/run.json");
  INFO(missing.describe());
  CHECK(missing.exitedWith(2));
  CHECK_THAT(missing.err, Catch::Contains("the folder " + folder + "/no does not exist"));
  std::filesystem::remove_all(folder);
  CHECK(temp.empty());
}

// sockspec makes its folders under $TMPDIR; where it cannot, that is one error before any work, not a
// failure of every check (issue #13 saw 57). As root a read-only tmpfs refuses even root (EROFS); as
// anyone else a folder without write permission does (EACCES).
TEST_CASE("a TMPDIR sockspec cannot write to is one error before the run", "[cli][output]") {
  std::string folder = tempFilePath("read-only-tmp");
  std::filesystem::create_directories(folder);
  bool mounted = ::geteuid() == 0 &&
                 ::mount("tmpfs", folder.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k") == 0;
  if (!mounted) REQUIRE(::chmod(folder.c_str(), 0555) == 0);
  std::string scenario = tempFilePath("tmpdir-scenario", ".scn");
  writeFileOrFail(scenario, kScenario);
  auto run = runProgram({"/usr/bin/env", "TMPDIR=" + folder, sockspecBinary(), "run", "--color", "never", scenario},
                        {}, std::chrono::seconds(30));
  if (mounted) ::umount(folder.c_str());
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(splitLines(run.err).size() == 1);
  CHECK_THAT(run.err, Catch::Contains("TMPDIR") && Catch::Contains(folder) &&
                          Catch::Contains(mounted ? "EROFS" : "EACCES"));
  CHECK(run.out.empty());  // no check ran
  std::filesystem::remove_all(folder);
}
