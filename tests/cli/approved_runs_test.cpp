// What `sockspec run` prints, pinned whole: the console and the JSON, JUnit and TAP reports of the default
// suite, of a service suite against the reference server, and of scenario files that pass, fail and skip,
// compared with approved files in tests/data/approved/ (packetdrill's self-tests pin the failure text the
// same way). What changes from run to run is masked first: times, ephemeral ports, temporary paths, the
// source tree's path, and the console's check lines are sorted (they come in completion order).
// SOCKSPEC_APPROVE=1 rewrites the approved files; a mismatch writes <name>.received beside the test.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/approved_files.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

const std::string kApprovedFolder = "tests/data/approved";

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Times, ports and paths that differ between two runs of the same code.
std::string mask(std::string text) {
  // The default suite's folder, wherever the source tree keeps it.
  for (const char* suite : {"/harness/scenarios/default", "/scenarios/default"}) {
    text = replaceAll(text, sourceDir() + suite, "<default-suite>");
  }
  text = replaceAll(text, sourceDir(), "<src>");
  const std::pair<const char*, const char*> rules[] = {
      {R"(\(\d+ ms\))", "(N ms)"},
      {R"(\d+ bytes in flight)", "N bytes in flight"},
      {R"( in \d+ ms)", " in N ms"},
      {R"("duration_ms": [0-9.e+-]+)", R"("duration_ms": N)"},
      {R"(duration_ms: [0-9.e+-]+)", "duration_ms: N"},
      {R"(time="[0-9.]+")", R"(time="N")"},
      {R"((127\.0\.0\.1|\[::1\]):\d+)", "$1:PORT"},
      {R"(/[A-Za-z0-9_./-]*/approved-scenarios-[0-9]+)", "<scenarios>"},
      {R"(/[A-Za-z0-9_./-]*/sockspec-[a-z]+-[A-Za-z0-9]{6}[A-Za-z0-9_./-]*)", "<tmp>"},
  };
  for (const auto& [pattern, replacement] : rules) text = std::regex_replace(text, std::regex(pattern), replacement);
  return text;
}

// The console's check lines in a stable order: each check's block (its line plus indented detail lines)
// sorted by id; the summary and the claims after the first blank line stay as they are.
std::string sortConsoleChecks(const std::string& console) {
  std::vector<std::string> lines = splitLines(console);
  std::vector<std::string> blocks;
  std::size_t i = 0;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    if (lines[i].starts_with(" ") && !blocks.empty()) blocks.back() += "\n" + lines[i];
    else blocks.push_back(lines[i]);
  }
  auto idOf = [](const std::string& block) { return block.substr(0, block.find("  (")).substr(6); };
  std::stable_sort(blocks.begin(), blocks.end(), [&](const auto& a, const auto& b) { return idOf(a) < idOf(b); });
  std::string out;
  for (const auto& block : blocks) out += block + "\n";
  for (; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

struct Formats {
  std::string console;
  std::string json;
  std::string junit;
  std::string tap;
};

// One run per machine format (the console of the JSON run is the one pinned), each into a file; then one
// run writing all three at once (--report FORMAT=FILE, given three times), which must say the same.
Formats runInEveryFormat(const std::vector<std::string>& arguments, int expectedExit) {
  Formats formats;
  std::string* outputs[] = {&formats.json, &formats.junit, &formats.tap};
  const char* names[] = {"json", "junit", "tap"};
  auto run = [&](const std::vector<std::string>& reportOptions) {
    std::vector<std::string> argv{sockspecBinary(), "run", "--color", "never"};
    argv.insert(argv.end(), reportOptions.begin(), reportOptions.end());
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProgramRun done = runProgram(argv, {}, std::chrono::seconds(120));
    INFO(done.describe() << done.out);
    REQUIRE(done.exitedWith(expectedExit));
    return done;
  };
  for (int i = 0; i < 3; ++i) {
    std::string out = tempFilePath(std::string("approved-") + names[i]);
    ProgramRun done = run({"--report", names[i], "--out", out});
    *outputs[i] = mask(readFileOrFail(out));
    if (i == 0) formats.console = mask(done.out);
  }
  std::vector<std::string> together;
  std::vector<std::string> files;
  for (const char* name : names) {
    files.push_back(tempFilePath(std::string("together-") + name));
    together.insert(together.end(), {"--report", std::string(name) + "=" + files.back()});
  }
  ProgramRun all = run(together);
  for (int i = 0; i < 3; ++i) {
    INFO("--report " << names[i] << "=FILE among three reports");
    CHECK(mask(readFileOrFail(files[static_cast<std::size_t>(i)])) == *outputs[i]);
  }
  return formats;
}

void approveAll(const std::string& stem, const Formats& formats, bool sortChecks) {
  checkApproved(kApprovedFolder, stem + ".console.txt", sortChecks ? sortConsoleChecks(formats.console) : formats.console);
  checkApproved(kApprovedFolder, stem + ".json", formats.json);
  checkApproved(kApprovedFolder, stem + ".junit.xml", formats.junit);
  checkApproved(kApprovedFolder, stem + ".tap", formats.tap);
}

}  // namespace

TEST_CASE("the default suite's console, JSON, JUnit and TAP output are the approved ones") {
  if (::geteuid() != 0) {
    WARN("sockspec-test-skipped: the approved default-suite output was taken as root (namespaces, wire steps)");
    return;
  }
  approveAll("default-suite", runInEveryFormat({"-j", "4"}, 0), true);
}

TEST_CASE("a service suite against the reference server: the approved output in every format") {
  std::string server = serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo --events {events}";
  approveAll("echo-suite", runInEveryFormat({"--suite", "echo", "--target-cmd", server}, 0), false);
}

TEST_CASE("scenario files that pass, fail and are skipped: the approved output in every format") {
  // Copied to a folder of a fixed name pattern, so that their paths mask the same in every run.
  std::string folder = tempFilePath("approved-scenarios");
  std::filesystem::create_directories(folder);
  for (const auto& entry : std::filesystem::directory_iterator(sourceDir() + "/tests/data/approved/scenarios")) {
    std::filesystem::copy_file(entry.path(), folder + "/" + entry.path().filename().string());
  }
  approveAll("scenario-files", runInEveryFormat({"-j", "2", "--isolation", "none", folder}, 1), true);
}
