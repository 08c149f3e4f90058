#include "cli/options_file.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file_bytes.h"

namespace sockspec::cli {

namespace {

// An options file is a few lines; anything larger is not one.
constexpr std::size_t kMaxBytes = 64 * 1024;

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

Expected<std::vector<OptionsFileLine>, std::string> readOptionsFile(const std::string& path) {
  auto text = readFileBytes(path, kMaxBytes);
  if (!text) return Unexpected{fmt::format("{}: {}", path, text.error().describe())};
  if (text->size() > kMaxBytes) return Unexpected{fmt::format("{}: larger than {} bytes", path, kMaxBytes)};
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  std::string dir = (error ? std::filesystem::path(path) : absolute).parent_path().string();
  if (dir.empty()) dir = ".";
  std::vector<OptionsFileLine> lines;
  int number = 0;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + start, end - start);
    start = end + 1;
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    std::size_t indent = line.find_first_not_of(" \t");
    if (indent == std::string_view::npos || line[indent] == '#') continue;
    line.remove_prefix(indent);
    if (!line.starts_with("--") || line.size() == 2 || line[2] == ' ' || line[2] == '\t') {
      return Unexpected{
          fmt::format("{}:{}:{}: expected an option, --name [VALUE]", path, number, indent + 1)};
    }
    OptionsFileLine option{number, std::string(line), std::nullopt};
    // `--name VALUE` or `--name=VALUE`, whichever comes first ends the name.
    if (std::size_t stop = line.find_first_of(" \t="); stop != std::string_view::npos) {
      option.name = std::string(line.substr(0, stop));
      std::size_t value = line[stop] == '=' ? stop + 1 : line.find_first_not_of(" \t", stop);
      option.value = replaceAll(std::string(line.substr(value)), "{dir}", dir);
    }
    lines.push_back(std::move(option));
  }
  return lines;
}

}  // namespace sockspec::cli
