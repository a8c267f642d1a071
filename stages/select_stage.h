// SelectStage: the `select` transform. Keeps, drops and renames fields, in that order, in place
// (the fields that stay keep their order). New names are views into strings the stage owns, so
// the stage must outlive every batch it has processed. Records that failed to parse (no fields)
// pass unchanged. Immutable after construction: Process may run concurrently on different
// batches.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

struct SelectOptions {
  // Given: only fields with these names stay (every one of them, duplicates included), in the
  // record's order. An empty list keeps no field.
  std::optional<std::vector<std::string>> keep{};
  // Fields with these names go.
  std::optional<std::vector<std::string>> drop{};
  // "old=new" items, split at the first '=': every field named old is called new. Renames apply
  // together, to the names the record had (so "a=b", "b=a" swaps a and b). A new name may equal
  // a name already in the record; both fields are then kept.
  std::optional<std::vector<std::string>> rename{};
};

class SelectStage final : public flow::TransformStage {
 public:
  // kInvalidArgument when keep, drop and rename are all absent
  // (`give at least one of "keep", "drop", "rename"`), for a rename item without '=' or with an
  // empty side (`rename: "abc" is not "old=new"`) and for a name renamed twice
  // (`rename: "a=c": "a" is already renamed`). Names are exact (no trimming).
  static Result<std::unique_ptr<SelectStage>> Create(SelectOptions options);

  SelectStage(const SelectStage&) = delete;
  SelectStage& operator=(const SelectStage&) = delete;

  // Rewrites the fields of every record that parsed.
  void Process(flow::RecordBatch& batch) const override;

 private:
  struct Rename {
    std::string from;
    std::string to;  // records' fields view this string: it must not move, so neither may we
  };

  SelectStage(std::optional<std::vector<std::string>> keep, std::vector<std::string> drop,
              std::vector<Rename> renames);

  const std::optional<std::vector<std::string>> keep_;
  const std::vector<std::string> drop_;
  const std::vector<Rename> renames_;
};

// The "select" type for the stage registry: keep, drop, rename (lists of strings, optional).
config::TypeSpec SelectSpec();

// A SelectStage from a validated "select" stage config. Errors as SelectStage::Create.
Result<std::unique_ptr<flow::TransformStage>> MakeSelectStage(const config::StageConfig& config);

// Registers the "select" transform (SelectSpec, MakeSelectStage). Errors as
// run::StageRegistry::RegisterTransform.
Status RegisterSelect(run::StageRegistry& registry);

}  // namespace ringflow::stages
