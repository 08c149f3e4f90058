#include "runner/check_result_codec.h"

#include <nlohmann/json.hpp>

namespace sockspec::runner {

std::string encodeJobResult(const report::CheckResult& result) {
  nlohmann::json json{{"status", static_cast<int>(result.status)},
                      {"line", result.line},
                      {"message", result.message},
                      {"duration_ms", result.durationMs},
                      {"capture_file", result.captureFile},
                      {"capture_bytes", result.captureBytes},
                      {"capture_error", result.captureError},
                      {"capture_received", result.captureReceived},
                      {"capture_dropped", result.captureDropped},
                      {"wire_asserted", result.wireAsserted},
                      {"wire_skipped", result.wireSkipped},
                      {"wire_skip_reason", result.wireSkipReason},
                      {"target", result.target}};
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<bool, std::string> decodeJobResult(const std::string& text, report::CheckResult& result) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return false;
  try {
    result.status = static_cast<report::Status>(json.at("status").get<int>());
    result.line = json.at("line").get<int>();
    result.message = json.at("message").get<std::string>();
    result.durationMs = json.at("duration_ms").get<double>();
    result.captureFile = json.at("capture_file").get<std::string>();
    result.captureBytes = json.at("capture_bytes").get<std::uint64_t>();
    result.captureError = json.at("capture_error").get<std::string>();
    result.captureReceived = json.at("capture_received").get<std::uint64_t>();
    result.captureDropped = json.at("capture_dropped").get<std::uint64_t>();
    result.wireAsserted = json.at("wire_asserted").get<int>();
    result.wireSkipped = json.at("wire_skipped").get<int>();
    result.wireSkipReason = json.at("wire_skip_reason").get<std::string>();
    result.target = json.at("target").get<std::string>();
  } catch (const nlohmann::json::exception& error) {
    return Unexpected{std::string(error.what())};
  }
  return true;
}

}  // namespace sockspec::runner
