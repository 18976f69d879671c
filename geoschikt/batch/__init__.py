"""Score many regions (e.g. all municipalities of a province) from one OSM extract.

The extract is read once, in chunks, and cut as it is read into one input file per region (its
buildings plus a buffer of network and features as wide as the longest reach, so facilities
across a border count; see ``cut``). Regions then run one by one, in local processes (``jobs``)
or on a Dask cluster (``scheduler``). Each finished region leaves its outputs (written
atomically) and a status record with the fingerprint of its inputs; re-running skips regions
whose record matches and redoes the rest, so a killed batch resumes where it stopped.

Modules: ``regions`` (which regions of the regions file), ``status`` (task, status record,
fingerprint), ``plan`` (what is still to do), ``cut`` (the extract into per-region inputs),
``execute`` (running regions), ``outputs`` (the batch-wide files), ``run`` (a whole batch) and
``rescore`` (a finished batch with a new config).
"""

from geoschikt.batch.cut import prepare_inputs
from geoschikt.batch.execute import Progress, execute, run_region
from geoschikt.batch.memory import give_back_memory
from geoschikt.batch.outputs import write_batch_outputs
from geoschikt.batch.plan import buffered_bounds, plan
from geoschikt.batch.regions import safe_name, select_regions
from geoschikt.batch.rescore import rescore_batch
from geoschikt.batch.run import run_batch
from geoschikt.batch.status import (
    BATCH_MARK,
    STATUS_EMPTY,
    STATUS_FAILED,
    STATUS_OK,
    SUMMARY_COLUMNS,
    RegionTask,
    check_batch_dir,
    clean_leftovers,
    fingerprint,
    read_status,
    region_stats,
)

__all__ = [
    "BATCH_MARK",
    "STATUS_EMPTY",
    "STATUS_FAILED",
    "STATUS_OK",
    "SUMMARY_COLUMNS",
    "Progress",
    "RegionTask",
    "buffered_bounds",
    "check_batch_dir",
    "clean_leftovers",
    "execute",
    "fingerprint",
    "give_back_memory",
    "plan",
    "prepare_inputs",
    "read_status",
    "region_stats",
    "rescore_batch",
    "run_batch",
    "run_region",
    "safe_name",
    "select_regions",
    "write_batch_outputs",
]
