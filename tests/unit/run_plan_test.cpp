// Planning `sockspec run` (app/run_plan.h, app/report_outputs.h) without running anything: options checked
// with the messages people read, scenario files loaded and expanded into jobs, and where each report goes.
#include <catch2/catch.hpp>

#include <filesystem>

#include "app/replay_run.h"
#include "app/run_plan.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;
using sockspec::testing::tempFilePath;
using sockspec::testing::writeFileOrFail;

namespace {

std::string scenarioFolder() {
  std::string folder = tempFilePath("plan-scenarios");
  std::filesystem::create_directories(folder);
  writeFileOrFail(folder + "/a.scn", "scenario p.a\nfamilies tcp4 unix\nsource \"x\"\ns = socket\nclose s\n");
  writeFileOrFail(folder + "/b.scn", "scenario p.b\nfamilies udp4\nsource \"x\"\ns = socket\nclose s\n");
  return folder;
}

// What every mode refuses alike: a --capture that is a file, a --user that is nobody.
void checkCaptureAndUserRefused(app::RunOptions options) {
  std::string file = tempFilePath("capture-file");
  writeFileOrFail(file, "x");
  options.capture = file;
  CHECK(app::planRun(options).error().message == "--capture " + file + ": not a folder (ENOTDIR)");
  options.capture.clear();
  options.user = "sockspec-no-such-user";
  CHECK(app::planRun(options).error().message == "--user: no user 'sockspec-no-such-user'");
}

app::RunOptions optionsFor(std::vector<std::string> paths) {
  app::RunOptions options;
  options.paths = std::move(paths);
  return options;
}

}  // namespace

TEST_CASE("scenario files become one job per family that matches the filter, in file order") {
  auto options = optionsFor({scenarioFolder()});
  auto plan = app::planRun(options);
  REQUIRE(plan);
  CHECK(plan->mode == app::RunMode::Scenarios);
  REQUIRE(plan->jobs.size() == 3);
  CHECK(app::listJobs(*plan).front().starts_with("p.a[tcp4]  "));
  options.filter = "p.a\\[unix\\]";  // a glob: brackets are a character class unless escaped
  plan = app::planRun(options);
  REQUIRE(plan);
  REQUIRE(plan->jobs.size() == 1);
  CHECK(plan->jobs.front().family == scenario::Family::Unix);
  options.filter = "p.b";  // a scenario id matches all its families
  CHECK(app::planRun(options)->jobs.size() == 1);
}

TEST_CASE("planning refuses bad options with the message the command prints") {
  auto options = optionsFor({scenarioFolder()});
  options.filter = "zzz*";
  CHECK(app::planRun(options).error().message == "--filter 'zzz*' matches no scenario");
  options.filter.clear();
  options.isolation = "sometimes";
  CHECK(app::planRun(options).error().message == "--isolation 'sometimes': expected auto, netns or none");
  options.isolation.clear();
  options.target = "tcp://127.0.0.1:7";
  options.paths.clear();
  CHECK(app::planRun(options).error().message.starts_with("--target and --target-cmd go with --suite"));
  options.suite = "echo";
  options.paths = {"x.scn"};
  CHECK(app::planRun(options).error().message == "a service suite takes no scenario paths");
  options.paths.clear();
  options.filter = "nothing.*";
  CHECK(app::planRun(options).error().message == "--filter 'nothing.*' matches no check of the echo suite");
  options.suite = "gopher";
  CHECK(app::planRun(options).error().message.starts_with("--suite 'gopher': expected default, or a service suite"));
}

