// writeOutputFile and checkOutputPath against real files: what is replaced, what is written in place, what is
// refused (issue #13: `--out /dev/full` used to turn the device node into a JSON file).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "base/output_file.h"
#include "base/temp_directory.h"

namespace sockspec {
namespace {

std::string contentOf(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

mode_t typeOf(const std::string& path) {
  struct stat status {};
  REQUIRE(::lstat(path.c_str(), &status) == 0);
  return status.st_mode & S_IFMT;
}

}  // namespace

TEST_CASE("writeOutputFile: a new name or a regular file is written whole", "[output-file]") {
  auto folder = TempDirectory::create("output-file");
  REQUIRE(folder);
  std::string path = folder->path() + "/report.json";
  REQUIRE(checkOutputPath(path));
  REQUIRE(writeOutputFile(path, "first"));
  CHECK(contentOf(path) == "first");
  REQUIRE(writeOutputFile(path, "second"));
  CHECK(contentOf(path) == "second");
  // Nothing left beside it (the temporary file is renamed or removed).
  CHECK(std::distance(std::filesystem::directory_iterator(folder->path()), {}) == 1);
}

TEST_CASE("writeOutputFile: a symbolic link stays a link, its file gets the text", "[output-file]") {
  auto folder = TempDirectory::create("output-file");
  REQUIRE(folder);
  std::string target = folder->path() + "/real.json";
  std::string link = folder->path() + "/link.json";
  { std::ofstream(target) << "old"; }
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  REQUIRE(writeOutputFile(link, "new"));
  CHECK(typeOf(link) == S_IFLNK);
  CHECK(contentOf(target) == "new");
}

TEST_CASE("writeOutputFile: a device is written in place, never replaced", "[output-file]") {
  REQUIRE(writeOutputFile("/dev/null", "text"));
  CHECK(typeOf("/dev/null") == S_IFCHR);
  auto full = writeOutputFile("/dev/full", "text");
  REQUIRE_FALSE(full);
  CHECK_THAT(full.error(), Catch::StartsWith("/dev/full: write: ENOSPC"));
  CHECK(typeOf("/dev/full") == S_IFCHR);
}

TEST_CASE("writeOutputFile: a FIFO with a reader gets the text; without one it is refused at once", "[output-file]") {
  auto folder = TempDirectory::create("output-file");
  REQUIRE(folder);
  std::string fifo = folder->path() + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto noReader = checkOutputPath(fifo);
  REQUIRE_FALSE(noReader);
  CHECK_THAT(noReader.error(), Catch::Contains("a FIFO with no reader"));
  CHECK_FALSE(writeOutputFile(fifo, "text"));

  // A reader (opened non-blocking first, so that this thread never waits for a writer).
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(reader >= 0);
  REQUIRE(writeOutputFile(fifo, "through the fifo"));
  char buffer[64] = {};
  ssize_t got = ::read(reader, buffer, sizeof(buffer));
  ::close(reader);
  CHECK(std::string(buffer, got > 0 ? static_cast<std::size_t>(got) : 0) == "through the fifo");
  CHECK(typeOf(fifo) == S_IFIFO);
}

TEST_CASE("checkOutputPath refuses a folder and a name in a missing folder", "[output-file]") {
  auto folder = TempDirectory::create("output-file");
  REQUIRE(folder);
  auto directory = checkOutputPath(folder->path());
  REQUIRE_FALSE(directory);
  CHECK(directory.error() == folder->path() + ": is a directory");
  auto missing = checkOutputPath(folder->path() + "/no/such/report.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == folder->path() + "/no/such/report.json: the folder " + folder->path() +
                               "/no/such does not exist");
  CHECK_FALSE(writeOutputFile(folder->path(), "text"));
}

}  // namespace sockspec
