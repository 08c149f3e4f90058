// `sockspec run --capture DIR` leaves pcaps that are complete or absent (issue #13): interrupted at any
// point (SIGINT, SIGTERM, SIGKILL), onto a full disk, or into a folder it cannot write. Needs root (a
// network namespace per scenario, tmpfs mounts); otherwise every test is reported as skipped.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/deadline.h"
#include "process/child_process.h"
#include "support/built_programs.h"
#include "support/capture_tools.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

// A scenario over a connected pair (client, and conn accepted from server), then `steps`.
std::string connectedScenario(const std::string& id, const std::string& families, const std::string& steps) {
  return fmt::format(
      "scenario {}\nfamilies {}\nsource \"recv(2)\"\n"
      "server = socket\nbind server\nlisten server 4\nclient = socket\nconnect client server\nconn = accept "
      "server\n{}",
      id, families, steps);
}

// Over in a few milliseconds: its pcap is written while the slow ones still capture.
const std::string kQuickScenario = connectedScenario(
    "t.quick", "tcp4",
    "send client \"request\" -> 7\nrecv conn 16 -> \"request\"\nclose conn\nrecv client 16 -> eof\n");

// Captures for 30 s (a recv that nothing answers): an interrupt always lands while its pcap is open.
const std::string kSlowScenario = connectedScenario(
    "t.slow", "tcp4 tcp6", "send client \"x\" -> 1\nrecv client 4 within 30s -> \"none\"\n");

void requireRoot() {
  if (!runningAsRoot())
    skipTest("not root: --capture needs a network namespace per scenario, and tmpfs mounts");
}

// A tmpfs mounted for one test, unmounted (lazily, so a busy mount cannot fail the test) when it goes.
class TmpfsMount {
 public:
  TmpfsMount(std::string path, const std::string& options) : m_path(std::move(path)) {
    std::filesystem::create_directories(m_path);
    REQUIRE(::mount("tmpfs", m_path.c_str(), "tmpfs", 0, options.c_str()) == 0);
  }
  ~TmpfsMount() { ::umount2(m_path.c_str(), MNT_DETACH); }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

std::string scenarioFolder(const std::vector<std::string>& scenarios) {
  std::string folder = tempFilePath("capture-scenarios");
  std::filesystem::create_directories(folder);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    writeFileOrFail(fmt::format("{}/s{}.scn", folder, i), scenarios[i]);
  }
  return folder;
}

std::vector<std::string> runArguments(const PrivateTemp& temp, std::vector<std::string> arguments) {
  std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary(), "run", "--color",
                                "never"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

// The names in `folder`, hidden ones included.
std::vector<std::string> namesIn(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    names.push_back(entry.path().filename());
  return names;
}

// Every file in `folder` is a whole capture: a visible *.pcap, not empty, that `sockspec inspect` reads to
// its end (exit 0); no hidden (temporary) file is left.
void requireOnlyCompleteCaptures(const std::string& folder) {
  for (const auto& name : namesIn(folder)) {
    std::string path = folder + "/" + name;
    INFO(path);
    CHECK(name.front() != '.');
    CHECK(name.ends_with(".pcap"));
    CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(path)));
    CHECK(std::filesystem::file_size(path) > 0);
    auto inspect = runProgram({sockspecBinary(), "inspect", path}, {}, 20s);
    INFO(inspect.describe());
    CHECK(inspect.exitedWith(0));
  }
}

// Whether `run` or a process whose parent it is holds a descriptor of a file in `folder` (an open capture:
// named, or unnamed, which /proc shows as "FOLDER/#123 (deleted)"). A scenario job captures in its own
// process; a service check's capture is sockspec's own.
bool holdsFileIn(pid_t run, const std::string& folder) {
  for (const auto& process : std::filesystem::directory_iterator("/proc")) {
    std::string pid = process.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(process.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so the fields are read after its last ')'.
    std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid != run && std::to_string(run) != pid) continue;
    std::error_code error;
    for (const auto& fd : std::filesystem::directory_iterator(process.path() / "fd", error)) {
      std::string target = std::filesystem::read_symlink(fd.path(), error).string();
      if (!error && target.rfind(folder + "/", 0) == 0) return true;
    }
  }
  return false;
}

bool visiblePcapIn(const std::string& folder) {
  for (const auto& name : namesIn(folder)) {
    if (name.front() != '.' && name.ends_with(".pcap")) return true;
  }
  return false;
}

