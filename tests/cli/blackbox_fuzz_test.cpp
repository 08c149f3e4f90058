// `sockspec fuzz` and `sockspec replay` end to end against the reference server: the crash-on-bytes and
// hang-on-bytes faults must be found and reproduced, the correct server must give nothing, bad command
// lines and unreachable targets must be refused with their exit codes, and no server may be left running.
#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "net/endpoint_sockets.h"
#include "process/child_process.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A server command whose processes can be found again in /proc by a token no other test uses.
struct ServerCommand {
  std::string marker;
  std::string command;
  ServerCommand(const std::string& service, const std::string& fault) {
    marker = tempFilePath("fuzz-target-events", ".jsonl");
    command = serverBinary() + " --listen tcp://127.0.0.1:{port} --service " + service + " --fault " + fault +
              " --events " + marker;
  }
};

// Processes whose command line mentions `token`: a leaked target server would be one.
std::vector<std::string> processesMentioning(const std::string& token) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(token) != std::string::npos) found.push_back(name);
  }
  return found;
}

ProgramRun runSockspec(std::vector<std::string> arguments, std::chrono::milliseconds limit = 90s) {
  std::vector<std::string> argv{sockspecBinary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, limit);
}

std::vector<std::string> reproducersIn(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".json") files.push_back(entry.path().string());
  }
  return files;
}

bool containsPair(const std::string& bytes, unsigned char first, unsigned char second) {
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    if (static_cast<unsigned char>(bytes[i]) == first && static_cast<unsigned char>(bytes[i + 1]) == second)
      return true;
  }
  return false;
}

std::string freshFolder(const std::string& stem) {
  std::string folder = tempFilePath(stem);
  fs::create_directories(folder);
  return folder;
}

// `sockspec ARGUMENTS` with TMPDIR set to `temp`, to its end.
ProgramRun runSockspecIn(const PrivateTemp& temp, std::vector<std::string> arguments,
                         std::chrono::milliseconds limit = 90s) {
  std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, limit);
}

// How many lines of `text` hold `needle`.
std::size_t countLinesWith(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (const auto& line : splitLines(text)) count += line.find(needle) != std::string::npos ? 1u : 0u;
  return count;
}

// A `sockspec fuzz` running in the background with a private TMPDIR, for a test to interrupt. env execs
// sockspec, so the signal reaches sockspec itself (and, as Ctrl-C would, not the worker in its own group).
class BackgroundFuzz {
 public:
  explicit BackgroundFuzz(std::vector<std::string> arguments) {
    std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary(), "fuzz"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    sockspec::process::SpawnOptions spawn;
    spawn.captureStdout = true;
    spawn.captureStderr = true;
    auto started = sockspec::process::ChildProcess::spawn(argv, spawn);
    REQUIRE(started);
    m_process.emplace(std::move(*started));
  }

  // Reads stderr until `done(err)` holds, the program ends, or 90 s pass; whether it held.
  template <typename Predicate>
  bool waitForStderr(Predicate done) {
    sockspec::Deadline deadline = sockspec::Deadline::after(90s);
    // Bounded by the deadline.
    while (!done(err) && !deadline.expired() && !m_process->hasExited()) {
      err += m_process->readAllStderr(sockspec::Deadline::after(100ms));
      (void)m_process->wait(sockspec::Deadline::after(0ms));
    }
    return done(err);
  }

  // Sends `signal` and waits up to 30 s for the end; how long that took. stdout and the rest of stderr
  // are read afterwards.
  std::chrono::milliseconds interrupt(int signal) {
    auto sent = std::chrono::steady_clock::now();
    m_process->signal(signal);
    status = m_process->wait(sockspec::Deadline::after(30s));
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
    out = m_process->readAllStdout(sockspec::Deadline::after(2s));
    err += m_process->readAllStderr(sockspec::Deadline::after(2s));
    return took;
  }

  PrivateTemp temp;
  std::string err;
  std::string out;
  std::optional<sockspec::process::ExitStatus> status;

