"""``cnplans.to_currency``: vectorized conversion at annual average rates, never a silent NaN.

And the one reader of ``exchange_rates.csv`` (:func:`cnplans.conversion.fx.read_rates_file`) behind
it, which ``cnplans convert`` and the updater in ``scripts/rates`` use too.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cnplans
from cnplans.conversion.fx import (
    MissingRateError,
    RatesFileError,
    read_rates,
    read_rates_file,
    to_currency,
)

REPO = Path(__file__).resolve().parents[2]
BUNDLED_RATES = REPO / "resources" / "exchange_rates.csv"


def bundled_rate(year: int, currency: str = "CNY") -> float:
    with BUNDLED_RATES.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            if (row["currency"], row["year"], row["provider"]) == (
                currency,
                str(year),
                "federal_reserve",
            ):
                return float(row["units_per_usd"])
    raise AssertionError(f"the bundled table has no {currency} {year}")


def write_rates(path: Path, rows: list[tuple[str, int, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(
            [
                "currency",
                "year",
                "provider",
                "units_per_usd",
                "series",
                "source_url",
                "retrieved",
                "note",
            ]
        )
        for currency, year, provider, rate in rows:
            writer.writerow([currency, year, provider, rate, "test", "http://127.0.0.1/", "", ""])
    return path


def test_scalar_year_divides_by_the_bundled_yuan_rate() -> None:
    amounts = pd.Series([10_000_000_000.0, 0.0], index=["a", "b"], name="value")
    result = to_currency(amounts, "CNY", year=2024)
    expected = amounts / bundled_rate(2024)
    pd.testing.assert_series_equal(result, expected)
    assert result.name == "value"
    assert list(result.index) == ["a", "b"]


def test_year_series_gives_each_amount_its_own_rate() -> None:
    amounts = pd.Series([100.0, 100.0, 100.0], index=[10, 20, 30])
    years = pd.Series([2020, 2021, 2020], index=[10, 20, 30])
    result = to_currency(amounts, year=years)
    assert result.tolist() == pytest.approx(
        [100 / bundled_rate(2020), 100 / bundled_rate(2021), 100 / bundled_rate(2020)]
    )


def test_usd_to_cny_multiplies_and_round_trips() -> None:
    dollars = pd.Series([1_000.0, 2_500.0])
    yuan = to_currency(dollars, "USD", year=2022, to="CNY")
    assert yuan.tolist() == pytest.approx([1_000 * bundled_rate(2022), 2_500 * bundled_rate(2022)])
    back = to_currency(yuan, "CNY", year=2022, to="USD")
    assert back.tolist() == pytest.approx(dollars.tolist())


def test_same_currency_and_usd_to_usd_are_identity() -> None:
    amounts = pd.Series([3.0, 4.0])
    assert to_currency(amounts, "USD", year=1900, to="USD").tolist() == [3.0, 4.0]
    assert to_currency(amounts, "CNY", year=2020, to="CNY").tolist() == pytest.approx([3.0, 4.0])


def test_cross_rate_goes_through_the_dollar(tmp_path: Path) -> None:
    rates = write_rates(
        tmp_path / "rates.csv",
        [("CNY", 2020, "federal_reserve", "7.0"), ("EUR", 2020, "federal_reserve", "0.875")],
    )
    result = to_currency(pd.Series([7.0, 14.0]), "CNY", year=2020, to="EUR", rates_path=rates)
    assert result.tolist() == pytest.approx([0.875, 1.75])


def test_provider_selects_the_series(tmp_path: Path) -> None:
    rates = write_rates(
        tmp_path / "rates.csv",
        [("CNY", 2020, "federal_reserve", "7.0"), ("CNY", 2020, "world_bank", "5.0")],
    )
    amounts = pd.Series([35.0])
    assert to_currency(amounts, year=2020, rates_path=rates).tolist() == [5.0]
    world_bank = to_currency(amounts, year=2020, provider="world_bank", rates_path=rates)
    assert world_bank.tolist() == [7.0]


def test_missing_rate_raises_naming_currency_and_years() -> None:
    amounts = pd.Series([1.0, 2.0, 3.0])
    with pytest.raises(MissingRateError) as caught:
        to_currency(amounts, year=pd.Series([2020, 1901, 1900]))
    message = str(caught.value)
    assert "CNY" in message and "1900, 1901" in message
    assert "2020" not in message.split("provider")[0]
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)


def test_unknown_currency_raises_instead_of_nan() -> None:
    with pytest.raises(KeyError, match="no exchange rate for XYZ in year 2020"):
        to_currency(pd.Series([1.0]), "XYZ", year=2020)
    with pytest.raises(ValueError, match="no exchange rate for XYZ in year 2020"):
        to_currency(pd.Series([1.0]), "USD", year=2020, to="XYZ")


def test_missing_amounts_and_years_stay_missing_without_error() -> None:
    amounts = pd.Series([1.0, None, 5.0])
    years = pd.Series([2020, 1900, None], dtype="Int64")  # 1900 has no rate, but no amount either
    result = to_currency(amounts, year=years)
    assert result.iloc[0] == pytest.approx(1 / bundled_rate(2020))
    assert result.iloc[1:].isna().all()


def test_year_series_must_be_aligned() -> None:
    with pytest.raises(ValueError, match="same index"):
        to_currency(pd.Series([1.0, 2.0]), year=pd.Series([2020, 2021], index=[5, 6]))
    with pytest.raises(TypeError, match="year must be"):
        to_currency(pd.Series([1.0]), year="2020")  # type: ignore[arg-type]


def test_rates_are_reread_when_the_file_changes(tmp_path: Path) -> None:
    path = write_rates(tmp_path / "rates.csv", [("CNY", 2020, "federal_reserve", "7.0")])
    assert read_rates(path).require("CNY", 2020).units_per_usd == "7.0"
    write_rates(path, [("CNY", 2020, "federal_reserve", "8.00")])
    assert read_rates(path).require("CNY", 2020).units_per_usd == "8.00"


def test_exported_lazily_without_heavy_imports() -> None:
    assert cnplans.to_currency is to_currency
    code = (
        "import sys, cnplans; f = cnplans.to_currency; import pandas as pd; "
        "f(pd.Series([1.0]), year=2020); "
        "print(sorted(m for m in ('pandera', 'frictionless', 'requests') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_reader_keeps_cells_as_text_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,year,provider,units_per_usd,note\n"
        'CNY,2020,federal_reserve,6.9000,"two\nlines"\n'
        "\n"
        "CNY,2021,federal_reserve,6.4500,\n",
        encoding="utf-8",
    )
    table = read_rates_file(path)
    assert table.header == ["currency", "year", "provider", "units_per_usd", "note"]
    assert list(table.rows) == [("CNY", 2020, "federal_reserve"), ("CNY", 2021, "federal_reserve")]
    assert table.rows[("CNY", 2020, "federal_reserve")]["note"] == "two\nlines"
    assert table.lines == {("CNY", 2020, "federal_reserve"): 2, ("CNY", 2021, "federal_reserve"): 5}
    rate = table.rate_table().require("CNY", 2021)
    assert (rate.units_per_usd, rate.line, rate.value) == ("6.4500", 5, 6.45)
    assert read_rates(path) == table.rate_table()


HEADER = "currency,year,provider,units_per_usd\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty; expected a header line"),
        ("currency,year,units_per_usd\n", "line 1: the header lacks the column(s) provider"),
        (HEADER + "CNY,2020,federal_reserve\n", "line 2: expected 4 cells, found 3"),
        (HEADER + "CNY,20x0,federal_reserve,7\n", "line 2: column year: expected a four-digit"),
        (HEADER + "CNY,2020,federal_reserve,0\n", "line 2: column units_per_usd: expected a pos"),
        (HEADER + "CNY,2020,federal_reserve,n/a\n", "found 'n/a'"),
        (
            HEADER + "CNY,2020,federal_reserve,7\nCNY,2020,federal_reserve,8\n",
            "line 3: a second row for currency CNY, year 2020, provider federal_reserve "
            "(the first is on line 2)",
        ),
    ],
)
def test_the_reader_names_the_line_that_is_wrong(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RatesFileError) as caught:
        read_rates(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)


def test_the_reader_requires_the_columns_asked_for(tmp_path: Path) -> None:
    path = write_rates(tmp_path / "rates.csv", [("CNY", 2020, "federal_reserve", "7.0")])
    assert read_rates_file(path, required=["series", "note"]).header[-1] == "note"
    with pytest.raises(RatesFileError, match=r"line 1: the header lacks the column\(s\) vintage"):
        read_rates_file(path, required=["series", "vintage"])


def test_a_missing_or_undecodable_file_is_a_rates_file_error(tmp_path: Path) -> None:
    with pytest.raises(RatesFileError, match="no such file; the exchange-rate table is missing"):
        read_rates(tmp_path / "absent.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "CNY,2020,federal_reserve,7,\xe9\n".encode("latin-1"))
    with pytest.raises(RatesFileError, match="cannot read the file"):
        read_rates(latin)