// Waits (bounded) for `ready`, polling every few milliseconds; false when the deadline passed first.
template <typename Ready>
bool waitUntil(Ready ready, std::chrono::seconds limit) {
  Deadline deadline = Deadline::after(limit);
  // Bounded by the deadline.
  while (!ready()) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

enum class KillPoint { CaptureOpen, FirstPcapWritten };

// Starts `run ARGUMENTS --capture DIR`, sends `signal` to sockspec (not its jobs, as kill(1) would) at
// `point`, and checks what is left in the capture folder.
void interruptAndCheck(int signal, KillPoint point, std::vector<std::string> arguments) {
  PrivateTemp temp;
  std::string captures = tempFilePath("interrupted-captures");
  std::filesystem::create_directories(captures);
  process::SpawnOptions options;
  options.captureStdout = true;
  options.captureStderr = true;
  arguments.insert(arguments.end(), {"--capture", captures});
  auto child = process::ChildProcess::spawn(runArguments(temp, arguments), options);
  REQUIRE(child);
  // The slow checks capture for 30 s: the signal lands while their pcaps are open, every time.
  bool reached = waitUntil(
      [&] {
        return holdsFileIn(child->pid(), captures) &&
               (point == KillPoint::CaptureOpen || visiblePcapIn(captures));
      },
      30s);
  REQUIRE(reached);
  REQUIRE(::kill(child->pid(), signal) == 0);
  auto ended = child->wait(Deadline::after(30s));
  REQUIRE(ended);
  INFO(ended->describe() << "\n" << child->readAllStderr(Deadline::after(1s)));
  if (signal == SIGKILL) {
    CHECK(ended->signal == SIGKILL);
  } else {
    CHECK(ended->exited);
    CHECK(ended->code == (signal == SIGINT ? 130 : 143));
  }
  // Its jobs die with it (PR_SET_PDEATHSIG, or killed by the interrupted run): then nothing is open.
  REQUIRE(waitUntil([&] { return !holdsFileIn(child->pid(), captures); }, 30s));
  requireOnlyCompleteCaptures(captures);
  if (point == KillPoint::FirstPcapWritten) CHECK(pathExists(captures + "/t.quick.tcp4.pcap"));
  std::filesystem::remove_all(captures);
}

// A run of one check that captures, and the name its pcap gets: a scenario job, or a service check (its
// server started per check by --target-cmd, the capture filtered to it on the host's lo).
struct CapturingRun {
  std::string what;
  std::vector<std::string> arguments;
  std::string pcap;
};

std::vector<CapturingRun> capturingRuns() {
  std::string server = serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  return {{"a scenario run", {scenarioFolder({kQuickScenario})}, "t.quick.tcp4.pcap"},
          {"a service suite",
           {"--suite", "echo", "--target-cmd", server, "--filter", "echo.liveness"},
           "echo.liveness.tcp.pcap"}};
}

}  // namespace

TEST_CASE("an interrupted run --capture leaves only whole pcaps, at every point", "[capture][interrupt]") {
  requireRoot();
  // A quick scenario and a slow one over two families: the quick one's pcap is named while the slow ones
  // still capture.
  std::vector<std::string> scenarios{scenarioFolder({kQuickScenario, kSlowScenario}), "-j", "3", "--timeout",
                                     "60000"};
  // An echo check against a server that never answers (discard): it captures until --check-timeout.
  std::vector<std::string> service{
      "--suite",         "echo",
      "--target-cmd",    serverBinary() + " --listen tcp://127.0.0.1:{port} --service discard",
      "--filter",        "echo.liveness",
      "--check-timeout", "30000"};
  for (int signal : {SIGINT, SIGTERM, SIGKILL}) {
    for (KillPoint point : {KillPoint::CaptureOpen, KillPoint::FirstPcapWritten}) {
      INFO("signal " << signal
                     << (point == KillPoint::CaptureOpen ? " while captures are open"
                                                         : " once the first pcap is written"));
      interruptAndCheck(signal, point, scenarios);
    }
    INFO("signal " << signal << " while a service check captures");
    interruptAndCheck(signal, KillPoint::CaptureOpen, service);
  }
}

