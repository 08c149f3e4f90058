// Where the programs under test are in the build tree, and a one-call way to start the reference server.
#pragma once

#include <string>
#include <vector>

#include "process/listening_target.h"

namespace sockspec::testing {

std::string serverBinary();   // <build>/targets/server/sockspec-server
std::string clientBinary();   // <build>/targets/client/sockspec-client
std::string sockspecBinary(); // <build>/harness/sockspec
std::string sourceDir();

// Starts sockspec-server --listen URL --service SERVICE plus `extra`, within 10 s; FAILs the test on error.
process::ListeningTarget startReferenceServer(const std::string& listenUrl, const std::string& service,
                                              const std::vector<std::string>& extra = {});

// A fresh path for a unix socket under a per-test temp directory (removed at exit).
std::string tempSocketPath(const std::string& stem);

// A fresh path for any other file (an input, an --events log) in the same directory: "<dir>/<stem>-N<suffix>".
std::string tempFilePath(const std::string& stem, const std::string& suffix = "");

// A private TMPDIR for one run of a program (made under the test's temp folder), so that "nothing left
// behind" can be checked exactly.
struct PrivateTemp {
  std::string path;
  PrivateTemp();
  bool empty() const;
};

}  // namespace sockspec::testing