TEST_CASE("planning refuses out-of-range counts, a --capture that is a file and an unknown --user") {
  auto options = optionsFor({scenarioFolder()});
  options.jobs = -1;
  CHECK(app::planRun(options).error().message == "--jobs -1: expected 1 or more (0: twice the cores)");
  options.jobs = 0;
  REQUIRE(app::planRun(options));
  CHECK(app::planRun(options)->parallel >= 2);
  options.jobs = 3;
  CHECK(app::planRun(options)->parallel == 3);
  // CLI11 reads 99999999999999999999 as the largest long long.
  options.jobs = 9223372036854775807LL;
  CHECK(app::planRun(options).error().message == "--jobs 9223372036854775807: at most 1024 scenarios at once");
  options.jobs = 1024;
  CHECK(app::planRun(options));
  options.jobs = 3;
  checkCaptureAndUserRefused(options);
}

TEST_CASE("options for a mode that is not the one chosen are refused, not ignored (issue #13)") {
  auto scenarios = optionsFor({scenarioFolder()});
  scenarios.given = {"--check-timeout"};
  CHECK(app::planRun(scenarios).error().message ==
        "--check-timeout is how long a check waits for the server: it needs --target or --target-cmd");
  scenarios.given.clear();
  scenarios.targetCommand = "server --port {port}";
  CHECK(app::planRun(scenarios).error().message ==
        "--target-cmd goes with scenario files that say 'requires target', and none of these does");
  scenarios.targetCommand.clear();
  scenarios.list = true;
  scenarios.reports = {"json"};
  CHECK(app::planRun(scenarios).error().message ==
        "--report goes with a run: --list runs nothing and has no results to report");
  scenarios.reports.clear();
  scenarios.capture = tempFilePath("list-capture");
  CHECK(app::planRun(scenarios).error().message == "--capture goes with a run: --list runs nothing and captures nothing");

  app::RunOptions suite;
  suite.suite = "echo";
  suite.target = "tcp://127.0.0.1:7";
  suite.given = {"--jobs"};
  CHECK(app::planRun(suite).error().message ==
        "--jobs goes with scenario runs: a service suite runs its checks one at a time, against one server");
  suite.given = {"--timeout"};
  CHECK(app::planRun(suite).error().message ==
        "--timeout is a scenario's deadline: a service suite's checks take --check-timeout");
  suite.given = {"--check-timeout"};
  CHECK(app::planRun(suite));
}

TEST_CASE("listing a service suite (--list) gives its checks; planning starts nothing") {
  app::RunOptions options;
  options.suite = "echo";
  options.targetCommand = "server --port {port}";
  options.filter = "echo.half-*";
  options.list = true;
  auto plan = app::planRun(options);
  REQUIRE(plan);
  CHECK(plan->listOnly);
  CHECK(app::listJobs(*plan) == std::vector<std::string>{"echo.half-close  echo suite"});
}

TEST_CASE("a service suite refuses the options that only scenario runs have, and bad values whatever the mode") {
  app::RunOptions options;
  options.suite = "echo";
  options.target = "tcp://127.0.0.1:7";
  REQUIRE(app::planRun(options));
  options.isolation = "bogus";
  CHECK(app::planRun(options).error().message == "--isolation 'bogus': expected auto, netns or none");
  options.isolation = "netns";
  CHECK(app::planRun(options).error().message ==
        "--isolation goes with scenario runs: a service suite's checks run in this host's network, against --target");
  options.isolation.clear();
  checkCaptureAndUserRefused(options);
  options.user = "root";
  CHECK(app::planRun(options).error().message ==
        "--user goes with scenario runs: a service suite's checks run as the user sockspec runs as");
}

TEST_CASE("a malformed or duplicate scenario file stops the plan with every diagnostic") {
  std::string folder = scenarioFolder();
  writeFileOrFail(folder + "/bad.scn", "scenario p.bad\nfamilies tcp4\nsource \"x\"\nfrobnicate\n");
  writeFileOrFail(folder + "/dup.scn", "scenario p.a\nfamilies tcp4\nsource \"x\"\ns = socket\n");
  auto plan = app::planRun(optionsFor({folder}));
  REQUIRE_FALSE(plan);
  REQUIRE(plan.error().diagnostics.size() == 2);
  CHECK(plan.error().diagnostics[0].find("bad.scn:4:1: unknown verb 'frobnicate'") != std::string::npos);
  CHECK(plan.error().diagnostics[1].find("dup.scn:1:1: scenario id 'p.a' is also used by") != std::string::npos);
  CHECK(plan.error().message == "2 errors in scenario files; nothing was run");
}