TEST_CASE("a capture written whole: the JSON names its file and the bytes on disk", "[capture][report]") {
  requireRoot();
  PrivateTemp temp;
  std::string scenarios = scenarioFolder({kQuickScenario});
  std::string captures = tempFilePath("whole-captures");
  std::string file = captures + "/t.quick.tcp4.pcap";
  // The second run replaces the first one's pcap (renamed over it), leaving no hidden name behind.
  for (int round = 1; round <= 2; ++round) {
    INFO("run " << round);
    std::string json = tempFilePath("whole", ".json");
    auto run = runProgram(runArguments(temp, {scenarios, "--capture", captures, "--report", "json=" + json}),
                          {}, 60s);
    INFO(run.describe() << run.out);
    REQUIRE(run.exitedWith(0));
    auto document = nlohmann::json::parse(readFileOrFail(json));
    const auto& capture = document.at("scenarios").at(0).at("capture");
    INFO(capture.dump());
    CHECK(capture.at("file") == file);
    CHECK(capture.at("bytes") == std::filesystem::file_size(file));
    CHECK(capture.at("error") == "");
    requireOnlyCompleteCaptures(captures);
  }
}

TEST_CASE("captures onto a full disk: no empty pcap, exit 3, and every report says which and why",
          "[capture][full-disk]") {
  requireRoot();
  PrivateTemp temp;
  TmpfsMount disk(tempFilePath("full-disk"), "size=64k");
  std::string captures = disk.path() + "/captures";
  std::filesystem::create_directories(captures);
  {
    // Filled to the last block: every capture's first write fails, whatever its size.
    std::ofstream filler(disk.path() + "/filler", std::ios::binary);
    std::string block(4096, 'x');
    // Bounded: the tmpfs holds 64 KiB.
    for (int i = 0; i < 64 && filler.write(block.data(), static_cast<std::streamsize>(block.size())); ++i) {
      filler.flush();
    }
  }
  for (const auto& mode : capturingRuns()) {
    INFO(mode.what);
    std::string json = tempFilePath("full", ".json"), junit = tempFilePath("full", ".xml"),
                tap = tempFilePath("full", ".tap");
    std::vector<std::string> arguments = mode.arguments;
    arguments.insert(arguments.end(), {"--capture", captures, "--report", "json=" + json, "--report",
                                       "junit=" + junit, "--report", "tap=" + tap});
    auto run = runProgram(runArguments(temp, arguments), {}, 60s);
    INFO(run.describe() << run.out);
    CHECK(run.exitedWith(3));
    std::string failure = captures + "/" + mode.pcap + ": write: ENOSPC";
    CHECK_THAT(run.err, Catch::Contains(failure));
    CHECK_THAT(run.out, Catch::Contains(failure));
    CHECK_THAT(readFileOrFail(junit), Catch::Contains(failure));
    CHECK_THAT(readFileOrFail(tap), Catch::Contains(failure));
    auto document = nlohmann::json::parse(readFileOrFail(json));
    REQUIRE(document.at("scenarios").size() == 1);
    const auto& capture = document.at("scenarios").at(0).at("capture");
    INFO(capture.dump());
    CHECK(capture.at("file").is_null());
    CHECK(capture.at("bytes") == 0);
    CHECK_THAT(capture.at("error").get<std::string>(), Catch::Contains(failure));
    CHECK(capture.at("received").get<std::uint64_t>() > 0);  // the kernel saw the packets; the disk lost them
    CHECK(namesIn(captures).empty());
  }
}

TEST_CASE("what is not a regular file at a pcap's name is never replaced: the capture fails naming it",
          "[capture][not-replaced]") {
  requireRoot();
  PrivateTemp temp;
  for (const auto& mode : capturingRuns()) {
    for (std::string kind : {"FIFO", "symbolic link", "regular file"}) {
      INFO(mode.what << ", a " << kind);
      std::string captures = tempFilePath("not-replaced");
      std::filesystem::create_directories(captures);
      std::string path = captures + "/" + mode.pcap;
      std::string target = captures + ".target";
      writeFileOrFail(target, "not a capture");
      if (kind == "regular file") {
        writeFileOrFail(path, "not a capture");  // a user's file that happens to have the name
      } else {
        REQUIRE((kind == "FIFO" ? ::mkfifo(path.c_str(), 0600) : ::symlink(target.c_str(), path.c_str())) ==
                0);
      }
      std::vector<std::string> arguments = mode.arguments;
      arguments.insert(arguments.end(), {"--capture", captures});
      auto run = runProgram(runArguments(temp, arguments), {}, 60s);
      INFO(run.describe() << run.out);
      CHECK(run.exitedWith(3));
      CHECK_THAT(run.err,
                 Catch::Contains(
                     path + (kind == "regular file" ? ": exists and is not a capture file" : ": a " + kind) +
                     "; not replaced"));
      struct stat status {};
      REQUIRE(::lstat(path.c_str(), &status) == 0);
      CHECK((kind == "FIFO"           ? S_ISFIFO(status.st_mode)
             : kind == "regular file" ? S_ISREG(status.st_mode)
                                      : S_ISLNK(status.st_mode)));
      CHECK(readFileOrFail(kind == "regular file" ? path : target) == "not a capture");
      std::filesystem::remove_all(captures);
      std::filesystem::remove(target);
    }
  }
}

