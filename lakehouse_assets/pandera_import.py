"""pandera, imported without its side effect on the whole process.

On import pandera sets PYARROW_IGNORE_TIMEZONE=1 (for pyspark.pandas). While that variable is set,
pyarrow drops the time zone of every aware datetime it converts: 23:30 at UTC-5 is stored as 23:30
UTC. Measured here, it shifted inference-log timestamps in any process that had loaded the
contracts. Import pandera through this module, which unsets the variable again unless someone set it
on purpose before.
"""

import os

_PRESET = "PYARROW_IGNORE_TIMEZONE" in os.environ

import pandera.pyspark as pandera_pyspark  # noqa: E402 - after noting the variable
from pandera.config import ValidationDepth, config_context  # noqa: E402

if not _PRESET:
    os.environ.pop("PYARROW_IGNORE_TIMEZONE", None)

__all__ = ["ValidationDepth", "config_context", "pandera_pyspark"]
