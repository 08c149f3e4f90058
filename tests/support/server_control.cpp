#include "support/server_control.h"

#include <signal.h>

#include <catch2/catch.hpp>

#include "base/display_escape.h"

namespace sockspec::testing {

void stopServerOrFail(process::ListeningTarget& server, std::chrono::milliseconds limit) {
  server.process.signal(SIGTERM);
  auto status = server.process.wait(Deadline::after(limit));
  std::string stderrText = server.process.readAllStderr(Deadline::after(std::chrono::milliseconds(200)));
  INFO("server stderr: '" << escapeForDisplay(stderrText, 600) << "'");
  REQUIRE(status.has_value());
  INFO("server ended: " << status->describe());
  REQUIRE(status->exited);
  REQUIRE(status->code == 0);
}

}  // namespace sockspec::testing