TEST_CASE("a --capture folder that cannot be written is refused before any work, naming path and errno",
          "[capture][usage]") {
  requireRoot();
  PrivateTemp temp;
  std::string scenarios = scenarioFolder({kQuickScenario});
  TmpfsMount readOnly(tempFilePath("read-only"), "size=64k,ro");
  std::string file = tempFilePath("capture-file");
  writeFileOrFail(file, "not a folder");
  std::string loop = tempFilePath("capture-loop");
  REQUIRE(::symlink(loop.c_str(), loop.c_str()) == 0);
  std::string missingParent = tempFilePath("no-such-folder") + "/captures";
  // Root's own folder, 0755: the jobs of --user nobody could not write there.
  std::string rootOnly = tempFilePath("root-only");
  std::filesystem::create_directories(rootOnly);
  REQUIRE(::chmod(rootOnly.c_str(), 0755) == 0);

  struct Case {
    std::string path;
    std::vector<std::string> extra;
    std::string expected;
  };
  std::vector<Case> cases{
      {readOnly.path(), {}, "EROFS"},
      {readOnly.path() + "/sub", {}, "EROFS"},
      {missingParent, {}, "ENOENT"},
      {file, {}, "ENOTDIR"},
      {loop, {}, "ELOOP"},
      {rootOnly, {"--user", "nobody"}, "EACCES"},
  };
  std::string server = serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  for (const auto& c : cases) {
    for (bool service : {false, true}) {
      if (service && !c.extra.empty()) continue;  // --user goes with scenario runs only
      std::vector<std::string> arguments =
          service ? std::vector<std::string>{"--suite", "echo", "--target-cmd", server}
                  : std::vector<std::string>{scenarios};
      arguments.insert(arguments.end(), {"--capture", c.path});
      arguments.insert(arguments.end(), c.extra.begin(), c.extra.end());
      auto run = runProgram(runArguments(temp, arguments), {}, 60s);
      INFO((service ? "echo suite" : "scenarios") << ": " << c.path << ": " << run.describe() << run.out);
      CHECK(run.exitedWith(2));
      CHECK(run.out.find("PASS") == std::string::npos);  // refused before any check ran
      CHECK(splitLines(run.err).size() == 1);
      CHECK_THAT(run.err, Catch::StartsWith("sockspec run: --capture " + c.path + ": "));
      CHECK_THAT(run.err, Catch::Contains(c.expected));
    }
  }
  CHECK(namesIn(rootOnly).empty());
  CHECK(temp.empty());
}

TEST_CASE("with --user nobody, captures are written whole into a folder it may write", "[capture][user]") {
  requireRoot();
  // Under /tmp, not the test's private folder: nobody must be able to reach it.
  std::string captures = "/tmp/sockspec-capture-user-XXXXXX";
  REQUIRE(::mkdtemp(captures.data()) != nullptr);
  REQUIRE(::chmod(captures.c_str(), 01777) == 0);
  std::string scenarios = scenarioFolder({kQuickScenario});
  std::string copied = captures + "/scenarios";
  std::filesystem::copy(scenarios, copied);
  std::filesystem::permissions(copied, std::filesystem::perms::all, std::filesystem::perm_options::add);
  auto run = runProgram({sockspecBinary(), "run", "--color", "never", copied + "/s0.scn", "--capture",
                         captures + "/pcaps", "--user", "nobody"},
                        {}, 60s);
  INFO(run.describe() << run.out);
  // sockspec makes the folder for whoever writes into it: nobody's jobs publish their pcaps there.
  CHECK(run.exitedWith(0));
  requireOnlyCompleteCaptures(captures + "/pcaps");
  CHECK(pathExists(captures + "/pcaps/t.quick.tcp4.pcap"));
  std::filesystem::remove_all(captures);
}
