#include "trials/lenient_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/utf8.h"

namespace hone {
namespace {

class LenientParser {
 public:
  explicit LenientParser(std::string_view text) : text_(text) {}

  StatusOr<nlohmann::json> Parse() {
    nlohmann::json value;
    SkipSpace();
    if (!ParseValue(0, &value)) return InvalidArgument(error_);
    SkipSpace();
    if (pos_ != text_.size()) {
      return InvalidArgument("unexpected text after the JSON value at byte " + std::to_string(pos_));
    }
    return value;
  }

 private:
  bool Fail(std::string what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(pos_);
    return false;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) ++pos_;
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(int depth, nlohmann::json* out) {
    if (AtEnd()) return Fail("unexpected end of input, expected a value");
    char c = Peek();
    switch (c) {
      case '{': return ParseObject(depth + 1, out);
      case '[': return ParseArray(depth + 1, out);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't': return ParseLiteral("true", true, out);
      case 'f': return ParseLiteral("false", false, out);
      case 'n': return ParseLiteral("null", nullptr, out);
      case 'N': return ParseLiteral("NaN", std::numeric_limits<double>::quiet_NaN(), out);
      case 'I': return ParseLiteral("Infinity", std::numeric_limits<double>::infinity(), out);
      case '-':
        if (text_.substr(pos_, 2) == "-I") {
          return ParseLiteral("-Infinity", -std::numeric_limits<double>::infinity(), out);
        }
        return ParseNumber(out);
      default:
        if (c >= '0' && c <= '9') return ParseNumber(out);
        return Fail(std::string("unexpected character '") + Printable(c) + "', expected a value");
    }
  }

  static std::string Printable(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string(1, c);
    static const char* kHex = "0123456789abcdef";
    return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
  }

  template <typename T>
  bool ParseLiteral(std::string_view word, T value, nlohmann::json* out) {
    if (!Consume(word)) return Fail("invalid literal, expected '" + std::string(word) + "'");
    *out = value;
    return true;
  }

  bool ParseObject(int depth, nlohmann::json* out) {
    if (depth > kMaxJsonDepth) return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    ++pos_;  // '{'
    *out = nlohmann::json::object();
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"') return Fail("expected a string key");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (AtEnd() || Peek() != ':') return Fail("expected ':' after an object key");
      ++pos_;
      SkipSpace();
      nlohmann::json value;
      if (!ParseValue(depth, &value)) return false;
      (*out)[key] = std::move(value);
      SkipSpace();
      if (AtEnd()) return Fail("unexpected end of input inside an object");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}' in an object");
    }
  }

  bool ParseArray(int depth, nlohmann::json* out) {
    if (depth > kMaxJsonDepth) return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    ++pos_;  // '['
    *out = nlohmann::json::array();
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      nlohmann::json value;
      if (!ParseValue(depth, &value)) return false;
      out->push_back(std::move(value));
      SkipSpace();
      if (AtEnd()) return Fail("unexpected end of input inside an array");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']' in an array");
    }
  }

  bool ParseHex4(char32_t* out) {
    if (pos_ + 4 > text_.size()) return Fail("truncated \\u escape");
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Fail("invalid hex digit in \\u escape");
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      // Copy the run of bytes that need no attention in one go.
      size_t start = pos_;
      while (!AtEnd()) {
        auto u = static_cast<unsigned char>(Peek());
        if (u == '"' || u == '\\' || u < 0x20 || u >= 0x80) break;
        ++pos_;
      }
      out->append(text_.substr(start, pos_ - start));
      if (AtEnd()) return Fail("unterminated string");
      auto u = static_cast<unsigned char>(Peek());
      if (u == '"') {
        ++pos_;
        return true;
      }
      if (u < 0x20) return Fail("control character in a string");
      if (u >= 0x80) {
        size_t n = Utf8SequenceLength(text_, pos_);
        if (n == 0) {
          *out += "\xEF\xBF\xBD";
          ++pos_;
        } else {
          out->append(text_.substr(pos_, n));
          pos_ += n;
        }
        continue;
      }
      // Backslash escape.
      ++pos_;
      if (AtEnd()) return Fail("unterminated string");
      char e = Peek();
      ++pos_;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          char32_t cp = 0;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            char32_t low = 0;
            if (!ParseHex4(&low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;  // not a pair: the high half is lone, the next escape stands alone
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate
          AppendUtf8(out, cp);
          break;
        }
        default:
          --pos_;
          return Fail(std::string("invalid escape '\\") + Printable(e) + "' in a string");
      }
    }
  }

  bool ParseNumber(nlohmann::json* out) {
    size_t start = pos_;
    bool negative = false;
    if (Peek() == '-') {
      negative = true;
      ++pos_;
    }
    auto digits = [&] {
      size_t n = 0;
      while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_, ++n;
      return n;
    };
    size_t int_start = pos_;
    size_t int_digits = digits();
    if (int_digits == 0) return Fail("expected a digit");
    if (int_digits > 1 && text_[int_start] == '0') {
      pos_ = int_start + 1;
      return Fail("leading zero in a number");
    }
    bool is_integer = true;
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      is_integer = false;
      if (digits() == 0) return Fail("expected a digit after '.'");
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      is_integer = false;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (digits() == 0) return Fail("expected a digit in the exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_integer) {
      if (negative) {
        int64_t v;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          *out = v;
          return true;
        }
      } else {
        uint64_t v;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            *out = static_cast<int64_t>(v);
          } else {
            *out = v;
          }
          return true;
        }
      }
      // Too large for 64 bits: fall through to a double, as Python's readers would.
    }
    double d;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) {
      d = OverflowsRatherThanUnderflows(text_.substr(start, pos_ - start))
              ? std::numeric_limits<double>::infinity()
              : 0.0;
      if (negative) d = -d;
    } else if (r.ec != std::errc() || r.ptr != last) {
      return Fail("invalid number");
    }
    *out = d;
    return true;
  }

  // For a syntactically valid number that does not fit a double: true when its magnitude
  // is too large (-> infinity), false when too small (-> zero).
  static bool OverflowsRatherThanUnderflows(std::string_view number) {
    if (!number.empty() && number[0] == '-') number.remove_prefix(1);
    size_t e = number.find_first_of("eE");
    std::string_view mantissa = number.substr(0, e);
    int64_t exponent = 0;
    if (e != std::string_view::npos) {
      std::string_view digits = number.substr(e + 1);
      bool neg = !digits.empty() && digits[0] == '-';
      if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
      for (char c : digits) {
        exponent = exponent * 10 + (c - '0');
        if (exponent > 1'000'000'000) break;  // already decisive
      }
      if (neg) exponent = -exponent;
    }
    // Decimal position of the first significant digit relative to the point.
    size_t dot = mantissa.find('.');
    std::string_view int_part = mantissa.substr(0, dot);
    int64_t magnitude;
    size_t nz = int_part.find_first_not_of('0');
    if (nz != std::string_view::npos) {
      magnitude = static_cast<int64_t>(int_part.size() - nz);
    } else {
      std::string_view frac = dot == std::string_view::npos ? "" : mantissa.substr(dot + 1);
      size_t first = frac.find_first_not_of('0');
      magnitude = first == std::string_view::npos ? -1'000'000'000 : -static_cast<int64_t>(first);
    }
    return magnitude + exponent > 0;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

StatusOr<nlohmann::json> ParseLenientJson(std::string_view text) {
  return LenientParser(text).Parse();
}

}  // namespace hone
