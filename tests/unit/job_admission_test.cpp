// The scheduler's skip rules (runner/job_admission.h): which job runs where, and the exact reason a
// skipped one gives. A pure function: no process, namespace or socket is made here.
#include <catch2/catch.hpp>

#include "runner/job_admission.h"

using sockspec::runner::admitJob;
using sockspec::runner::JobEnvironment;
using sockspec::runner::JobPlacement;
using sockspec::runner::TargetUnderTest;
using sockspec::scenario::Family;
using sockspec::scenario::Scenario;

namespace {

Scenario scenarioRequiring(std::vector<std::string> requirements, std::vector<std::string> sysctls = {}) {
  Scenario scenario;
  scenario.id = "t.admission";
  scenario.families = {Family::Tcp4};
  scenario.requirements = std::move(requirements);
  scenario.sysctls = std::move(sysctls);
  return scenario;
}

}  // namespace

TEST_CASE("a plain scenario runs in its own namespace when the run gives one, else in the host's stack") {
  Scenario plain = scenarioRequiring({});
  auto isolated = admitJob(plain, Family::Tcp4, JobEnvironment{true, false, nullptr});
  CHECK_FALSE(isolated.skipReason);
  CHECK(isolated.placement == JobPlacement::OwnNamespace);
  auto shared = admitJob(plain, Family::Unix, JobEnvironment{false, true, nullptr});
  CHECK_FALSE(shared.skipReason);
  CHECK(shared.placement == JobPlacement::HostStack);
}

TEST_CASE("sysctls and 'requires netns' need a namespace per job") {
  JobEnvironment noNamespace{false, true, nullptr};
  const std::string reason = "needs its own network namespace (run as root, or with CAP_SYS_ADMIN)";
  CHECK(admitJob(scenarioRequiring({"netns"}), Family::Tcp4, noNamespace).skipReason == reason);
  CHECK(admitJob(scenarioRequiring({}, {"net.ipv4.tcp_abort_on_overflow=1"}), Family::Tcp4, noNamespace).skipReason ==
        reason);
  CHECK_FALSE(admitJob(scenarioRequiring({"netns"}), Family::Tcp4, JobEnvironment{true, true, nullptr}).skipReason);
}

TEST_CASE("'requires root' needs root") {
  CHECK(admitJob(scenarioRequiring({"root"}), Family::Tcp4, JobEnvironment{true, false, nullptr}).skipReason ==
        "needs root");
  CHECK_FALSE(admitJob(scenarioRequiring({"root"}), Family::Tcp4, JobEnvironment{true, true, nullptr}).skipReason);
}

TEST_CASE("a target scenario needs a target of its family, and runs in the host's stack") {
  Scenario targeted = scenarioRequiring({"target"});
  CHECK(admitJob(targeted, Family::Tcp4, JobEnvironment{true, true, nullptr}).skipReason ==
        "needs a server under test (run --target URL or --target-cmd CMD)");
  TargetUnderTest target{{}, Family::Tcp6, "tcp://[::1]:4242", std::nullopt};
  JobEnvironment withTarget{true, true, &target};
  CHECK(admitJob(targeted, Family::Tcp4, withTarget).skipReason ==
        "the server under test, tcp://[::1]:4242, is not tcp4");
  auto admitted = admitJob(targeted, Family::Tcp6, withTarget);
  CHECK_FALSE(admitted.skipReason);
  CHECK(admitted.placement == JobPlacement::HostStack);
}

TEST_CASE("a scenario reaching the run's one server cannot also have its own namespace, and the rules apply in "
          "their order") {
  TargetUnderTest target{{}, Family::Tcp4, "tcp://127.0.0.1:4242", std::nullopt};
  auto both = admitJob(scenarioRequiring({"target", "netns"}), Family::Tcp4, JobEnvironment{true, true, &target});
  REQUIRE(both.skipReason);
  CHECK(both.skipReason->starts_with("with one server for the whole run (--keep-target or --target URL), a "
                                     "scenario with 'requires target' runs in the host's network stack"));
  // Without a target, the missing target is the reason, not the namespace or root.
  auto first = admitJob(scenarioRequiring({"target", "netns", "root"}), Family::Tcp4, JobEnvironment{false, false, nullptr});
  CHECK(first.skipReason == "needs a server under test (run --target URL or --target-cmd CMD)");
  // Namespace before root.
  auto second = admitJob(scenarioRequiring({"netns", "root"}), Family::Tcp4, JobEnvironment{false, false, nullptr});
  CHECK(second.skipReason == "needs its own network namespace (run as root, or with CAP_SYS_ADMIN)");
}

TEST_CASE("a target scenario whose job starts its own server takes it into its own namespace, sysctls and all") {
  TargetUnderTest perJob{{}, Family::Tcp4, "'./kv --port {port}' (tcp://127.0.0.1:{port})",
                         sockspec::process::TargetSpec{}};
  Scenario targeted = scenarioRequiring({"target"}, {"net.ipv4.tcp_abort_on_overflow=1"});
  auto isolated = admitJob(targeted, Family::Tcp4, JobEnvironment{true, true, &perJob});
  CHECK_FALSE(isolated.skipReason);
  CHECK(isolated.placement == JobPlacement::OwnNamespace);
  // Without namespaces (not root) its sysctls cannot be set: skipped for that, like any scenario's.
  auto shared = admitJob(targeted, Family::Tcp4, JobEnvironment{false, false, &perJob});
  CHECK(shared.skipReason == "needs its own network namespace (run as root, or with CAP_SYS_ADMIN)");
  auto plain = admitJob(scenarioRequiring({"target"}), Family::Tcp4, JobEnvironment{false, false, &perJob});
  CHECK_FALSE(plain.skipReason);
  CHECK(plain.placement == JobPlacement::HostStack);
}
