"""Outputs for spreadsheets: the Dutch CSV dialect and candidates.xlsx, read back with pandas
and openpyxl and compared with the plain CSV."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geoschikt.outputs.write import write_outputs

HOSTILE = '=HYPERLINK("http://example.invalid","klik")'


@pytest.fixture(scope="module")
def runs(delft_result, tmp_path_factory):
    cands = delft_result.candidates.copy()
    cands["name"] = cands.get("name", pd.Series(None, index=cands.index)).astype(object)
    best = cands["rank"].idxmin()
    cands.loc[best, "name"] = HOSTILE
    result = dataclasses.replace(delft_result, candidates=cands)
    root = tmp_path_factory.mktemp("sheets")
    plain = write_outputs(result, root / "plain")
    dutch = write_outputs(result, root / "nl", csv_dialect="nl", xlsx=True)
    return plain, dutch, cands


def test_dutch_csv_has_semicolons_decimal_commas_and_a_bom(runs):
    plain, dutch, _ = runs
    raw = (dutch / "candidates.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode()
    assert ";" in header and "," not in header
    a = pd.read_csv(plain / "candidates.csv")
    b = pd.read_csv(dutch / "candidates.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        if pd.api.types.is_float_dtype(a[col]):
            np.testing.assert_allclose(b[col], a[col], rtol=1e-12, equal_nan=True)
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
    assert b["name"].iloc[0] == "'" + HOSTILE  # neutralised like every CSV we write


def test_xlsx_matches_the_csv_and_keeps_formulas_as_text(runs):
    plain, dutch, _ = runs
    book = load_workbook(dutch / "candidates.xlsx", read_only=False)
    sheet = book["candidates"]
    rows = list(sheet.iter_rows(values_only=True))
    csv = pd.read_csv(plain / "candidates.csv", keep_default_na=False)
    assert list(rows[0]) == list(csv.columns)
    assert len(rows) - 1 == len(csv)
    ids = [r[list(rows[0]).index("candidate_id")] for r in rows[1:]]
    assert ids == csv["candidate_id"].tolist()  # same rank order
    suit = [r[list(rows[0]).index("suitability")] for r in rows[1:]]
    np.testing.assert_allclose(np.array(suit, dtype=float), csv["suitability"], equal_nan=True)
    name_col = list(rows[0]).index("name") + 1
    cell = sheet.cell(row=2, column=name_col)
    assert cell.value == HOSTILE and cell.data_type == "s"  # text, not a formula
    assert "OpenStreetMap" in str(list(book["about"].iter_rows(values_only=True)))
