"""Municipal balance of asylum reception: places per municipality against a population key.

The Spreidingswet view: how are the country's reception places spread over municipalities,
compared with a spread in proportion to inhabitants? For municipality ``m`` with ``P_m`` places
and ``I_m`` inhabitants, with ``P`` all places in the reception table (matched or not) and ``I``
all inhabitants in the population table:

- ``places_per_1000 = 1000 * P_m / I_m``
- ``share_places_pct = 100 * P_m / P`` and ``share_inhabitants_pct = 100 * I_m / I``
- ``expected_places = P * I_m / I`` (a plain population key; the real distribution under the
  Spreidingswet is set per province and may weigh more than population)
- ``places_minus_expected = P_m - expected_places``, ``ratio_to_expected = P_m / expected_places``

Municipal codes change with mergers, so the three inputs (regions, population, reception) often
come from different years. Codes that do not match are never dropped silently: places of
reception rows without a region stay in an ``unmatched`` table and in the totals, regions without
a reception row get empty places (not 0), and every mismatch is listed in the summary.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoschikt.errors import ConfigError, InputFileError
from geoschikt.geo import WGS84, to_crs
from geoschikt.provenance import input_record
from geoschikt.regions import NAME_COLUMNS, read_regions
from geoschikt.tables import clean_codes, find_column, read_user_csv, row_numbers, stripped_text

log = logging.getLogger(__name__)

PLACES_COLUMNS = ("opvangplaatsen", "places", "plaatsen", "capacity", "capaciteit")
INHABITANT_COLUMNS = ("inwoners", "inhabitants", "population", "bevolking")
TYPE_COLUMNS = ("opvangtypen", "reception_types")
PROVINCE_COLUMNS = ("provincie", "province")
MAIN_TYPES = ("azc", "noodopvang")  # own columns; every other type goes to places_other

LAYER = "balance"
GPKG = "balance.gpkg"
CSV = "balance.csv"
UNMATCHED_CSV = "balance_unmatched.csv"
RECORD = "balance.json"

COLUMNS = (
    "statcode",
    "statnaam",
    "province",
    "inhabitants",
    "population_year",
    "places",
    "places_azc",
    "places_noodopvang",
    "places_other",
    "reception_types",
    "places_per_1000",
    "share_places_pct",
    "share_inhabitants_pct",
    "expected_places",
    "places_minus_expected",
    "ratio_to_expected",
    "reference_date",
    "match",
)
_ROUND = {
    "places_per_1000": 3,
    "share_places_pct": 4,
    "share_inhabitants_pct": 4,
    "expected_places": 2,
    "places_minus_expected": 2,
    "ratio_to_expected": 4,
}
_YEAR = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class Balance:
    """The balance per region (``layer``), unmatched reception rows, and a provenance summary."""

    layer: gpd.GeoDataFrame
    unmatched: pd.DataFrame
    summary: dict = field(default_factory=dict)

    @property
    def mismatches(self) -> dict[str, list[dict]]:
        return self.summary["mismatches"]

    def warnings(self) -> list[str]:
        """One readable line per kind of mismatch (empty when all codes match)."""
        return _warning_lines(self.summary)


# --- reference dates -------------------------------------------------------------------------


def resolve_reference_date(reception_file: str | Path, given: str | None = None) -> tuple[str, str]:
    """The reference date (peildatum) of the reception figures and where it came from.

    ``given`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) wins; else the single year in the file
    name (``opvang_per_gemeente_2016.csv`` -> ``2016``); else an error asking for the date.
    """
    if given is not None:
        return _check_date(given), "given with --reference-date"
    name = Path(reception_file).name
    year = _year_in_name(name)
    if year is None:
        raise InputFileError(
            f"the reference date (peildatum) of the reception figures in {name} is unknown and "
            "its file name holds no single year; give it with --reference-date YYYY-MM-DD"
        )
    return year, f"inferred from the file name {name}"


def resolve_population_year(
    population_file: str | Path, given: str | None = None
) -> tuple[str, str]:
    """The year of the population figures: ``given``, else the year in the file name, else
    ``"unknown"``."""
    if given is not None:
        if not re.fullmatch(r"(18|19|20)\d\d", given.strip()):
            raise ConfigError(f"--population-year {given!r} is not a year; give e.g. 2021")
        return given.strip(), "given with --population-year"
    name = Path(population_file).name
    year = _year_in_name(name)
    if year is None:
        return "unknown", f"not given and no single year in the file name {name}"
    return year, f"inferred from the file name {name}"


def _year_in_name(name: str) -> str | None:
    years = set(_YEAR.findall(Path(name).stem))
    return years.pop() if len(years) == 1 else None


def _check_date(text: str) -> str:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return text
    raise ConfigError(
        f"--reference-date {text!r} is not a date; give YYYY-MM-DD (or YYYY-MM, or YYYY)"
    )


# --- readers ---------------------------------------------------------------------------------


def read_population(path: str | Path, *, id_column: str = "statcode") -> pd.DataFrame:
    """Inhabitants per municipality: ``statcode, name, province, inhabitants``."""
    table, what = _read_csv(path, "population")
    code = find_column(table, (id_column,), what, "give the code column with --id-column")
    count = find_column(
        table, INHABITANT_COLUMNS, what, "add a column 'inwoners' with the number of inhabitants"
    )
    inhabitants = _counts(table[count], what, count, positive=True)
    return pd.DataFrame(
        {
            "statcode": clean_codes(table[code], what, code).to_numpy(),
            "name": stripped_text(table, find_column(table, NAME_COLUMNS, what, required=False)),
            "province": stripped_text(
                table, find_column(table, PROVINCE_COLUMNS, what, required=False)
            ),
            "inhabitants": inhabitants.to_numpy(),
        }
    )


def read_reception_table(path: str | Path, *, id_column: str = "statcode") -> pd.DataFrame:
    """Reception places per municipality, with ``places_azc``, ``places_noodopvang`` and
    ``places_other`` from the optional ``opvangtypen`` column (``azc:300;noodopvang:120``)."""
    table, what = _read_csv(path, "reception")
    code = find_column(table, (id_column,), what, "give the code column with --id-column")
    count = find_column(
        table,
        PLACES_COLUMNS,
        what,
        "add a column 'opvangplaatsen' with the number of reception places",
    )
    places = _counts(table[count], what, count, positive=False)
    types_col = find_column(table, TYPE_COLUMNS, what, required=False)
    types = table[types_col] if types_col else pd.Series(pd.NA, index=table.index)
    breakdown = _type_breakdown(types, places, what, types_col)
    return pd.DataFrame(
        {
            "statcode": clean_codes(table[code], what, code).to_numpy(),
            "name": stripped_text(table, find_column(table, NAME_COLUMNS, what, required=False)),
            "places": places.to_numpy(),
            **{k: v.to_numpy() for k, v in breakdown.items()},
            "reception_types": types.astype("string").str.strip().to_numpy(),
        }
    )


def parse_reception_types(text: str | None) -> dict[str, int]:
    """``"azc:300;noodopvang:120"`` -> ``{"azc": 300, "noodopvang": 120}`` (repeats add up).

    Labels are lower-cased; a label may itself hold commas (``"azc,pol,col:1700"`` is one
    combined location). Raises ``ValueError`` for an entry without a whole number after ``:``.
    """
    out: dict[str, int] = {}
    if text is None or pd.isna(text) or not str(text).strip():
        return out
    for entry in str(text).split(";"):
        if not entry.strip():
            continue
        label, sep, number = entry.rpartition(":")
        if not sep or not label.strip() or not number.strip().isdigit():
            raise ValueError(f"entry {entry.strip()!r} is not TYPE:PLACES")
        key = " ".join(label.lower().split())
        out[key] = out.get(key, 0) + int(number)
    return out


def _read_csv(path: str | Path, what: str) -> tuple[pd.DataFrame, str]:
    path = Path(path)
    label = f"{what} file {path}"
    if not path.is_file():
        raise InputFileError(f"{label} does not exist; check the path")
    table, _dialect = read_user_csv(path, what, text=True)
    if table.empty:
        raise InputFileError(f"{label} has no rows")
    return table, label


def _counts(series: pd.Series, what: str, column: str, *, positive: bool) -> pd.Series:
    """Whole, non-negative (or positive) numbers written as plain digits (so that a Dutch
    ``1.000`` is refused rather than read as 1); anything else is an error naming the lines."""
    text = series.astype("string").str.strip()
    digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    values = pd.to_numeric(text.where(digits), errors="coerce")
    bad = values.isna() | ((values < 1) if positive else False)
    if bad.any():
        kind = "missing, zero, negative" if positive else "missing, negative"
        rule = "a whole number above 0" if positive else "a whole number, 0 or more"
        raise InputFileError(
            f"{what}: {int(bad.sum())} row(s) have a {kind} or non-whole value in "
            f"column '{column}' (line {row_numbers(bad, 2)}); each needs {rule}, in digits only"
        )
    return values.astype("int64")


def _type_breakdown(
    types: pd.Series, places: pd.Series, what: str, column: str | None
) -> dict[str, pd.Series]:
    """Places per main type; ``places_other`` is the rest, so the three add up to ``places``."""
    parsed, problems = [], []
    for line, (text, total) in enumerate(zip(types, places, strict=True), start=2):
        try:
            counts = parse_reception_types(text)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            counts = {}
        if counts and sum(counts.values()) != total:
            problems.append(f"line {line}: types add up to {sum(counts.values())}, not {total}")
        parsed.append(counts)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InputFileError(
            f"{what}: column '{column}' does not match the places: {'; '.join(problems[:3])}"
            f"{more}; write it as TYPE:PLACES;TYPE:PLACES adding up to the places"
        )
    out = {
        f"places_{t}": pd.Series([c.get(t, 0) for c in parsed], index=types.index, dtype="int64")
        for t in MAIN_TYPES
    }
    out["places_other"] = places - sum(out.values())
    return out


# --- computing -------------------------------------------------------------------------------


def compute_balance(
    regions: gpd.GeoDataFrame,
    population: pd.DataFrame,
    reception: pd.DataFrame,
    *,
    reference_date: str,
    population_year: str = "unknown",
) -> Balance:
    """Join the three tables on ``statcode`` and compute the balance (see the module docstring).

    ``regions`` has ``statcode``, ``statnaam`` and polygons (``regions.read_regions`` with
    those names); ``population`` and ``reception`` are as returned by :func:`read_population`
    and :func:`read_reception_table`. Nothing is dropped: see
    :attr:`Balance.unmatched` and ``Balance.summary["mismatches"]``.
    """
    national_places = int(reception["places"].sum())
    national_inhabitants = int(population["inhabitants"].sum())
    pop = population.rename(columns={"name": "population_name"})
    rec = reception.rename(columns={"name": "reception_name"})
    merged = regions.merge(pop, on="statcode", how="left").merge(rec, on="statcode", how="left")
    in_pop = merged["statcode"].isin(population["statcode"])
    in_rec = merged["statcode"].isin(reception["statcode"])

    layer = gpd.GeoDataFrame(geometry=merged.geometry.to_numpy(), crs=regions.crs)
    layer["statcode"] = merged["statcode"].to_numpy()
    layer["statnaam"] = (
        merged["statnaam"].fillna(merged["population_name"]).fillna(merged["reception_name"])
    ).to_numpy()
    layer["province"] = merged["province"].to_numpy()
    layer["inhabitants"] = merged["inhabitants"].astype("Int64").array
    layer["population_year"] = population_year
    for col in ("places", *(f"places_{t}" for t in MAIN_TYPES), "places_other"):
        layer[col] = merged[col].astype("Int64").array
    layer["reception_types"] = merged["reception_types"].to_numpy()
    layer = _add_key(layer, national_places, national_inhabitants)
    layer["reference_date"] = reference_date
    layer["match"] = np.select(
        [in_pop & in_rec, in_pop, in_rec],
        ["ok", "no_reception_row", "no_population_row"],
        "no_reception_or_population_row",
    )
    layer = to_crs(layer[[*COLUMNS, "geometry"]].sort_values("statcode", ignore_index=True), WGS84)

    unmatched = _unmatched(reception, population, regions, reference_date)
    summary = _summary(
        layer, unmatched, population, reception, regions, national_places, national_inhabitants
    )
    summary = {"reference_date": reference_date, "population_year": population_year, **summary}
    return Balance(layer=layer, unmatched=unmatched, summary=summary)


def _add_key(frame: pd.DataFrame, places_total: int, inhabitants_total: int) -> pd.DataFrame:
    """Per-1,000, shares and the population key (see the module docstring), rounded."""
    out = frame.copy()
    places = out["places"].astype("float64")
    inhabitants = out["inhabitants"].astype("float64")
    expected = places_total * inhabitants / inhabitants_total
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "places_per_1000": 1000 * places / inhabitants,
            "share_places_pct": 100 * places / places_total if places_total else np.nan * places,
            "share_inhabitants_pct": 100 * inhabitants / inhabitants_total,
            "expected_places": expected,
            "places_minus_expected": places - expected,
            "ratio_to_expected": (places / expected).where(expected > 0),
        }
    for col, value in values.items():
        out[col] = value.round(_ROUND[col])
    return out


def _unmatched(
    reception: pd.DataFrame,
    population: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    reference_date: str,
) -> pd.DataFrame:
    """Reception rows whose code has no region: their places, and inhabitants where known."""
    rows = reception[~reception["statcode"].isin(regions["statcode"])]
    pop = population[["statcode", "inhabitants"]]
    out = rows.merge(pop, on="statcode", how="left")
    out["inhabitants"] = out["inhabitants"].astype("Int64")
    out["reason"] = np.where(
        out["inhabitants"].isna(),
        "code in neither the regions nor the population",
        "code not in the regions",
    )
    out["reference_date"] = reference_date
    order = ["statcode", "name", "places", *(f"places_{t}" for t in MAIN_TYPES), "places_other"]
    order += ["reception_types", "inhabitants", "reason", "reference_date"]
    out = out[order].sort_values(["places", "statcode"], ascending=[False, True])
    return out.reset_index(drop=True)


def _summary(
    layer: gpd.GeoDataFrame,
    unmatched: pd.DataFrame,
    population: pd.DataFrame,
    reception: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    national_places: int,
    national_inhabitants: int,
) -> dict:
    places_in_regions = int(layer["places"].fillna(0).sum())
    unmatched_places = int(unmatched["places"].sum())
    assert places_in_regions + unmatched_places == national_places  # nothing lost in the join
    region_codes = set(regions["statcode"])
    no_pop = ~reception["statcode"].isin(population["statcode"])
    missing = layer["match"]
    return {
        "totals": {
            "national_places": national_places,
            "places_in_regions": places_in_regions,
            "unmatched_places": unmatched_places,
            "national_inhabitants": national_inhabitants,
            "inhabitants_in_regions": int(layer["inhabitants"].fillna(0).sum()),
            "places_per_1000_national": round(1000 * national_places / national_inhabitants, 3),
        },
        "counts": {
            "regions": len(layer),
            "population_rows": len(population),
            "reception_rows": len(reception),
            "regions_matched": int((missing == "ok").sum()),
            "municipalities_with_places": int((reception["places"] > 0).sum()),
        },
        "mismatches": {
            "reception_codes_without_region": _records(
                unmatched.assign(in_population=unmatched["inhabitants"].notna()),
                ["statcode", "name", "places", "in_population"],
            ),
            "reception_codes_without_population": _records(
                reception[no_pop], ["statcode", "name", "places"]
            ),
            "regions_without_reception_row": _records(
                layer[missing.isin(["no_reception_row", "no_reception_or_population_row"])],
                ["statcode", "statnaam"],
            ),
            "regions_without_population_row": _records(
                layer[missing.isin(["no_population_row", "no_reception_or_population_row"])],
                ["statcode", "statnaam"],
            ),
            "population_codes_without_region": _records(
                population[~population["statcode"].isin(region_codes)],
                ["statcode", "name", "inhabitants"],
            ),
        },
    }


def _records(frame: pd.DataFrame, cols: list[str]) -> list[dict]:
    """Rows as JSON-ready dicts (native Python values, None for missing)."""
    return [
        {k: None if pd.isna(v) else v for k, v in row.items()}
        for row in frame[cols].to_dict("records")
    ]


def _warning_lines(summary: dict) -> list[str]:
    m = summary["mismatches"]
    lines = []
    rec = m["reception_codes_without_region"]
    if rec:
        with_places = [r for r in rec if r["places"] > 0]
        listed = ", ".join(f"{r['name']} {r['statcode']} ({r['places']:,})" for r in with_places)
        zero = len(rec) - len(with_places)
        lines.append(
            f"{len(rec)} reception code(s) have no region (municipal mergers?); their "
            f"{summary['totals']['unmatched_places']:,} places are kept as unmatched "
            f"({UNMATCHED_CSV}){': ' + listed if listed else ''}"
            f"{f' (and {zero} code(s) with 0 places)' if zero else ''}"
        )
    for key, text in (
        ("regions_without_reception_row", "region(s) have no reception row (places left empty)"),
        ("regions_without_population_row", "region(s) have no population row (no per-1,000)"),
    ):
        if m[key]:
            names = ", ".join(f"{r['statnaam']} {r['statcode']}" for r in m[key][:8])
            more = ", ..." if len(m[key]) > 8 else ""
            lines.append(f"{len(m[key])} {text}: {names}{more}")
    if m["population_codes_without_region"]:
        lines.append(
            f"{len(m['population_codes_without_region'])} population code(s) have no region; "
            "their inhabitants still count in the national total"
        )
    pop_year, ref = summary["population_year"], summary["reference_date"]
    if pop_year != "unknown" and not ref.startswith(pop_year):
        lines.append(
            f"the population ({pop_year}) and the reception figures ({ref}) are from different "
            "years"
        )
    return lines


# --- files in, files out ---------------------------------------------------------------------


def load_balance(
    regions_file: str | Path,
    population_file: str | Path,
    reception_file: str | Path,
    *,
    id_column: str = "statcode",
    reference_date: str | None = None,
    population_year: str | None = None,
) -> Balance:
    """Read and check the three files, then :func:`compute_balance`; the summary records the
    inputs (with SHA-256) and where the reference date and population year came from."""
    ref, ref_source = resolve_reference_date(reception_file, reference_date)
    year, year_source = resolve_population_year(population_file, population_year)
    regions = read_regions(regions_file, id_column=id_column).rename(
        columns={"region_id": "statcode", "region_name": "statnaam"}
    )
    population = read_population(population_file, id_column=id_column)
    reception = read_reception_table(reception_file, id_column=id_column)
    balance = compute_balance(
        regions, population, reception, reference_date=ref, population_year=year
    )
    inputs = [
        input_record(role, p)
        for role, p in (
            ("regions", regions_file),
            ("population", population_file),
            ("reception", reception_file),
        )
    ]
    summary = {
        **balance.summary,
        "reference_date_source": ref_source,
        "population_year_source": year_source,
        "id_column": id_column,
        "inputs": inputs,
    }
    return replace(balance, summary=summary)


def balance_layer(
    regions_file: str | Path,
    population_file: str | Path,
    reception_file: str | Path,
    **kwargs,
) -> gpd.GeoDataFrame:
    """The balance per municipality as polygons in EPSG:4326 (columns: :data:`COLUMNS`)."""
    return load_balance(regions_file, population_file, reception_file, **kwargs).layer


def require_match(balance: Balance) -> None:
    """Raise :class:`InputFileError` when any code fails to match between the files (--strict)."""
    m = balance.mismatches
    parts = [f"{len(v)} {k.replace('_', ' ')}" for k, v in m.items() if v]
    if parts:
        raise InputFileError(
            f"--strict: the municipal codes of the inputs do not match ({'; '.join(parts)}); "
            "use regions, population and reception of the same municipal year, or drop --strict "
            "to write the balance with these listed"
        )