TEST_CASE("a service suite plan picks the suite's checks that match the filter, and needs a target") {
  app::RunOptions options;
  options.suite = "echo";
  CHECK(app::planRun(options).error().message == "--suite echo: a service suite needs --target URL or --target-cmd CMD");
  options.targetCommand = "server --port {port}";
  options.filter = "echo.half-*";
  auto plan = app::planRun(options);
  REQUIRE(plan);
  CHECK(plan->mode == app::RunMode::ServiceSuite);
  CHECK(plan->suiteOptions.only == std::vector<std::string>{"echo.half-close"});
  REQUIRE(plan->target);
  CHECK(plan->target->command == "server --port {port}");
  CHECK(plan->target->eventsLog);
}

TEST_CASE("reports: one per --report, each to its own file or one to stdout, and --out for a single one") {
  auto parsed = app::parseReportOutputs("never", {"junit=ci.xml", "json=out.json", "tap"}, "");
  REQUIRE(parsed);
  REQUIRE(parsed->machine.size() == 3);
  CHECK(parsed->machine[0].format == report::ReportFormat::Junit);
  CHECK(parsed->machine[0].path == "ci.xml");
  CHECK(parsed->machine[2].path.empty());
  CHECK(parsed->machineOnStdout());
  CHECK(parsed->consoleStream() == stderr);

  auto single = app::parseReportOutputs("auto", {"json"}, "run.json");
  REQUIRE(single);
  CHECK(single->machine.at(0).path == "run.json");
  CHECK(single->consoleStream() == stdout);

  CHECK(app::parseReportOutputs("auto", {}, "x.json").error() == "--out needs --report json|junit|tap");
  CHECK(app::parseReportOutputs("auto", {"xml"}, "").error().starts_with("--report: unknown report format 'xml'"));
  CHECK(app::parseReportOutputs("auto", {"json", "tap"}, "").error() ==
        "--report: two reports would go to stdout; give each its own file (FORMAT=FILE)");
  CHECK(app::parseReportOutputs("auto", {"json=a", "tap=a"}, "").error() ==
        "--report: two reports would go to a; give each its own file (FORMAT=FILE)");
  CHECK(app::parseReportOutputs("auto", {"json", "tap"}, "x").error().starts_with("--out goes with one --report"));
  CHECK(app::parseReportOutputs("auto", {"json="}, "").error() == "--report json=: no file after '='");
  CHECK(app::parseReportOutputs("yes", {}, "").error().starts_with("--color: "));
}

TEST_CASE("fuzz and replay check their target options alike, before anything is started") {
  app::BlackboxTargetOptions target;
  CHECK(target.problem("the server to fuzz") == "--target-cmd CMD or --target URL is required (the server to fuzz)");
  target.url = "tcp://127.0.0.1:{port}";
  CHECK(target.problem("x") == "--target tcp://127.0.0.1:{port}: {port} needs --target-cmd, which is given the port");
  target.command = "server --port {port}";
  CHECK_FALSE(target.problem("x"));
  auto spec = target.spec();
  CHECK(spec.command == target.command);
  CHECK(spec.probeTimeout == std::chrono::milliseconds(target.hangTimeoutMs));
  CHECK(spec.readyTimeout == std::chrono::milliseconds(target.readyTimeoutMs));
  app::BlackboxTargetOptions commandOnly;
  commandOnly.command = "server";
  CHECK(commandOnly.spec().url == "tcp://127.0.0.1:{port}");  // the default URL of a started server

  app::ReplayOptions replay;
  replay.paths = {"/no/such/reproducer"};
  replay.scenarioDirectory = "out";
  replay.target.url = "tcp://127.0.0.1:7";
  CHECK(app::planReplay(replay).error() == "--write-scenarios sends nothing: it takes no --target or --target-cmd");
  replay.scenarioDirectory.clear();
  CHECK(app::planReplay(replay).error().starts_with("/no/such/reproducer"));
}

