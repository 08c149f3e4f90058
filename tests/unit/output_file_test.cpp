// writeOutputFile and checkOutputPath against real files: what is replaced, what is written in place, what is
// refused (issue #13: `--out /dev/full` used to turn the device node into a JSON file).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/output_file.h"
#include "base/output_folder.h"
#include "base/unnamed_file.h"
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
  // Nothing left beside it (the temporary file is renamed or removed); the folder's own .owner aside.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder->path())) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".owner", "report.json"});
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
                               "/no/such does not exist (ENOENT)");
  CHECK_FALSE(writeOutputFile(folder->path(), "text"));
}

TEST_CASE("OutputFolder makes nothing until make(), one missing level, and refuses what cannot take files",
          "[output-file]") {
  auto folder = TempDirectory::create("output-folder");
  REQUIRE(folder);
  std::string made = folder->path() + "/made";
  auto checked = OutputFolder::check("--out-dir", made);
  REQUIRE(checked);
  CHECK_FALSE(std::filesystem::exists(made));  // checking makes nothing
  REQUIRE(checked->make());
  CHECK(std::filesystem::is_directory(made));
  checked->removeIfUnused();  // made by it and empty: gone again
  CHECK_FALSE(std::filesystem::exists(made));
  REQUIRE(checked->make());
  REQUIRE(writeOutputFile(made + "/result", "x"));
  checked->removeIfUnused();  // not empty: it stays
  CHECK(std::filesystem::exists(made + "/result"));
  auto existing = OutputFolder::check("--out-dir", made);
  REQUIRE(existing);
  existing->removeIfUnused();  // it was there before: never removed
  CHECK(std::filesystem::is_directory(made));
  std::string file = folder->path() + "/file";
  REQUIRE(writeOutputFile(file, "x"));
  CHECK(OutputFolder::check("--out-dir", file).error() == "--out-dir " + file + ": not a folder (ENOTDIR)");
  std::string deep = folder->path() + "/no/such";
  CHECK(OutputFolder::check("--out-dir", deep).error() ==
        "--out-dir " + deep + ": the folder " + folder->path() + "/no does not exist (ENOENT)");
  CHECK_FALSE(std::filesystem::exists(folder->path() + "/no"));
  std::string loop = folder->path() + "/loop";
  std::filesystem::create_symlink(loop, loop);
  CHECK(OutputFolder::check("--out-dir", loop).error() ==
        "--out-dir " + loop + ": stat: ELOOP (Too many levels of symbolic links)");
  CHECK(std::filesystem::is_symlink(loop));
}

TEST_CASE("TempDirectory::checkUsable names TMPDIR and the errno when it cannot take folders", "[output-file]") {
  auto folder = TempDirectory::create("temp-base");
  REQUIRE(folder);
  std::string file = folder->path() + "/file";
  REQUIRE(writeOutputFile(file, "x"));
  const char* saved = std::getenv("TMPDIR");
  std::string before = saved != nullptr ? saved : "";
  ::setenv("TMPDIR", (folder->path() + "/missing").c_str(), 1);
  auto missing = TempDirectory::checkUsable();
  ::setenv("TMPDIR", file.c_str(), 1);
  auto notFolder = TempDirectory::checkUsable();
  ::setenv("TMPDIR", folder->path().c_str(), 1);
  auto usable = TempDirectory::checkUsable();
  if (saved != nullptr) ::setenv("TMPDIR", before.c_str(), 1);
  else ::unsetenv("TMPDIR");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == "TMPDIR " + folder->path() + "/missing: stat: ENOENT (No such file or directory)");
  REQUIRE_FALSE(notFolder);
  CHECK(notFolder.error() == "TMPDIR " + file + ": not a folder (ENOTDIR)");
  CHECK(usable);
}

}  // namespace sockspec

