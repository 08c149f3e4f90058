#include "cli/bad_input_matrix.h"

namespace sockspec::testing {

namespace {

using Args = std::vector<std::string>;

Args joined(Args before, const std::string& value, const Args& after = {}) {
  before.push_back(value);
  before.insert(before.end(), after.begin(), after.end());
  return before;
}

// The command lines each row varies one option of; each is fine on its own and quick:
const Args kRun{"{scn}"};                                         // exit 0 at once
const Args kSuite{"--suite", "echo", "--target", "{refused}"};    // exit 2: "--target unreachable"
const Args kServer{"--suite", "server", "--target", "{refused}"};  // needs --request and a --reply
const Args kInspect{"{pcap}"};                                    // exit 0: no flows
const Args kFuzz{"--service", "echo", "--artifacts", "{new}"};    // add --target {refused} or --target-cmd
const Args kReplay{"{repro}", "--service", "echo"};               // add --target {refused} or --write-scenarios
const std::string kUnreachable = "--target unreachable";
const std::string kTargetExited = "target command exited";

// A number bound by CLI11: every bad value is refused while parsing, naming the option.
void addNumberRows(std::vector<MatrixRow>& rows, const std::string& command, const std::string& option,
                   const Args& before, const Args& after = {}) {
  const std::pair<const char*, const char*> values[] = {
      {"empty", ""}, {"negative", "-1"}, {"huge", "99999999999999999999"}, {"non-numeric", "abc"}, {"wrong-kind", "1.5"}};
  for (const auto& [kind, value] : values) {
    rows.push_back({command, option, kind, joined(joined(before, option), value, after), 2, option});
  }
}

// A flag given a value: CLI11 alone would read "--list=no" as false and "--list=5" as true.
MatrixRow flagRow(const std::string& command, const std::string& flag, const Args& base) {
  return {command, flag, "value", joined(base, flag + "=5"), 2, flag + ": takes no value, got '5'"};
}

// A report's file (--report FORMAT=FILE or --out FILE) by what is there: both go through base/output_file.h.
template <typename ArgsFor>
void addReportFileRows(std::vector<MatrixRow>& rows, const std::string& option, ArgsFor argsFor) {
  rows.insert(rows.end(), {
      {"run", option, "missing", argsFor("{missing}"), 2, option + ": {missing}: the folder"},
      {"run", option, "directory", argsFor("{dir}"), 2, option + ": {dir}: is a directory"},
      {"run", option, "fifo", argsFor("{fifo}"), 2, option + ": {fifo}: a FIFO with no reader"},
      {"run", option, "device", argsFor("{device}"), 0, ""},  // written in place, still the device
      {"run", option, "symlink-loop", argsFor("{loop}"), 2, option + ": {loop}: stat: ELOOP"},
      {"run", option, "full-disk", argsFor("{full}"), 3, "{full}: write: ENOSPC"},
  });
}

void addRunRows(std::vector<MatrixRow>& rows) {
  rows.insert(rows.end(), {
      {"run", "paths", "empty", {""}, 2, "paths: an empty value"},
      {"run", "paths", "negative", {"--", "-1"}, 2, "-1: ENOENT"},
      {"run", "paths", "huge", {"{huge}"}, 2, "ENAMETOOLONG"},
      {"run", "paths", "non-numeric", {"abc"}, 2, "abc: ENOENT"},
      {"run", "paths", "wrong-kind", {"{pcap}"}, 2, "errors in scenario files; nothing was run", true},
      {"run", "paths", "missing", {"{missing}"}, 2, "{missing}: ENOENT"},
      {"run", "paths", "directory", {"{dir}"}, 2, "no *.scn files in {dir}"},
      {"run", "paths", "fifo", {"{fifo}"}, 2, "{fifo}: not a file or folder"},
      {"run", "paths", "device", {"{device}"}, 2, "{device}: not a file or folder"},
      {"run", "paths", "symlink-loop", {"{loop}"}, 2, "{loop}: ELOOP"},
      // A folder holding ok.scn and a link to itself named loop.scn.
      {"run", "paths", "folder-with-loop", {"{looped}"}, 2, "{looped}/loop.scn: ELOOP"},

      {"run", "--suite", "empty", {"--suite", "", "{scn}"}, 2, "--suite: an empty value"},
      {"run", "--suite", "negative", {"--suite", "-1", "{scn}"}, 2, "--suite '-1'"},
      {"run", "--suite", "huge", {"--suite", "{huge}", "{scn}"}, 2, "--suite 'xxx"},
      {"run", "--suite", "non-numeric", {"--suite", "abc", "{scn}"}, 2, "--suite 'abc'"},
      {"run", "--suite", "wrong-kind", {"--suite", "{scn}"}, 2, "--suite '{scn}'"},

      {"run", "--target", "empty", {"--suite", "echo", "--target", ""}, 2, "--target: an empty value"},
      {"run", "--target", "negative", {"--suite", "echo", "--target", "-1"}, 2, "--target: endpoint '-1'"},
      {"run", "--target", "huge", {"--suite", "echo", "--target", "{huge}"}, 2, "--target: endpoint 'xxx"},
      {"run", "--target", "non-numeric", {"--suite", "echo", "--target", "abc"}, 2, "--target: endpoint 'abc'"},
      {"run", "--target", "wrong-kind", {"--suite", "echo", "--target", "{scn}"}, 2, "--target: endpoint '{scn}'"},
      {"run", "--target", "mode", {"{scn}", "--target", "{refused}"}, 2, "--target goes with scenario files"},

      {"run", "--target-cmd", "empty", {"--suite", "echo", "--target-cmd", ""}, 2, "--target-cmd: an empty value"},
      {"run", "--target-cmd", "negative", {"--suite", "echo", "--target-cmd", "-1"}, 2, kTargetExited},
      {"run", "--target-cmd", "huge", {"--suite", "echo", "--target-cmd", "{huge}"}, 2, kTargetExited},
      {"run", "--target-cmd", "non-numeric", {"--suite", "echo", "--target-cmd", "abc"}, 2, kTargetExited},
      {"run", "--target-cmd", "wrong-kind", {"--suite", "echo", "--target-cmd", "{scn}"}, 2, kTargetExited},
      {"run", "--target-cmd", "mode", {"{scn}", "--target-cmd", "touch {marker}"}, 2, "--target-cmd goes with scenario files"},

      flagRow("run", "--keep-target", kRun),
      {"run", "--keep-target", "mode", {"{scn}", "--keep-target"}, 2, "--keep-target"},
      {"run", "--check-timeout", "mode", {"{scn}", "--check-timeout", "100"}, 2, "--check-timeout"},
  });
  addNumberRows(rows, "run", "--check-timeout", kSuite);

  for (const char* option : {"--request", "--reply", "--reply-prefix", "--reply-exact"}) {
    std::string name = option;
    Args base = name == "--request" ? joined(kServer, "--reply", {"x"}) : joined(kServer, "--request", {"PING"});
    std::string wrong = name == "--reply" ? "(" : "\\q";
    rows.insert(rows.end(), {
        {"run", name, "empty", joined(joined(base, name), ""), 2, name + ": an empty value"},
        {"run", name, "negative", joined(joined(base, name), "-1"), 2, kUnreachable},
        {"run", name, "huge", joined(joined(base, name), "{huge}"), 2, kUnreachable},
        {"run", name, "non-numeric", joined(joined(base, name), "abc"), 2, kUnreachable},
        {"run", name, "wrong-kind", joined(joined(base, name), wrong), 2, name + " '"},
        {"run", name, "mode", {"{scn}", name, "x"}, 2, "--request and --reply go with --suite server"},
    });
  }

  rows.insert(rows.end(), {
      {"run", "--filter", "empty", {"--filter", "", "{scn}"}, 2, "--filter: an empty value"},
      {"run", "--filter", "negative", {"--filter", "-1", "{scn}"}, 2, "--filter '-1' matches no scenario"},
      {"run", "--filter", "huge", {"--filter", "{huge}", "{scn}"}, 2, "--filter 'xxx"},
      {"run", "--filter", "non-numeric", {"--filter", "abc", "{scn}"}, 2, "--filter 'abc' matches no scenario"},
      {"run", "--filter", "wrong-kind", {"--filter", "[", "{scn}"}, 2, "--filter '[' matches no scenario"},

      {"run", "--jobs", "empty", {"--jobs", "", "{scn}"}, 2, "--jobs"},
      {"run", "--jobs", "negative", {"-j", "-1", "{scn}"}, 2, "--jobs -1"},
      {"run", "--jobs", "huge", {"-j", "99999999999999999999", "{scn}"}, 2, "--jobs 9223372036854775807"},
      {"run", "--jobs", "too-many", {"-j", "100000", "{scn}"}, 2, "--jobs 100000"},
      {"run", "--jobs", "non-numeric", {"-j", "abc", "{scn}"}, 2, "--jobs"},
      {"run", "--jobs", "wrong-kind", {"-j", "1.5", "{scn}"}, 2, "--jobs"},
      {"run", "--jobs", "mode", joined(kSuite, "-j", {"2"}), 2, "--jobs"},

      {"run", "--report", "empty", {"--report", "", "{scn}"}, 2, "--report: an empty value"},
      {"run", "--report", "negative", {"--report", "-1", "{scn}"}, 2, "--report: unknown report format '-1'"},
      {"run", "--report", "huge", {"--report", "{huge}", "{scn}"}, 2, "--report: unknown report format 'xxx"},
      {"run", "--report", "non-numeric", {"--report", "abc", "{scn}"}, 2, "--report: unknown report format 'abc'"},
      {"run", "--report", "wrong-kind", {"--report", "json=", "{scn}"}, 2, "--report json=: no file after '='"},
      {"run", "--report", "mode", {"--list", "--report", "json={new}", "{scn}"}, 2, "--report"},

      {"run", "--out", "empty", {"--report", "json", "--out", "", "{scn}"}, 2, "--out: an empty value"},
      {"run", "--out", "negative", {"--report", "json", "--out", "-1", "{scn}"}, 0, ""},
      {"run", "--out", "huge", {"--report", "json", "--out", "{huge}", "{scn}"}, 2, "--out: xxx"},
      {"run", "--out", "non-numeric", {"--report", "json", "--out", "abc", "{scn}"}, 0, ""},
      {"run", "--out", "wrong-kind", {"--out", "json", "{scn}"}, 2, "--out needs --report"},

      {"run", "--isolation", "empty", {"--isolation", "", "{scn}"}, 2, "--isolation: an empty value"},
      {"run", "--isolation", "negative", {"--isolation", "-1", "{scn}"}, 2, "--isolation '-1'"},
      {"run", "--isolation", "huge", {"--isolation", "{huge}", "{scn}"}, 2, "--isolation 'xxx"},
      {"run", "--isolation", "non-numeric", {"--isolation", "abc", "{scn}"}, 2, "--isolation 'abc'"},
      {"run", "--isolation", "wrong-kind", {"--isolation", "1", "{scn}"}, 2, "--isolation '1'"},
      {"run", "--isolation", "mode", joined(kSuite, "--isolation", {"none"}), 2, "--isolation goes with scenario runs"},
      {"run", "--timeout", "mode", joined(kSuite, "--timeout", {"500"}), 2, "--timeout"},

      {"run", "--color", "empty", {"--color", "", "{scn}"}, 2, "--color: an empty value"},
      {"run", "--color", "negative", {"--color", "-1", "{scn}"}, 2, "--color: unknown colour mode '-1'"},
      {"run", "--color", "huge", {"--color", "{huge}", "{scn}"}, 2, "--color: unknown colour mode 'xxx"},
      {"run", "--color", "non-numeric", {"--color", "abc", "{scn}"}, 2, "--color: unknown colour mode 'abc'"},
      {"run", "--color", "wrong-kind", {"--color", "1", "{scn}"}, 2, "--color: unknown colour mode '1'"},

      flagRow("run", "--list", kRun),
      // --list with a service suite lists its checks and starts nothing ({marker} would exist).
      {"run", "--list", "mode", {"--list", "--suite", "echo", "--target-cmd", "touch {marker}; sleep 100"}, 0, ""},

      {"run", "--capture", "empty", {"--capture", "", "{scn}"}, 2, "--capture: an empty value"},
      {"run", "--capture", "negative", {"--capture", "-1", "{scn}"}, 0, ""},
      {"run", "--capture", "huge", {"--capture", "{huge}", "{scn}"}, 2, "--capture xxx"},
      {"run", "--capture", "non-numeric", {"--capture", "abc", "{scn}"}, 0, ""},
      {"run", "--capture", "wrong-kind", {"--capture", "{scn}", "{scn}"}, 2, "--capture {scn}: not a folder (ENOTDIR)"},
      {"run", "--capture", "missing", {"--capture", "{missing}", "{scn}"}, 2, "--capture {missing}: the folder"},
      {"run", "--capture", "directory", {"--capture", "{dir}", "{scn}"}, 0, ""},
      {"run", "--capture", "fifo", {"--capture", "{fifo}", "{scn}"}, 2, "--capture {fifo}: not a folder (ENOTDIR)"},
      {"run", "--capture", "device", {"--capture", "{device}", "{scn}"}, 2, "--capture {device}: not a folder (ENOTDIR)"},
      {"run", "--capture", "symlink-loop", {"--capture", "{loop}", "{scn}"}, 2, "--capture {loop}"},
      {"run", "--capture", "full-disk", {"--capture", "{full}", "{scn}"}, 3, "ENOSPC"},
      {"run", "--capture", "mode", {"--list", "--capture", "{new}", "{scn}"}, 2, "--capture"},
      // The folder is made once the target serves, not before.
      {"run", "--capture", "unreachable-target", joined(kSuite, "--capture", {"{new}"}), 2, kUnreachable},
      {"run", "--capture", "target-fails", {"--suite", "echo", "--target-cmd", "false", "--capture", "{new}"}, 2,
       kTargetExited},

      {"run", "--user", "empty", {"--user", "", "{scn}"}, 2, "--user: an empty value"},
      {"run", "--user", "negative", {"--user", "-1", "{scn}"}, 2, "--user"},
      {"run", "--user", "huge", {"--user", "{huge}", "{scn}"}, 2, "--user"},
      {"run", "--user", "non-numeric", {"--user", "no-such-user-here", "{scn}"}, 2, "--user"},
      {"run", "--user", "wrong-kind", {"--user", "{scn}", "{scn}"}, 2, "--user"},
      // "--user goes with scenario runs" as root; otherwise "--user nobody: only root can switch users".
      {"run", "--user", "mode", joined(kSuite, "--user", {"nobody"}), 2, "--user"},
  });
  addNumberRows(rows, "run", "--timeout", kRun);
  addReportFileRows(rows, "--report",
                    [](const std::string& path) { return Args{"--report", "json=" + path, "{scn}"}; });
  addReportFileRows(rows, "--out",
                    [](const std::string& path) { return Args{"--report", "json", "--out", path, "{scn}"}; });
}

void addInspectRows(std::vector<MatrixRow>& rows) {
  rows.insert(rows.end(), {
      {"inspect", "files", "empty", {""}, 2, "files: an empty value"},
      {"inspect", "files", "negative", {"--", "-1"}, 2, "-1: "},
      {"inspect", "files", "huge", {"{huge}"}, 2, "ENAMETOOLONG"},
      {"inspect", "files", "non-numeric", {"abc"}, 2, "abc: "},
      {"inspect", "files", "wrong-kind", {"{scn}"}, 2, "{scn}: record at offset 0: unknown file format"},
      {"inspect", "files", "missing", {"{missing}"}, 2, "{missing}: "},
      {"inspect", "files", "directory", {"{dir}"}, 2, "{dir}: "},
      {"inspect", "files", "fifo", {"{fifo}"}, 2, "{fifo}: record at offset 0: unknown file format"},
      {"inspect", "files", "device", {"{device}"}, 2, "{device}: "},
      {"inspect", "files", "symlink-loop", {"{loop}"}, 2, "{loop}: "},
      flagRow("inspect", "--json", kInspect),
      flagRow("inspect", "--timeline", kInspect),
      {"inspect", "--timeline", "mode", joined(kInspect, "--timeline"), 2, "--timeline needs --flow N"},
      {"inspect", "--host", "empty", joined(kInspect, "--host", {""}), 2, "--host: an empty value"},
      {"inspect", "--host", "negative", joined(kInspect, "--host", {"-1"}), 2, "--host: '-1'"},
      {"inspect", "--host", "huge", joined(kInspect, "--host", {"{huge}"}), 2, "--host: 'xxx"},
      {"inspect", "--host", "non-numeric", joined(kInspect, "--host", {"abc"}), 2, "--host: 'abc'"},
      {"inspect", "--host", "wrong-kind", joined(kInspect, "--host", {"127.0.0.1:80"}), 2, "--host: '127.0.0.1:80'"},
  });
  addNumberRows(rows, "inspect", "--flow", kInspect);
  addNumberRows(rows, "inspect", "--port", kInspect);
}

// --service any's reply options, the same for fuzz and replay (blackbox/fuzz_protocol.h): text in C escapes
// (--reply-end, --probe) or an RE2 pattern (--reply); a fine value leaves the unreachable target to fail.
void addProtocolRows(std::vector<MatrixRow>& rows, const std::string& command, const Args& anyRefused,
                     const Args& echoRefused) {
  for (const std::string option : {"--reply-end", "--reply", "--probe"}) {
    rows.insert(rows.end(), {
        {command, option, "empty", joined(anyRefused, option, {""}), 2, option + ": an empty value"},
        {command, option, "negative", joined(anyRefused, option, {"-1"}), 2, kUnreachable},
        {command, option, "huge", joined(anyRefused, option, {"{huge}"}), 2, kUnreachable},
        {command, option, "non-numeric", joined(anyRefused, option, {"abc"}), 2, kUnreachable},
        {command, option, "mode", joined(echoRefused, option, {"abc"}), 2, option + " goes with --service any"},
    });
  }
  rows.insert(rows.end(), {
      {command, "--reply-end", "wrong-kind", joined(anyRefused, "--reply-end", {"\\q"}), 2,
       "--reply-end '\\q': column 1: unknown escape"},
      {command, "--reply", "wrong-kind", joined(anyRefused, "--reply", {"("}), 2, "--reply '(': missing )"},
      {command, "--probe", "wrong-kind", joined(anyRefused, "--probe", {"\\x4"}), 2, "--probe '\\x4': column 1"},
  });
}

// A folder `fuzz` makes for its results (OutputFolder): one level is made, so a missing parent is refused
// (as for --capture, issue #13); what can be made is left for after the target is reached (unreachable here).
// Reproducers and kept inputs are written only once fuzzing runs: a full disk shows no sooner.
void addOutputFolderRows(std::vector<MatrixRow>& rows, const std::string& option, const Args& base) {
  const Args given = joined(base, option);
  rows.insert(rows.end(), {
      {"fuzz", option, "empty", joined(given, ""), 2, option + ": an empty value"},
      {"fuzz", option, "negative", joined(given, "-1"), 2, kUnreachable},
      {"fuzz", option, "huge", joined(given, "{huge}"), 2, option + " xxx"},
      {"fuzz", option, "non-numeric", joined(given, "abc"), 2, kUnreachable},
      {"fuzz", option, "wrong-kind", joined(given, "{scn}"), 2, option + " {scn}"},
      {"fuzz", option, "missing", joined(given, "{missing}"), 2, option + " {missing}: the folder"},
      {"fuzz", option, "directory", joined(given, "{dir}"), 2, kUnreachable},
      {"fuzz", option, "fifo", joined(given, "{fifo}"), 2, option + " {fifo}"},
      {"fuzz", option, "device", joined(given, "{device}"), 2, option + " {device}"},
      {"fuzz", option, "symlink-loop", joined(given, "{loop}"), 2, option + " {loop}"},
      {"fuzz", option, "full-disk", joined(given, "{full}"), 2, kUnreachable},
  });
}

void addFuzzRows(std::vector<MatrixRow>& rows) {
  const Args refused = joined(kFuzz, "--target", {"{refused}"});
  const Args anyRefused{"--service", "any", "--artifacts", "{new}", "--target", "{refused}"};
  addProtocolRows(rows, "fuzz", anyRefused, refused);
  rows.insert(rows.end(), {
      {"fuzz", "--seeds", "empty", joined(anyRefused, "--seeds", {""}), 2, "--seeds: an empty value"},
      {"fuzz", "--seeds", "negative", joined(anyRefused, "--seeds", {"-1"}), 2, "--seeds -1: stat: ENOENT"},
      {"fuzz", "--seeds", "huge", joined(anyRefused, "--seeds", {"{huge}"}), 2, "stat: ENAMETOOLONG"},
      {"fuzz", "--seeds", "non-numeric", joined(anyRefused, "--seeds", {"abc"}), 2, "--seeds abc: stat: ENOENT"},
      {"fuzz", "--seeds", "wrong-kind", joined(anyRefused, "--seeds", {"{scn}"}), 2, "--seeds {scn}: not a folder"},
      {"fuzz", "--seeds", "missing", joined(anyRefused, "--seeds", {"{missing}"}), 2, "--seeds {missing}: stat: ENOENT"},
      {"fuzz", "--seeds", "directory", joined(anyRefused, "--seeds", {"{dir}"}), 2, kUnreachable},
      {"fuzz", "--seeds", "fifo", joined(anyRefused, "--seeds", {"{fifo}"}), 2, "--seeds {fifo}: not a folder"},
      {"fuzz", "--seeds", "device", joined(anyRefused, "--seeds", {"{device}"}), 2, "--seeds {device}: not a folder"},
      {"fuzz", "--seeds", "symlink-loop", joined(anyRefused, "--seeds", {"{loop}"}), 2, "--seeds {loop}: stat: ELOOP"},
      {"fuzz", "--seeds-from", "empty", joined(anyRefused, "--seeds-from", {""}), 2, "--seeds-from: an empty value"},
      {"fuzz", "--seeds-from", "negative", joined(anyRefused, "--seeds-from", {"-1"}), 2, "--seeds-from -1: "},
      {"fuzz", "--seeds-from", "huge", joined(anyRefused, "--seeds-from", {"{huge}"}), 2, "--seeds-from xxx"},
      {"fuzz", "--seeds-from", "non-numeric", joined(anyRefused, "--seeds-from", {"abc"}), 2, "--seeds-from abc: "},
      {"fuzz", "--seeds-from", "wrong-kind", joined(anyRefused, "--seeds-from", {"{scn}"}), 2,
       "--seeds-from {scn}: record at offset 0: "},
      {"fuzz", "--seeds-from", "missing", joined(anyRefused, "--seeds-from", {"{missing}"}), 2, "--seeds-from {missing}: "},
      {"fuzz", "--seeds-from", "directory", joined(anyRefused, "--seeds-from", {"{dir}"}), 2, "--seeds-from {dir}: "},
      {"fuzz", "--seeds-from", "fifo", joined(anyRefused, "--seeds-from", {"{fifo}"}), 2, "--seeds-from {fifo}: "},
      {"fuzz", "--seeds-from", "device", joined(anyRefused, "--seeds-from", {"{device}"}), 2, "--seeds-from {device}: "},
      {"fuzz", "--seeds-from", "symlink-loop", joined(anyRefused, "--seeds-from", {"{loop}"}), 2, "--seeds-from {loop}: "},
      {"fuzz", "--seeds-from", "no-flows", joined(anyRefused, "--seeds-from", {"{pcap}"}), 2,
       "--seeds-from {pcap}: no TCP flow with client data in it"},
      {"fuzz", "--dict", "empty", joined(anyRefused, "--dict", {""}), 2, "--dict: an empty value"},
      {"fuzz", "--dict", "negative", joined(anyRefused, "--dict", {"-1"}), 2, "--dict -1: stat: ENOENT"},
      {"fuzz", "--dict", "huge", joined(anyRefused, "--dict", {"{huge}"}), 2, "stat: ENAMETOOLONG"},
      {"fuzz", "--dict", "non-numeric", joined(anyRefused, "--dict", {"abc"}), 2, "--dict abc: stat: ENOENT"},
      {"fuzz", "--dict", "wrong-kind", joined(anyRefused, "--dict", {"{scn}"}), 2, "--dict {scn}:1:"},
      {"fuzz", "--dict", "missing", joined(anyRefused, "--dict", {"{missing}"}), 2, "--dict {missing}: stat: ENOENT"},
      {"fuzz", "--dict", "directory", joined(anyRefused, "--dict", {"{dir}"}), 2, "--dict {dir}: not a regular file"},
      {"fuzz", "--dict", "fifo", joined(anyRefused, "--dict", {"{fifo}"}), 2, "--dict {fifo}: not a regular file"},
      {"fuzz", "--dict", "device", joined(anyRefused, "--dict", {"{device}"}), 2, "--dict {device}: not a regular file"},
      {"fuzz", "--dict", "symlink-loop", joined(anyRefused, "--dict", {"{loop}"}), 2, "--dict {loop}: stat: ELOOP"},
  });
  const Args started = joined(kFuzz, "--target-cmd", {"false"});  // exits at once: exit 2 once validated
  for (const char* option : {"--hang-timeout", "--ready-timeout", "--max-time", "--max-len", "--seed", "--jobs"}) {
    addNumberRows(rows, "fuzz", option, refused);
  }
  rows.insert(rows.end(), {
      {"fuzz", "--target-cmd", "empty", joined(kFuzz, "--target-cmd", {""}), 2, "--target-cmd: an empty value"},
      {"fuzz", "--target-cmd", "negative", joined(kFuzz, "--target-cmd", {"-1"}), 2, "-1"},
      {"fuzz", "--target-cmd", "huge", joined(kFuzz, "--target-cmd", {"{huge}"}), 2, "xxx"},
      {"fuzz", "--target-cmd", "non-numeric", joined(kFuzz, "--target-cmd", {"abc"}), 2, "abc"},
      {"fuzz", "--target-cmd", "wrong-kind", joined(kFuzz, "--target-cmd", {"{scn}"}), 2, "{scn}"},
      {"fuzz", "--target", "empty", joined(kFuzz, "--target", {""}), 2, "--target: an empty value"},
      {"fuzz", "--target", "negative", joined(kFuzz, "--target", {"-1"}), 2, "'-1'"},
      {"fuzz", "--target", "huge", joined(kFuzz, "--target", {"{huge}"}), 2, "'xxx"},
      {"fuzz", "--target", "non-numeric", joined(kFuzz, "--target", {"abc"}), 2, "'abc'"},
      {"fuzz", "--target", "wrong-kind", joined(kFuzz, "--target", {"tcp://127.0.0.1:{port}"}), 2, "{port} needs --target-cmd"},
      {"fuzz", "--service", "empty", {"--service", "", "--artifacts", "{new}", "--target", "{refused}"}, 2, "--service"},
      {"fuzz", "--service", "negative", {"--service", "-1", "--artifacts", "{new}", "--target", "{refused}"}, 2, "--service"},
      {"fuzz", "--service", "huge", {"--service", "{huge}", "--artifacts", "{new}", "--target", "{refused}"}, 2, "--service"},
      {"fuzz", "--service", "non-numeric", {"--service", "abc", "--artifacts", "{new}", "--target", "{refused}"}, 2, "--service"},
      {"fuzz", "--service", "wrong-kind", {"--service", "{scn}", "--artifacts", "{new}", "--target", "{refused}"}, 2, "--service"},
      {"fuzz", "--max-findings", "empty", joined(started, "--max-findings", {""}), 2, "--max-findings"},
      {"fuzz", "--max-findings", "negative", joined(started, "--max-findings", {"-1"}), 2, "--max-findings -1"},
      // Any count is a fine limit; a huge one means "until --max-time".
      {"fuzz", "--max-findings", "huge", joined(started, "--max-findings", {"99999999999999999999"}), 2, kTargetExited},
      {"fuzz", "--max-findings", "non-numeric", joined(started, "--max-findings", {"abc"}), 2, "--max-findings"},
      {"fuzz", "--max-findings", "wrong-kind", joined(started, "--max-findings", {"1.5"}), 2, "--max-findings"},
      flagRow("fuzz", "--no-shrink", refused),
      // A server sockspec did not start is never restarted: nothing to wait for, shrink, or go on after.
      {"fuzz", "--no-shrink", "mode", joined(refused, "--no-shrink"), 2, "--no-shrink goes with --target-cmd"},
      {"fuzz", "--max-findings", "mode", joined(refused, "--max-findings", {"3"}), 2,
       "--max-findings goes with --target-cmd"},
      {"fuzz", "--ready-timeout", "mode", joined(refused, "--ready-timeout", {"500"}), 2,
       "--ready-timeout goes with --target-cmd"},
      // Each worker starts a server of its own, on a port of its own.
      {"fuzz", "--jobs", "mode", joined(refused, "--jobs", {"2"}), 2, "--jobs goes with --target-cmd"},
      {"fuzz", "--jobs", "fixed-port", joined(joined(started, "--target", {"tcp://127.0.0.1:4444"}), "--jobs", {"2"}), 2,
       "--jobs 2 needs {port} in --target"},
      {"fuzz", "--jobs", "too-many", joined(started, "--jobs", {"65"}), 2, "--jobs 65: expected 1 to 64"},
  });
  // --artifacts and --corpus: checked before anything starts, made only once the target is reached.
  addOutputFolderRows(rows, "--artifacts", {"--service", "echo", "--target", "{refused}"});
  addOutputFolderRows(rows, "--corpus", {"--service", "echo", "--target", "{refused}", "--artifacts", "{new}"});
  rows.push_back(flagRow("fuzz", "--no-coverage", refused));
}

void addReplayRows(std::vector<MatrixRow>& rows) {
  const Args refused = joined(kReplay, "--target", {"{refused}"});
  const Args writes{"{repro}", "--service", "echo", "--write-scenarios"};
  addNumberRows(rows, "replay", "--hang-timeout", refused);
  addNumberRows(rows, "replay", "--ready-timeout", refused);
  addProtocolRows(rows, "replay", {"{repro}", "--service", "any", "--target", "{refused}"}, refused);
  rows.insert(rows.end(), {
      {"replay", "paths", "empty", {"", "--service", "echo", "--target", "{refused}"}, 2, "paths: an empty value"},
      {"replay", "paths", "negative", {"--service", "echo", "--target", "{refused}", "--", "-1"}, 2, "-1: no such file"},
      {"replay", "paths", "huge", {"{huge}", "--service", "echo", "--target", "{refused}"}, 2, "xxx: no such file"},
      {"replay", "paths", "non-numeric", {"abc", "--service", "echo", "--target", "{refused}"}, 2, "abc: no such file"},
      // Any bytes are an input to send.
      {"replay", "paths", "wrong-kind", {"{pcap}", "--service", "echo", "--target", "{refused}"}, 2, kUnreachable},
      {"replay", "paths", "missing", {"{missing}", "--service", "echo", "--target", "{refused}"}, 2, "{missing}: no such"},
      {"replay", "paths", "directory", {"{dir}", "--service", "echo", "--target", "{refused}"}, 2, "no reproducers in {dir}"},
      {"replay", "paths", "fifo", {"{fifo}", "--service", "echo", "--target", "{refused}"}, 2, kUnreachable},
      {"replay", "paths", "device", {"{device}", "--service", "echo", "--target", "{refused}"}, 2,
       "{device}: not a regular file"},
      {"replay", "paths", "symlink-loop", {"{loop}", "--service", "echo", "--target", "{refused}"}, 2, "{loop}"},
      {"replay", "paths", "folder-with-loop", {"{looped}", "--service", "echo", "--target", "{refused}"}, 2,
       "{looped}/loop.scn"},
      // A reproducer's sidecar (FILE.json) is read too, without being named.
      {"replay", "paths", "sidecar-fifo", {"{sidecar-fifo}", "--service", "echo", "--target", "{refused}"}, 2,
       "{sidecar-fifo}.json: not a regular file"},
      {"replay", "paths", "sidecar-directory", {"{sidecar-dir}", "--service", "echo", "--target", "{refused}"}, 2,
       "{sidecar-dir}.json: not a regular file"},
      {"replay", "paths", "sidecar-device", {"{sidecar-device}", "--service", "echo", "--target", "{refused}"}, 2,
       "{sidecar-device}.json: not a regular file"},
      {"replay", "paths", "sidecar-loop", {"{sidecar-loop}", "--service", "echo", "--target", "{refused}"}, 2,
       "{sidecar-loop}.json: stat: ELOOP"},

      {"replay", "--target-cmd", "empty", joined(kReplay, "--target-cmd", {""}), 2, "--target-cmd: an empty value"},
      {"replay", "--target-cmd", "negative", joined(kReplay, "--target-cmd", {"-1"}), 2, kTargetExited},
      {"replay", "--target-cmd", "huge", joined(kReplay, "--target-cmd", {"{huge}"}), 2, kTargetExited},
      {"replay", "--target-cmd", "non-numeric", joined(kReplay, "--target-cmd", {"abc"}), 2, kTargetExited},
      {"replay", "--target-cmd", "wrong-kind", joined(kReplay, "--target-cmd", {"{scn}"}), 2, kTargetExited},
      {"replay", "--target", "empty", joined(kReplay, "--target", {""}), 2, "--target: an empty value"},
      {"replay", "--target", "negative", joined(kReplay, "--target", {"-1"}), 2, "'-1'"},
      {"replay", "--target", "huge", joined(kReplay, "--target", {"{huge}"}), 2, "'xxx"},
      {"replay", "--target", "non-numeric", joined(kReplay, "--target", {"abc"}), 2, "'abc'"},
      {"replay", "--target", "wrong-kind", joined(kReplay, "--target", {"tcp://127.0.0.1:{port}"}), 2, "{port} needs --target-cmd"},
      {"replay", "--target", "mode", joined(writes, "{new}", {"--target", "{refused}"}), 2, "--write-scenarios sends nothing"},
      {"replay", "--hang-timeout", "mode", joined(writes, "{new}", {"--hang-timeout", "50"}), 2, "--hang-timeout"},
      {"replay", "--ready-timeout", "mode", joined(writes, "{new}", {"--ready-timeout", "500"}), 2, "--ready-timeout"},
      {"replay", "--ready-timeout", "target-alone", joined(refused, "--ready-timeout", {"500"}), 2,
       "--ready-timeout goes with --target-cmd"},

      {"replay", "--service", "empty", {"{repro}", "--target", "{refused}", "--service", ""}, 2, "--service"},
      {"replay", "--service", "negative", {"{repro}", "--target", "{refused}", "--service", "-1"}, 2, "--service"},
      {"replay", "--service", "huge", {"{repro}", "--target", "{refused}", "--service", "{huge}"}, 2, "--service"},
      {"replay", "--service", "non-numeric", {"{repro}", "--target", "{refused}", "--service", "abc"}, 2, "--service"},
      {"replay", "--service", "wrong-kind", {"{repro}", "--target", "{refused}", "--service", "{scn}"}, 2, "--service"},
      flagRow("replay", "--json", refused),
      {"replay", "--json", "mode", joined(writes, "{new}", {"--json"}), 2, "--json"},

      {"replay", "--write-scenarios", "empty", joined(writes, ""), 2, "--write-scenarios: an empty value"},
      {"replay", "--write-scenarios", "negative", joined(writes, "-1"), 0, ""},
      {"replay", "--write-scenarios", "huge", joined(writes, "{huge}"), 2, "--write-scenarios xxx"},
      {"replay", "--write-scenarios", "non-numeric", joined(writes, "abc"), 0, ""},
      {"replay", "--write-scenarios", "wrong-kind", joined(writes, "{scn}"), 2, "--write-scenarios {scn}"},
      {"replay", "--write-scenarios", "missing", joined(writes, "{missing}"), 2, "--write-scenarios {missing}: the folder"},
      {"replay", "--write-scenarios", "directory", joined(writes, "{dir}"), 0, ""},
      {"replay", "--write-scenarios", "fifo", joined(writes, "{fifo}"), 2, "--write-scenarios {fifo}"},
      {"replay", "--write-scenarios", "device", joined(writes, "{device}"), 2, "--write-scenarios {device}"},
      {"replay", "--write-scenarios", "symlink-loop", joined(writes, "{loop}"), 2, "--write-scenarios {loop}"},
      {"replay", "--write-scenarios", "full-disk", joined(writes, "{full}"), 3, "ENOSPC"},
  });
}

}  // namespace

const std::vector<MatrixOption>& matrixOptions() {
  using C = OptionClass;
  static const std::vector<MatrixOption> options{
      {"run", "paths", C::FileIn},           {"run", "--suite", C::Text},
      {"run", "--target", C::Text},          {"run", "--target-cmd", C::Text},
      {"run", "--keep-target", C::Flag},     {"run", "--check-timeout", C::Number},
      {"run", "--request", C::Text},         {"run", "--reply", C::Text},
      {"run", "--reply-prefix", C::Text},    {"run", "--reply-exact", C::Text},
      {"run", "--filter", C::Text},          {"run", "--jobs", C::Number},
      {"run", "--report", C::FileOut},       {"run", "--out", C::FileOut},
      {"run", "--isolation", C::Text},       {"run", "--timeout", C::Number},
      {"run", "--color", C::Text},           {"run", "--list", C::Flag},
      {"run", "--capture", C::FileOut},      {"run", "--user", C::Text},
      {"inspect", "files", C::FileIn},       {"inspect", "--json", C::Flag},
      {"inspect", "--flow", C::Number},      {"inspect", "--timeline", C::Flag},
      {"inspect", "--host", C::Text},        {"inspect", "--port", C::Number},
      {"fuzz", "--target-cmd", C::Text},     {"fuzz", "--target", C::Text},
      {"fuzz", "--hang-timeout", C::Number}, {"fuzz", "--ready-timeout", C::Number},
      {"fuzz", "--service", C::Text},        {"fuzz", "--max-time", C::Number},
      {"fuzz", "--artifacts", C::FileOut},   {"fuzz", "--seed", C::Number},
      {"fuzz", "--max-len", C::Number},      {"fuzz", "--max-findings", C::Number},
      {"fuzz", "--no-shrink", C::Flag},      {"fuzz", "--reply-end", C::Text},
      {"fuzz", "--reply", C::Text},          {"fuzz", "--probe", C::Text},
      {"fuzz", "--seeds", C::FileIn},        {"fuzz", "--seeds-from", C::FileIn},
      {"fuzz", "--dict", C::FileIn},        {"fuzz", "--jobs", C::Number},
      {"fuzz", "--corpus", C::FileOut},     {"fuzz", "--no-coverage", C::Flag},
      {"replay", "--reply-end", C::Text},    {"replay", "--reply", C::Text},
      {"replay", "--probe", C::Text},        {"replay", "paths", C::FileIn},
      {"replay", "--target-cmd", C::Text},   {"replay", "--target", C::Text},
      {"replay", "--hang-timeout", C::Number}, {"replay", "--ready-timeout", C::Number},
      {"replay", "--service", C::Text},      {"replay", "--json", C::Flag},
      {"replay", "--write-scenarios", C::FileOut},
  };
  return options;
}

const std::vector<MatrixRow>& matrixRows() {
  static const std::vector<MatrixRow> rows = [] {
    std::vector<MatrixRow> all;
    addRunRows(all);
    addInspectRows(all);
    addFuzzRows(all);
    addReplayRows(all);
    return all;
  }();
  return rows;
}

std::vector<std::string> requiredKinds(OptionClass kind) {
  std::vector<std::string> kinds{"empty", "negative", "huge", "non-numeric", "wrong-kind"};
  switch (kind) {
    case OptionClass::Flag: return {"value"};
    case OptionClass::Number:
    case OptionClass::Text: return kinds;
    case OptionClass::FileIn:
    case OptionClass::FileOut:
      kinds.insert(kinds.end(), {"missing", "directory", "fifo", "device", "symlink-loop"});
      if (kind == OptionClass::FileOut) kinds.push_back("full-disk");
      return kinds;
  }
  return kinds;
}

}  // namespace sockspec::testing
