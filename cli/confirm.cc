#include "cli/confirm.h"

#include <cctype>

namespace hone {

bool IsYes(std::string_view answer) {
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.front()))) answer.remove_prefix(1);
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) answer.remove_suffix(1);
  std::string lower;
  for (char c : answer) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "y" || lower == "yes";
}

bool AskYesNo(const std::string& question, std::FILE* in, std::FILE* prompt_out) {
  std::fprintf(prompt_out, "%s [y/N] ", question.c_str());
  std::fflush(prompt_out);
  std::string line;
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') {
    if (line.size() < 256) line += static_cast<char>(c);
  }
  return IsYes(line);
}

}  // namespace hone
