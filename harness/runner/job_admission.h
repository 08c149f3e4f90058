// Which scenario jobs run, and why one is skipped: a pure function of the scenario, its family and what this
// run has (a namespace per job, root, a server under test). The scheduler asks it before starting a job;
// the reasons are the skip messages every report shows.
#pragma once

#include <optional>
#include <string>

#include "net/sock_addr.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// run --target/--target-cmd with scenario files: the server under test, for the scenarios that say
// `requires target` (connect-target). They run in the host's network stack, where the server is, and only
// over its family; without a target they are skipped.
struct TargetUnderTest {
  net::SockAddr address;
  scenario::Family family = scenario::Family::Tcp4;
  std::string description;  // "tcp://127.0.0.1:41234", for skip reasons
};

// What the run can give a job.
struct JobEnvironment {
  bool namespacePerJob = false;  // the isolation in force gives each job its own network namespace
  bool root = false;             // effective uid 0
  const TargetUnderTest* target = nullptr;
};

// Where an admitted job runs.
enum class JobPlacement {
  OwnNamespace,  // a network namespace of its own (sysctls, counters, capture on its lo)
  HostStack,     // the host's network stack (no namespace available, or a target scenario)
};

struct Admission {
  std::optional<std::string> skipReason;  // set: the job does not run, and this is why
  JobPlacement placement = JobPlacement::HostStack;
};

// The rules, in order: a target scenario needs a target, of its family, and no namespace of its own;
// sysctls and 'requires netns' need a namespace per job; 'requires root' needs root.
Admission admitJob(const scenario::Scenario& scenario, scenario::Family family, const JobEnvironment& environment);

}  // namespace sockspec::runner
