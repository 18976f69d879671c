"""Writers: GeoPackage and CSV tables, raw distances, the web map, the provenance record."""

from geoschikt.outputs.atomic import atomic_directory, check_output_dir
from geoschikt.outputs.write import write_outputs

__all__ = ["atomic_directory", "check_output_dir", "write_outputs"]
