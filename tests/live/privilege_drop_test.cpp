// The privilege drop of a scenario job, proved in a forked child as the runner does it: in its own network
// namespace, with the pcap handle opened first, then dropPrivileges(). Afterwards CapEff is 0, no new raw
// socket or pcap handle can be opened (EPERM), and the handle opened before still captures.
// Needs root; otherwise it says "sockspec-test-skipped" (CTest then reports it skipped, never passed).
#include "runner/privilege_drop.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "capture/live_capture.h"
#include "net/unique_fd.h"
#include "runner/network_namespace.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;

namespace {

// CapEff from /proc/self/status, as the hex text the kernel writes ("" when absent).
std::string effectiveCapabilities() {
  std::ifstream status("/proc/self/status");
  std::string line;
  // Bounded by the file.
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 7));
  }
  return "";
}

// A loopback TCP connection made and closed in this process: a handshake and FINs on lo.
std::string makeLoopbackTraffic() {
  net::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return fmt::format("listener: errno {}", errno);
  }
  net::UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client || ::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return fmt::format("connect: errno {}", errno);
  }
  return "";
}

// The child's whole check; "ok" or the first thing that was not as it must be.
std::string dropAndProbe(const std::string& pcapPath, const std::optional<runner::RunAs>& user) {
  if (auto entered = runner::enterPrivateNetworkNamespace(); !entered) return "namespace: " + entered.error();
  // Owned by the user the job becomes, who names it in finish() (fs.protected_hardlinks), as a job's is.
  capture::CaptureSettings settings;
  if (user) settings.owner = std::make_pair(user->uid, user->gid);
  auto capture = capture::LiveCapture::open("lo", pcapPath, settings);
  if (!capture) return "capture before the drop: " + capture.error();
  if (!runner::hasRawCaptureCapability()) return "no CAP_NET_RAW before the drop";
  if (auto dropped = runner::dropPrivileges(user); !dropped) return "drop: " + dropped.error();
  if (user && (::getuid() != user->uid || ::geteuid() != user->uid || ::getgid() != user->gid)) {
    return fmt::format("uid {} gid {} after the drop, expected {} {}", ::getuid(), ::getgid(), user->uid,
                       user->gid);
  }
  if (user && ::getgroups(0, nullptr) != 0) return "supplementary groups kept after the drop";

  if (std::string caps = effectiveCapabilities(); caps != "0000000000000000")
    return "CapEff after the drop: " + caps;
  if (runner::hasRawCaptureCapability()) return "CAP_NET_RAW still effective";
  errno = 0;
  net::UniqueFd raw(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
  if (raw || errno != EPERM)
    return fmt::format("AF_PACKET socket after the drop: fd {}, errno {}", raw.get(), errno);
  errno = 0;
  net::UniqueFd rawIp(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP));
  if (rawIp || errno != EPERM)
    return fmt::format("raw IP socket after the drop: fd {}, errno {}", rawIp.get(), errno);
  auto second = capture::LiveCapture::open("lo", pcapPath + ".second");
  if (second) return "a new pcap handle opened after the drop";
  if (second.error().find("Operation not permitted") == std::string::npos)
    return "new pcap handle: " + second.error();

  if (std::string traffic = makeLoopbackTraffic(); !traffic.empty()) return traffic;
  capture->settle(std::chrono::milliseconds(20), std::chrono::milliseconds(500));
  auto packets = capture->tcpPackets();
  if (packets.size() < 3)
    return fmt::format("the open handle captured {} TCP packets, expected the handshake", packets.size());
  if ((packets[0].packet.tcpFlags & capture::kTcpSyn) == 0 || packets[0].number != 1)
    return "the first packet is not the SYN #1";
  // The pcap is named only now, by the dropped process (base/unnamed_file.h).
  if (auto stats = capture->finish(std::chrono::milliseconds(0), std::chrono::milliseconds(0));
      !stats.error.empty())
    return "the pcap named after the drop: " + stats.error;
  return "ok";
}

}  // namespace

TEST_CASE("after the drop a job has no capability, cannot open raw sockets or pcap, and still captures") {
  if (::geteuid() != 0) {
    WARN("sockspec-test-skipped: needs root (a network namespace and CAP_NET_RAW)");
    return;
  }
  std::optional<runner::RunAs> user;
  SECTION("staying uid 0") {
    CHECK_FALSE(user.has_value());
  }
  SECTION("switching to another user (run --user)") {
    auto nobody = runner::lookUpUser("nobody");
    REQUIRE(nobody.ok());
    user = *nobody;
  }
  // A folder the user may write in, under /tmp (the test's own folder is root's alone).
  std::string folder = "/tmp/sockspec-drop-XXXXXX";
  REQUIRE(::mkdtemp(folder.data()) != nullptr);
  REQUIRE(::chmod(folder.c_str(), 0777) == 0);
  std::string pcapPath = folder + "/drop.pcap";
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  net::UniqueFd readEnd(fds[0]);
  net::UniqueFd writeEnd(fds[1]);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string verdict = dropAndProbe(pcapPath, user);
    (void)!::write(writeEnd.get(), verdict.data(), verdict.size());
    ::_exit(0);
  }
  writeEnd.reset();
  std::string verdict;
  char chunk[512];
  // Bounded: the child writes one short message and exits (its steps are bounded by their own deadlines).
  for (ssize_t n; (n = ::read(readEnd.get(), chunk, sizeof(chunk))) > 0;)
    verdict.append(chunk, static_cast<std::size_t>(n));
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(verdict == "ok");
  CHECK(testing::pathExists(pcapPath));
  std::filesystem::remove_all(folder);
}

TEST_CASE("lookUpUser names an unknown user") {
  auto missing = runner::lookUpUser("no-such-user-sockspec");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error() == "no user 'no-such-user-sockspec'");
}
