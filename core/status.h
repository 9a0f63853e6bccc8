// Status and StatusOr: values for failures a user can cause (bad config, missing file,
// crashed trial, locked database). Programmer errors are asserts, never Status.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hone {

enum class StatusCode {
  kOk,
  kInvalidArgument,   // bad user input: config, search space, CLI arguments
  kNotFound,          // experiment, trial, file
  kFailedPrecondition,
  kAlreadyExists,
  kUnavailable,       // a resource that may appear later (GPU busy, db locked)
  kExhausted,         // a finite search space has no configuration left
  kIo,                // filesystem, process, database
  kInternal,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context ("storage: ...").
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIo, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Exhausted(std::string m) { return {StatusCode::kExhausted, std::move(m)}; }

template <typename T>
class StatusOr {
 public:
  StatusOr(Status status) : value_(std::move(status)) { assert(!std::get<Status>(value_).ok()); }
  StatusOr(T value) : value_(std::move(value)) {}

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }

  T& value() & { assert(ok()); return std::get<T>(value_); }
  const T& value() const& { assert(ok()); return std::get<T>(value_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> value_;
};

#define HONE_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::hone::Status _st = (expr);          \
    if (!_st.ok()) return _st;            \
  } while (0)

}  // namespace hone
