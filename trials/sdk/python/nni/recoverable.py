"""NNI's checkpoint hooks for tuners and assessors (`nni.recoverable.Recoverable`).

hone resumes a plugin by replaying finished trials into a fresh one, so these hooks are
never called by hone; they exist so that classes written for NNI import and construct.
"""

import os

__all__ = ["Recoverable"]


class Recoverable:
    def load_checkpoint(self):
        pass

    def save_checkpoint(self):
        pass

    def get_checkpoint_path(self):
        """NNI_CHECKPOINT_DIRECTORY when set, else None."""
        return os.environ.get("NNI_CHECKPOINT_DIRECTORY") or None
