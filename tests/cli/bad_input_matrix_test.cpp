// The bad-input matrix (issue #13): every row of bad_input_matrix.cpp is one sockspec invocation with a
// deadline. Each must end with its documented exit code (0, 1, 2, 3; never a signal, never the deadline),
// explain itself in one stderr line naming the option or the path, and leave every path that is not a
// regular file (the FIFO, the device, the symbolic link, the folder) what it was. A last test reads each
// command's --help and fails for an option without its rows.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cli/bad_input_matrix.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

namespace fs = std::filesystem;

constexpr bool kFuzzCommandBuilt = SOCKSPEC_FUZZ_COMMAND_BUILT != 0;

std::vector<std::string> commandsBuilt() {
  if (kFuzzCommandBuilt) return {"run", "inspect", "fuzz", "replay"};
  return {"run", "inspect", "replay"};
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The files the rows name, made once per test case in a folder of their own.
class Fixture {
 public:
  Fixture() : m_root(tempFilePath("matrix")) {
    fs::create_directories(m_root + "/dir");
    writeFileOrFail(m_root + "/ok.scn", "scenario t.matrix\nfamilies unix\nsource \"socket(2)\"\ns = socket\nclose s\n");
    // A pcap file header and no records: ethernet, snaplen 65535.
    writeFileOrFail(m_root + "/empty.pcap", std::string("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                                        "\xff\xff\x00\x00\x01\x00\x00\x00", 24));
    writeFileOrFail(m_root + "/repro", "hello");
    REQUIRE(::mkfifo(fifo().c_str(), 0600) == 0);
    // The null device, made here so that a defect replaces this node, not the system's /dev/null.
    m_device = ::mknod(device().c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0;
    REQUIRE(::symlink("loop", loop().c_str()) == 0);
    fs::create_directories(m_root + "/looped");
    writeFileOrFail(m_root + "/looped/ok.scn", readFileOrFail(m_root + "/ok.scn"));
    REQUIRE(::symlink("loop.scn", (m_root + "/looped/loop.scn").c_str()) == 0);
    // Reproducers whose sidecars are not files.
    for (const char* kind : {"fifo", "dir", "device", "loop"}) writeFileOrFail(sidecarOf(kind), "hello");
    REQUIRE(::mkfifo((sidecarOf("fifo") + ".json").c_str(), 0600) == 0);
    fs::create_directories(sidecarOf("dir") + ".json");
    if (m_device) REQUIRE(::mknod((sidecarOf("device") + ".json").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0);
    REQUIRE(::symlink("side-loop.json", (sidecarOf("loop") + ".json").c_str()) == 0);
    // A port that refuses: bound, never listening, held for the whole test case.
    m_refusing = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(m_refusing, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(m_refusing, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    m_refused = fmt::format("tcp://127.0.0.1:{}", ntohs(address.sin_port));
  }
  ~Fixture() {
    if (m_fullMounted) ::umount2(full().c_str(), MNT_DETACH);
    ::close(m_refusing);
    std::error_code ignored;
    fs::remove_all(m_root, ignored);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  std::string fifo() const { return m_root + "/fifo"; }
  std::string missingFolder() const { return m_root + "/missing"; }
  std::string sidecarOf(const std::string& kind) const { return m_root + "/side-" + kind; }
  std::string device() const { return m_root + "/device"; }
  std::string loop() const { return m_root + "/loop"; }
  std::string dir() const { return m_root + "/dir"; }
  std::string full() const { return m_root + "/full"; }
  bool hasDevice() const { return m_device; }

  // A 64 KiB tmpfs filled to its last block; the reason when it cannot be had.
  std::optional<std::string> mountFull() {
    if (::geteuid() != 0) return "the full-disk rows mount a tmpfs, which needs root";
    fs::create_directories(full());
    if (::mount("tmpfs", full().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0) {
      return fmt::format("mount tmpfs: {}", std::strerror(errno));
    }
    m_fullMounted = true;
    int fd = ::open((full() + "/fill").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::string block(4096, 'f');
    // Bounded: a 64 KiB file system takes at most 16 blocks.
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
    return std::nullopt;
  }

  // The regular files on the full tmpfs other than the filler, which are then removed with every folder, so
  // that the next row meets the same full disk.
  std::vector<std::string> takeFilesOnFull() const {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(full())) {
      if (entry.is_regular_file() && entry.path().filename() != "fill") files.push_back(entry.path().string());
    }
    for (const auto& entry : fs::directory_iterator(full())) {
      if (entry.path().filename() != "fill") fs::remove_all(entry.path());
    }
    return files;
  }

  std::string substitute(std::string text, const std::string& fresh, const std::string& work) const {
    replaceAll(text, "{scn}", m_root + "/ok.scn");
    replaceAll(text, "{pcap}", m_root + "/empty.pcap");
    replaceAll(text, "{repro}", m_root + "/repro");
    replaceAll(text, "{new}", fresh);
    replaceAll(text, "{work}", work);
    replaceAll(text, "{missing}", missingFolder() + "/x");
    replaceAll(text, "{dir}", dir());
    replaceAll(text, "{fifo}", fifo());
    replaceAll(text, "{device}", device());
    replaceAll(text, "{loop}", loop());
    replaceAll(text, "{full}", full() + "/out");
    replaceAll(text, "{huge}", std::string(65536, 'x'));
    replaceAll(text, "{refused}", m_refused);
    replaceAll(text, "{marker}", m_root + "/target-started");
    replaceAll(text, "{looped}", m_root + "/looped");
    for (const char* kind : {"fifo", "dir", "device", "loop"}) {
      replaceAll(text, fmt::format("{{sidecar-{}}}", kind), sidecarOf(kind));
    }
    return text;
  }

  // Whether the row's target command ran (its marker is then removed, so that the next row starts clean).
  bool takeTargetStarted() const {
    std::error_code ignored;
    return fs::remove(m_root + "/target-started", ignored);
  }

  // Everything that is not a regular file is still what it was.
  void checkSpecialPathsUnchanged() const {
    struct stat status {};
    CHECK((::lstat(fifo().c_str(), &status) == 0 && S_ISFIFO(status.st_mode)));
    if (m_device) {
      CHECK((::lstat(device().c_str(), &status) == 0 && S_ISCHR(status.st_mode) &&
             status.st_rdev == ::makedev(1, 3)));
    }
    CHECK((::lstat(loop().c_str(), &status) == 0 && S_ISLNK(status.st_mode)));
    CHECK(fs::read_symlink(loop()) == "loop");
    CHECK((::lstat(dir().c_str(), &status) == 0 && S_ISDIR(status.st_mode)));
    CHECK((::lstat((sidecarOf("fifo") + ".json").c_str(), &status) == 0 && S_ISFIFO(status.st_mode)));
    CHECK((::lstat((sidecarOf("dir") + ".json").c_str(), &status) == 0 && S_ISDIR(status.st_mode)));
    CHECK((::lstat((sidecarOf("loop") + ".json").c_str(), &status) == 0 && S_ISLNK(status.st_mode)));
    CHECK((::lstat((m_root + "/looped/loop.scn").c_str(), &status) == 0 && S_ISLNK(status.st_mode)));
  }

 private:
  std::string m_root;
  std::string m_refused;
  int m_refusing = -1;
  bool m_device = false;
  bool m_fullMounted = false;
};

// Writes garbage into the FIFO once sockspec opens it for reading, then closes it (sockspec reads the garbage
// and then end of file). Polls with O_NONBLOCK, which fails with ENXIO while nobody reads, so the test never
// blocks on a FIFO sockspec does not open. Bounded by `stop`, set when the run has ended.
void feedFifo(const std::string& fifo, const std::atomic<bool>& stop) {
  while (!stop) {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      (void)!::write(fd, "garbage, not a capture\n", 23);
      ::close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<std::string> nonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  for (auto& line : splitLines(text)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void runRow(Fixture& fixture, const MatrixRow& row) {
  std::string fresh = tempFilePath("matrix-new");
  fs::remove_all(fixture.missingFolder());  // an earlier row may have made it, as asked
  // A working directory of its own, so that what one row writes by a relative name ("-1") is not the next's.
  std::string work = tempFilePath("matrix-work");
  fs::create_directories(work);
  std::vector<std::string> argv{"/usr/bin/env", "-C", work, sockspecBinary(), row.command};
  std::string shown = fmt::format("{} {} [{}]:", row.command, row.option, row.kind);
  for (const auto& arg : row.args) {
    argv.push_back(fixture.substitute(arg, fresh, work));
    shown += " '" + (arg == "{huge}" ? std::string("x * 65536") : argv.back()) + "'";
  }
  std::string expect = fixture.substitute(row.expect, fresh, work);
  if (expect.size() > 200) expect.resize(200);  // {huge}: its start is enough

  std::atomic<bool> stop{false};
  bool feeds = row.kind == "fifo" && (row.option == "paths" || row.option == "files" || row.option == "--seeds-from");
  std::thread feeder;
  if (feeds) feeder = std::thread(feedFifo, fixture.fifo(), std::cref(stop));
  auto run = runProgram(argv, {}, std::chrono::seconds(15));
  stop = true;
  if (feeder.joinable()) feeder.join();

  INFO(shown);
  INFO(run.describe());
  // Whatever else: no signal, no deadline, a documented code; the special paths as they were. (CHECK, not
  // REQUIRE: the rows after a failed one still run.)
  fixture.checkSpecialPathsUnchanged();
  CHECK_FALSE(fixture.takeTargetStarted());
  bool ended = run.status && run.status->exited;
  CHECK(ended);
  if (!ended) return;
  CHECK(run.status->code >= 0);
  CHECK(run.status->code <= 3);

  bool exitOk = run.exitedWith(row.exit);
  auto lines = nonEmptyLines(run.err);
  bool named = expect.empty();
  for (const auto& line : lines) named = named || line.find(expect) != std::string::npos;
  bool oneLine = row.exit != 2 || lines.size() == 1;
  if (row.diagnostics) {
    // "FILE:LINE:COL: ..." for each error in the file, then the one message.
    oneLine = std::all_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.starts_with("sockspec run: ") || line.starts_with(argv.back() + ":");
    });
  }
  CHECK(exitOk);
  CHECK(named);
  CHECK(oneLine);
  // Bad input is found before any work: nothing made where the row named a new file or folder.
  if (row.exit == 2) {
    CHECK_FALSE(pathExists(fresh));
    CHECK_FALSE(pathExists(fixture.missingFolder()));
  }
}

void runRows(Fixture& fixture, const std::string& command, bool fullDisk) {
  for (const auto& row : matrixRows()) {
    if (row.command != command || (row.kind == "full-disk") != fullDisk) continue;
    if ((row.kind == "device" || row.kind == "sidecar-device") && !fixture.hasDevice()) {
      WARN("no device row: mknod is not allowed here");
      continue;
    }
    runRow(fixture, row);
  }
}

// "  -j,--jobs INT  ..." and "  paths TEXT ..." of `sockspec COMMAND --help`: the long name of each option
// and the name of each positional, without --help.
std::set<std::string> helpOptions(const std::string& command) {
  auto help = runProgram({sockspecBinary(), command, "--help"}, {}, std::chrono::seconds(10));
  INFO(help.describe());
  REQUIRE(help.exitedWith(0));
  std::set<std::string> names;
  std::string section;
  for (const auto& line : splitLines(help.out)) {
    if (!line.empty() && line.back() == ':' && line.front() != ' ') section = line;
    if (line.size() < 3 || line[0] != ' ' || line[1] != ' ' || line[2] == ' ') continue;
    std::string first = line.substr(2, line.find(' ', 2) - 2);
    if (section == "Positionals:") {
      names.insert(first);
    } else if (section == "Options:") {
      std::string name = first.substr(first.rfind(',') == std::string::npos ? 0 : first.rfind(',') + 1);
      if (name != "--help") names.insert(name);
    }
  }
  return names;
}

}  // namespace

TEST_CASE("every option's bad values end with a documented exit code and one line naming it", "[cli][matrix]") {
  if (!kFuzzCommandBuilt) WARN("no fuzz rows: this sockspec was built without libFuzzer, so `fuzz` takes no options");
  for (const auto& command : commandsBuilt()) {
    DYNAMIC_SECTION("sockspec " << command) {
      Fixture fixture;
      runRows(fixture, command, false);
    }
  }
}

TEST_CASE("a command that does not exist is named", "[cli][matrix]") {
  auto run = runProgram({sockspecBinary(), "bogus"}, {}, std::chrono::seconds(10));
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(nonEmptyLines(run.err) ==
        std::vector<std::string>{"sockspec: 'bogus' is not a command: run, inspect, fuzz or replay (run 'sockspec --help')"});
}

TEST_CASE("a command's bad command line points at that command's help", "[cli][matrix]") {
  auto run = runProgram({sockspecBinary(), "replay"}, {}, std::chrono::seconds(10));
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(nonEmptyLines(run.err) == std::vector<std::string>{"sockspec: paths is required (run 'sockspec replay --help')"});
  auto unknown = runProgram({sockspecBinary(), "run", "--bogus"}, {}, std::chrono::seconds(10));
  INFO(unknown.describe());
  CHECK(unknown.exitedWith(2));
  CHECK(nonEmptyLines(unknown.err) ==
        std::vector<std::string>{"sockspec: The following argument was not expected: --bogus (run 'sockspec run --help')"});
}

TEST_CASE("every output file argument on a full disk: an error, and nothing left half-written", "[cli][matrix]") {
  Fixture fixture;
  if (auto why = fixture.mountFull()) {
    WARN("sockspec-test-skipped: " << *why);
    return;
  }
  for (const auto& row : matrixRows()) {
    if (row.kind != "full-disk" || (row.command == "fuzz" && !kFuzzCommandBuilt)) continue;
    runRow(fixture, row);
    // A write that failed left nothing beside the filler: no empty or partial file, no temporary one.
    auto left = fixture.takeFilesOnFull();
    INFO(row.command << " " << row.option << ": " << fmt::format("{}", fmt::join(left, ", ")));
    CHECK(left.empty());
  }
}

TEST_CASE("every option in each command's --help has its rows in the matrix, and the matrix no stale ones",
          "[cli][matrix]") {
  std::map<std::string, std::set<std::string>> kindsOf;  // "run --jobs" -> kinds with rows
  for (const auto& row : matrixRows()) kindsOf[row.command + " " + row.option].insert(row.kind);
  std::set<std::string> classified;
  for (const auto& option : matrixOptions()) classified.insert(option.command + " " + option.option);
  std::map<std::string, std::set<std::string>> help;
  for (const auto& command : commandsBuilt()) {
    help[command] = helpOptions(command);
    CHECK(help[command].size() >= 4);  // the parsing of --help still finds them
    for (const auto& name : help[command]) {
      std::string key = std::string(command) + " " + name;
      INFO(key);
      CHECK(classified.count(key) == 1);  // a new option: give it a class and rows in bad_input_matrix.cpp
    }
  }
  for (const auto& option : matrixOptions()) {
    if (help.count(option.command) == 0) continue;  // not in this build
    std::string key = option.command + " " + option.option;
    INFO(key);
    CHECK(help[option.command].count(option.option) == 1);  // not in --help any more
    for (const auto& kind : requiredKinds(option.kind)) {
      INFO(kind);
      CHECK(kindsOf[key].count(kind) == 1);
    }
  }
}
