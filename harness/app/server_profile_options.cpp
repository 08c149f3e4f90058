#include "app/server_profile_options.h"

#include <fmt/format.h>

#include "base/c_escapes.h"
#include "base/display_escape.h"

namespace sockspec::app {

Expected<std::string, std::string> decodeEscapes(std::string_view text) {
  auto decoded = decodeCEscapes(text);
  if (!decoded) return Unexpected{fmt::format("column {}: {}", decoded.error().column, decoded.error().message)};
  return std::move(*decoded);
}

Expected<void, std::string> planServerProfile(const RunOptions& options, suites::SuiteOptions& suite) {
  int replies = (options.reply.empty() ? 0 : 1) + (options.replyPrefix.empty() ? 0 : 1) +
                (options.replyExact.empty() ? 0 : 1);
  bool given = !options.request.empty() || replies > 0;
  if (options.suite != "server") {
    if (given) return Unexpected{std::string("--request and --reply go with --suite server")};
    return {};
  }
  if (options.request.empty()) {
    return Unexpected{
        std::string("--suite server needs --request (the bytes of one request, e.g. 'PING\\r\\n')")};
  }
  if (replies != 1) {
    return Unexpected{
        std::string("--suite server needs one of --reply REGEX, --reply-prefix TEXT, --reply-exact TEXT")};
  }
  auto request = decodeEscapes(options.request);
  if (!request)
    return Unexpected{fmt::format("--request '{}': {}", escapeForDisplay(options.request), request.error())};
  suite.request = std::move(*request);

  Expected<pattern::BytePattern, std::string> reply = Unexpected{std::string()};
  std::string_view option;
  std::string_view given_text;
  if (!options.reply.empty()) {
    option = "--reply";
    given_text = options.reply;
    // RE2 reads its own escapes (\r \n \xNN \+), so the regex is passed as written.
    reply = pattern::BytePattern::make(pattern::PatternKind::Regex, options.reply);
  } else {
    option = options.replyPrefix.empty() ? "--reply-exact" : "--reply-prefix";
    given_text = options.replyPrefix.empty() ? options.replyExact : options.replyPrefix;
    auto bytes = decodeEscapes(given_text);
    if (!bytes)
      return Unexpected{fmt::format("{} '{}': {}", option, escapeForDisplay(given_text), bytes.error())};
    reply = pattern::BytePattern::make(
        options.replyPrefix.empty() ? pattern::PatternKind::Exact : pattern::PatternKind::Prefix,
        std::move(*bytes));
  }
  if (!reply)
    return Unexpected{fmt::format("{} '{}': {}", option, escapeForDisplay(given_text), reply.error())};
  if (reply->matches("")) {
    return Unexpected{
        fmt::format("{} '{}' matches no bytes at all, so every reply would be complete before it "
                    "began: say what a reply holds",
                    option, escapeForDisplay(given_text))};
  }
  suite.reply = std::move(*reply);
  return {};
}

}  // namespace sockspec::app
