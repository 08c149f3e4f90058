// Whether a server has finished with what it was sent: every thread of its processes asleep in the kernel
// (state S, proc(5) /proc/PID/task/TID/stat) in a wait that only something from outside ends, and how often
// those threads have been run (the third field of /proc/PID/task/TID/schedstat, "# of timeslices run on this
// cpu", Documentation/scheduler/sched-stats.rst). On loopback a send delivers to the server's socket before it
// returns (the softirq runs in the sender's context unless deferred to ksoftirqd), but the server's thread
// may read as asleep a little longer (a wakeup for another CPU is queued there); so a server seen at rest
// that has run since the message was sent (its timeslices moved) has written all it will write for that
// message, and a reply can end there instead of after a quiet gap. A thread in a sleep it timed itself
// (nanosleep) is not at rest: it will go on by itself. The processes are the root's, its children's, and so on
// (/proc/PID/task/TID/children): a forking server's child that serves the connection is one of them. The
// grey-box coverage runtime's flusher thread (named SOCKSPEC_COVERAGE_THREAD_NAME, base/coverage_map_layout.h)
// is left out: sockspec wakes it itself around each input, and its timeslices would pass for the server's.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "net/unique_fd.h"

namespace sockspec::process {

struct Activity {
  bool atRest = false;
  std::uint64_t timeslices = 0;  // summed over the threads read; compared only between two reads
  std::size_t threads = 0;       // threads read
};

// The state letter of a /proc/PID/stat text (the field after the last ')'); nullopt when malformed.
std::optional<char> stateOfStat(std::string_view stat);

// The thread count of a /proc/PID/stat text (num_threads, field 20 of proc(5)); nullopt when malformed.
std::optional<std::size_t> threadsOfStat(std::string_view stat);

// The third field of a schedstat text ("cpu-ns wait-ns timeslices"); nullopt when malformed.
std::optional<std::uint64_t> timeslicesOfSchedstat(std::string_view schedstat);

// Whether a thread asleep in this kernel function (/proc/PID/wchan) may wake by itself: a sleep of its own
// timing, or no function named ("0": the kernel could not tell), not a wait for input.
bool isTimedSleep(std::string_view wchan);

inline constexpr std::size_t kMaxThreads = 256;

// The activity of `root` and every process below it, read again and again while replies are awaited: the
// /proc files stay open and are re-read with pread(2) (one call each instead of open, read, close; a file of
// a thread that has gone says ESRCH, and is dropped). A read stops at the first thread that is not at rest
// (atRest false, timeslices then a part), unless `whole`: then every thread's timeslices are summed, for a
// baseline to compare a later read with. Bounded: at most kMaxThreads threads are read; a tree with more is
// never at rest. A root that is gone is at rest with no threads.
// Whether the root is watched itself, or only for the processes below it (a supervisor of ours, which only
// waits for them: reading its own state would cost every read a third more for nothing).
enum class WatchedRoot { Itself, ChildrenOnly };

class ActivityWatch {
 public:
  explicit ActivityWatch(pid_t root, WatchedRoot watched = WatchedRoot::Itself) : m_root(root), m_watched(watched) {}
  pid_t root() const { return m_root; }
  Activity read(bool whole = false);

 private:
  struct ThreadFiles {
    net::UniqueFd stat, wchan, schedstat, children;
    bool seen = false;     // in the read under way
    bool named = false;    // its name (/proc/PID/task/TID/comm) was read
    bool coverage = false; // it is the coverage runtime's flusher: not the server's
  };
  // A process's threads as last listed (/proc/PID/task), kept while its main thread's stat counts as many
  // (threadsOfStat): listing them costs three calls a read that most reads need not make.
  struct ProcessThreads {
    net::UniqueFd folder;
    std::vector<pid_t> ids;  // the main thread first
    bool listed = false;     // false: read the list again
  };
  // Whether the thread is at rest; adds its timeslices and its children's pids (when it is not at rest, only
  // if `whole`). Marks `process` to be listed again when its thread count changed or the thread is gone.
  bool threadAtRest(pid_t pid, pid_t tid, ThreadFiles& files, bool whole, Activity& activity,
                    std::vector<pid_t>& pending, ProcessThreads& process);
  void readChildren(pid_t pid, pid_t tid, ThreadFiles& files, std::vector<pid_t>& pending);
  // The process's threads, listed again when marked; nullptr when it is gone.
  ProcessThreads* threadsOf(pid_t pid);
  // One walk of the tree; nullopt when a list was found stale on the way (threads came or went).
  std::optional<Activity> readOnce(bool whole);

  pid_t m_root;
  WatchedRoot m_watched;
  std::map<pid_t, ProcessThreads> m_processes;               // by pid
  std::map<std::pair<pid_t, pid_t>, ThreadFiles> m_threads;  // by (pid, tid)
};

// One read, with nothing kept.
Activity readActivity(pid_t root);

}  // namespace sockspec::process
