// What /proc says about the server's processes (proc(5); which processes they are is process/process_tree.h):
// the descriptors and sockets the tree holds, which of its TCP sockets are in CLOSE-WAIT (the socket
// inodes of /proc/PID/fd against /proc/net/tcp and tcp6), its resident memory and its descriptor limit.
// The hygiene checks compare these before and after many connections; the burst check names the limit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace sockspec::process {

// /proc/net/tcp's state (hex, include/net/tcp_states.h numbers) of each socket inode in that text;
// lines that do not parse are skipped.
std::map<std::uint64_t, unsigned> tcpStatesByInode(std::string_view procNetTcp);

struct ProcessTreeFacts {
  std::size_t processes = 0;         // processes that were read
  std::size_t descriptors = 0;       // entries of /proc/PID/fd, summed
  std::size_t sockets = 0;           // of those, sockets ("socket:[INODE]")
  std::size_t closeWaitSockets = 0;  // of those, TCP sockets in CLOSE-WAIT
  std::uint64_t residentBytes = 0;   // resident set (statm's second field times the page size), summed
};

// The facts of `pids` now. A pid that has gone is left out (processes counts those read). Without
// `countCloseWait`, closeWaitSockets is 0 and the kernel is not asked: its sock_diag dump walks the whole TCP
// hash table (~20 ms beside 28,000 TIME-WAIT sockets, which a fuzzer's connections leave).
ProcessTreeFacts readProcessTreeFacts(const std::vector<pid_t>& pids, bool countCloseWait = true);

// The soft "Max open files" of /proc/PID/limits; nullopt when unreadable or "unlimited".
std::optional<std::uint64_t> openFileLimit(pid_t pid);

}  // namespace sockspec::process
