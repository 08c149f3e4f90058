#include "runner/job_admission.h"

#include <fmt/format.h>

namespace sockspec::runner {

Admission admitJob(const scenario::Scenario& scenario, scenario::Family family, const JobEnvironment& environment) {
  bool needsNamespace = !scenario.sysctls.empty() || scenario.hasRequirement("netns");
  bool needsTarget = scenario.hasRequirement("target");
  auto skip = [](std::string reason) { return Admission{std::move(reason), JobPlacement::HostStack}; };
  if (needsTarget && environment.target == nullptr) {
    return skip("needs a server under test (run --target URL or --target-cmd CMD)");
  }
  if (needsTarget && environment.target->family != family) {
    return skip(fmt::format("the server under test, {}, is not {}", environment.target->description,
                            scenario::familyName(family)));
  }
  bool targetPerJob = needsTarget && environment.target->perJob.has_value();
  if (needsTarget && !targetPerJob && needsNamespace) {
    return skip("with one server for the whole run (--keep-target or --target URL), a scenario with 'requires "
                "target' runs in the host's network stack, where that server is, so it cannot have its own "
                "namespace or sysctls");
  }
  if (needsNamespace && !environment.namespacePerJob) {
    return skip("needs its own network namespace (run as root, or with CAP_SYS_ADMIN)");
  }
  if (scenario.hasRequirement("root") && !environment.root) return skip("needs root");
  // A scenario reaching the run's one server stays in the host's network stack, where that server is; one
  // that starts its own server takes it into its namespace.
  bool ownNamespace = environment.namespacePerJob && (!needsTarget || targetPerJob);
  return Admission{std::nullopt, ownNamespace ? JobPlacement::OwnNamespace : JobPlacement::HostStack};
}

}  // namespace sockspec::runner