 private:
  std::optional<sockspec::process::ChildProcess> m_process;
};

// The first number captured by `pattern` in `text`, or -1.
double firstNumber(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern))) return -1;
  return std::stod(match[1].str());
}

// The same for the last match: the latest of a series of progress lines.
double lastNumber(const std::string& text, const std::string& pattern) {
  double last = -1;
  std::regex wanted(pattern);
  for (std::sregex_iterator it(text.begin(), text.end(), wanted), end; it != end; ++it) {
    last = std::stod((*it)[1].str());
  }
  return last;
}

std::size_t countAccepts(const std::string& eventsLog) {
  std::ifstream in(eventsLog);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return countLinesWith(text, "\"call\":\"accept\"");
}

// The URL the started target served at: "(tcp://127.0.0.1:PORT)" in the first progress line.
std::string targetUrlIn(const std::string& err) {
  std::smatch match;
  if (!std::regex_search(err, match, std::regex(R"(\((tcp://127\.0\.0\.1:\d+)\) for )"))) return {};
  return match[1].str();
}

// The reproducer name of the crash-on-bytes fault: "crash-" and the hash of "crash: killed by SIGABRT"
// (docs/fuzzing-black-box.md).
constexpr const char* kAbortReproducer = "crash-2d756dd11a06e8f8";

}  // namespace

