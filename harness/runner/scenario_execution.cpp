#include "runner/scenario_execution.h"

#include <chrono>

#include <fmt/format.h>

#include "runner/scenario_sockets.h"
#include "runner/step_runner.h"
#include "scenario/printer.h"

namespace sockspec::runner {

std::string checkId(const scenario::Scenario& scenario, scenario::Family family) {
  return fmt::format("{}[{}]", scenario.id, scenario::familyName(family));
}

report::CheckResult describeCheck(const scenario::Scenario& scenario, scenario::Family family) {
  report::CheckResult result;
  result.id = checkId(scenario, family);
  result.family = std::string(scenario::familyName(family));
  result.file = scenario.file;
  result.line = scenario.steps.empty() ? 1 : scenario.steps.front().place.line;
  result.claims = scenario.claims;
  result.refutes = scenario.refutes;
  result.source = scenario.source;
  result.title = scenario.title;
  return result;
}

report::CheckResult executeScenario(const scenario::Scenario& scenario, scenario::Family family,
                                    const std::string& workDirectory, const std::function<void()>& afterStep) {
  auto started = std::chrono::steady_clock::now();
  report::CheckResult result = describeCheck(scenario, family);
  auto finish = [&](report::Status status, int line, std::string message) {
    result.status = status;
    if (line > 0) result.line = line;
    result.message = std::move(message);
    result.durationMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return result;
  };

  ScenarioSockets sockets(family, workDirectory);
  for (const scenario::Step& step : scenario.steps) {
    auto outcome = runStep(step, sockets);
    if (afterStep) afterStep();
    if (!outcome) {
      return finish(report::Status::Failed, step.place.line,
                    fmt::format("{}: {}", scenario::printStep(step), outcome.error()));
    }
    std::string difference = mismatch(step.expect, *outcome, step.verb);
    if (!difference.empty()) {
      return finish(report::Status::Failed, step.place.line,
                    fmt::format("{}: {}", scenario::printStep(step), difference));
    }
  }
  return finish(report::Status::Passed, 0, "");
}

}  // namespace sockspec::runner
