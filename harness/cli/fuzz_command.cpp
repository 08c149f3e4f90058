#include "cli/fuzz_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/exit_codes.h"
#include "base/file_bytes.h"
#include "blackbox/fuzz_engine.h"
#include "blackbox/fuzz_target.h"
#include "process/child_process.h"
#include "process/target_command.h"

namespace sockspec::cli {

namespace {

namespace fs = std::filesystem;

// Beyond --max-time, what the worker may take to stop: the last exchange, libFuzzer's final report, and
// stopping the target (its SIGTERM grace).
constexpr auto kWorkerGrace = std::chrono::seconds(20);

volatile sig_atomic_t g_interrupted = 0;
void onInterrupt(int) {
  g_interrupted = 1;
}

struct FuzzSettings {
  std::string targetCommand;
  std::string target;
  std::string service;
  int maxTimeSeconds = 60;
  std::string artifacts;
  int hangTimeoutMs = 1000;
  int readyTimeoutMs = 10000;
  std::uint32_t seed = 0;
  std::size_t maxLength = 4096;
  std::size_t maxFindings = 0;
  bool noShrink = false;
  // The worker's side, set by the parent only (hidden options).
  std::string workerState;
  std::string workerDir;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "sockspec fuzz: %s\n", message.c_str());
  return kExitUsage;
}

std::string shellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A private folder that goes with the run: the worker's state file, seed corpus and engine log.
struct WorkFolder {
  std::string path;
  WorkFolder() {
    std::string pattern = (fs::temp_directory_path() / "sockspec-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~WorkFolder() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
  WorkFolder(const WorkFolder&) = delete;
  WorkFolder& operator=(const WorkFolder&) = delete;
};

// The last `maxBytes` of a log, or nothing when it cannot be read (it only adds to another message).
std::string fileTail(const std::string& path, std::size_t maxBytes) {
  auto text = readFileBytes(path);
  if (!text) return {};
  return text->size() > maxBytes ? text->substr(text->size() - maxBytes) : *text;
}

blackbox::FuzzTargetOptions targetOptions(const FuzzSettings& settings) {
  return blackbox::FuzzTargetOptions::fromCommandLine(settings.target, settings.targetCommand,
                                                      settings.readyTimeoutMs, settings.hangTimeoutMs);
}

std::string replayOptions(const FuzzSettings& settings) {
  if (settings.targetCommand.empty()) return "--target " + settings.target;
  std::string options = "--target-cmd " + shellQuote(settings.targetCommand);
  if (!settings.target.empty()) options += " --target " + settings.target;
  return options;
}

[[noreturn]] void runWorker(const FuzzSettings& settings) {
  blackbox::FuzzWorkerOptions options;
  options.service = *blackbox::fuzzServiceFromName(settings.service);
  options.target = targetOptions(settings);
  options.replayOptions = replayOptions(settings);
  options.artifactsDir = settings.artifacts;
  options.stateFile = settings.workerState;
  options.workDir = settings.workerDir;
  options.maxTimeSeconds = settings.maxTimeSeconds;
  options.hangTimeout = std::chrono::milliseconds(settings.hangTimeoutMs);
  options.seed = settings.seed;
  options.maxLength = settings.maxLength;
  options.maxFindings = settings.maxFindings;
  options.noShrink = settings.noShrink;
  blackbox::runFuzzWorker(options);
}

std::vector<std::string> workerArguments(const FuzzSettings& settings, const std::string& artifacts,
                                         const WorkFolder& work) {
  std::vector<std::string> argv{"/proc/self/exe",  "fuzz",
                                "--service",       settings.service,
                                "--max-time",      std::to_string(settings.maxTimeSeconds),
                                "--artifacts",     artifacts,
                                "--hang-timeout",  std::to_string(settings.hangTimeoutMs),
                                "--ready-timeout", std::to_string(settings.readyTimeoutMs),
                                "--seed",          std::to_string(settings.seed),
                                "--max-len",       std::to_string(settings.maxLength),
                                "--max-findings",  std::to_string(settings.maxFindings),
                                "--worker-state",  work.path + "/state.json",
                                "--worker-dir",    work.path};
  if (settings.noShrink) argv.push_back("--no-shrink");
  if (!settings.targetCommand.empty()) argv.insert(argv.end(), {"--target-cmd", settings.targetCommand});
  if (!settings.target.empty()) argv.insert(argv.end(), {"--target", settings.target});
  return argv;
}

int summarize(const nlohmann::json& state, bool interrupted) {
  double seconds = state.value("seconds", 0.0);
  std::uint64_t execs = state.value("execs", std::uint64_t{0});
  const auto& findings = state["findings"];
  std::fprintf(stderr, "sockspec fuzz: %s: %llu execs in %.1f s (%.0f exec/s), %zu findings, %llu restarts\n",
               interrupted ? "interrupted" : "done", static_cast<unsigned long long>(execs), seconds,
               seconds > 0 ? static_cast<double>(execs) / seconds : 0.0, findings.size(),
               static_cast<unsigned long long>(state.value("restarts", std::uint64_t{0})));
  if (auto stopped = state.value("stopped", std::string()); !stopped.empty()) {
    std::fprintf(stderr, "sockspec fuzz: stopped early: %s\n", stopped.c_str());
  }
  for (const auto& finding : findings) {
    std::printf("%s %s (%zu bytes, %.1f s): %s\n", finding.value("kind", "?").c_str(),
                finding.value("path", "?").c_str(), finding.value("input_bytes", std::size_t{0}),
                finding.value("seconds", 0.0), finding.value("detail", "").c_str());
  }
  if (interrupted) return 130;
  return findings.empty() ? kExitOk : kExitCheckFailed;
}

int runFuzz(const FuzzSettings& settings) {
  if (!settings.workerState.empty()) runWorker(settings);
  if (settings.targetCommand.empty() && settings.target.empty()) {
    return usageError("--target-cmd CMD or --target URL is required (the server to fuzz)");
  }
  if (settings.targetCommand.empty() &&
      settings.target.find(process::kPortPlaceholder) != std::string::npos) {
    return usageError(fmt::format("--target {}: {} needs --target-cmd, which is given the port",
                                  settings.target, process::kPortPlaceholder));
  }
  std::error_code error;
  fs::create_directories(settings.artifacts, error);
  if (error) return usageError(fmt::format("--artifacts {}: {}", settings.artifacts, error.message()));
  std::string artifacts = fs::absolute(settings.artifacts, error).string();
  if (::access(artifacts.c_str(), W_OK) != 0) {
    return usageError(fmt::format("--artifacts {}: not writable", settings.artifacts));
  }
  if (settings.targetCommand.empty()) {
    // Somebody else's server: an unreachable one is bad input, said before any fuzzing starts.
    auto reached = blackbox::FuzzTarget::start(targetOptions(settings));
    if (!reached) return usageError(reached.error());
  }

  WorkFolder work;
  if (work.path.empty()) {
    std::fprintf(stderr, "sockspec fuzz: cannot make a temporary folder: %s\n", ::strerrordesc_np(errno));
    return kExitInternal;
  }
  process::SpawnOptions spawn;
  spawn.captureStdout = false;  // the worker prints progress to the inherited stderr
  auto worker = process::ChildProcess::spawn(workerArguments(settings, artifacts, work), spawn);
  if (!worker) {
    std::fprintf(stderr, "sockspec fuzz: starting the fuzzing worker: %s\n", worker.error().c_str());
    return kExitInternal;
  }
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Deadline deadline = Deadline::after(std::chrono::seconds(settings.maxTimeSeconds) + kWorkerGrace);
  std::optional<process::ExitStatus> ended;
  while (!ended && !deadline.expired() && g_interrupted == 0) {
    ended = worker->wait(Deadline::after(std::chrono::milliseconds(100)).orEarlier(deadline));
  }
  bool interrupted = g_interrupted != 0;
  if (!ended) {
    if (!interrupted)
      std::fprintf(stderr, "sockspec fuzz: the fuzzing worker overran --max-time; stopped it\n");
    ended = worker->terminate(std::chrono::milliseconds(2000));
  }
  if (!interrupted && ended->exited && ended->code == kExitUsage) return kExitUsage;  // it said why

  std::ifstream stateFile(work.path + "/state.json");
  auto state = nlohmann::json::parse(stateFile, nullptr, false);
  bool clean = ended->exited && ended->code == kExitOk;
  if (state.is_discarded() || !state.contains("findings") ||
      (!clean && !interrupted && state["findings"].empty())) {
    std::fprintf(stderr, "sockspec fuzz: the fuzzing worker failed (%s); the engine's last words:\n%s\n",
                 ended->describe().c_str(), fileTail(work.path + "/engine.log", 2000).c_str());
    return kExitInternal;
  }
  if (!clean && !interrupted) {
    std::fprintf(stderr, "sockspec fuzz: the fuzzing worker ended with %s; findings so far follow\n",
                 ended->describe().c_str());
  }
  return summarize(state, interrupted);
}

}  // namespace

std::function<int()> addFuzzCommand(CLI::App& app) {
  auto settings = std::make_shared<FuzzSettings>();
  CLI::App* fuzz = app.add_subcommand(
      "fuzz",
      "black-box fuzz a stream server: mutated inputs on fresh connections, the replies as feedback; crashes "
      "and hangs become reproducers (docs/fuzzing-black-box.md)");
  fuzz->footer(
      "Examples:\n"
      "  sockspec fuzz --service echo --max-time 60 --artifacts findings/ \\\n"
      "      --target-cmd 'sockspec-server --listen tcp://127.0.0.1:{port} --service echo'\n"
      "  sockspec fuzz --service framed --target tcp://127.0.0.1:7000 --max-time 300 --artifacts findings/\n"
      "  sockspec replay findings/ --service echo --target-cmd '...'   # again, one verdict per reproducer\n"
      "Exit codes: 0 nothing found, 1 findings (reproducers written), 2 bad usage or unreachable target, "
      "3 sockspec failed, 130 interrupted.");
  fuzz->add_option("--target-cmd", settings->targetCommand,
                   "start the server with this shell command on a free port ({port}); it is restarted after "
                   "each finding and stopped at the end");
  fuzz->add_option("--target", settings->target,
                   "the server's URL (tcp://127.0.0.1:7, unix:///run/s.sock); with --target-cmd it may say "
                   "{port}. Alone: a server somebody else runs, so fuzzing stops at the first finding");
  fuzz->add_option("--service", settings->service, "what the server speaks: echo or framed")
      ->required()
      ->check(CLI::IsMember({"echo", "framed"}));
  fuzz->add_option("--max-time", settings->maxTimeSeconds, "seconds to fuzz")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  fuzz->add_option("--artifacts", settings->artifacts, "folder for reproducers (made if missing)")
      ->required();
  fuzz->add_option("--hang-timeout", settings->hangTimeoutMs,
                   "ms of silence (no reply byte and no close) after which an unfinished reply is a hang")
      ->capture_default_str()
      ->check(CLI::Range(10, 600'000));
  fuzz->add_option("--ready-timeout", settings->readyTimeoutMs, "ms the started server may take to serve")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  fuzz->add_option("--seed", settings->seed, "libFuzzer's random seed (0: a new one each run)")
      ->capture_default_str();
  fuzz->add_option("--max-len", settings->maxLength, "longest input in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  fuzz->add_option("--max-findings", settings->maxFindings,
                   "stop once this many distinct findings are saved (0: fuzz until --max-time)")
      ->capture_default_str();
  fuzz->add_flag(
      "--no-shrink", settings->noShrink,
      "save each finding's input as found; by default it is first shrunk (chunks deleted while the "
      "server still fails the same way, restarting it after each failure)");
  fuzz->add_option("--worker-state", settings->workerState)->group("");  // the parent's worker child only
  fuzz->add_option("--worker-dir", settings->workerDir)->group("");
  return [settings]() { return runFuzz(*settings); };
}

}  // namespace sockspec::cli