TEST_CASE("fuzz finds the echo server's crash on 0xDE 0xAD within 60 s, and replay reproduces it",
          "[live][fuzz]") {
  ServerCommand server("echo", "crash-on-bytes");
  std::string artifacts = freshFolder("crash-artifacts");
  auto fuzz = runSockspec({"fuzz", "--service", "echo", "--max-time", "60", "--max-findings", "1",
                           "--artifacts", artifacts, "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(1));
  CHECK(fuzz.out.rfind("crash " + artifacts + "/crash-", 0) == 0);
  CHECK(fuzz.out.find("target killed by SIGABRT") != std::string::npos);

  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  std::string bytes = readFileOrFail(files[0]);
  CHECK(containsPair(bytes, 0xDE, 0xAD));
  CHECK(bytes == "\xde\xad");  // shrunk to the trigger itself
  CHECK(fuzz.err.find("shrunk the input from ") != std::string::npos);
  auto sidecar = nlohmann::json::parse(readFileOrFail(files[0] + ".json"));
  CHECK(sidecar["kind"] == "crash");
  CHECK(sidecar["service"] == "echo");
  CHECK(sidecar["input_bytes"] == bytes.size());
  CHECK(processesMentioning(server.marker).empty());

  SECTION("replay against the faulty server: exit 1, crash") {
    auto replay = runSockspec({"replay", files[0], "--target-cmd", server.command}, 30s);
    INFO(replay.describe() << "\nstdout: " << replay.out);
    CHECK(replay.exitedWith(1));
    CHECK(replay.out.find(files[0] + ": crash: target killed by SIGABRT") == 0);
    CHECK(replay.err.find("1 of 1 reproduced") != std::string::npos);
    CHECK(processesMentioning(server.marker).empty());
  }
  SECTION("replay against the correct server: exit 0, no fault, all bytes echoed") {
    ServerCommand correct("echo", "none");
    auto replay = runSockspec({"replay", artifacts, "--target-cmd", correct.command, "--json"}, 30s);
    INFO(replay.describe() << "\nstdout: " << replay.out);
    CHECK(replay.exitedWith(0));
    auto verdicts = nlohmann::json::parse(replay.out);
    REQUIRE(verdicts.size() == 1);
    CHECK(verdicts[0]["verdict"] == "no fault");
    CHECK(verdicts[0]["reproduced"] == false);
    CHECK(verdicts[0]["detail"].get<std::string>().find("echoed, all " + std::to_string(bytes.size()) +
                                                        " bytes back, closed in order") != std::string::npos);
  }
}

TEST_CASE("fuzz finds the hang on 0xBE 0xEF, and replay reproduces it", "[live][fuzz]") {
  ServerCommand server("echo", "hang-on-bytes");
  std::string artifacts = freshFolder("hang-artifacts");
  auto fuzz =
      runSockspec({"fuzz", "--service", "echo", "--max-time", "60", "--max-findings", "1", "--hang-timeout",
                   "300", "--artifacts", artifacts, "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(1));
  CHECK(fuzz.out.find("no reply and no close within 300 ms") != std::string::npos);
  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  CHECK(fs::path(files[0]).filename().string().rfind("hang-", 0) == 0);
  CHECK(readFileOrFail(files[0]) == "\xbe\xef");  // shrunk to the trigger itself
  CHECK(processesMentioning(server.marker).empty());

  auto replay =
      runSockspec({"replay", files[0], "--hang-timeout", "300", "--target-cmd", server.command}, 30s);
  INFO(replay.describe() << "\nstdout: " << replay.out);
  CHECK(replay.exitedWith(1));
  CHECK(replay.out.find(": hang: no reply and no close within 300 ms") != std::string::npos);
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("fuzz reports nothing against the correct echo and framed servers", "[live][fuzz][slow]") {
  std::string service = GENERATE(as<std::string>{}, "echo", "framed");
  CAPTURE(service);
  ServerCommand server(service, "none");
  std::string artifacts = freshFolder("clean-artifacts");
  auto fuzz = runSockspec({"fuzz", "--service", service, "--max-time", "10", "--artifacts", artifacts,
                           "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(0));
  CHECK(fuzz.out.empty());
  CHECK(fuzz.err.find(", 0 findings from 0 inputs, 0 restarts") != std::string::npos);
  CHECK(fuzz.err.find("sockspec fuzz: done: 0 execs") == std::string::npos);
  CHECK(fs::is_empty(artifacts));
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("fuzz and replay refuse bad command lines with exit 2, naming the option", "[live][fuzz]") {
  std::string artifacts = freshFolder("usage-artifacts");
  ServerCommand server("echo", "none");
  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  auto [arguments, message] = GENERATE_COPY(values<Case>({
      {{"fuzz", "--max-time", "5", "--artifacts", artifacts, "--target-cmd", "x"}, "--service is required"},
      {{"fuzz", "--service", "chargen", "--artifacts", artifacts, "--target-cmd", "x"}, "--service"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts},
       "--target-cmd CMD or --target URL is required"},
      {{"fuzz", "--service", "echo", "--max-time", "0", "--artifacts", artifacts, "--target-cmd", "x"},
       "--max-time"},
      {{"fuzz", "--service", "echo", "--max-findings", "-1", "--artifacts", artifacts, "--target-cmd", "x"},
       "--max-findings -1: expected 0 (fuzz until --max-time) or more"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts, "--target", "tcp://127.0.0.1:{port}"},
       "--target tcp://127.0.0.1:{port}: {port} needs --target-cmd"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts, "--target", "tcp://127.0.0.1:99999"},
       "--target: endpoint 'tcp://127.0.0.1:99999', column 17: port 99999 is out of range"},
      {{"fuzz", "--service", "echo", "--artifacts", "/proc/no-such/dir", "--target-cmd", "x"},
       "--artifacts /proc/no-such/dir"},
      {{"fuzz", "--service", "echo", "--max-time", "5", "--artifacts", artifacts, "--target-cmd", "false"},
       "target command exited (exit 1) before serving"},
      {{"replay", "/no/such/reproducer", "--target", "tcp://127.0.0.1:1"},
       "/no/such/reproducer: no such file"},
      {{"replay", artifacts + "/..", "--service", "echo"}, "--target-cmd CMD or --target URL is required"},
  }));
  CAPTURE(arguments);
  auto run = runSockspec(arguments, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find(message) != std::string::npos);
  CHECK(fs::is_empty(artifacts));
}

TEST_CASE("an unreachable --target is exit 2 naming the endpoint and errno", "[live][fuzz]") {
  // A port that was free a moment ago: bound, then closed, so nothing listens there.
  auto bound = sockspec::net::bindEndpoint(*sockspec::net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(bound);
  std::string url = "tcp://127.0.0.1:" + std::to_string(bound->local.port);
  bound->fd.reset();
  std::string artifacts = freshFolder("unreachable-artifacts");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, "hi");

  auto fuzz = runSockspec(
      {"fuzz", "--service", "echo", "--max-time", "5", "--artifacts", artifacts, "--target", url});
  INFO(fuzz.describe());
  CHECK(fuzz.exitedWith(2));
  CHECK(fuzz.err.find("--target unreachable: " + url + ": connect: ECONNREFUSED") != std::string::npos);
  auto replay = runSockspec({"replay", reproducer, "--service", "echo", "--target", url}, 30s);
  INFO(replay.describe());
  CHECK(replay.exitedWith(2));
  CHECK(replay.err.find("--target unreachable: " + url + ": connect: ECONNREFUSED") != std::string::npos);
}

TEST_CASE("replay over --target alone: a kept reproducer that no longer crashes is exit 0", "[live][fuzz]") {
  auto server = startReferenceServer("tcp://127.0.0.1:0", "echo");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, std::string("\x01\xde\xad\x02", 4));
  auto replay =
      runSockspec({"replay", reproducer, "--service", "echo", "--target", server.endpoint.toString()}, 30s);
  INFO(replay.describe());
  CHECK(replay.exitedWith(0));
  CHECK(replay.out == reproducer + ": no fault: sent 4 bytes, echoed, all 4 bytes back, closed in order\n");
}

TEST_CASE("a crash hit by many inputs is shrunk, written and printed once, with how many inputs hit it",
          "[live][fuzz]") {
  ServerCommand server("echo", "crash-on-bytes");
  std::string artifacts = freshFolder("repeat-artifacts");
  BackgroundFuzz fuzz({"--service", "echo", "--max-time", "300", "--artifacts", artifacts, "--target-cmd",
                       server.command});
  // The progress lines count the inputs that hit a known finding; wait until three have hit this one.
  const std::string hits = R"(1 findings \(1 crash, 0 hang\) from (\d+) inputs)";
  // The latest progress line: the first one after the finding may say fewer (under ASan it said 2, and a wait
  // on the first line never ended).
  bool repeated = fuzz.waitForStderr([&](const std::string& err) { return lastNumber(err, hits) >= 3; });
  INFO(fuzz.err);
  REQUIRE(repeated);
  double seen = lastNumber(fuzz.err, hits);
  (void)fuzz.interrupt(SIGINT);
  INFO(fuzz.err << "\nstdout: " << fuzz.out);
  REQUIRE(fuzz.status);
  CHECK(fuzz.status->code == 130);
  CHECK(countLinesWith(fuzz.err, "sockspec fuzz: crash after ") == 1);
  CHECK(countLinesWith(fuzz.err, "sockspec fuzz: shrinking ") == 1);
  auto lines = splitLines(fuzz.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("crash " + artifacts + "/" + kAbortReproducer + " (2 bytes, ", 0) == 0);
  double inputs = firstNumber(lines[0], R"(, (\d+) inputs\): target killed by SIGABRT$)");
  CHECK(inputs >= seen);
  CHECK(fuzz.err.find("interrupted: ") != std::string::npos);
  CHECK(firstNumber(fuzz.err, R"(, 1 findings from (\d+) inputs, )") == inputs);
  CHECK(reproducersIn(artifacts) == std::vector<std::string>{artifacts + "/" + kAbortReproducer});
  auto sidecar = nlohmann::json::parse(readFileOrFail(artifacts + "/" + kAbortReproducer + ".json"));
  CHECK(sidecar["signature"] == "crash: killed by SIGABRT");
  CHECK(fuzz.temp.empty());
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("an interrupted fuzz ends within 1 s with the real counts, its exit code, and nothing left",
          "[live][fuzz]") {
  auto [signal, code] = GENERATE(table<int, int>({{SIGINT, 130}, {SIGTERM, 143}}));
  CAPTURE(signal);
  ServerCommand server("echo", "none");
  std::string artifacts = freshFolder("interrupt-artifacts");
  BackgroundFuzz fuzz({"--service", "echo", "--max-time", "120", "--artifacts", artifacts, "--target-cmd",
                       server.command});
  REQUIRE(fuzz.waitForStderr([](const std::string& err) { return !targetUrlIn(err).empty(); }));
  std::string url = targetUrlIn(fuzz.err);
  // Inputs have been sent once the server accepted a few connections (the first is the readiness probe);
  // the interrupt comes before the first progress line (2 s), whose state the summary could otherwise show.
  sockspec::Deadline fuzzing = sockspec::Deadline::after(30s);
  // Bounded by the deadline.
  while (countAccepts(server.marker) < 10 && !fuzzing.expired()) std::this_thread::sleep_for(1ms);
  REQUIRE(countAccepts(server.marker) >= 10);
  auto took = fuzz.interrupt(signal);
  INFO(fuzz.err);
  REQUIRE(fuzz.status);
  CHECK(fuzz.status->exited);
  CHECK(fuzz.status->code == code);
  CHECK(took < 1s);  // issue #13: an interrupt ends the command within 1 s
  CHECK(firstNumber(fuzz.err, R"(sockspec fuzz: interrupted: (\d+) execs in )") > 0);
  CHECK(firstNumber(fuzz.err, R"(sockspec fuzz: interrupted: \d+ execs in ([0-9.]+) s)") > 0);
  CHECK(fuzz.temp.empty());
  CHECK(processesMentioning(server.marker).empty());
  auto endpoint = sockspec::net::parseEndpoint(url);
  REQUIRE(endpoint);
  CHECK_FALSE(sockspec::net::connectEndpoint(*endpoint, sockspec::Deadline::after(1s)));  // nothing listens
}

TEST_CASE("a SIGKILLed fuzz's folder is removed by the next sockspec command", "[live][fuzz]") {
  ServerCommand server("echo", "none");
  std::string artifacts = freshFolder("killed-artifacts");
  BackgroundFuzz fuzz({"--service", "echo", "--max-time", "120", "--artifacts", artifacts, "--target-cmd",
                       server.command});
  REQUIRE(fuzz.waitForStderr([](const std::string& err) { return !targetUrlIn(err).empty(); }));
  (void)fuzz.interrupt(SIGKILL);
  REQUIRE(fuzz.status);
  CHECK(fuzz.status->signal == SIGKILL);
  CHECK_FALSE(fuzz.temp.empty());  // nothing could remove it
  // The worker dies with its parent, and the server's supervisor stops the server when the worker goes.
  sockspec::Deadline gone = sockspec::Deadline::after(30s);
  // Bounded by the deadline.
  while (!processesMentioning(server.marker).empty() && !gone.expired()) std::this_thread::sleep_for(10ms);
  REQUIRE(processesMentioning(server.marker).empty());
  auto next = runSockspecIn(fuzz.temp, {"fuzz", "--service", "echo", "--max-time", "1", "--artifacts", artifacts,
                                        "--target-cmd", server.command});
  INFO(next.describe());
  CHECK(next.exitedWith(0));
  CHECK(fuzz.temp.empty());
}

TEST_CASE("fuzz interrupted while its target is starting ends within 1 s and leaves nothing", "[live][fuzz]") {
  std::string started = tempFilePath("starting");
  std::string artifacts = freshFolder("starting-artifacts");
  // Never serves: the worker waits for it (--ready-timeout) until the interrupt.
  BackgroundFuzz fuzz({"--service", "echo", "--max-time", "60", "--ready-timeout", "60000", "--artifacts",
                       artifacts, "--target-cmd", "touch " + started + " && exec sleep 3607.25"});
  sockspec::Deadline starting = sockspec::Deadline::after(30s);
  // Bounded by the deadline.
  while (!pathExists(started) && !starting.expired()) std::this_thread::sleep_for(1ms);
  REQUIRE(pathExists(started));
  auto took = fuzz.interrupt(SIGINT);
  INFO(fuzz.err);
  REQUIRE(fuzz.status);
  CHECK(fuzz.status->code == 130);
  CHECK(took < 1s);
  CHECK(fuzz.err.find("sockspec fuzz: interrupted: 0 execs") != std::string::npos);
  CHECK(fuzz.temp.empty());
  CHECK(processesMentioning("3607.25").empty());
}

TEST_CASE("fuzz interrupted while shrinking a hang ends within 1 s and keeps the finding", "[live][fuzz]") {
  ServerCommand server("echo", "hang-on-bytes");
  std::string artifacts = freshFolder("shrinking-artifacts");
  // Each shrinking try that still hangs waits the whole 3 s hang timeout: the interrupt lands in one.
  BackgroundFuzz fuzz({"--service", "echo", "--max-time", "300", "--hang-timeout", "3000", "--artifacts",
                       artifacts, "--target-cmd", server.command});
  REQUIRE(fuzz.waitForStderr(
      [](const std::string& err) { return err.find("sockspec fuzz: shrinking a hang") != std::string::npos; }));
  auto took = fuzz.interrupt(SIGINT);
  INFO(fuzz.err << "\nstdout: " << fuzz.out);
  REQUIRE(fuzz.status);
  CHECK(fuzz.status->code == 130);
  CHECK(took < 1s);
  CHECK(fuzz.out.rfind("hang " + artifacts + "/hang-", 0) == 0);
  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  CHECK(containsPair(readFileOrFail(files[0]), 0xBE, 0xEF));
  CHECK(fuzz.temp.empty());
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("a TMPDIR that is not a usable folder is exit 2 naming TMPDIR and the errno, before any work",
          "[live][fuzz]") {
  ServerCommand server("echo", "none");
  std::string file = tempFilePath("tmpdir-file");
  writeFileOrFail(file, "not a folder");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, "hi");
  std::string artifacts = freshFolder("tmpdir-artifacts");
  auto [tmpdir, errnoName] = GENERATE_COPY(table<std::string, std::string>(
      {{"/nonexistent/sockspec-tmp", "ENOENT"}, {file, "ENOTDIR"}}));
  auto command = GENERATE(as<std::string>{}, "fuzz", "replay");
  CAPTURE(tmpdir, command);
  std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + tmpdir, sockspecBinary(), command};
  if (command == "fuzz") {
    argv.insert(argv.end(), {"--service", "echo", "--max-time", "5", "--artifacts", artifacts});
  } else {
    argv.insert(argv.end(), {reproducer, "--service", "echo"});
  }
  argv.insert(argv.end(), {"--target-cmd", server.command});
  auto run = runProgram(argv, {}, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err == "sockspec " + command + ": TMPDIR " + tmpdir + ": " +
                       (errnoName == "ENOENT" ? "stat: ENOENT (No such file or directory)"
                                              : "not a folder (ENOTDIR)") +
                       "\n");
  CHECK(run.out.empty());
  CHECK(fs::is_empty(artifacts));
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("fuzz --artifacts and replay --write-scenarios that cannot take files are exit 2 naming the option, "
          "the path and the errno", "[live][fuzz]") {
  PrivateTemp temp;
  std::string base = freshFolder("output-folders");
  std::string file = base + "/file";
  writeFileOrFail(file, "a file");
  std::string loop = base + "/loop";
  fs::create_symlink(loop, loop);
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, "hi");
  ServerCommand server("echo", "none");
  auto [path, expected] = GENERATE_COPY(table<std::string, std::string>({
      {file, file + ": not a folder (ENOTDIR)"},
      {base + "/missing/folder", base + "/missing/folder: the folder " + base + "/missing does not exist (ENOENT)"},
      {loop, loop + ": stat: ELOOP (Too many levels of symbolic links)"},
  }));
  auto option = GENERATE(as<std::string>{}, "--artifacts", "--write-scenarios");
  CAPTURE(path, option);
  std::vector<std::string> arguments;
  if (option == "--artifacts") {
    arguments = {"fuzz", "--service", "echo", "--artifacts", path, "--target-cmd", server.command};
  } else {
    arguments = {"replay", reproducer, "--service", "echo", "--write-scenarios", path};
  }
  auto run = runSockspecIn(temp, arguments, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err == "sockspec " + arguments[0] + ": " + option + " " + expected + "\n");
  CHECK(fs::is_regular_file(file));
  CHECK(fs::is_symlink(loop));
  CHECK(temp.empty());
}

TEST_CASE("a read-only --artifacts or --write-scenarios folder is exit 2 with EROFS", "[live][fuzz]") {
  std::string folder = freshFolder("read-only");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, "hi");
  ServerCommand server("echo", "none");
  auto option = GENERATE(as<std::string>{}, "--artifacts", "--write-scenarios");
  CAPTURE(option);
  // A read-only tmpfs over the folder, in a mount namespace of the command's own (root can write anywhere
  // else: permission bits do not stop it).
  std::vector<std::string> argv{"/usr/bin/unshare", "--mount", "/bin/sh", "-c",
                                "mount -t tmpfs -o ro tmpfs \"$0\" && exec \"$@\"", folder, sockspecBinary()};
  if (option == "--artifacts") {
    argv.insert(argv.end(), {"fuzz", "--service", "echo", "--artifacts", folder, "--target-cmd", server.command});
  } else {
    argv.insert(argv.end(), {"replay", reproducer, "--service", "echo", "--write-scenarios", folder});
  }
  auto run = runProgram(argv, {}, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find(option + " " + folder + ": ") != std::string::npos);
  CHECK(run.err.find(": EROFS (Read-only file system)\n") != std::string::npos);
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("a reproducer that cannot be written is said and is exit 3; the link in its place stays a link",
          "[live][fuzz]") {
  PrivateTemp temp;
  ServerCommand server("echo", "crash-on-bytes");
  std::string artifacts = freshFolder("full-artifacts");
  // The crash's reproducer name leads to /dev/full, a disk that is always full (ENOSPC on every write).
  std::string reproducer = artifacts + "/" + kAbortReproducer;
  fs::create_symlink("/dev/full", reproducer);
  auto fuzz = runSockspecIn(temp, {"fuzz", "--service", "echo", "--max-time", "60", "--artifacts", artifacts,
                                   "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(3));
  CHECK(fuzz.err.find("sockspec fuzz: crash (2 bytes): target killed by SIGABRT: NOT SAVED: " + reproducer +
                      ": write: ENOSPC (No space left on device)") != std::string::npos);
  CHECK(fs::is_symlink(reproducer));
  CHECK(fs::read_symlink(reproducer) == "/dev/full");
  CHECK_FALSE(pathExists(reproducer + ".json"));
  CHECK(temp.empty());
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("a regression scenario's name that is not a regular file is refused and left as it is",
          "[live][fuzz]") {
  std::string folder = freshFolder("full-scenarios");
  std::string reproducer = tempFilePath("full");
  writeFileOrFail(reproducer, "hi");
  std::string scenario = folder + "/regression.echo." + fs::path(reproducer).filename().string() + ".scn";
  fs::create_symlink("/dev/full", scenario);
  auto run = runSockspec({"replay", reproducer, "--service", "echo", "--write-scenarios", folder}, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err == "sockspec replay: " + scenario + " exists and is not a regular file\n");
  CHECK(fs::is_symlink(scenario));
}
