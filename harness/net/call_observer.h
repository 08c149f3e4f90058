// CallObserver: a hook that sees every call made through the socket layer, so that a program's
// lifecycle (socket, bind, listen, accept, ..., close) can be logged and checked afterwards.
// The socket layer knows nothing of how records are stored; events/json_event_log.h writes them as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sockspec::net {

struct CallArgument {
  std::string_view name;
  std::variant<std::int64_t, std::string> value;
};

struct CallRecord {
  std::string_view call;  // "accept", "recv", ...
  int fd = -1;            // the socket the call was made on (-1 for socket() itself)
  std::vector<CallArgument> arguments;
  std::int64_t result = 0;  // the call's return value (-1 on failure)
  int errnoCode = 0;        // 0 on success
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // Called after each call returns, on the calling thread. Must not call back into the socket layer.
  virtual void onCall(const CallRecord& record) = 0;
};

// Installs the process-wide observer (nullptr: none, the default). The observer must outlive its use.
void setCallObserver(CallObserver* observer);
CallObserver* currentCallObserver();

}  // namespace sockspec::net
