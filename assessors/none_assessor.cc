#include "assessors/none_assessor.h"

namespace hone {

StatusOr<std::unique_ptr<Assessor>> NoneAssessor::Create(const AssessorContext& ctx) {
  return std::unique_ptr<Assessor>(new NoneAssessor());
}

}  // namespace hone