TEST_CASE("replay refuses what --write-scenarios has no use for, a device, and an empty folder by name") {
  std::string folder = tempFilePath("replay-plan");
  std::filesystem::create_directories(folder + "/empty");
  writeFileOrFail(folder + "/input", "hello");
  app::ReplayOptions replay;
  replay.paths = {folder + "/input"};
  replay.service = "echo";
  replay.scenarioDirectory = folder + "/scenarios";
  REQUIRE(app::planReplay(replay));
  for (const char* option : {"--hang-timeout", "--ready-timeout", "--json"}) {
    replay.given = {option};
    CHECK(app::planReplay(replay).error() == std::string(option) + " goes with replaying: --write-scenarios sends nothing");
  }
  replay.given.clear();
  replay.paths = {"/dev/zero"};  // read whole, it would never end
  CHECK(app::planReplay(replay).error() == "/dev/zero: not a regular file (a reproducer is read to its end)");
  replay.paths = {folder + "/input", folder + "/empty"};
  CHECK(app::planReplay(replay).error() == "no reproducers in " + folder + "/empty");
  std::filesystem::remove_all(folder);
}

TEST_CASE("the server profile's options: escapes decoded, the reply compiled, bad values named") {
  app::RunOptions options;
  options.suite = "server";
  options.target = "tcp://127.0.0.1:7";
  options.request = R"(PING\r\n)";
  options.reply = R"(^\+PONG\r\n$)";
  auto plan = app::planRun(options);
  REQUIRE(plan);
  CHECK(plan->suiteOptions.request == "PING\r\n");
  REQUIRE(plan->suiteOptions.reply);
  CHECK(plan->suiteOptions.reply->matches("+PONG\r\n"));
  CHECK_FALSE(plan->suiteOptions.reply->matches("+PONG\r\n+PONG\r\n"));

  options.request = R"(\x00\xff\t\"\\)";
  REQUIRE(app::planRun(options));
  CHECK(app::planRun(options)->suiteOptions.request == std::string("\0\xff\t\"\\", 5));

  options.request = R"(PING\q)";
  CHECK(app::planRun(options).error().message ==
        R"(--request 'PING\\q': column 5: unknown escape '\q': expected \n \r \t \0 \\ \" or \xNN)");
  options.request = R"(PING\x4)";
  CHECK(app::planRun(options).error().message == R"(--request 'PING\\x4': column 5: '\x4' needs two hex digits)");
  options.request = "PING\\r\\n";
  options.reply = "(PONG";
  CHECK(app::planRun(options).error().message.starts_with("--reply '(PONG': missing )"));
  options.reply = "x*";
  CHECK(app::planRun(options).error().message.starts_with("--reply 'x*' matches no bytes at all"));
  options.reply.clear();
  options.replyPrefix = R"(+PONG\r\n)";
  REQUIRE(app::planRun(options));
  CHECK(app::planRun(options)->suiteOptions.reply->kind() == pattern::PatternKind::Prefix);
  CHECK(app::planRun(options)->suiteOptions.reply->text() == "+PONG\r\n");
  options.replyExact = "+PONG";
  CHECK(app::planRun(options).error().message ==
        "--suite server needs one of --reply REGEX, --reply-prefix TEXT, --reply-exact TEXT");
  options.replyExact.clear();
  options.request.clear();
  CHECK(app::planRun(options).error().message.starts_with("--suite server needs --request"));
  options.request = "PING";
  options.suite = "echo";
  CHECK(app::planRun(options).error().message == "--request and --reply go with --suite server");
  options.suite.clear();
  options.target.clear();
  CHECK(app::planRun(options).error().message == "--request and --reply go with --suite server");
}
