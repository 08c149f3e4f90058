#include "client_options.h"

namespace sockspec::client {

std::string_view serviceName(Service service) {
  switch (service) {
    case Service::Echo:
      return "echo";
    case Service::Discard:
      return "discard";
    case Service::Chargen:
      return "chargen";
    case Service::Daytime:
      return "daytime";
    case Service::Framed:
      return "framed";
  }
  return "?";
}

}  // namespace sockspec::client
