"""The parts of NNI's `nni.common` that algorithm code imports (see hpo_utils)."""
