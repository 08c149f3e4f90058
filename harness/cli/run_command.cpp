#include "cli/run_command.h"

#include <cstdio>
#include <memory>

#include "app/run_execution.h"
#include "app/run_options.h"
#include "app/run_plan.h"
#include "base/exit_codes.h"
#include "base/temp_directory.h"
#include "cli_support/strict_options.h"
#include "cli_support/usage_error.h"
#include "process/interrupt_signals.h"
#include "report/run_result.h"

namespace sockspec::cli {

namespace {

constexpr std::string_view kProgram = "sockspec run";

int runScenarios(const app::RunOptions& options) {
  // main() has installed the interrupt handlers before parsing: planning makes folders (--capture, the
  // TMPDIR probe) that a signal must not strand, and the work polls the flag from its start.
  auto plan = app::planRun(options);
  if (!plan) {
    for (const auto& line : plan.error().diagnostics) std::fprintf(stderr, "%s\n", line.c_str());
    return cli_support::usageError(kProgram, plan.error().message);
  }
  if (plan->listOnly) {
    for (const auto& line : app::listJobs(*plan)) std::printf("%s\n", line.c_str());
    return kExitOk;
  }
  if (auto usable = TempDirectory::checkUsable(); !usable) return cli_support::usageError(kProgram, usable.error());
  auto outcome = app::executeRun(*plan, process::interruptFlag());
  if (!outcome && *process::interruptFlag() != 0) {
    std::fprintf(stderr, "sockspec run: %s\n", outcome.error().c_str());
    return process::interruptExitCode();
  }
  if (!outcome) return cli_support::usageError(kProgram, outcome.error());
  if (outcome->reportError) {
    std::fprintf(stderr, "sockspec run: %s\n", outcome->reportError->c_str());
    return kExitInternal;
  }
  if (outcome->interrupted) {
    std::fprintf(stderr, "sockspec run: interrupted\n");
    return process::interruptExitCode();
  }
  // A check sockspec itself failed (a job's process died without a result) is no verdict on anything.
  for (const auto& check : outcome->result.checks) {
    if (check.harnessFault) {
      std::fprintf(stderr, "sockspec run: %s: %s\n", check.id.c_str(), check.message.c_str());
      return kExitInternal;
    }
  }
  // A capture --capture DIR asked for and did not get is lost data, whatever the checks said.
  if (auto losses = report::captureLosses(outcome->result); losses.count > 0) {
    std::fprintf(stderr, "sockspec run: %zu capture%s not written; the first: %s\n", losses.count,
                 losses.count == 1 ? "" : "s", losses.first->captureError.c_str());
    return kExitInternal;
  }
  return outcome->result.summary().failed == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace

std::function<int()> addRunCommand(CLI::App& app) {
  auto options = std::make_shared<app::RunOptions>();
  CLI::App* run = app.add_subcommand("run", "run conformance scenarios (default: the installed default suite)");
  run->add_option("paths", options->paths, "scenario files or folders of *.scn files");
  run->add_option("--suite", options->suite,
                  "'default' (the scenario suite), or a service suite to run against --target/--target-cmd: "
                  "echo, discard, chargen, daytime, framed (docs/service-suites.md), or server: any server, given "
                  "--request and --reply (docs/server-profile.md)");
  run->add_option("--target", options->target,
                  "the server to check, as a URL (tcp://127.0.0.1:7, udp://[::1]:7, unix:///run/echo.sock); "
                  "with --target-cmd it may say {port}");
  run->add_option("--target-cmd", options->targetCommand,
                  "start the server with this shell command on a free port ({port}), wait until it serves, "
                  "stop it afterwards; {events} names a file for its --events log, then checked for lifecycle "
                  "order");
  run->add_flag("--keep-target", options->keepTarget,
                "start the --target-cmd server once for the whole run (for a server slow to start); by default "
                "each check gets a freshly started one, so that one check's crash cannot fail the next");
  run->add_option("--check-timeout", options->checkTimeoutMs,
                  "with --target or --target-cmd: how long a check waits for the server, in ms")
      ->capture_default_str()
      ->check(CLI::Range(50, 600'000));
  run->add_option("--request", options->request,
                  "--suite server: the bytes of one request, with escapes \\r \\n \\t \\0 \\xNN ('PING\\r\\n')");
  run->add_option("--reply", options->reply,
                  "--suite server: an RE2 regex the reply must match ('^\\+PONG\\r\\n$'); a reply is complete "
                  "once the bytes read so far match");
  run->add_option("--reply-prefix", options->replyPrefix, "--suite server: the reply starts with TEXT (escapes as --request)");
  run->add_option("--reply-exact", options->replyExact, "--suite server: the reply is exactly TEXT (escapes as --request)");
  run->add_option("--filter", options->filter, "run only checks whose id matches this glob, e.g. 'close.*'");
  run->add_option("-j,--jobs", options->jobs,
                  "scenario runs: scenarios run at once, up to 1024 (default, or 0: twice the number of cores); a "
                  "service suite runs its checks one at a time and refuses it");
  run->add_option("--report", options->reports,
                  "also write a machine report: json, junit or tap; FORMAT=FILE writes it to FILE, and the "
                  "option may be given once per report (--report junit=ci.xml --report json=out.json)")
      ->allow_extra_args(false);
  run->add_option("--out", options->out, "write the one --report FORMAT to FILE instead of stdout");
  run->add_option("--isolation", options->isolation,
                  "scenario runs: auto (the default): a network namespace per scenario when privileged; netns: "
                  "always; none: never");
  run->add_option("--timeout", options->timeoutMs,
                  "scenario runs: kill a scenario that runs longer than this many ms (a service suite refuses it: "
                  "see --check-timeout)")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  run->add_option("--color", options->color, "auto, always or never")->capture_default_str();
  run->add_flag("--list", options->list,
                "list the checks that would run (scenario jobs, or a service suite's checks) and exit, starting "
                "nothing; the rest of the command line is checked as for a run (not with --report or --capture)");
  run->add_option("--capture", options->capture,
                  "record each scenario's traffic into DIR/<scenario-id>.<family>.pcap (needs root: it is "
                  "captured on lo inside the scenario's own network namespace)");
  run->add_option("--user", options->user,
                  "scenario runs, root only: each scenario job switches to this user once its namespace and "
                  "capture are set up (as tcpdump -Z does); it always drops its capabilities");
  run->footer("Examples:\n"
              "  sockspec run                                  the default suite, with a verdict on each claim\n"
              "  sockspec run --filter 'close.*' -j 4          one family\n"
              "  sockspec run my-scenarios/ --report junit=ci.xml --report json=out.json\n"
              "  sockspec run --suite echo --target-cmd './my-echo-server --port {port}'\n"
              "  sockspec run --suite server --target-cmd './kv --port {port}' --request 'PING\\r\\n' "
              "--reply '^\\+PONG\\r\\n$'\n"
              "Exit codes: 0 passed, 1 a check failed, 2 bad usage or input, 3 sockspec failed, 130 interrupted (SIGINT), 143 terminated (SIGTERM).");
  return [options, run]() {
    options->given = cli_support::givenOptions(*run);
    return runScenarios(*options);
  };
}

}  // namespace sockspec::cli
