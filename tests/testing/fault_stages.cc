// Test stages for fault and ordering tests, built as the plugin `ringflow_fault_stages` (only
// with the tests) and listed in a test's pipeline document: fail_every (every n-th record of the
// run becomes an error record), delay (sleeps per batch), gate (each batch waits for a file to
// exist), throw (throws after some batches) and the sink slow_null (sleeps per batch, discards).
// Thread-safety: the transforms are called concurrently; their only state is atomic.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "framework/run/plugin.h"

namespace ringflow::testing {
namespace {

config::ParamSpec Param(std::string name, config::ParamType type, bool required, std::string help,
                        std::string default_text = "", int64_t min = INT64_MIN,
                        int64_t max = INT64_MAX) {
  config::ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.required = required;
  spec.help = std::move(help);
  spec.default_text = std::move(default_text);
  spec.min = min;
  spec.max = max;
  return spec;
}

config::TypeSpec Type(std::string type, std::string help, std::vector<config::ParamSpec> params) {
  config::TypeSpec spec;
  spec.type = std::move(type);
  spec.help = std::move(help);
  spec.params = std::move(params);
  return spec;
}

void SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

class FailEveryStage final : public flow::TransformStage {
 public:
  explicit FailEveryStage(uint64_t n) : n_(n) {}
  void Process(flow::RecordBatch& batch) const override {
    for (flow::Record& record : batch.records) {
      // Batches run concurrently, so which records fail varies between runs; how many never
      // does: floor(records / n).
      if ((seen_.fetch_add(1, std::memory_order_relaxed) + 1) % n_ != 0) continue;
      record.fields.clear();
      record.error = "injected failure";  // static, as Record::error requires; raw is kept
    }
  }

 private:
  const uint64_t n_;
  mutable std::atomic<uint64_t> seen_{0};
};

class DelayStage final : public flow::TransformStage {
 public:
  explicit DelayStage(int64_t ms) : ms_(ms) {}
  void Process(flow::RecordBatch&) const override { SleepMs(ms_); }

 private:
  const int64_t ms_;
};

class GateStage final : public flow::TransformStage {
 public:
  explicit GateStage(std::string path) : path_(std::move(path)) {}
  void Process(flow::RecordBatch&) const override {
    while (::access(path_.c_str(), F_OK) != 0) SleepMs(10);
  }

 private:
  const std::string path_;
};

class ThrowStage final : public flow::TransformStage {
 public:
  explicit ThrowStage(uint64_t after) : after_(after) {}
  void Process(flow::RecordBatch&) const override {
    if (batches_.fetch_add(1, std::memory_order_relaxed) >= after_) {
      throw std::runtime_error("throw stage: injected exception after " + std::to_string(after_) +
                               " batches");
    }
  }

 private:
  const uint64_t after_;
  mutable std::atomic<uint64_t> batches_{0};
};

class SlowNullSink final : public flow::SinkStage {
 public:
  explicit SlowNullSink(int64_t ms) : ms_(ms) {}
  Status Write(const flow::RecordBatch&) override {
    SleepMs(ms_);
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }

 private:
  const int64_t ms_;
};

using TransformPtr = std::unique_ptr<flow::TransformStage>;
using SinkPtr = std::unique_ptr<flow::SinkStage>;

Status RegisterFaultStages(run::StageRegistry& registry) {
  using config::ParamType;
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      Type("fail_every",
           "test stage: every n-th record of the run becomes an error record (\"injected "
           "failure\", raw kept)",
           {Param("n", ParamType::kInt, true, "fail every n-th record", "", 1)}),
      [](const config::StageConfig& c) -> Result<TransformPtr> {
        return TransformPtr(new FailEveryStage(static_cast<uint64_t>(*c.GetInt("n"))));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      Type("delay", "test stage: sleeps for every batch",
           {Param("ms", ParamType::kInt, false, "milliseconds per batch", "1", 0, 60000)}),
      [](const config::StageConfig& c) -> Result<TransformPtr> {
        return TransformPtr(new DelayStage(*c.GetInt("ms")));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      Type("gate", "test stage: every batch waits until a file exists (polled every 10 ms)",
           {Param("path", ParamType::kString, true, "the file to wait for")}),
      [](const config::StageConfig& c) -> Result<TransformPtr> {
        return TransformPtr(new GateStage(*c.GetString("path")));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      Type("throw", "test stage: throws std::runtime_error once it has seen `after` batches",
           {Param("after", ParamType::kInt, false, "batches that pass first", "0", 0)}),
      [](const config::StageConfig& c) -> Result<TransformPtr> {
        return TransformPtr(new ThrowStage(static_cast<uint64_t>(*c.GetInt("after"))));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      Type("slow_null", "test sink: sleeps for every batch and discards it",
           {Param("ms", ParamType::kInt, false, "milliseconds per batch", "1", 0, 60000)}),
      [](const config::StageConfig& c) -> Result<SinkPtr> {
        return SinkPtr(new SlowNullSink(*c.GetInt("ms")));
      }));
  return OkStatus();
}

}  // namespace
}  // namespace ringflow::testing

RINGFLOW_PLUGIN(ringflow::testing::RegisterFaultStages);
