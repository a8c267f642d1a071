#include "stages/select_stage.h"

#include <cstddef>
#include <string_view>
#include <utility>

namespace ringflow::stages {
namespace {

// The lists are short (a handful of names), so a linear scan beats hashing every field name.
bool Contains(const std::vector<std::string>& names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

Error Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

// Escaped and cut after kMaxQuotedBytes: an item may be megabytes long.
std::string Quoted(std::string_view s) { return "\"" + ShortenForMessage(s) + "\""; }

}  // namespace

Result<std::unique_ptr<SelectStage>> SelectStage::Create(SelectOptions options) {
  if (!options.keep && !options.drop && !options.rename) {
    return Invalid("give at least one of \"keep\", \"drop\", \"rename\"");
  }
  std::vector<Rename> renames;
  for (const std::string& item : options.rename.value_or(std::vector<std::string>{})) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return Invalid("rename: " + Quoted(item) + " is not \"old=new\"");
    }
    Rename rename{item.substr(0, eq), item.substr(eq + 1)};
    for (const Rename& earlier : renames) {
      if (earlier.from == rename.from) {
        return Invalid("rename: " + Quoted(item) + ": " + Quoted(rename.from) +
                       " is already renamed");
      }
    }
    renames.push_back(std::move(rename));
  }
  return std::unique_ptr<SelectStage>(new SelectStage(
      std::move(options.keep), std::move(options.drop).value_or(std::vector<std::string>{}),
      std::move(renames)));
}

SelectStage::SelectStage(std::optional<std::vector<std::string>> keep,
                         std::vector<std::string> drop, std::vector<Rename> renames)
    : keep_(std::move(keep)), drop_(std::move(drop)), renames_(std::move(renames)) {}

void SelectStage::Process(flow::RecordBatch& batch) const {
  for (flow::Record& record : batch.records) {
    if (!record.ok()) continue;
    flow::FieldList& fields = record.fields;
    // One pass: keep and drop look at the original name, then the rename applies; the same as
    // applying the three in turn. Fields that stay move down in place.
    std::size_t out = 0;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      flow::Field field = fields[i];
      if (keep_ && !Contains(*keep_, field.name)) continue;
      if (Contains(drop_, field.name)) continue;
      for (const Rename& rename : renames_) {
        if (rename.from == field.name) {
          field.name = rename.to;  // a view into this stage, which outlives the batch
          break;
        }
      }
      fields[out++] = field;
    }
    fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(out), fields.end());
  }
}

config::TypeSpec SelectSpec() {
  config::TypeSpec spec;
  spec.type = "select";
  spec.help =
      "keeps, drops and renames fields, in that order (the fields that stay keep their order); "
      "lines that failed to parse pass unchanged. Give at least one of keep, drop, rename";
  const auto list = [](std::string name, std::string help) {
    config::ParamSpec param;
    param.name = std::move(name);
    param.type = config::ParamType::kStringList;
    param.help = std::move(help);
    return param;
  };
  spec.params.push_back(list("keep", "only these fields stay, e.g. [\"time\", \"status\"]"));
  spec.params.push_back(list("drop", "these fields go, e.g. [\"user_agent\"]"));
  spec.params.push_back(list("rename",
                             "\"old=new\" items (exact names, split at the first =), applied "
                             "together, e.g. [\"msg=message\", \"ts=time\"]"));
  return spec;
}

Result<std::unique_ptr<flow::TransformStage>> MakeSelectStage(const config::StageConfig& config) {
  SelectOptions options;
  if (const auto* keep = config.GetStringList("keep")) options.keep = *keep;
  if (const auto* drop = config.GetStringList("drop")) options.drop = *drop;
  if (const auto* rename = config.GetStringList("rename")) options.rename = *rename;
  RINGFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SelectStage> stage,
                            SelectStage::Create(std::move(options)));
  return std::unique_ptr<flow::TransformStage>(std::move(stage));
}

Status RegisterSelect(run::StageRegistry& registry) {
  return registry.RegisterTransform(SelectSpec(), MakeSelectStage);
}

}  // namespace ringflow::stages
