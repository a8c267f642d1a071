// Result<T>: a value or an Error; Status = Result<void>. [[nodiscard]], no exceptions.
// std::expected would need C++23 mode on gcc 12, so this is a small variant of our own.
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "framework/core/error.h"

namespace ringflow {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok().
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit on purpose

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    assert(!ok());
    return *error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace ringflow

// Returns the error of `expr` (a Status or Result) from the enclosing function.
#define RINGFLOW_RETURN_IF_ERROR(expr)                          \
  do {                                                          \
    auto _rf_status = (expr);                                   \
    if (!_rf_status.ok()) return std::move(_rf_status).error(); \
  } while (0)

#define RINGFLOW_CONCAT_INNER(a, b) a##b
#define RINGFLOW_CONCAT(a, b) RINGFLOW_CONCAT_INNER(a, b)

// Declares `lhs` from the value of the Result `rexpr`, or returns its error.
#define RINGFLOW_ASSIGN_OR_RETURN(lhs, rexpr) \
  RINGFLOW_ASSIGN_OR_RETURN_IMPL(RINGFLOW_CONCAT(_rf_result_, __LINE__), lhs, rexpr)
#define RINGFLOW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return std::move(tmp).error();         \
  lhs = std::move(tmp).value()