namespace sockspec {

TEST_CASE("a temporary folder whose owner was killed is removed by the next one; a live one's stays",
          "[temp-directory]") {
  auto base = TempDirectory::create("sweep-base");
  REQUIRE(base);
  auto live = TempDirectory::create("live", base->path());
  REQUIRE(live);
  // A child makes a folder and dies without cleaning up, as a SIGKILLed run does.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto orphan = TempDirectory::create("orphan", base->path());
    ::_exit(orphan ? 0 : 1);  // no destructors: the folder stays, its lock goes with the process
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto count = [&] {
    int folders = 0;
    for (const auto& entry : std::filesystem::directory_iterator(base->path())) folders += entry.is_directory() ? 1 : 0;
    return folders;
  };
  REQUIRE(count() == 2);  // the live one and the orphan
  // An older sockspec's folder (no .owner file, files in it) is not ours to judge.
  std::filesystem::create_directory(base->path() + "/sockspec-old-format");
  std::ofstream(base->path() + "/sockspec-old-format/data") << "x";

  CHECK(TempDirectory::removeAbandoned(base->path()) == 1);
  CHECK(count() == 2);  // the live one and the old-format one
  CHECK(std::filesystem::exists(live->path()));
  CHECK(std::filesystem::exists(base->path() + "/sockspec-old-format"));
}

// A maker SIGKILLed between mkdtemp and renaming its locked `.owner.new` into place leaves a folder with no
// owner to ask (the chaos suite hit it: a `sockspec-probe-*` left after a SIGKILL 7 ms into a run). Folders are
// therefore born as `.sockspec-birth-*` under a shared flock of the base folder: a sweep that gets the lock
// exclusively removes such births; while a birth holds it they stay. A `sockspec-*` folder without an
// `.owner`, even an empty one, is somebody else's (an older sockspec's, a test's) and always stays.
TEST_CASE("a folder whose maker was killed mid-birth is swept, never a birth in progress nor a stranger's",
          "[output-file]") {
  auto base = TempDirectory::create("sweep-births");
  REQUIRE(base);
  std::string empty = base->path() + "/.sockspec-birth-killed-AAAAAA";
  std::string pending = base->path() + "/.sockspec-birth-killed-BBBBBB";
  std::string stranger = base->path() + "/sockspec-test-CCCCCC";
  for (const auto& folder : {empty, pending, stranger}) std::filesystem::create_directory(folder);
  std::ofstream(pending + "/.owner.new") << "12345\n";
  {
    int birth = ::open(base->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(birth >= 0);
    REQUIRE(::flock(birth, LOCK_SH) == 0);  // a birth in progress elsewhere
    CHECK(TempDirectory::removeAbandoned(base->path()) == 0);
    CHECK(std::filesystem::exists(empty));
    CHECK(std::filesystem::exists(pending));
    ::close(birth);
  }
  CHECK(TempDirectory::removeAbandoned(base->path()) == 2);
  CHECK_FALSE(std::filesystem::exists(empty));
  CHECK_FALSE(std::filesystem::exists(pending));
  CHECK(std::filesystem::is_directory(stranger));
  // A folder made with no parent given is born and named in one go: no birth name is left.
  auto made = TempDirectory::create("named");
  REQUIRE(made);
  CHECK(std::filesystem::path(made->path()).filename().string().rfind("sockspec-named-", 0) == 0);
  CHECK(std::filesystem::exists(made->path() + "/.owner"));
}

}  // namespace sockspec

namespace sockspec {
namespace {

// The names in `folder` other than TempDirectory's own .owner.
std::vector<std::string> namesBeside(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().filename() != ".owner") names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void writeText(const UnnamedFile& file, std::string_view text) {
  REQUIRE(::write(file.fd(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

}  // namespace

TEST_CASE("UnnamedFile: no name until published, then the whole file under it", "[unnamed-file]") {
  auto folder = TempDirectory::create("unnamed-file");
  REQUIRE(folder);
  std::string path = folder->path() + "/x.pcap";
  {
    auto file = UnnamedFile::create(path);
    REQUIRE(file);
    writeText(*file, "first");
    CHECK(namesBeside(folder->path()).empty());  // written, but nothing shows
    REQUIRE(file->publish());
    CHECK(contentOf(path) == "first");
  }
  {
    // An earlier regular file stays whole until the new one replaces it in one rename.
    auto file = UnnamedFile::create(path);
    REQUIRE(file);
    writeText(*file, "second");
    CHECK(contentOf(path) == "first");
    REQUIRE(file->publish());
    CHECK(contentOf(path) == "second");
  }
  {
    auto dropped = UnnamedFile::create(folder->path() + "/never.pcap");
    REQUIRE(dropped);
    writeText(*dropped, "lost");
  }
  CHECK(namesBeside(folder->path()) == std::vector<std::string>{"x.pcap"});  // no hidden name left either
}

TEST_CASE("UnnamedFile: what is not a regular file at the name is never replaced", "[unnamed-file]") {
  auto folder = TempDirectory::create("unnamed-file");
  REQUIRE(folder);
  std::string fifo = folder->path() + "/fifo.pcap";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string link = folder->path() + "/link.pcap";
  REQUIRE(::symlink("elsewhere", link.c_str()) == 0);
  std::string directory = folder->path() + "/dir.pcap";
  REQUIRE(::mkdir(directory.c_str(), 0700) == 0);
  CHECK(UnnamedFile::create(fifo).error() == fifo + ": a FIFO; not replaced");
  CHECK(UnnamedFile::create(link).error() == link + ": a symbolic link; not replaced");
  CHECK(UnnamedFile::create(directory).error() == directory + ": a directory; not replaced");

  // Put there while the file was being written: refused at publish() too.
  std::string late = folder->path() + "/late.pcap";
  auto file = UnnamedFile::create(late);
  REQUIRE(file);
  REQUIRE(::mkfifo(late.c_str(), 0600) == 0);
  auto published = file->publish();
  REQUIRE_FALSE(published);
  CHECK(published.error() == late + ": a FIFO; not replaced");
  CHECK(typeOf(fifo) == S_IFIFO);
  CHECK(typeOf(link) == S_IFLNK);
  CHECK(typeOf(late) == S_IFIFO);
}

TEST_CASE("probeWritableFolder names the errno of a folder that cannot take a file", "[unnamed-file]") {
  auto folder = TempDirectory::create("unnamed-file");
  REQUIRE(folder);
  CHECK(probeWritableFolder(folder->path()));
  CHECK(namesBeside(folder->path()).empty());
  auto missing = probeWritableFolder(folder->path() + "/missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ENOENT);
}

}  // namespace sockspec
