"""The manifest: one table shape for every data set, validated row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbook.manifest import (
    AGE_GROUPS,
    ManifestError,
    age_group_from_years,
    read_manifest,
    validate_manifest,
    write_manifest,
)


@pytest.mark.parametrize(
    "years, group",
    [(13, "teens"), (19, "teens"), (20, "twenties"), (29.9, "twenties"), (45, "fourties"),
     (79, "seventies"), (99, "nineties"), (12, None), (100, None)],
)
def test_age_group_from_years(years, group):
    assert age_group_from_years(years) == group


def test_age_group_series_is_ordered_category():
    s = age_group_from_years(pd.Series([15, 35, 70, 5]))
    assert list(s.cat.categories) == list(AGE_GROUPS) and s.cat.ordered
    codes = s.cat.codes
    assert codes.iloc[0] < codes.iloc[1] < codes.iloc[2] and codes.iloc[3] == -1


def test_gender_spellings(tmp_path):
    spellings = ["male_masculine", " Female ", "", np.nan, "robot", "non-binary"]
    df = pd.DataFrame({"path": [f"{i}.wav" for i in range(6)], "speaker": "s", "age_group": "teens",
                       "age_years": np.nan, "gender": spellings})
    result = validate_manifest(df)
    assert list(result.manifest["gender"].astype(object).fillna("-")) == ["male", "female", "-", "-", "other"]
    assert result.problems.set_index("row").loc[4, "problem"] == "unknown gender: 'robot'"


def make_rows(tmp_path):
    files = []
    for i in range(3):
        f = tmp_path / f"clip{i}.wav"
        f.write_bytes(b"x")
        files.append(str(f))
    return pd.DataFrame(
        [
            {"path": files[0], "speaker": "a", "age_group": "twenties", "age_years": 25, "gender": "female"},
            {"path": files[1], "speaker": "b", "age_group": "", "age_years": 64, "gender": "male_masculine"},
            {"path": files[2], "speaker": "c", "age_group": "", "age_years": None, "gender": ""},
            {"path": files[0], "speaker": "a", "age_group": "twenties", "age_years": 25, "gender": "female"},
            {"path": str(tmp_path / "gone.wav"), "speaker": "d", "age_group": "thirties", "age_years": None, "gender": "male"},
            {"path": files[1] + "x", "speaker": "e", "age_group": "elderly", "age_years": None, "gender": "male"},
            {"path": files[2] + "y", "speaker": "f", "age_group": "teens", "age_years": None, "gender": "robot"},
            {"path": files[2] + "z", "speaker": "g", "age_group": "fifties", "age_years": 31, "gender": "female"},
            {"path": "", "speaker": "h", "age_group": "teens", "age_years": None, "gender": "female"},
        ]
    )


def test_validation_reports_every_bad_row(tmp_path):
    df = make_rows(tmp_path)
    result = validate_manifest(df, check_files=True)
    kept = result.manifest
    assert list(kept["speaker"]) == ["a", "b", "c"]
    assert kept.loc[1, "age_group"] == "sixties"  # derived from years
    assert kept.loc[1, "gender"] == "male"
    assert pd.isna(kept.loc[2, "age_group"]) and pd.isna(kept.loc[2, "gender"])
    assert kept["age_group"].cat.ordered

    p = result.problems.set_index("row")
    dropped = result.problems[result.problems.action == "dropped"].groupby("row")["problem"].apply(" | ".join)
    assert "duplicate" in dropped[3]
    assert "missing file" in dropped[4]
    assert "unknown age group: 'elderly'" in dropped[5]
    assert "unknown gender: 'robot'" in dropped[6]
    assert "contradicts" in dropped[7]
    assert "empty path" in dropped[8]
    kept_problems = result.problems[result.problems.action == "kept"]
    assert set(kept_problems["row"]) == {2}
    assert set(kept_problems["problem"]) == {"no age label", "no gender label"}
    assert result.n_dropped == 6
    reasons = result.problems.groupby("row")["reason"].agg(set).to_dict()
    assert reasons == {2: {"no age label", "no gender label"}, 3: {"duplicate"}, 4: {"missing file"},
                       5: {"missing file", "unknown label"}, 6: {"missing file", "unknown label"},
                       7: {"missing file", "unknown label"}, 8: {"missing file"}}
    assert len(p) == len(result.problems)


def test_missing_column_is_refused():
    with pytest.raises(ManifestError, match="age_years"):
        validate_manifest(pd.DataFrame({"path": ["a.wav"], "speaker": ["x"], "age_group": ["teens"], "gender": ["male"]}))


def test_require_labels_drops_unlabelled(tmp_path):
    result = validate_manifest(make_rows(tmp_path).iloc[:3], check_files=True, require_labels=True)
    assert list(result.manifest["speaker"]) == ["a", "b"]


def test_write_read_roundtrip_relative_paths(tmp_path):
    df = make_rows(tmp_path).iloc[:2]
    csv = write_manifest(df, tmp_path / "manifest.csv")
    text = csv.read_text()
    assert str(tmp_path) not in text  # portable: relative paths
    back = read_manifest(csv)
    assert list(back.manifest["path"]) == list(df["path"])
    assert back.n_dropped == 0
