// Which scenario jobs run, and why one is skipped: a pure function of the scenario, its family and what this
// run has (a namespace per job, root, a server under test). The scheduler asks it before starting a job;
// the reasons are the skip messages every report shows.
#pragma once

#include <optional>
#include <string>

#include "net/sock_addr.h"
#include "process/target_session.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// run --target/--target-cmd with scenario files: the server under test, for the scenarios that say
// `requires target` (connect-target). They run only over its family; without a target they are skipped.
// With --target-cmd (and no --keep-target) each job starts a server of its own, in its own sandbox: in its
// own network namespace when jobs have one, where its traffic is captured like any scenario's. Otherwise
// the one server runs in the host's network stack, and so do the jobs that reach it.
struct TargetUnderTest {
  net::SockAddr address;  // the one server's address; empty when each job starts its own
  scenario::Family family = scenario::Family::Tcp4;
  std::string description;  // "tcp://127.0.0.1:41234" or the command, for skip reasons
  std::optional<process::TargetSpec> perJob;  // set: each job starts its own server from this
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
